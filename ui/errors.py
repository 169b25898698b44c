"""How errors leave the server: the status of each domain error, and the body it goes out
in. /api answers `{"error": message}`; /v1 answers OpenAI's error object, which the clients
teams run there (the OpenAI SDK, LangChain, Open WebUI, LibreChat) parse into their own
exceptions and messages."""

from __future__ import annotations

import re
from typing import Any

from assistant.analytics import StatsError
from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    CorpusError,
    IndexBusy,
    IndexCorrupt,
    IndexNotBuilt,
    IndexWriteError,
)
from assistant.uploads import UnsupportedUpload, UploadTooLarge

STATUS = {StatsError: 400, IndexWriteError: 507, IndexNotBuilt: 503, IndexCorrupt: 503, BackendUnavailable: 503,
          IndexBusy: 409, UploadTooLarge: 413, UnsupportedUpload: 415, CorpusError: 400}
# Codes a client can branch on without reading the message; OpenAI's own where it has one.
_CODES = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class OpenAIRefusal(Exception):
    """A request a /v1 route refuses, with the field it names (`param`) and OpenAI's `code`."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code


def status_of(exc: AssistantError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)


def code_of(exc: AssistantError) -> str:
    """"index_not_built" for IndexNotBuilt: what a client can branch on without reading the message."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def is_openai(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def openai_error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error body. Its `type` says whose fault it is: the request's (4xx, also a
    wrong key, as OpenAI does) or the server's (5xx)."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code or _CODES.get(status)}}


def error_body(path: str, status: int, message: str) -> dict[str, Any]:
    """The body of a refusal made before any route runs (the request guard, unknown paths)."""
    return openai_error(status, message) if is_openai(path) else {"error": message}
