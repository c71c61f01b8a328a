"""SMTP servers on 127.0.0.1 (aiosmtpd): one that records what it receives, and a sink in its own process."""

import asyncio
import sys
import threading
from email import message_from_bytes, policy

from .process import Process, answers, free_port


class RecordingSMTP:
    """
    An SMTP server in this process that keeps the messages it accepts (`messages`, and each one's `peers`) and
    refuses on demand: the next `fail_next` messages with `fail_code`, every message with `always_fail`, and
    each recipient only after `rcpt_delay` seconds (a send caught mid-way).
    """

    def __init__(self):
        self.messages = []
        self.peers = []
        self.fail_next = 0
        self.fail_code = "451 4.3.0 Try again later"
        self.always_fail = None
        self.rcpt_delay = 0.0
        self.port = None
        self._lock = threading.Lock()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.always_fail:
                return self.always_fail
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_code
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.peers.append(session.peer)
        return "250 OK"


class SinkSMTP(Process):
    """aiosmtpd's Sink in its own process, so that it takes no time from the caller's: accepts all, keeps nothing."""

    def __init__(self, log=None):
        self.port = free_port()
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"]
        super().__init__([*command, "-c", "aiosmtpd.handlers.Sink"], name="SMTP sink", log=log, timeout=10)

    def is_ready(self) -> bool:
        return answers(self.port)
