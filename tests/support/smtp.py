"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that records every
message it accepts, exactly as received -- and can be told to misbehave.

Fault modes (``server.handler``):

- ``default_reply``: what DATA answers for everyone, e.g. ``"451 4.3.0 Try later"``;
- ``rules``: per recipient address, a reply (``"550 5.1.1 No such user"``,
  ``"550 5.7.1 Rejected by policy"``, ``"421 4.7.0 Too busy"``) or ``DROP`` to close the
  connection after the message data arrived, without answering;
- ``script``: a list of replies used in order, one per message, before the rules apply;
- ``rcpt_rules``: per recipient address, the reply to its RCPT TO (a refusal before DATA; a
  ``421`` one also closes the connection);
- ``pipelining``: whether EHLO offers PIPELINING (default yes, as Postfix does);
- ``delay``: seconds to wait before answering each DATA (to kill a worker mid-batch), with
  ``accept_before_reply`` to count the message as delivered before the answer goes out.

``received`` holds the messages the server accepted (250); ``dropped`` those it took and then
hung up on; ``log`` one line per DATA with the Message-ID and the answer.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from dataclasses import dataclass, field

DROP = "DROP"
_MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*(<[^>]+>)")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message_id(self) -> str:
        match = _MESSAGE_ID.search(self.data)
        return match.group(1).decode() if match else ""


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    dropped: list[Received] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # Message-IDs whose DATA arrived
    lock: threading.Lock = field(default_factory=threading.Lock)
    default_reply: str = "250 2.0.0 OK"
    rules: dict[str, str] = field(default_factory=dict)
    script: list[str] = field(default_factory=list)
    delay: float = 0.0
    # True: a message counts as received as soon as its data arrived, like an MTA that queued
    # it and then lost the client before answering (what a SIGKILLed worker leaves behind).
    accept_before_reply: bool = False
    pipelining: bool = True  # offer PIPELINING (RFC 2920), as Postfix and most relays do
    rcpt_rules: dict[str, str] = field(default_factory=dict)  # address -> RCPT TO reply

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:1], "250-PIPELINING", *responses[1:]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.rcpt_rules.get(address.lower())
        if refusal is not None and refusal.startswith("421"):  # RFC 5321 3.8: reply, hang up
            server.transport.write(f"{refusal}\r\n".encode())
            server.transport.close()
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _reply_for(self, rcpts: list[str]) -> str:
        with self.lock:
            if self.script:
                return self.script.pop(0)
        for rcpt in rcpts:
            if rcpt.lower() in self.rules:
                return self.rules[rcpt.lower()]
        return self.default_reply

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), data)
        with self.lock:
            self.started.append(item.message_id)
            if self.accept_before_reply:
                self.received.append(item)
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self._reply_for(item.rcpt_tos)
        with self.lock:
            self.log.append((item.message_id, reply))
            if reply == DROP:
                self.dropped.append(item)
            elif reply.startswith("2") and not self.accept_before_reply:
                self.received.append(item)
        if reply == DROP:
            server.transport.close()
            return "250 2.0.0 never seen by the client"
        return reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestSMTPServer:
    __test__ = False  # not a test class

    def __init__(self, handler=None):
        self.handler = handler or _Handler()
        self.port = free_port()
        self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def message_ids(self) -> list[str]:
        return [item.message_id for item in self.received]

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
