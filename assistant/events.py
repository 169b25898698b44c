"""What an answer stream yields: its sources first, then text as it comes, then the
checked answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from assistant.answer import Answer, Source


@dataclass(frozen=True)
class Event:
    # "writing": the model wrote text not shown yet (a sentence still being checked). It
    # carries nothing; a consumer passes it on so that a reader who stops reading (Stop, a
    # client gone) ends the generation at once, not at the end of the sentence.
    kind: Literal["sources", "token", "writing", "done"]
    sources: list[Source] | None = None
    text: str = ""
    answer: Answer | None = None


def stated(answer: Answer, since: float) -> Iterator[Event]:
    """An answer written by code rather than a model: all of it at once, then done."""
    yield Event("token", text=answer.answer)
    elapsed = round((time.perf_counter() - since) * 1000, 1)
    answer.timings.update(first_token_ms=elapsed, generate_ms=elapsed)
    yield Event("done", answer=answer)
