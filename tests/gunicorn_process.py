"""gunicorn on 127.0.0.1, in a process group of its own: the server of the
fault tests (``tests/test_faults.py``, ``tests/test_postgres.py``) and of the
load benchmark (``bench/submit.py``).

Why a process group: gunicorn forks its workers, and stopping or killing the
group takes them all at once, so no worker outlives a test or a benchmark
run (and a SIGKILL reaches master and workers together, as a crash would).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornProcess:
    """``gunicorn target`` with ``workers`` workers, its output appended to ``log``.

    ``env`` is the whole environment of the server. Only loopback is bound,
    and there is no control socket (it would live in ``~/.gunicorn``, shared
    by every run).
    """

    def __init__(self, target: str, workers: int, env: dict, log: Path, *,
                 extra: tuple[str, ...] = (), cwd: Path | None = None):
        self.target = target
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2", "--timeout", "60", "--no-control-socket", *extra, target],
            cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({self.target}) exited with {self.process.returncode}; "
                               f"see {self.log}")

    def wait_listening(self, timeout: float = 30.0) -> None:
        """Until the master accepts connections (its workers may still be importing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"gunicorn ({self.target}) did not start listening; see {self.log}")

    def wait_answering(self, path: str = "/", timeout: float = 60.0) -> None:
        """Until ``path`` answers 200: a worker has imported the app."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn ({self.target}) did not answer {path}; see {self.log}")

    def kill(self) -> None:
        """SIGKILL to master and workers at once: nothing gets to clean up."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> int:
        """A normal shutdown (SIGTERM), SIGKILL after 15 s; gunicorn's exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode
