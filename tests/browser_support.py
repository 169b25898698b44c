"""The browser tests' server and Chromium: a real server (uvicorn on 127.0.0.1, the fake
embedder and a scripted chat model that streams slowly enough to watch) and two "wiki"
pages on other ports that include widget.js, one whose origin is allowed and one whose
origin is not. Screenshots go to artifacts/browser/. Test modules import the fixtures."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.container import build_services
from assistant.settings import REPO_ROOT, Settings
from tests.conftest import build_index, free_port, posting
from tests.fakes import HashingEmbedder, ScriptedChat
from ui.analytics_tabs import ROLE_COLORS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
ADMIN_TOKEN = "browser-admin"
QUESTION = "What's the difference between an ML engineer and a data scientist?"
# Said as the article says it, so the claim check keeps it; the numbers are the article
# passages' in the prompt (`Live.reply` is the text as streamed).
REPLY = ("An ML engineer must have a software engineering skillset, an absolute must [{n:=absolute}], "
         "while a data scientist is often required to have a stronger mathematical background [{n:=low code}].")


HOSTILE = ("Apply now ![pixel](http://127.0.0.1:9/track.png) <img src=http://127.0.0.1:9/tag.png> "
           "[go](http://127.0.0.1:9/click) or visit www.tracker.example today")
HOSTILE_POSTING = posting(90, title="Data Engineer", company="Tracker Co",
                          description=f"Build Spark pipelines for ads.\n{HOSTILE}.")


class Live:
    def __init__(self, url: str, wiki: str, other: str, chat: ScriptedChat) -> None:
        self.url, self.wiki, self.other, self.chat = url, wiki, other, chat

    def reply(self) -> str:
        return self.chat.sent[-1] if self.chat.sent else "(no reply yet)"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    from ui.api import make_app

    folder = tmp_path_factory.mktemp("browser")
    port, wiki_port, other_port = free_port(), free_port(), free_port()
    url, wiki = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{wiki_port}"
    settings = Settings(index_dir=folder / "index", data_dir=folder / "data", min_relevance=0.2,
                        allowed_origins=[wiki], admin_token=ADMIN_TOKEN)
    chat = ScriptedChat(delay_s=0.12)
    services = build_services(settings, embedder=HashingEmbedder(), chat=chat)
    build_index(services, [HOSTILE_POSTING], folder)
    server = uvicorn.Server(uvicorn.Config(make_app(services), host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    # The same wiki page from two origins: the allowlisted one and another.
    pages = folder / "wiki"
    pages.mkdir()
    (pages / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Team wiki</title></head><body>"
        "<h1>Team wiki: hiring</h1><p>Our notes on data roles.</p>"
        f"<script src='{url}/widget.js' data-title='Ask about roles'></script></body></html>",
        encoding="utf-8",
    )
    handler = partial(_QuietHandler, directory=str(pages))
    wikis = [ThreadingHTTPServer(("127.0.0.1", p), handler) for p in (wiki_port, other_port)]
    for httpd in wikis:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the server did not start"
    yield Live(url, wiki, f"http://127.0.0.1:{other_port}", chat)
    for httpd in wikis:
        httpd.shutdown()
        httpd.server_close()
    server.should_exit = True
    thread.join(30)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (bash scripts/install-chromium)"
        if os.environ.get("ASSISTANT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def shown_answer(scope) -> str:  # type: ignore[no-untyped-def]
    """The latest answer as the page shows it, its chips read back as [n]; its sources left out."""
    return scope.locator("[data-testid='bot']").last.evaluate("""(bot) => {
        const answer = bot.querySelector(".answer");
        if (!answer) return bot.innerText;
        return [...answer.querySelectorAll(":scope > p")].map((p) => {
            const copy = p.cloneNode(true);
            copy.querySelectorAll("a.chip").forEach((chip) => chip.replaceWith("[" + chip.textContent + "]"));
            return copy.textContent.replace(/ +\\[/g, " [");
        }).join("\\n\\n");
    }""")


def watch_answer(scope, live: Live, timeout_s: float = 30) -> list[str]:  # type: ignore[no-untyped-def]
    """Every distinct text of the latest answer until it is complete (shown with its sources)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    bot = scope.locator("[data-testid='bot']").last
    while time.monotonic() < deadline:
        text = shown_answer(scope) if bot.count() else ""
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text.strip().startswith(live.reply()) and bot.locator(".answer").count():
            return seen
        time.sleep(0.03)
    raise AssertionError(f"no complete answer within {timeout_s}s; saw {seen[-3:]}")


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# Colours as the page paints them, whatever CSS syntax they are computed in (color-mix() comes
# back as color(srgb …)): each is drawn on a one-pixel canvas and read back as RGBA.
_COLOUR_JS = """
const rgba = (css) => {
  const ctx = Object.assign(document.createElement("canvas"), {width: 1, height: 1}).getContext("2d");
  ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  return [r, g, b, a / 255];
};
const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
// What an element is painted on: its ancestors' backgrounds, from the first opaque one down.
const backdrop = (el) => {
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const layer = rgba(getComputedStyle(node).backgroundColor);
    layers.push(layer);
    if (layer[3] === 1) break;
  }
  return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255]);
};
const luminance = (rgb) => {
  const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (x, y) => {
  const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
  return (a + 0.05) / (b + 0.05);
};
"""


def contrast(locator, what: str = "text") -> float:  # type: ignore[no-untyped-def]
    """The WCAG contrast of an element's text (what="text"), or of its own background (a bar,
    what="fill"), against what it is painted on; the element's opacity counts."""
    return locator.evaluate(f"""(el, what) => {{ {_COLOUR_JS}
        const style = getComputedStyle(el);
        const own = rgba(what === "text" ? style.color : style.backgroundColor);
        own[3] *= Number(style.opacity);
        const under = backdrop(what === "text" ? el : el.parentElement);
        return contrast(over(own, under), under);
    }}""", what)


def chart_colours(chart) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """How a chart (drawn as SVG) reads on its block: the contrast of its own backdrop (1 when
    transparent), the lowest of its bars' colours and how many those are, and its lowest text."""
    return chart.evaluate(f"""(chart) => {{ {_COLOUR_JS}
        const svg = chart.querySelector("svg.marks");
        const under = backdrop(svg.parentElement);
        const paint = (el, what) => {{ const c = rgba(getComputedStyle(el)[what]); c[3] *= Number(getComputedStyle(el).opacity);
                                       return over(c, under); }};
        const bars = [...new Set([...svg.querySelectorAll("g.role-mark path")].map((el) => paint(el, "fill").join()))];
        const text = [...svg.querySelectorAll("text")].map((el) => contrast(paint(el, "fill"), under));
        return {{backdrop: contrast(over(rgba(getComputedStyle(svg).backgroundColor), under), under),
                 bars: Math.min(...bars.map((c) => contrast(c.split(",").map(Number), under))),
                 bar_colours: bars.length, text: Math.min(...text)}};
    }}""")


def cells_past_their_block(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The table cells under `selector` that end right of their block: hidden unless scrolled to."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].filter((cell) => {
        const block = cell.closest(".block, [data-testid='bot']").getBoundingClientRect();
        const box = cell.getBoundingClientRect();
        return box.width > 0 && box.right > block.right + 1;
    }).map((cell) => cell.innerText.trim().slice(0, 40))""", selector)


def painted(chart) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The colours a chart's bars and its legend's symbols are painted in, as "#rrggbb"."""
    return chart.evaluate("""(chart) => {
        const hex = (el) => "#" + getComputedStyle(el).fill.match(/\\d+/g).slice(0, 3)
            .map((v) => Number(v).toString(16).padStart(2, "0")).join("");
        const fills = (selector) => [...new Set([...chart.querySelectorAll(selector)].map(hex))];
        return {bars: fills("svg g.role-mark path"), legend: fills("svg g.role-legend-symbol path")};
    }""")


def assert_role_colours(chart, roles: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The chart paints each role's bars and legend symbol in the colour ROLE_COLORS gives it
    (and the fast tests check for contrast), not in a colour the page's theme put in its place."""
    colours = painted(chart)
    wanted = sorted(ROLE_COLORS[r].lower() for r in roles)
    assert sorted(colours["bars"]) == wanted == sorted(colours["legend"]), colours


def overlapping_labels(chart) -> list[str]:  # type: ignore[no-untyped-def]
    """The chart's texts (axis labels and titles, legend labels) that overlap another, or that
    stick out of the chart's block, by their bounding boxes."""
    return chart.evaluate("""(chart) => {
        const block = chart.closest(".block").getBoundingClientRect();
        const texts = [...chart.querySelectorAll("svg text")].filter((t) => t.textContent.trim())
            .map((t) => [t.textContent, t.getBoundingClientRect()]);
        const bad = texts.filter(([, b]) => b.left < block.left - 1 || b.right > block.right + 1).map(([t]) => "out: " + t);
        texts.forEach(([t, a], i) => texts.slice(i + 1).forEach(([u, b]) => {
          const apart = a.right - 1 <= b.left || b.right - 1 <= a.left || a.bottom - 1 <= b.top || b.bottom - 1 <= a.top;
          if (!apart) bad.push(t + " / " + u);
        }));
        return bad;
    }""")


def cells_overflowing(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The elements under `selector` whose text is wider than they are: a word that does not fit."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter((el) => el.innerText.trim() && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.innerText.trim().slice(0, 40))""", selector)
