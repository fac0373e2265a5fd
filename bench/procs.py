"""The processes of a `casework run` and what they use, read from /proc (Linux): CPU seconds
and resident memory per process, named by role (dev server, worker, api, outbox, run)."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # the fields after the command's name


def _role(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if any(a.endswith(b"temporal") for a in args[:1]):
        return "dev server"
    return args[3].decode() if len(args) > 3 and args[1:3] == [b"-m", b"cli"] else "?"


def processes(root: int) -> dict[str, int]:
    """The process `root` (named "run") and its children, by role."""
    found = {"run": root}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == root:
                    found[_role(int(entry.name))] = int(entry.name)
            except (OSError, IndexError):
                continue  # gone meanwhile
    return found


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    return int(_stat(pid)[21]) * PAGE / 2**20


class CpuMeter:
    """CPU seconds each process used between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids, self._before = pids, {}

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self._pids.items()}

    def stop(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self._before[name] for name, pid in self._pids.items()}
