"""Limits enforced before a request reaches the app: the Host header, the body size as
actually received, and the admin token of an upload before its body is read.

A pure ASGI middleware, because the body limit must count the bytes that arrive (a chunked
request has no Content-Length) and stop reading when they exceed it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def host_name(host_header: str) -> str:
    """The host of a Host header, without the port ("[::1]:80" -> "::1")."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    """Refuses, before the app runs: a Host not in `hosts` (DNS rebinding: a page on
    evil.example whose name resolves to this server), a body over `limit_for(path)` bytes
    (413, counted as it arrives), and an upload whose admin token `admit(headers)` refuses.
    `body_for(path, status, message)` is the JSON of a refusal (each API has its shape)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: set[str],
        limit_for: Callable[[str], int],
        admit: Callable[[str, dict[str, str]], tuple[int, str] | None],
        body_for: Callable[[str, int, str], dict[str, Any]] | None = None,
    ) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.limit_for = limit_for
        self.admit = admit
        self.body_for = body_for or (lambda _path, _status, message: {"error": message})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host", ""))
        path = scope.get("path", "")

        async def refuse(status: int, message: str) -> None:
            await _refuse(send, status, self.body_for(path, status, message))

        if "*" not in self.hosts and host not in self.hosts:
            await refuse(400, f"host {host or '(none)'!r} is not served here; an administrator can add it "
                              "to ASSISTANT_ALLOWED_HOSTS")
            return
        if refused := self.admit(path, headers):
            await refuse(*refused)
            return
        limit = self.limit_for(path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await refuse(413, f"request body over {limit:,} bytes")
            return

        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The app sees the client go away and stops reading; the client gets 413.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await refuse(413, f"request body over {limit:,} bytes")
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await refuse(413, f"request body over {limit:,} bytes")


async def _refuse(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def served_hosts(bind: str, allowed: list[str]) -> set[str]:
    """Host names the server answers to: loopback, the bind address, the configured names,
    and, bound to every interface, this machine's own name and address."""
    hosts = {"localhost", "127.0.0.1", "::1", bind.lower().strip("[]"), *allowed}
    if bind in ("0.0.0.0", "::", ""):
        hosts.add(socket.gethostname().lower())
        try:
            # A UDP socket's connect sends nothing; it only picks the outgoing interface.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("10.255.255.255", 1))
                hosts.add(probe.getsockname()[0])
        except OSError:
            pass
    return hosts
