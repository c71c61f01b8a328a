"""A command run in the background until it answers, with its output in a log file; and the waiting it needs."""

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float = 30, interval: float = 0.1, message: str = "condition", describe=None):
    """
    Call `condition` until it returns something true, and return that; fail after `timeout` seconds, with what
    `describe()` returns, if given, to tell why.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    why = f"\n{describe()}" if describe else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {message}{why}")


def answers(port: int, probe: bytes = b"", expect: bytes = b"", host: str = "127.0.0.1") -> bool:
    """Whether something listens on host:port and, given a probe, answers it with `expect`."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            if probe:
                sock.sendall(probe)
                return sock.recv(16).startswith(expect)
            return True
    except OSError:
        return False


def http_ok(url: str):
    """A readiness check: `url` answers 200."""

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback http URL)
                return response.status == 200
        except OSError:
            return False

    return ready


class Process:
    """
    A command in its own session (so that a kill reaches its children too), started and awaited by `start()`,
    stopped by `stop()` (SIGTERM, then SIGKILL after `timeout`) or `kill()` (SIGKILL at once). `start()` may be
    called again after a stop; the log is appended to.
    """

    def __init__(self, command, *, name, env=None, cwd=None, log=None, ready=None, timeout: float = 60):
        self.command, self.name, self.env, self.cwd, self.timeout = command, name, env, cwd, timeout
        self._ready = ready
        if log is None:
            handle, log = tempfile.mkstemp(prefix=f"{name.replace(' ', '-')}-", suffix=".log")
            os.close(handle)
        self.log = Path(log)
        self.process = None

    def start(self):
        return self.launch().wait()

    def launch(self):
        """Start the command without waiting for it to answer (to start several at once, then `wait()` for each)."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (the caller's own command)
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait(self):
        try:
            wait_until(self._answers, timeout=self.timeout, interval=0.05, message=f"{self.name} ready")
        except BaseException:
            self.kill()
            raise
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} stopped with status {self.process.returncode}:\n{self.tail()}")
        return self.is_ready()

    def is_ready(self) -> bool:
        return self._ready() if self._ready else True

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "".join(self.output().splitlines(keepends=True)[-lines:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process:
            self.process.wait()
        self.process = None

    def kill(self):
        """SIGKILL to the process and everything it started, without warning."""
        if self.process:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
