"""Embedding in a wiki: /embed, /widget.js, and which origins may frame or call the server."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.container import Services
from assistant.errors import SettingsError
from assistant.settings import load_settings
from ui.api import make_app

WIKI = "http://wiki.example.test:8090"


@pytest.fixture
def wiki_client(api_services: Services):
    api_services.settings = api_services.settings.model_copy(update={"allowed_origins": [WIKI]})
    with TestClient(make_app(api_services)) as client:
        yield client


def test_widget_script_and_embed_page_are_served(client: TestClient) -> None:
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert "data-title" in widget.text and 'base + "embed/"' in widget.text
    assert "textContent = title" in widget.text  # the title is text, never HTML
    redirect = client.get("/embed", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "embed/"
    page = client.get("/embed/")
    assert page.status_code == 200 and "gradio" in page.text.lower()


def test_by_default_only_the_own_origin_may_frame_or_call(client: TestClient) -> None:
    page = client.get("/embed/")
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    refused = client.post("/api/search", json={"query": "SQL"}, headers={"Origin": WIKI})
    assert refused.status_code == 403 and f"origin {WIKI} is not allowed" in refused.json()["error"]
    # Readable by the refused page on purpose, so widget.js can say why (it names only that page).
    assert refused.headers["access-control-allow-origin"] == WIKI
    own = client.post("/api/search", json={"query": "SQL"}, headers={"Origin": "http://testserver"})
    assert own.status_code == 200


def test_allowed_origins_may_frame_and_call_and_others_may_not(wiki_client: TestClient) -> None:
    page = wiki_client.get("/embed/")
    assert page.headers["content-security-policy"] == f"frame-ancestors 'self' {WIKI}"
    assert "x-frame-options" not in page.headers
    preflight = wiki_client.options("/api/chat", headers={
        "Origin": WIKI, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == WIKI
    called = wiki_client.post("/api/search", json={"query": "SQL"}, headers={"Origin": WIKI})
    assert called.status_code == 200 and called.headers["access-control-allow-origin"] == WIKI
    for forged in ("http://wiki.example.test:8091", "https://wiki.example.test:8090", "null",
                   "http://wiki.example.test:8090.evil.test"):
        response = wiki_client.post("/api/search", json={"query": "SQL"}, headers={"Origin": forged})
        assert response.status_code == 403, forged
    gradio = wiki_client.post("/gradio_api/queue/join", json={}, headers={"Origin": "http://evil.test"})
    assert gradio.status_code == 403


def test_a_refused_origin_can_read_why(wiki_client: TestClient) -> None:
    other = "http://other.example.test"
    refused = wiki_client.get("/embed-check", headers={"Origin": other})
    assert refused.status_code == 403
    assert refused.json() == {"error": f"origin {other} is not allowed to use this assistant; an administrator "
                                       "can add it to ASSISTANT_ALLOWED_ORIGINS",
                              "origin": other, "setting": "ASSISTANT_ALLOWED_ORIGINS"}
    assert refused.headers["access-control-allow-origin"] == other and refused.headers["vary"] == "Origin"
    # A fetch with custom headers passes its preflight, so its real request gets that 403
    # instead of "Failed to fetch"; the request itself still does no work.
    preflight = wiki_client.options("/api/chat", headers={
        "Origin": other, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == other
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    called = wiki_client.post("/api/chat", json={"message": "SQL?"}, headers={"Origin": other})
    assert called.status_code == 403 and called.json()["origin"] == other


def test_the_embed_check_says_allowed_for_an_allowed_or_own_origin(wiki_client: TestClient) -> None:
    for origin in (WIKI, "http://testserver", None):
        checked = wiki_client.get("/embed-check", headers={"Origin": origin} if origin else {})
        assert checked.status_code == 200 and checked.json() == {"allowed": True}, origin
        assert checked.headers["cache-control"] == "no-store"
    assert wiki_client.get("/embed-check", headers={"Origin": WIKI}).headers["access-control-allow-origin"] == WIKI


def test_allowed_origins_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", "https://Wiki.Example.com/, http://127.0.0.1:8090")
    assert load_settings().allowed_origins == ["https://wiki.example.com", "http://127.0.0.1:8090"]
    for bad, reason in (("*", "list the origins"), ("wiki.example.com", "not an origin"),
                        ("https://wiki.example.com/page", "not an origin")):
        monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", bad)
        with pytest.raises(SettingsError, match=reason):
            load_settings()
