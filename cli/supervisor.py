"""`casework run`'s supervisor: its processes started in order, each started again when it exits
unasked, and all stopped in reverse order.

A process that exits is restarted after a backoff that doubles with each quick exit in a row (1 s,
2 s, 4 s ... at most 30 s); one that has stayed up a minute starts the count again. A process that
keeps exiting quickly (a sixth quick exit in a row) is given up on: the supervisor stops watching
and the caller stops everything. What it says names the process and how it ended, nothing else.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Start = Callable[[], "subprocess.Popen[bytes]"]


def say(line: str) -> None:
    print(f"casework: {line}", file=sys.stderr, flush=True)


def ended(code: int) -> str:
    """How a process ended, as a person reads it: "exited with 1", "was killed by SIGKILL"."""
    if code >= 0:
        return f"exited with {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


@dataclass
class Child:
    name: str
    start: Start
    proc: subprocess.Popen[bytes]
    started: float
    restarts: int = 0  # since the supervisor began
    quick: int = 0  # exits in a row, each within `steady` seconds of the process's start
    due: float | None = None  # when the restart in backoff is due; None: not in backoff

    @property
    def down(self) -> bool:
        return self.due is not None or self.proc.poll() is not None


class Supervisor:
    """The processes in the order they were started; `watch` restarts them until `stop` is set or
    one keeps exiting, `stop_all` stops them (last started first)."""

    def __init__(self, stop: threading.Event, *, first: float = 1, most: float = 30,
                 steady: float = 60, quick_exits: int = 5, tick: float = 0.5,
                 tell: Callable[[str], None] = say) -> None:
        self.stop, self.first, self.most, self.steady = stop, first, most, steady
        self.quick_exits, self.tick, self.tell = quick_exits, tick, tell
        self.children: list[Child] = []

    def start(self, name: str, start: Start) -> None:
        self.children.append(Child(name, start, start(), time.monotonic()))

    def exited(self) -> Child | None:
        """The first process that is not running (before `watch`: none is restarted yet)."""
        return next((c for c in self.children if c.down), None)

    def watch(self) -> str | None:
        """Restart what exits, until `stop` is set (None) or a process keeps exiting quickly
        (its name: given up on, left down)."""
        while not self.stop.wait(self.tick):
            for child in self.children:
                if self.stop.is_set():
                    return None  # a restart in backoff is abandoned
                if child.due is None and child.proc.poll() is not None:
                    if not self._schedule(child):
                        return child.name
                elif child.due is not None and time.monotonic() >= child.due:
                    try:
                        child.proc, child.started = child.start(), time.monotonic()
                    except OSError as err:
                        self.tell(f"{child.name} could not be started again ({err.strerror}); "
                                  "giving up")
                        return child.name
                    child.due = None
        return None

    def _schedule(self, child: Child) -> bool:
        """Say that it ended and when it starts again; False when it is given up on."""
        now, code = time.monotonic(), child.proc.returncode
        child.quick = child.quick + 1 if now - child.started < self.steady else 1
        if child.quick > self.quick_exits:
            self.tell(f"{child.name} {ended(code)}; it exited {child.quick} times in a row within "
                      f"{self.steady:g} s of starting: giving up")
            return False
        delay = min(self.first * 2 ** (child.quick - 1), self.most)
        child.restarts += 1
        child.due = now + delay
        self.tell(f"{child.name} {ended(code)}; restarting in {delay:g} s "
                  f"(restart {child.restarts})")
        return True

    def stop_all(self, grace: float = 20) -> list[str]:
        """Stop the running ones, last started first, each given `grace` seconds after SIGTERM
        before SIGKILL; the names of those that failed (ended otherwise than by our SIGTERM, down
        in backoff, or given up on), in start order."""
        failed = []
        for child in reversed(self.children):
            proc = child.proc
            if child.due is None and proc.poll() is None:
                self.tell(f"stopping {child.name}")
                proc.terminate()
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if child.due is not None or proc.returncode not in (0, -signal.SIGTERM):
                failed.append(child.name)
        return failed[::-1]
