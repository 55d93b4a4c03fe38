"""A small process supervisor for ``herald run-dev``: start every child, prefix its output,
restart it when it dies, stop them all on Ctrl-C.

A child that exits is started again after a pause that doubles with each quick death (1 s up
to 30 s) and resets once it has stayed up for a minute, so a crash loop does not spin. Ctrl-C
or SIGTERM sends SIGTERM to every child, then SIGKILL to those still running after 10 s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
HEALTHY_AFTER = 60.0
STOP_GRACE = 10.0


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = FIRST_PAUSE
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(self, out=None):
        self.children: list[Child] = []
        self.stopping = threading.Event()
        self.out = out or sys.stdout
        self.lock = threading.Lock()
        self.width = 0

    def add(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.children.append(Child(name, command, env))
        self.width = max(self.width, len(name))

    def say(self, name: str, line: str) -> None:
        with self.lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | {line}\n")
            self.out.flush()

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
            child.command,
            env=child.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        self.say(child.name, f"started (pid {child.process.pid})")
        threading.Thread(target=self._pump, args=(child, child.process), daemon=True).start()

    def _pump(self, child: Child, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.say(child.name, line.rstrip("\n"))

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self.say(child.name, f"starting again (restart {child.restarts})")
                self._start(child)
            return
        code = child.process.poll()
        if code is None:
            if now - child.started_at > HEALTHY_AFTER:
                child.pause = FIRST_PAUSE
            return
        self.say(child.name, f"exited with code {code}; restarting in {child.pause:.0f} s")
        child.restart_at = now + child.pause
        child.pause = min(child.pause * 2, LONGEST_PAUSE)

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        for child in self.children:
            self._start(child)
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
        self.stop()
        return 0

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
