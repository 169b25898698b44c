"""The HTTP API: chat (JSON or server-sent events), search, status, health, feedback,
postings upload, and an OpenAI-compatible chat endpoint. Documented by FastAPI's OpenAPI
page at /docs. The chat page, the embeddable chat and widget.js are mounted in the same app.

The routes live in `ui.routes`, one router per feature; `make_app` builds the shared objects
and assembles the app: warm-up, origin policy, error handlers, routers, pages, request guard."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from assistant.analytics import StatsError
from assistant.container import Services
from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    CorpusError,
    IndexBusy,
    IndexCorrupt,
    IndexNotBuilt,
    IndexWriteError,
)
from assistant.settings import Settings
from assistant.uploads import UnsupportedUpload, UploadTooLarge
from ui.admin import AdminRefused, check_admin
from ui.guards import RequestGuard, served_hosts
from ui.origins import install_origin_policy
from ui.routes import answers, corpus, fallback, feedback, openai, postings, status
from ui.routes.auth import admin_token, api_key
from ui.served import FairQueue, ServedIndex

MAX_BODY_BYTES = 1_000_000
_STATUS = {StatsError: 400, IndexWriteError: 507, IndexNotBuilt: 503, IndexCorrupt: 503, BackendUnavailable: 503,
           IndexBusy: 409, UploadTooLarge: 413, UnsupportedUpload: 415, CorpusError: 400}
# Paths that take files; everything else is held to MAX_BODY_BYTES.
_UPLOAD_PATHS = ("/api/postings", "/gradio_api/upload")


def make_app(services: Services, *, warm: bool = True, chat_page: bool = True) -> FastAPI:
    settings = services.settings
    served = ServedIndex(services)
    queue = FairQueue()
    readiness = status.Readiness()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if warm:
            # Load the index, the models, the article prefix (from disk after the first run)
            # and the postings' figures once, before the first question: a burst of first
            # questions must not each wait for them.
            try:
                served.assistant().warm()
                served.corpus()
                readiness.ready = True
            except AssistantError as exc:
                readiness.error = str(exc)
        yield
        served.close()

    app = FastAPI(
        title="Role assistant",
        description="Questions about data and ML roles, answered from an article and job postings, with evidence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.served = served

    install_origin_policy(app, settings.allowed_origins)
    app.exception_handler(AssistantError)(_assistant_error)
    app.exception_handler(AdminRefused)(_admin_refused)
    app.exception_handler(ValueError)(_value_error)

    authorized = api_key(settings)
    routers = [
        status.router(services, readiness),
        answers.router(served, queue, authorized),
        corpus.router(services, served, authorized),
        feedback.router(services, authorized),
        postings.router(services, admin_token(settings)),
        openai.router(served, queue, authorized),
    ]
    for router in routers:
        app.include_router(router)
    # After every real route: a wrong method on one of them gets 405, an unknown path 404.
    # (The routers' own routes: `app.routes` holds an included router as one entry.)
    app.include_router(fallback.router([route for router in routers for route in router.routes
                                        if isinstance(route, APIRoute)]))

    if chat_page:
        from ui.chat import mount
        from ui.embed import mount_embed

        # /embed first: the chat page at "/" would otherwise take every path.
        app = mount_embed(app, served, queue)
        app = mount(app, served, queue)
    else:
        @app.get("/", include_in_schema=False)
        def api_only() -> RedirectResponse:
            return RedirectResponse("/docs")
    # Added last, so it runs first: nothing else reads a body it refuses.
    app.add_middleware(RequestGuard, hosts=served_hosts(settings.host, settings.allowed_hosts),
                       limit_for=lambda path: _body_limit(settings, path),
                       admit=lambda path, headers: _admit(settings, path, headers))
    return app


async def _assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
    status_code = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, CorpusError) and exc.problems != [str(exc)]:
        body["problems"] = exc.problems
    return JSONResponse(body, status_code=status_code)


async def _admin_refused(_request: Request, exc: AdminRefused) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _value_error(_request: Request, exc: ValueError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


def _body_limit(settings: Settings, path: str) -> int:
    return settings.max_upload_bytes + 100_000 if path.endswith(_UPLOAD_PATHS) else MAX_BODY_BYTES


def _admit(settings: Settings, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """Uploads are refused before their body is read: the API's without a valid admin token,
    Gradio's when uploads are off (the Admin tab's file input is its only use) and always
    under /embed, which has no file input."""
    if path == "/api/postings":
        try:
            bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
            check_admin(settings, headers.get("x-admin-token") or bearer)
        except AdminRefused as exc:
            return exc.status, str(exc)
    elif path.endswith("/gradio_api/upload") and (path.startswith("/embed") or not settings.admin_token.get_secret_value()):
        return 403, "file uploads are turned off on this server"
    return None
