"""Sentences of corpus text, by a maintained splitter (pySBD) that knows "e.g.", "i.e."
and "Inc.": a regex split lost the article's list of algorithms at "e.g."."""

from __future__ import annotations

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
