"""Sentences of corpus text, by a maintained splitter (pySBD) that knows "e.g.", "i.e."
and "Inc.": a regex split lost the article's list of algorithms at "e.g."."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8192)
def split_sentences(text: str) -> tuple[str, ...]:
    """The sentences of each non-empty line, stripped; a line break always ends one."""
    pieces: list[str] = []
    for line in text.splitlines():
        if line.strip():
            pieces.extend(s.strip() for s in _segmenter().segment(line) if s.strip())
    return tuple(pieces)


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def answer_sentences(text: str) -> list[str]:
    """An answer's sentences, each with the citations that follow it ("... needed. [1]") and
    its trailing white space, so that they join back into the text exactly. A piece that
    starts in lower case or with a bracket that is no citation continues the sentence
    before it (the splitter breaks at "!" before "[x](y)" and inside "www.x.example")."""
    out: list[str] = []
    for span in _span_segmenter().segment(text):
        piece = span.sent
        lead = re.match(r"((\[\d+\]\s*)+[.,;]?\s*)", piece)
        if out and lead:
            out[-1] += lead.group(1)
            piece = piece[lead.end():]
        # What follows a citation may go on too: "SQL matters! [1], and so does R."
        if out and re.match(r"[a-z(]|\[(?!\d+\])", piece):
            out[-1] += piece
            continue
        if piece:
            out.append(piece)
    if out and "".join(out) != text:  # the splitter dropped characters: keep the text whole
        return [text]
    return out


@lru_cache(maxsize=1)
def _span_segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)
