"""The HTTP API against the real app, with the fake embedder and a scripted chat model."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from assistant.container import Services, build_services
from assistant.settings import Settings
from tests.conftest import build_index, posting
from tests.fakes import HashingEmbedder, ScriptedChat
from ui.api import make_app
from ui.served import FairQueue


def events(body: str) -> list[tuple[str, object]]:
    parsed = []
    for block in body.strip().split("\n\n"):
        if block.startswith(":"):  # a comment: the model writing a sentence not shown yet
            continue
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        parsed.append((lines.get("event", ""), json.loads(lines["data"])))
    return parsed


def test_health_status_and_docs(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "ready": True, "error": "", "pid": os.getpid()}
    status = client.get("/api/status").json()
    # 50 sample postings, 6 role notes and the article
    assert status["kind"]["article"] == 1 and status["documents"] == 57 and status["backend"] == "local"
    assert "/api/chat" in client.get("/openapi.json").json()["paths"]


def test_chat_json_matches_ask(client: TestClient, chat: ScriptedChat) -> None:
    chat.enqueue("ML engineers must have a software engineering skillset [{n:=absolute}].")
    answer = client.post("/api/chat", json={"message": "What skills do ML engineers need?"}).json()
    assert answer["answer"] == chat.sent[-1] and answer["backend"] == "local"
    assert set(answer) == {"question", "answer", "sources", "backend", "declined", "timings", "query", "supports",
                           "dropped", "figures"}
    cited = int(re.findall(r"\[(\d+)\]", answer["answer"])[0])
    assert answer["supports"] == [{"sentence": answer["answer"], "source": cited, "status": "supported",
                                   "evidence": answer["supports"][0]["evidence"]}]
    assert "absolute “must”" in answer["supports"][0]["evidence"] and cited in {s["n"] for s in answer["sources"]}
    extractive = client.post("/api/chat", json={
        "message": "Which tool does the author call the industry favorite?", "backend": "extractive",
        "filters": {"kind": "article"}}).json()
    assert "SAS" in extractive["answer"] and {s["kind"] for s in extractive["sources"]} == {"article"}


def test_chat_streams_sources_tokens_then_done(client: TestClient, chat: ScriptedChat) -> None:
    chat.enqueue("Companies ask that an ML engineer understand cloud services like Amazon Web Services (AWS) "
                 "[{n:=Amazon Web Services}]. Data science mirrors the scientific method [{n:=scientific method}].")
    response = client.post("/api/chat", json={
        "message": "and what about cloud skills?", "stream": True,
        "history": [{"role": "user", "content": "What skills do ML engineers need?"},
                    {"role": "assistant", "content": "Software engineering [1]."}]})
    assert response.headers["content-type"].startswith("text/event-stream")
    parsed = events(response.text)
    kinds = [kind for kind, _ in parsed]
    # A sentence at a time, once it has passed the check.
    assert kinds[0] == "sources" and kinds[-1] == "done" and kinds.count("token") == 2
    assert "".join(data["text"] for kind, data in parsed if kind == "token") == chat.sent[-1]
    assert parsed[-1][1]["answer"] == chat.sent[-1] and parsed[-1][1]["query"] == "ML engineers: and what about cloud skills?"
    assert {"role": "user", "content": "What skills do ML engineers need?"} in chat.calls[-1]


def test_a_claim_the_check_takes_back_is_never_streamed(client: TestClient, chat: ScriptedChat) -> None:
    chat.enqueue("The author earns $125,000 a year [1]. Data science mirrors the scientific method "
                 "[{n:=scientific method}]. It is the same method you learned in high school biology "
                 "[{n:=scientific method}].")
    parsed = events(client.post("/api/chat", json={"message": "What is data science?", "stream": True}).text)
    shown = [data["text"] for kind, data in parsed if kind == "token"]
    backed = chat.sent[-1].split(". ", 1)[1]
    assert shown and "".join(shown) == backed  # the invented salary held back, the rest shown as it came
    assert "$125,000" not in parsed[-1][1]["answer"]
    assert parsed[-1][1]["timings"]["first_shown_ms"] >= parsed[-1][1]["timings"]["first_token_ms"]


def test_search_and_bad_requests(client: TestClient) -> None:
    results = client.post("/api/search", json={"query": "Kubernetes", "k": 3,
                                               "filters": {"kind": "posting"}}).json()["results"]
    assert len(results) == 3 and all(r["kind"] == "posting" for r in results)
    assert client.post("/api/chat", json={"message": ""}).status_code == 422
    assert client.post("/api/chat", json={"message": "x" * 5000}).status_code == 422
    assert client.post("/api/chat", json={"message": "hi", "backend": "gpt"}).status_code == 422
    assert client.post("/api/search", json={"query": "x", "filters": {"kind": "memo"}}).status_code == 422


def test_api_key_is_required_when_set(api_services: Services, chat: ScriptedChat) -> None:
    from pydantic import SecretStr

    api_services.settings = api_services.settings.model_copy(update={"api_key": SecretStr("s3cret")})
    with TestClient(make_app(api_services)) as client:
        refused = client.post("/api/chat", json={"message": "hi", "backend": "extractive"})
        assert refused.status_code == 401 and "API key" in refused.json()["detail"]
        ok = client.post("/api/chat", headers={"Authorization": "Bearer s3cret"},
                         json={"message": "What skills do ML engineers need?", "backend": "extractive"})
        assert ok.status_code == 200
        assert client.get("/api/health").status_code == 200


def test_without_an_index_the_server_says_how_to_build_one(settings: Settings) -> None:
    services = build_services(settings, embedder=HashingEmbedder(), chat=ScriptedChat())
    with TestClient(make_app(services)) as client:
        health = client.get("/api/health").json()
        assert health["ready"] is False and "python -m assistant build" in health["error"]
        response = client.post("/api/chat", json={"message": "hi"})
        assert response.status_code == 503 and "python -m assistant build" in response.json()["error"]


def test_a_refresh_is_picked_up_without_a_restart(client: TestClient, api_services: Services,
                                                  tmp_path: Path) -> None:
    before = client.post("/api/search", json={"query": "Zanzibar quantum basket weaving", "k": 1}).json()
    build_index(api_services, [posting(99, title="Quantum Basket Weaver", company="Zanzibar Weaving",
                                       description="Zanzibar quantum basket weaving.\nRequirements:\n- Weaving")],
                tmp_path)
    after = client.post("/api/search", json={"query": "Zanzibar quantum basket weaving", "k": 1}).json()
    assert after["results"][0]["doc_id"] == "p99" != before["results"][0]["doc_id"]


def test_the_queue_serves_in_order_and_skips_clients_that_left() -> None:
    queue = FairQueue()
    first, second, third = queue.ticket(), queue.ticket(), queue.ticket()
    assert (queue.ahead_of(first), queue.ahead_of(third)) == (0, 2)
    queue.done(second)  # left before its turn
    assert queue.wait(first, 0) and not queue.wait(third, 0)  # answered at once, no race of timeouts
    turns: list[bool] = []
    waiter = threading.Thread(target=lambda: turns.append(queue.wait(third, 30)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and turns == []  # third waits while first is served
    queue.done(first)  # the turn passes over second, who left, to third
    waiter.join(30)
    assert turns == [True] and queue.ahead_of(third) == 0 and queue.wait(third, 0)


def test_backends_share_one_retriever_per_generation(api_services: Services) -> None:
    from ui.served import ServedIndex

    served = ServedIndex(api_services)
    local, extractive = served.assistant("local"), served.assistant("extractive")
    assert local.retriever is extractive.retriever and local.chat is not None and extractive.chat is None
    served.close()


def test_oversized_bodies_are_refused_with_json(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{" + b" " * 1_100_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and "over 1,000,000 bytes" in response.json()["error"]


def test_article_sources_name_their_section(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": "Which tool does the author call the industry favorite?",
                                            "backend": "extractive", "filters": {"kind": "article"}}).json()
    assert any(s["title"].endswith("— Data scientist vs. ML engineer") for s in answer["sources"])


def test_extractive_answers_do_not_wait_behind_the_local_model(api_services: Services) -> None:
    from ui.served import ServedIndex, queue_for

    served = ServedIndex(api_services)
    queue = FairQueue()
    holder = queue.ticket()  # the local model is busy with someone else's answer
    assert queue_for(served.assistant("local"), queue) is queue
    extractive = queue_for(served.assistant("extractive"), queue)
    done = threading.Event()
    threading.Thread(target=lambda: (extractive.turn().__enter__(), done.set()), daemon=True).start()
    assert done.wait(2) and queue.ahead_of(queue.ticket()) == 1
    queue.done(holder)
    served.close()


def test_the_api_only_app_of_a_worker_points_to_the_docs(api_services: Services) -> None:
    from fastapi.testclient import TestClient

    from ui.api import make_app

    with TestClient(make_app(api_services, chat_page=False)) as api:
        assert api.get("/", follow_redirects=False).headers["location"] == "/docs"
        assert api.get("/embed/").status_code == 404
        health = api.get("/api/health").json()
        assert health["ready"] and health["pid"] == os.getpid()


def test_the_postings_are_profiled_before_the_server_says_ready(api_services: Services) -> None:
    with TestClient(make_app(api_services, chat_page=False)) as client:
        assert client.get("/api/health").json()["ready"]
        assert len(api_services._corpora) == 1


def test_a_burst_of_first_questions_profiles_the_postings_once(api_services: Services) -> None:
    # One generation for all, as a server holds it (opening Chroma in 8 threads at once is
    # not what is tested here).
    start = threading.Barrier(8, timeout=60)
    seen: list[object] = []
    with api_services.store.reader() as generation:

        def first_question() -> None:
            start.wait()
            seen.append(api_services.corpus(generation))

        threads = [threading.Thread(target=first_question) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert len(seen) == 8 and len({id(corpus) for corpus in seen}) == 1
