"""Time to first token and to the complete answer, as a person sees them in the chat page.

Drives headless Chromium (Debian's /usr/bin/chromium) against a running server and prints
one JSON object. Usage:

    bash scripts/run &                      # or any running server
    .venv/bin/python benchmarks/browser_ttft.py [--url http://127.0.0.1:7860] [--questions 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
QUESTIONS = [
    "What's the difference between an ML engineer and a data scientist?",
    "Do ML engineers need to know statistics?",
    "Which cloud platforms should an ML engineer know?",
    "What does a data engineer do that a data analyst doesn't?",
]


def ask(page, question: str, timeout_s: float = 300) -> dict[str, float]:  # type: ignore[no-untyped-def]
    box = page.get_by_placeholder("Ask a question…")
    answers = page.locator("[data-testid='bot']")
    before = answers.count()
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    first = None
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if first is None and answers.count() > before and answers.last.inner_text().strip():
            first = time.perf_counter() - started
        # The page clears the question box once the checked answer and its sources are shown.
        if first is not None and box.input_value() == "":
            return {"first_token_s": round(first, 2), "complete_s": round(time.perf_counter() - started, 2)}
        time.sleep(0.02)
    raise TimeoutError(f"no complete answer to {question!r} within {timeout_s}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(args.url.rstrip("/") + "/")
        for question in QUESTIONS[: args.questions]:
            page.get_by_role("button", name="New conversation").click()
            page.locator("[data-testid='bot']").first.wait_for(state="detached")
            runs.append({"question": question, **ask(page, question)})
        browser.close()
    first = [r["first_token_s"] for r in runs]
    complete = [r["complete_s"] for r in runs]
    print(json.dumps({
        "url": args.url, "runs": runs,
        "first_token_s": {"median": statistics.median(first), "max": max(first)},
        "complete_s": {"median": statistics.median(complete), "max": max(complete)},
    }, indent=2))


if __name__ == "__main__":
    main()
