"""Real local servers the senders deliver to: an HTTP webhook and an SMTP relay."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


@dataclass
class Received:
    """What a test server received, and the status the webhook answers."""

    status: int = 200
    bodies: list[dict[str, object]] = field(default_factory=list)
    mails: list[Message] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)


@contextmanager
def webhook(status: int = 200) -> Iterator[tuple[str, Received]]:
    """A webhook at http://127.0.0.1:PORT/hook answering ``status`` to each POST."""
    received = Received(status)

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            received.bodies.append(orjson.loads(self.rfile.read(length)))
            self.send_response(received.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), Hook)) as port:
        yield f"http://127.0.0.1:{port}/hook", received


class _SmtpSession(socketserver.StreamRequestHandler):
    """The few SMTP commands smtplib sends (RFC 5321), each answered with success."""

    received: Received

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test relay")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"RCPT":
                self.received.recipients.append(line.decode().split(":", 1)[1].strip(" <>\r\n"))
            if verb == b"DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.received.mails.append(message_from_bytes(data))
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@contextmanager
def smtp_relay() -> Iterator[tuple[int, Received]]:
    """An SMTP relay on 127.0.0.1:PORT that accepts every message."""
    received = Received()
    handler = type("Session", (_SmtpSession,), {"received": received})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with _serving(server) as port:
        yield port, received


@contextmanager
def _serving(server: socketserver.TCPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
