"""The HTTP API: chat (JSON or server-sent events), search, status, health, feedback,
postings upload, and the OpenAI-compatible /v1 API (models, chat). Documented by FastAPI's OpenAPI
page at /docs. The chat page, the embeddable chat and widget.js are mounted in the same app.

The routes live in `ui.routes`, one router per feature; `make_app` builds the shared objects
and assembles the app: warm-up, origin policy, error handlers, routers, pages, request guard."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from assistant.container import Services
from assistant.errors import AssistantError, CorpusError
from assistant.settings import Settings
from ui.admin import AdminRefused, check_admin
from ui.errors import OpenAIRefusal, code_of, error_body, is_openai, openai_error, status_of
from ui.guards import RequestGuard, served_hosts
from ui.origins import install_origin_policy
from ui.routes import answers, corpus, fallback, feedback, openai, postings, status
from ui.routes.auth import admin_token, api_key
from ui.served import FairQueue, ServedIndex

MAX_BODY_BYTES = 1_000_000
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
    app.state.queue = queue  # who waits for the chat model, for a test to look at

    install_origin_policy(app, settings.allowed_origins)
    app.exception_handler(AssistantError)(_assistant_error)
    app.exception_handler(AdminRefused)(_admin_refused)
    app.exception_handler(ValueError)(_value_error)
    app.exception_handler(OpenAIRefusal)(_openai_refusal)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(HTTPException)(_http_error)

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
                       admit=lambda path, headers: _admit(settings, path, headers), body_for=error_body)
    return app


# Each handler answers /v1 in OpenAI's error shape and /api as it always has.


async def _assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
    status_code = status_of(exc)
    if is_openai(request.url.path):
        return JSONResponse(openai_error(status_code, str(exc), code=code_of(exc)), status_code=status_code)
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, CorpusError) and exc.problems != [str(exc)]:
        body["problems"] = exc.problems
    return JSONResponse(body, status_code=status_code)


async def _admin_refused(_request: Request, exc: AdminRefused) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _value_error(request: Request, exc: ValueError) -> JSONResponse:
    return JSONResponse(error_body(request.url.path, 400, str(exc)), status_code=400)


async def _openai_refusal(_request: Request, exc: OpenAIRefusal) -> JSONResponse:
    return JSONResponse(openai_error(exc.status, str(exc), param=exc.param, code=exc.code), status_code=exc.status)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """/v1: 400 naming the first field at fault (`messages`, `n`), as OpenAI answers; /api:
    FastAPI's 422 with every problem."""
    if not is_openai(request.url.path):
        return await request_validation_exception_handler(request, exc)
    problems = list(exc.errors())
    message = "; ".join(f"{_field(p) or 'body'}: {p['msg'].removeprefix('Value error, ')}" for p in problems)
    return JSONResponse(openai_error(400, message or "invalid request", param=_field(problems[0]) if problems else None),
                        status_code=400)


def _field(problem: dict[str, Any]) -> str | None:
    """`messages[0].role` for the location ("body", "messages", 0, "role"); None for the
    body as a whole (not JSON: its location is a character offset)."""
    if problem.get("type") == "json_invalid":
        return None
    loc = list(problem.get("loc", ()))
    path = ""
    for part in loc[1:] if loc[:1] == ["body"] else loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if not is_openai(request.url.path):
        return await http_exception_handler(request, exc)
    return JSONResponse(openai_error(exc.status_code, str(exc.detail)), status_code=exc.status_code,
                        headers=exc.headers)


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
