"""Thumbs up/down on answers, stored durably in SQLite in the data directory."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '[]',
    backend TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Feedback:
    rating: Literal["up", "down"]
    question: str
    answer: str
    sources: list[dict[str, Any]]
    backend: str = ""
    comment: str = ""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        return connection

    def add(self, item: Feedback) -> int:
        connection = self._connect()
        try:
            with connection:  # commits, so a crash after this returns loses nothing
                cursor = connection.execute(
                    "INSERT INTO feedback (created, rating, comment, question, answer, sources, backend)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (datetime.now(UTC).isoformat(timespec="seconds"), item.rating, item.comment, item.question,
                     item.answer, json.dumps(item.sources, ensure_ascii=False), item.backend),
                )
            return int(cursor.lastrowid or 0)
        finally:
            connection.close()

    def export(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        connection = self._connect()
        try:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        finally:
            connection.close()
        return [{**dict(row), "sources": json.loads(row["sources"])} for row in rows]
