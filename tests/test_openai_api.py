"""/v1 as the clients teams run see it: the official `openai` SDK against the real app (the
fake embedder, the scripted chat model), through the app's own httpx transport."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.container import Services, build_services
from assistant.errors import BackendUnavailable
from assistant.settings import Settings
from tests.fakes import HashingEmbedder, ScriptedChat
from ui.api import make_app
from ui.served import FairQueue

QUESTION = "Do data scientists need statistics?"
REPLY = ("Data science looks for patterns to understand if there's any statistical significance "
         "[{n:=statistical significance}].")


@pytest.fixture
def http(api_services: Services) -> Iterator[TestClient]:
    with TestClient(make_app(api_services, chat_page=False)) as http:
        yield http


def sdk(http: TestClient, key: str = "unused") -> openai.OpenAI:
    # No retries: a 503 must reach the test, not be asked again.
    return openai.OpenAI(base_url="http://testserver/v1", api_key=key, http_client=http, max_retries=0)


@pytest.fixture
def client(http: TestClient) -> openai.OpenAI:
    return sdk(http)


def ask(question: str = QUESTION, model: str = "role-assistant", **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": question}], **fields}


def error_fields(body: object) -> dict[str, Any]:
    """OpenAI's error object without its message, which must be there and say something."""
    assert isinstance(body, dict) and set(body) == {"message", "type", "param", "code"}, body
    assert isinstance(body["message"], str) and body["message"]
    return {key: value for key, value in body.items() if key != "message"}


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(openai.APIStatusError) as raised:
        call(*args, **kwargs)
    return raised.value.status_code, error_fields(raised.value.body)


def estimated(text: str) -> int:
    return math.ceil(len(text) / 4)


def streamed(client: openai.OpenAI, **request: Any) -> list[Any]:
    return list(client.chat.completions.create(stream=True, **request))


def streamed_text(chunks: list[Any]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


# Models


def test_models_are_one_id_per_backend_and_unknown_ids_are_404(client: openai.OpenAI) -> None:
    models = client.models.list().data
    # The scripted chat model answers for every backend, so all three are available.
    assert [m.id for m in models] == ["role-assistant", "role-assistant-local", "role-assistant-openai",
                                      "role-assistant-extractive"]
    assert {(m.object, m.owned_by) for m in models} == {("model", "role-assistant")}
    assert all(isinstance(m.created, int) and m.created > 1_700_000_000 for m in models)
    assert [(m.model_extra or {})["backend"] for m in models] == ["local", "local", "openai", "extractive"]
    assert client.models.retrieve("role-assistant-extractive").id == "role-assistant-extractive"
    assert refusal(client.models.retrieve, "gpt-4o") == (
        404, {"type": "invalid_request_error", "param": "model", "code": "model_not_found"})
    assert refusal(client.chat.completions.create, **ask(model="gpt-4o")) == (
        404, {"type": "invalid_request_error", "param": "model", "code": "model_not_found"})


def test_a_backend_is_listed_when_configured_or_installed_without_loading_a_model(settings: Settings,
                                                                                   tmp_path: Path) -> None:
    def backends(**changes: Any) -> list[str]:
        services = build_services(settings.model_copy(update=changes), embedder=HashingEmbedder())
        listed = services.backends()
        assert services._chat_models == {}  # nothing was loaded to find out
        return listed

    missing = tmp_path / "missing.gguf"
    assert backends(backend="extractive", local_model_path=missing) == ["extractive"]
    assert backends(backend="openai", local_model_path=missing) == ["openai", "extractive"]
    assert backends(backend="extractive", local_model_path=missing,
                    openai_base_url="http://10.0.0.7:8000/v1") == ["openai", "extractive"]
    assert backends(backend="extractive", local_model_path=missing,
                    openai_api_key=SecretStr("sk-x")) == ["openai", "extractive"]
    # The configured backend is listed even when it cannot load: a question then says why (503).
    assert backends(backend="local", local_model_path=missing) == ["local", "extractive"]
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    llama_cpp = importlib.util.find_spec("llama_cpp") is not None
    assert backends(backend="extractive", local_model_path=model) == [*(["local"] if llama_cpp else []), "extractive"]

    # And over HTTP, with no index built: listing needs none.
    extractive = build_services(settings.model_copy(update={"backend": "extractive", "local_model_path": missing}),
                                embedder=HashingEmbedder())
    with TestClient(make_app(extractive, chat_page=False)) as http:
        listed = sdk(http).models.list().data
    assert [(m.id, (m.model_extra or {})["backend"]) for m in listed] == [
        ("role-assistant", "extractive"), ("role-assistant-extractive", "extractive")]


def test_the_model_picks_the_backend(client: openai.OpenAI, chat: ScriptedChat) -> None:
    extractive = client.chat.completions.create(**ask("Which tool does the author call the industry favorite?",
                                                      model="role-assistant-extractive"))
    assert chat.calls == [] and "SAS" in (extractive.choices[0].message.content or "")
    assert extractive.model == "role-assistant-extractive"
    chat.enqueue(REPLY)
    local = client.chat.completions.create(**ask())
    assert len(chat.calls) == 1 and (local.choices[0].message.content or "").startswith(chat.sent[-1])


# Usage


def test_usage_counts_the_conversation_and_the_answer(client: openai.OpenAI, chat: ScriptedChat) -> None:
    messages = [{"role": "system", "content": "You are helpful."},  # ignored, so not counted
                {"role": "user", "content": "What skills do ML engineers need?"},
                {"role": "assistant", "content": "Software engineering [1]."},
                {"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
    prompt_tokens = sum(estimated(text) for text in ("What skills do ML engineers need?", "Software engineering [1].",
                                                     QUESTION))
    chat.enqueue(REPLY)
    completion = client.chat.completions.create(model="role-assistant", messages=messages)
    content = completion.choices[0].message.content or ""
    assert completion.usage is not None and completion.usage.model_dump(exclude_none=True) == {
        "prompt_tokens": prompt_tokens, "completion_tokens": estimated(content),
        "total_tokens": prompt_tokens + estimated(content)}

    chat.enqueue(REPLY)
    chunks = streamed(client, model="role-assistant", messages=messages, stream_options={"include_usage": True})
    *rest, last = chunks
    text = streamed_text(chunks)
    assert last.choices == [] and last.usage is not None and last.usage.model_dump(exclude_none=True) == {
        "prompt_tokens": prompt_tokens, "completion_tokens": estimated(text), "total_tokens": prompt_tokens + estimated(text)}
    assert all(chunk.choices and chunk.usage is None for chunk in rest)

    chat.enqueue(REPLY)
    plain = streamed(client, model="role-assistant", messages=messages)
    assert all(chunk.choices and chunk.usage is None for chunk in plain)


class CountingChat(ScriptedChat):
    """A model with a tokenizer of its own (the local model has llama.cpp's): one token a word."""

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_usage_counts_with_the_models_own_tokenizer_when_it_has_one(api_services: Services) -> None:
    counting = CountingChat(REPLY)
    api_services.chat_override = counting
    with TestClient(make_app(api_services, chat_page=False)) as http:
        completion = sdk(http).chat.completions.create(**ask())
    content = completion.choices[0].message.content or ""
    assert completion.usage is not None and counting.calls
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (len(QUESTION.split()),
                                                                                    len(content.split()))


# Sources


def test_search_results_are_the_same_streamed_or_not_and_match_the_answer(client: openai.OpenAI, http: TestClient,
                                                                          chat: ScriptedChat) -> None:
    chat.enqueue(REPLY)
    completion = client.chat.completions.create(**ask())
    results = (completion.model_extra or {})["search_results"]
    chat.enqueue(REPLY)
    chunks = streamed(client, **ask())
    carrying = [i for i, chunk in enumerate(chunks) if "search_results" in (chunk.model_extra or {})]
    # One chunk carries them: the last with text, before the finish.
    assert carrying == [len(chunks) - 2] and chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-2].model_extra or {})["search_results"] == results

    # The same sources and backing sentences as /api/chat gives for the same answer.
    chat.enqueue(REPLY)
    answer = http.post("/api/chat", json={"message": QUESTION}).json()
    evidence = {s["source"]: s["evidence"] for s in answer["supports"]}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert cited and cited <= set(evidence)
    assert [{k: v for k, v in r.items() if k != "snippet"} for r in results] == [
        {"n": s["n"], "title": s["title"], "url": None, "kind": s["kind"], "company": s["company"] or None,
         "id": s["id"], "cited": s["n"] in cited} for s in answer["sources"]]
    assert any(not r["cited"] for r in results)
    for result, source in zip(results, answer["sources"], strict=True):
        if result["cited"]:  # the sentence that backs the answer
            assert result["snippet"] == evidence[source["n"]]
        else:  # the passage's start, after its title line
            assert source["text"].partition("\n")[2].startswith(result["snippet"].removesuffix("…"))

    # The text keeps its [n] and still ends with the sources, for clients that show only text.
    content = completion.choices[0].message.content or ""
    assert content.startswith(answer["answer"] + "\n\nSources:\n")
    assert re.findall(r"^\[(\d+)\]", content.partition("Sources:\n")[2], re.M) == [str(r["n"]) for r in results]
    assert streamed_text(chunks) == content


def test_an_earlier_answer_comes_back_as_its_checked_text(client: openai.OpenAI, chat: ScriptedChat) -> None:
    """Clients send our earlier answers back as they got them: the sources block (and, from a
    stream, the text before the checked answer) must not reach the next search or prompt."""
    chat.enqueue(REPLY)
    first = client.chat.completions.create(**ask()).choices[0].message.content or ""
    earlier = chat.sent[-1]
    assert first.startswith(earlier + "\n\nSources:\n[")
    from_a_stream = f"Data science looks for patterns [3]\n\n(Checked answer: {earlier}){first.partition(earlier)[2]}"
    cloud = ("Companies ask that an ML engineer understand cloud services like Amazon Web Services (AWS) "
             "[{n:=Amazon Web Services}].")
    for sent_back in (first, from_a_stream):
        chat.enqueue(cloud)
        client.chat.completions.create(model="role-assistant", messages=[
            {"role": "user", "content": QUESTION}, {"role": "assistant", "content": sent_back},
            {"role": "user", "content": "and what about cloud skills?"}])
        assert {"role": "assistant", "content": earlier} in chat.calls[-1]


# Request fields


def test_temperature_and_max_tokens_reach_the_model_and_unknown_fields_are_ignored(client: openai.OpenAI,
                                                                                   chat: ScriptedChat) -> None:
    for _ in range(5):
        chat.enqueue(REPLY)
    client.chat.completions.create(**ask())
    client.chat.completions.create(**ask(), temperature=0.3, max_tokens=10)
    client.chat.completions.create(**ask(), max_tokens=10, max_completion_tokens=9)
    client.chat.completions.create(**ask(), max_tokens=100_000)  # never more than the server's max_answer_tokens
    ignored = client.chat.completions.create(**ask(), stop=["\n"], user="someone", top_p=0.5, seed=7,
                                             extra_body={"a_field_from_next_year": {"x": 1}})
    assert chat.sampled == [(256, 0.0), (10, 0.3), (9, 0.0), (256, 0.0), (256, 0.0)]
    assert "\n\nSources:\n" in (ignored.choices[0].message.content or "")  # `stop` did not cut it


def test_what_the_assistant_cannot_do_is_refused_naming_the_field(client: openai.OpenAI, http: TestClient) -> None:
    invalid = "invalid_request_error"
    create = client.chat.completions.create
    assert refusal(create, model="role-assistant", messages=[]) == (
        400, {"type": invalid, "param": "messages", "code": None})
    assert refusal(create, model="role-assistant", messages=[{"role": "assistant", "content": "hi"}]) == (
        400, {"type": invalid, "param": "messages", "code": None})
    assert refusal(create, **ask(), n=2) == (400, {"type": invalid, "param": "n", "code": None})
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {}}}}
    assert refusal(create, **ask(), tools=[tool]) == (400, {"type": invalid, "param": "tools", "code": None})
    assert refusal(create, **ask(), tool_choice="required") == (400, {"type": invalid, "param": "tool_choice", "code": None})
    assert refusal(create, **ask(), extra_body={"functions": [tool["function"]]}) == (
        400, {"type": invalid, "param": "functions", "code": None})
    assert refusal(create, **ask(), temperature=3) == (400, {"type": invalid, "param": "temperature", "code": None})
    assert refusal(create, model="role-assistant", messages=[{"content": "no role"}]) == (
        400, {"type": invalid, "param": "messages[0].role", "code": None})

    broken = http.post("/v1/chat/completions", content=b'{"messages": [', headers={"content-type": "application/json"})
    assert broken.status_code == 400 and error_fields(broken.json()["error"]) == {"type": invalid, "param": None,
                                                                                  "code": None}
    # /api keeps FastAPI's 422 with every problem.
    api = http.post("/api/chat", json={"message": ""})
    assert api.status_code == 422 and isinstance(api.json()["detail"], list)


def test_unknown_paths_wrong_methods_and_large_bodies_are_openai_errors_on_v1_only(client: openai.OpenAI,
                                                                                   http: TestClient) -> None:
    wrong = http.post("/v1/models")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    assert error_fields(wrong.json()["error"]) == {"type": "invalid_request_error", "param": None,
                                                   "code": "method_not_allowed"}
    unknown = http.get("/v1/engines")
    assert unknown.status_code == 404 and error_fields(unknown.json()["error"])["code"] == "not_found"
    assert isinstance(http.get("/api/engines").json()["error"], str)

    too_large = refusal(client.chat.completions.create, **ask("x" * 1_100_000))
    assert too_large == (413, {"type": "invalid_request_error", "param": None, "code": "request_too_large"})
    api = http.post("/api/chat", content=b"{" + b" " * 1_100_000 + b"}", headers={"content-type": "application/json"})
    assert api.status_code == 413 and isinstance(api.json()["error"], str)


def test_the_api_key_is_checked_with_openai_errors(api_services: Services) -> None:
    api_services.settings = api_services.settings.model_copy(update={"api_key": SecretStr("s3cret")})
    wrong_key = (401, {"type": "invalid_request_error", "param": None, "code": "invalid_api_key"})
    with TestClient(make_app(api_services, chat_page=False)) as http:
        assert refusal(sdk(http, "wrong").models.list) == wrong_key
        assert refusal(sdk(http, "wrong").chat.completions.create, **ask()) == wrong_key
        missing = http.get("/v1/models")
        assert missing.status_code == 401 and error_fields(missing.json()["error"]) == wrong_key[1]
        assert "role-assistant" in [m.id for m in sdk(http, "s3cret").models.list()]
        # /api keeps its shape.
        assert "API key" in http.post("/api/chat", json={"message": "hi"}).json()["detail"]


# The server's side


def test_without_an_index_a_question_is_503_and_the_models_are_still_listed(settings: Settings) -> None:
    services = build_services(settings, embedder=HashingEmbedder(), chat=ScriptedChat())
    with TestClient(make_app(services, chat_page=False)) as http:
        client = sdk(http)
        assert refusal(client.chat.completions.create, **ask()) == (
            503, {"type": "server_error", "param": None, "code": "index_not_built"})
        assert client.models.list().data[0].id == "role-assistant"


def test_a_backend_that_cannot_load_is_503(api_services: Services, tmp_path: Path) -> None:
    api_services.chat_override = None
    api_services.settings = api_services.settings.model_copy(update={"local_model_path": tmp_path / "missing.gguf"})
    with TestClient(make_app(api_services, chat_page=False)) as http:
        client = sdk(http)
        status, error = refusal(client.chat.completions.create, **ask())
        assert (status, error) == (503, {"type": "server_error", "param": None, "code": "backend_unavailable"})
        extractive = client.chat.completions.create(**ask(model="role-assistant-extractive"))
        assert extractive.choices[0].message.content


class FailingChat(ScriptedChat):
    """Writes two words of an answer, then loses its server, as OpenAIChat does when an
    OpenAI-compatible server goes away mid-answer; `failures` times, then answers."""

    def __init__(self, *replies: str, failures: int) -> None:
        super().__init__(*replies)
        self.failures = failures

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0):  # type: ignore[no-untyped-def]
        if not self.failures:
            yield from super().stream(messages, max_tokens=max_tokens, temperature=temperature)
            return
        self.failures -= 1
        yield "Data"
        yield " science"
        raise BackendUnavailable("the OpenAI-compatible server at http://127.0.0.1:9/v1 failed: connection reset")


def test_an_error_mid_stream_is_an_error_event_then_done(api_services: Services) -> None:
    api_services.chat_override = FailingChat(REPLY, failures=2)
    app = make_app(api_services, chat_page=False)
    with TestClient(app) as http:
        texts: list[str] = []
        with pytest.raises(openai.APIError) as raised:
            for chunk in sdk(http).chat.completions.create(**ask(), stream=True):
                texts.append(chunk.choices[0].delta.content or "")
        # Two words came before the failure: half a sentence, never checked, so never shown.
        assert "".join(texts) == "" and "connection reset" in raised.value.message
        assert error_fields(raised.value.body) == {"type": "server_error", "param": None, "code": "backend_unavailable"}

        raw = http.post("/v1/chat/completions", json=ask(stream=True))
        *_, error, done = [line[6:] for line in raw.text.splitlines() if line.startswith("data: ")]
        assert raw.status_code == 200 and done == "[DONE]"
        assert error_fields(json.loads(error)["error"])["code"] == "backend_unavailable"

        # The model's turn was given back: nobody is ahead of the next question.
        queue: FairQueue = app.state.queue
        probe = queue.ticket()
        assert queue.ahead_of(probe) == 0
        queue.done(probe)
        assert http.post("/v1/chat/completions", json=ask()).status_code == 200


def test_the_wire_format_as_plain_http(http: TestClient, chat: ScriptedChat) -> None:
    """What a client without the SDK reads: JSON, and `data:` events ending with [DONE]."""
    chat.enqueue(REPLY)
    body = http.post("/v1/chat/completions", json=ask()).json()
    assert set(body) == {"id", "object", "created", "model", "choices", "usage", "search_results"}
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert body["choices"][0]["message"]["content"].startswith(chat.sent[-1])
    chat.enqueue(REPLY)
    response = http.post("/v1/chat/completions", json=ask(stream=True, stream_options={"include_usage": True}))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
