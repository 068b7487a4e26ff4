"""The worker and the minute tick as children of one command (`./mamapro demo`), so one
command is the whole centre: `start()` launches `mamapro worker --only-worker` and a thread
that runs `mamapro tick` every minute; `stop()` (on Ctrl-C, or when the server stops) asks
the worker to finish the message in hand, waits, and ends both. Each is its own process with
its own database connection, as in production where cron (or a timer) and a service run them.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import IO

COMMAND = [sys.executable, "-m", "mamapro.cli"]


class Background:
    def __init__(
        self,
        *,
        tick_every: float = 60.0,
        env: Mapping[str, str] | None = None,
        output: IO[str] | int | None = subprocess.DEVNULL,
    ) -> None:
        self.tick_every = tick_every
        self.env = dict(env) if env is not None else None
        self.output = output
        self.worker: subprocess.Popen[str] | None = None
        self.ticks = 0  # ticks that finished cleanly
        self.tick_failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick: subprocess.Popen[str] | None = None

    def _spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [*COMMAND, *args], env=self.env, stdout=self.output, text=True
        )

    def start(self) -> None:
        self.worker = self._spawn("worker", "--only-worker", "--verbosity", "0")
        self._thread = threading.Thread(target=self._ticking, name="mamapro-tick", daemon=True)
        self._thread.start()

    def _ticking(self) -> None:
        while not self._stop.is_set():
            self._tick = self._spawn("tick")
            code = self._tick.wait()
            if code == 0:
                self.ticks += 1
            elif not self._stop.is_set():
                self.tick_failures += 1
            self._stop.wait(self.tick_every)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for proc in (self._tick, self.worker):
            if proc is not None and proc.poll() is None:
                # SIGINT: the worker finishes the message in hand, then exits.
                proc.send_signal(signal.SIGINT)
        for proc in (self._tick, self.worker):
            if proc is None:
                continue
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Background:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
