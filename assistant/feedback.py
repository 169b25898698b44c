"""Thumbs up/down on answers, stored durably: in SQLite in the data directory, or in
PostgreSQL when several machines serve (`database_url`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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


class FeedbackLog(Protocol):
    def add(self, item: Feedback) -> int:
        """Store one rating durably; its id."""
        ...

    def export(self) -> list[dict[str, Any]]:
        """Every rating, oldest first, as the API and `feedback export` give them."""
        ...


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class FeedbackStore:
    """SQLite in the data directory: one machine."""

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
                    (_now().isoformat(), item.rating, item.comment, item.question,
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


class PostgresFeedback:
    """The `feedback` table of the shared PostgreSQL database; the same records as SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, item: Feedback) -> int:
        from assistant.database import connect, feedback_table

        with connect(self.engine) as connection, connection.begin():
            inserted = connection.execute(feedback_table.insert().returning(feedback_table.c.id).values(
                created=_now(), rating=item.rating, comment=item.comment, question=item.question,
                answer=item.answer, sources=item.sources, backend=item.backend,
            ))
            return int(inserted.scalar_one())

    def export(self) -> list[dict[str, Any]]:
        from assistant.database import connect, feedback_table

        with connect(self.engine) as connection:
            rows = connection.execute(feedback_table.select().order_by(feedback_table.c.id)).mappings().all()
        return [{**row, "created": row["created"].astimezone(UTC).isoformat()} for row in rows]
