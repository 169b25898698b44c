"""Schemathesis against the app's own OpenAPI schema: whatever a client sends that the
schema allows (or nearly allows), the server answers without a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error

from assistant.container import Services
from tests.fakes import ScriptedChat
from ui.api import make_app


def test_no_operation_answers_with_a_server_error(api_services: Services, chat: ScriptedChat) -> None:
    api_services.settings = api_services.settings.model_copy(update={"admin_token": SecretStr("fuzz-admin")})
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(api_services, chat_page=False))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/api/chat", "/api/postings", "/api/stats", "/v1/chat/completions"} <= {op.path for op in operations}
    seen: list[tuple[str, int]] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:  # type: ignore[no-untyped-def]
            chat.replies[:] = ["An answer [1]."] * 5  # the scripted model answers whatever is asked
            response = case.call_and_validate(checks=[not_a_server_error])
            seen.append((operation.path, response.status_code))

        try:
            check()
        except Exception as exc:  # name the operation that failed
            pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")
    # The fuzzer reached every operation, and some requests got past validation.
    assert {path for path, _ in seen} == {op.path for op in operations}
    assert any(status == 200 for _, status in seen) and any(400 <= status < 500 for _, status in seen)
