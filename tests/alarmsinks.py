"""Where central pushes alarms in tests: a webhook receiver and an SMTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port


@dataclass
class Sinks:
    """What the webhook and the SMTP server received, and the settings pointing central there."""

    webhook_url: str
    smtp_port: int
    hooks: list[dict[str, Any]] = field(default_factory=list)
    mails: list[Message] = field(default_factory=list)

    def central_settings(self, mail_to: str = "ops@example.org") -> dict[str, str]:
        """``CHRONO_CENTRAL_*`` variables: push alarms to this webhook and this SMTP server."""
        return {
            "CHRONO_CENTRAL_ALARM_WEBHOOKS": json.dumps([self.webhook_url]),
            "CHRONO_CENTRAL_ALARM_MAIL_TO": json.dumps([mail_to]),
            "CHRONO_CENTRAL_ALARM_MAIL_FROM": "central@example.org",
            "CHRONO_CENTRAL_SMTP_HOST": "127.0.0.1",
            "CHRONO_CENTRAL_SMTP_PORT": str(self.smtp_port),
            "CHRONO_CENTRAL_SMTP_STARTTLS": "false",
            "CHRONO_CENTRAL_ALARM_PUSH_EVERY_S": "0.5",
        }


class _Mailbox:
    def __init__(self, mails: list[Message]) -> None:
        self.mails = mails

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def alarm_sinks() -> Iterator[Sinks]:
    """A webhook receiver (answers 204) and an aiosmtpd server, both on 127.0.0.1."""
    hooks: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            hooks.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    mails: list[Message] = []
    smtp = Controller(_Mailbox(mails), hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        yield Sinks(url, smtp.port, hooks, mails)
    finally:
        smtp.stop()
        server.shutdown()
        server.server_close()
