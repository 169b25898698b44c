"""Which web pages may frame the chat and call the API.

The allowlist (setting `allowed_origins`) plus the server's own origin. Browsers enforce
framing through `Content-Security-Policy: frame-ancestors`, and cross-origin reads through
CORS; a request that carries any other `Origin` is refused outright, so a page elsewhere
cannot even make the server do work. An empty allowlist means the own origin only.

The refusal itself is readable from the refused page (CORS headers on the 403, and a preflight
that passes so the real request can be refused): it names only the page's own origin and the
setting, and lets widget.js tell the wiki's administrator what to change instead of showing a
blocked frame or "Failed to fetch".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

_DEFAULT_PORTS = {"http": 80, "https": 443}
SETTING = "ASSISTANT_ALLOWED_ORIGINS"
METHODS = ["GET", "POST"]
HEADERS = ["Content-Type", "Authorization", "X-API-Key", "X-Admin-Token"]


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


def refusal(origin: str, preflight: bool = False) -> Response:
    """The answer to a page whose origin is not allowed, readable by that page's script."""
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if preflight:
        # A failed preflight reaches the script only as "Failed to fetch"; passing it costs
        # nothing, as the request that follows gets the 403 below before any work.
        return Response(status_code=204, headers={
            **cors, "Access-Control-Allow-Methods": ", ".join(METHODS),
            "Access-Control-Allow-Headers": ", ".join(HEADERS), "Access-Control-Max-Age": "600"})
    return JSONResponse(
        {"error": f"origin {origin} is not allowed to use this assistant; an administrator can add it to {SETTING}",
         "origin": origin, "setting": SETTING},
        status_code=403, headers=cors,
    )


def install_origin_policy(app: FastAPI, allowed: list[str]) -> None:
    # Starlette's CORS middleware answers preflights and labels allowed responses; Gradio
    # defers to it when the parent app has one.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed,
        allow_methods=METHODS,
        allow_headers=HEADERS,
    )
    policy = frame_ancestors(allowed)

    @app.middleware("http")
    async def origin_policy(request: Request, call_next):
        origin = request.headers.get("origin")
        if origin and origin not in allowed and not same_origin(origin, request.url.scheme, request.headers.get("host", "")):
            preflight = request.method == "OPTIONS" and "access-control-request-method" in request.headers
            return refusal(origin, preflight)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = policy
        if not allowed:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
        return response
