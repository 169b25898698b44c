"""The catch-all for /api and /v1 paths no route took: 405 with `Allow` for a wrong method,
404 otherwise. Included after every real route."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ui.errors import error_body

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def router(known: Sequence[APIRoute]) -> APIRouter:
    """`known`: the app's real routes, whose methods a 405 lists."""
    routes = APIRouter()

    @routes.api_route("/api/{rest:path}", methods=_METHODS, include_in_schema=False)
    @routes.api_route("/v1/{rest:path}", methods=_METHODS, include_in_schema=False)
    def unrouted(request: Request) -> JSONResponse:
        """Without this, the chat page mounted at "/" answers a wrong method with 404."""
        path = request.url.path
        allowed = sorted({m for r in known if r.path_regex.match(path) for m in r.methods or ()})
        if allowed:
            return JSONResponse(error_body(path, 405, f"{request.method} is not allowed here; use {', '.join(allowed)}"),
                                status_code=405, headers={"Allow": ", ".join(allowed)})
        return JSONResponse(error_body(path, 404, f"no such endpoint: {path} (see /docs)"), status_code=404)

    return routes
