"""`casework run`'s supervisor on real short-lived processes: restarted with a doubling backoff,
the count started again after a steady run, given up on when it keeps exiting, a restart in
backoff abandoned on Ctrl-C, and the rest stopped last started first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from cli.supervisor import Supervisor, ended
from tests.support.waiting import eventually_blocking as until

FAST = {"first": 0.05, "most": 0.2, "steady": 5.0, "tick": 0.02}


def python(code: str) -> Callable[[], subprocess.Popen[bytes]]:
    return lambda: subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


EXITS = python("raise SystemExit(3)")
SLEEPS = python("import time; time.sleep(60)")


def watching(supervisor: Supervisor) -> tuple[threading.Thread, list[str | None]]:
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.watch()))
    thread.start()
    return thread, result


def test_how_it_ended() -> None:
    assert ended(0) == "exited with 0" and ended(3) == "exited with 3"
    assert ended(-9) == "was killed by SIGKILL" and ended(-15) == "was killed by SIGTERM"


def test_a_process_that_exits_is_started_again_with_a_doubling_backoff() -> None:
    stop, lines = threading.Event(), []
    supervisor = Supervisor(stop, quick_exits=10, tell=lines.append, **FAST)
    supervisor.start("short", EXITS)
    thread, result = watching(supervisor)
    until(lambda: len(lines) >= 4)
    stop.set()
    thread.join(5)
    assert result == [None]
    assert lines[:4] == ["short exited with 3; restarting in 0.05 s (restart 1)",
                         "short exited with 3; restarting in 0.1 s (restart 2)",
                         "short exited with 3; restarting in 0.2 s (restart 3)",
                         "short exited with 3; restarting in 0.2 s (restart 4)"]
    supervisor.stop_all()


def test_one_that_stayed_up_a_while_starts_the_count_again() -> None:
    stop, lines = threading.Event(), []
    supervisor = Supervisor(stop, **{**FAST, "steady": 0.3}, quick_exits=1, tell=lines.append)
    supervisor.start("slow", python("import time; time.sleep(0.5); raise SystemExit(1)"))
    thread, result = watching(supervisor)
    until(lambda: len(lines) >= 3)
    stop.set()
    thread.join(5)
    assert result == [None]  # never given up on, though it exited three times
    assert lines[:3] == [f"slow exited with 1; restarting in 0.05 s (restart {n})"
                         for n in (1, 2, 3)]
    supervisor.stop_all()


def test_one_that_keeps_exiting_is_given_up_on_and_the_rest_stopped() -> None:
    stop, lines = threading.Event(), []
    supervisor = Supervisor(stop, quick_exits=3, tell=lines.append, **FAST)
    supervisor.start("steady", SLEEPS)
    supervisor.start("short", EXITS)
    assert supervisor.watch() == "short"
    assert lines == ["short exited with 3; restarting in 0.05 s (restart 1)",
                     "short exited with 3; restarting in 0.1 s (restart 2)",
                     "short exited with 3; restarting in 0.2 s (restart 3)",
                     "short exited with 3; it exited 4 times in a row within 5 s of starting: "
                     "giving up"]
    steady = supervisor.children[0].proc
    assert steady.poll() is None  # the others ran on; the caller stops them
    assert supervisor.stop_all() == ["short"]
    assert lines[4:] == ["stopping steady"] and steady.returncode == -signal.SIGTERM


def test_ctrl_c_in_backoff_abandons_the_restart() -> None:
    stop, lines, starts = threading.Event(), [], []

    def start() -> subprocess.Popen[bytes]:
        starts.append(time.monotonic())
        return EXITS()

    supervisor = Supervisor(stop, **{**FAST, "first": 30, "most": 30}, tell=lines.append)
    supervisor.start("short", start)
    thread, result = watching(supervisor)
    until(lambda: bool(lines))
    assert lines == ["short exited with 3; restarting in 30 s (restart 1)"]
    stop.set()
    thread.join(2)
    assert not thread.is_alive() and result == [None] and len(starts) == 1
    assert supervisor.stop_all() == ["short"]  # down when stopped: not a clean stop
    assert lines[1:] == []  # nothing left to stop


def test_a_killed_process_is_replaced_and_all_stop_last_started_first() -> None:
    stop, lines = threading.Event(), []
    supervisor = Supervisor(stop, tell=lines.append, **FAST)
    for name in ("first", "second", "third"):
        supervisor.start(name, SLEEPS)
    thread, result = watching(supervisor)
    killed = supervisor.children[1].proc
    os.kill(killed.pid, signal.SIGKILL)
    until(lambda: supervisor.children[1].proc is not killed)
    stop.set()
    thread.join(5)
    assert result == [None]
    assert lines == ["second was killed by SIGKILL; restarting in 0.05 s (restart 1)"]
    assert supervisor.children[1].proc.poll() is None
    assert supervisor.stop_all() == []
    assert lines[1:] == ["stopping third", "stopping second", "stopping first"]
    assert all(c.proc.returncode == -signal.SIGTERM for c in supervisor.children)
