"""A generation's BM25 index, built once by the refresh that writes the generation and
saved inside it, so that a worker memory-maps it at start-up instead of reading every
chunk's text back from Chroma and indexing them all again (23-30 s at 100k chunks).

    <generation>/lexical/bm25/         bm25s.BM25.save (scores as sparse arrays, vocabulary)
                         chunks.json    store ids and routing fields, a list per field, in index order
                         words.json     the words typo repair knows, and letters.npy their letter counts
                         stamp.json     written last: what the files were made from

A saved index is used only when its stamp names this generation, its chunk count, the
tokenizer settings in use, and the hashes of the files beside it. Anything else (a
generation from before indexes were saved, one an older version refreshed, a damaged
file) is rebuilt in memory from the chunks, with a warning; the next refresh saves it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from assistant.lexical import ROUTING_FIELDS, TOKENIZER, LexicalIndex, Speller, build_lexical
from assistant.store import Generation

FORMAT = 1
STAMP = "stamp.json"
_BM25 = "bm25"
_CHUNKS = "chunks.json"
_WORDS = "words.json"
_LETTERS = "letters.npy"

log = logging.getLogger(__name__)


class SavedIndexUnusable(Exception):
    """A saved lexical index that is missing, stale or damaged; the message says which."""


def lexical_folder(generation: Path) -> Path:
    """Where a generation's lexical index is kept: the one place that says so."""
    return generation / "lexical"


def index_chunks(generation: Generation) -> LexicalIndex:
    """The lexical index of a generation's chunks, built in memory from their texts."""
    return build_lexical(*generation.scan(with_texts=True))


def save_for(generation: Generation) -> None:
    """Build and save the lexical index of a generation being written (before it is published)."""
    save_lexical(index_chunks(generation), lexical_folder(generation.path), generation=generation.path.name)


def load_lexical(generation: Generation) -> LexicalIndex:
    """The generation's saved lexical index, memory-mapped; built in memory when it has none
    that matches its chunks."""
    folder = lexical_folder(generation.path)
    try:
        return load_saved(folder, generation=generation.path.name, chunks=generation.collection.count())
    except SavedIndexUnusable as exc:
        log.warning("lexical index in %s not used (%s): building it from the chunks; the next refresh saves it",
                    folder, exc)
    return index_chunks(generation)


def save_lexical(index: LexicalIndex, folder: Path, *, generation: str) -> None:
    # The folder came with the copy of the previous generation: none of it may survive.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if index.bm25 is not None:
        index.bm25.save(str(folder / _BM25), show_progress=False)
    # A list per field parses several times faster than an object per chunk; None is "absent",
    # a value Chroma metadata cannot hold.
    columns = {key: [meta.get(key) for meta in index.metadatas] for key in ROUTING_FIELDS}
    (folder / _CHUNKS).write_text(json.dumps({"ids": index.ids, "fields": columns}, ensure_ascii=False),
                                  encoding="utf-8")
    (folder / _WORDS).write_text(json.dumps(index.speller.words, ensure_ascii=False), encoding="utf-8")
    np.save(folder / _LETTERS, index.speller.letters, allow_pickle=False)
    stamp = {"format": FORMAT, "generation": generation, "chunks": len(index), "tokenizer": TOKENIZER,
             "files": _hashes(folder)}
    tmp = folder / f".{STAMP}.tmp"
    tmp.write_text(json.dumps(stamp, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / STAMP)


def load_saved(folder: Path, *, generation: str, chunks: int) -> LexicalIndex:
    """The index saved in `folder`, checked against the generation it must belong to.
    Raises SavedIndexUnusable saying why it cannot be used."""
    stamp = _stamp(folder)
    expected = {"format": FORMAT, "generation": generation, "chunks": chunks, "tokenizer": TOKENIZER}
    for key, value in expected.items():
        if stamp.get(key) != value:
            raise SavedIndexUnusable(f"it was made for {key} {stamp.get(key)!r}, not {value!r}")
    files = stamp.get("files")
    if not isinstance(files, dict) or _hashes(folder) != files:
        raise SavedIndexUnusable("its files differ from the ones its stamp lists")
    try:
        saved = json.loads((folder / _CHUNKS).read_text(encoding="utf-8"))
        ids, columns = saved["ids"], saved["fields"]
        keys = [key for key in ROUTING_FIELDS if key in columns]
        metadatas = [{key: value for key, value in zip(keys, row, strict=True) if value is not None}
                     for row in zip(*(columns[key] for key in keys), strict=True)]
        speller = Speller(json.loads((folder / _WORDS).read_text(encoding="utf-8")),
                          np.load(folder / _LETTERS, allow_pickle=False))
        bm25 = bm25s.BM25.load(str(folder / _BM25), mmap=True, show_progress=False) if chunks else None
    except (OSError, ValueError, TypeError, KeyError) as exc:  # hashes match, yet the files do not parse
        raise SavedIndexUnusable(f"it does not load ({type(exc).__name__}: {exc})") from None
    scored = int(bm25.scores["num_docs"]) if bm25 is not None else 0
    if len(ids) != chunks or scored != chunks:
        raise SavedIndexUnusable(f"it holds {len(ids)} chunks and scores for {scored}, not the {chunks} of its stamp")
    return LexicalIndex(ids, metadatas, bm25, speller)


def _stamp(folder: Path) -> dict[str, Any]:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedIndexUnusable("there is none (a generation from before they were saved)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SavedIndexUnusable(f"its stamp is unreadable ({exc})") from None
    if not isinstance(stamp, dict):
        raise SavedIndexUnusable("its stamp is not a JSON object")
    return stamp


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` but the stamp, by path relative to it."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in (STAMP, f".{STAMP}.tmp"):
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            hashes[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return hashes
