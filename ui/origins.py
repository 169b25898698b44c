"""Which web pages may frame the chat and call the API.

The allowlist (setting `allowed_origins`) plus the server's own origin. Browsers enforce
framing through `Content-Security-Policy: frame-ancestors`, and cross-origin reads through
CORS; a request that carries any other `Origin` is refused outright, so a page elsewhere
cannot even make the server do work. An empty allowlist means the own origin only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(scheme: str, netloc: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        return scheme.lower(), (parts.hostname or ""), parts.port or _DEFAULT_PORTS.get(scheme.lower())
    except ValueError:  # a port that is not a number
        return None


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """The page's origin is this server as the client addressed it: the same scheme, host
    and port (the Host header; an origin on http must not pass for one on https)."""
    page = urlsplit(origin) if "://" in origin else None
    if page is None or not host:
        return False
    ours = _origin_key(scheme, host)
    return ours is not None and _origin_key(page.scheme, page.netloc) == ours


def frame_ancestors(allowed: list[str]) -> str:
    return "frame-ancestors " + " ".join(["'self'", *allowed])


def install_origin_policy(app: FastAPI, allowed: list[str]) -> None:
    # Starlette's CORS middleware answers preflights and labels allowed responses; Gradio
    # defers to it when the parent app has one.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Admin-Token"],
    )
    policy = frame_ancestors(allowed)

    @app.middleware("http")
    async def origin_policy(request: Request, call_next):
        origin = request.headers.get("origin")
        if origin and origin not in allowed and not same_origin(origin, request.url.scheme, request.headers.get("host", "")):
            return JSONResponse(
                {"error": f"origin {origin} is not allowed to use this assistant; "
                          "an administrator can add it to ASSISTANT_ALLOWED_ORIGINS"},
                status_code=403,
            )
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = policy
        if not allowed:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
        return response
