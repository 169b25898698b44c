"""The index's generations in PostgreSQL, for app servers that keep nothing of their own
(`database_url` together with `chroma_url`).

The vectors and chunk texts of a generation are its collection on the Chroma server. What
is left of a generation (the record manager's table, the document table, the manifest,
the saved BM25 index: its folder without `chroma/`) is stored here as its files, and which
generation is published is one row, changed in the same transaction that stores the
files of the generation it names. A process on any machine, given the two URLs and an empty
local folder, fetches the published generation's files into that folder (a cache) and
opens them as an embedded index would.

    index_generations  (collection, name) -> state ('writing' | 'ready'), manifest
    index_files        (collection, generation, path) -> content
    index_published    collection -> generation

A refresh registers its generation as 'writing' before it makes its Chroma collection, so
the next refresh, on whichever machine, can drop what a killed one left.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKeyConstraint,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection, Engine

from assistant.database import connect, metadata

VECTORS_FOLDER = "chroma"  # the embedded client's files: never in the catalog, whose vectors are the server's

generations_table = Table(
    "index_generations", metadata,
    Column("collection", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("manifest", JSONB, nullable=False, server_default="{}"),
    PrimaryKeyConstraint("collection", "name"),
)

files_table = Table(
    "index_files", metadata,
    Column("collection", Text, nullable=False),
    Column("generation", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("collection", "generation", "path"),
    ForeignKeyConstraint(["collection", "generation"], ["index_generations.collection", "index_generations.name"],
                         ondelete="CASCADE"),
)

published_table = Table(
    "index_published", metadata,
    Column("collection", Text, primary_key=True),
    Column("generation", Text, nullable=False),
    Column("published", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


class PostgresCatalog:
    def __init__(self, engine: Engine, collection: str) -> None:
        self.engine = engine
        self.collection = collection

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with connect(self.engine) as connection, connection.begin():
            yield connection

    def published(self) -> str | None:
        with connect(self.engine) as connection:
            return connection.execute(
                select(published_table.c.generation).where(published_table.c.collection == self.collection)
            ).scalar()

    def names(self, state: str | None = None) -> list[str]:
        """Generation names, oldest first (they start with a sequence number)."""
        query = select(generations_table.c.name).where(generations_table.c.collection == self.collection)
        if state is not None:
            query = query.where(generations_table.c.state == state)
        with connect(self.engine) as connection:
            return sorted(connection.execute(query).scalars())

    def manifest(self, name: str) -> dict[str, Any]:
        with connect(self.engine) as connection:
            found = connection.execute(select(generations_table.c.manifest).where(
                generations_table.c.collection == self.collection, generations_table.c.name == name)).scalar()
        return dict(found or {})

    def begin(self, name: str) -> None:
        with self._transaction() as connection:
            connection.execute(insert(generations_table).values(collection=self.collection, name=name, state="writing"))

    def publish(self, name: str, folder: Path) -> None:
        """Store the generation's files and point at it, in one transaction: a reader sees the
        previous generation or this one, whole."""
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        with self._transaction() as connection:
            connection.execute(delete(files_table).where(
                files_table.c.collection == self.collection, files_table.c.generation == name))
            for relative, content in _files(folder):
                connection.execute(insert(files_table).values(
                    collection=self.collection, generation=name, path=relative, content=content))
            connection.execute(update(generations_table).where(
                generations_table.c.collection == self.collection, generations_table.c.name == name,
            ).values(state="ready", manifest=manifest))
            self._point(connection, name)

    def republish(self, name: str) -> None:
        with self._transaction() as connection:
            self._point(connection, name)

    def _point(self, connection: Connection, name: str) -> None:
        statement = upsert(published_table).values(collection=self.collection, generation=name)
        connection.execute(statement.on_conflict_do_update(
            index_elements=["collection"], set_={"generation": name, "published": func.now()}))

    def fetch(self, name: str, root: Path) -> Path:
        """`root/name` holding the generation's files, fetched once: a folder appears there
        only whole (written aside, then renamed), so a process that finds it can use it."""
        target = root / name
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        incoming = root / f".incoming-{name}-{os.getpid()}-{secrets.token_hex(3)}"
        try:
            with connect(self.engine) as connection:
                rows = connection.execute(select(files_table.c.path, files_table.c.content).where(
                    files_table.c.collection == self.collection, files_table.c.generation == name))
                for relative, content in rows:
                    path = incoming / relative
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
            incoming.mkdir(exist_ok=True)
            try:
                os.rename(incoming, target)
            except OSError:
                if not target.is_dir():  # another process of this machine fetched it first otherwise
                    raise
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        self._clear_dropped(root)
        return target

    def _clear_dropped(self, root: Path) -> None:
        """Remove this machine's copies of generations the database has dropped, so that a
        server that never refreshes does not keep every generation it ever fetched. A folder
        with vectors of its own (an embedded index, migrated or not) is never touched."""
        listed = set(self.names())
        for folder in root.glob("gen-*"):
            if folder.is_dir() and folder.name not in listed and not (folder / VECTORS_FOLDER).exists():
                shutil.rmtree(folder, ignore_errors=True)

    def drop(self, name: str) -> None:
        with self._transaction() as connection:
            connection.execute(delete(generations_table).where(
                generations_table.c.collection == self.collection, generations_table.c.name == name))

    def forget(self) -> None:
        """Every generation and the pointer (a scratch index's)."""
        with self._transaction() as connection:
            connection.execute(delete(published_table).where(published_table.c.collection == self.collection))
            connection.execute(delete(generations_table).where(generations_table.c.collection == self.collection))


def _files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] != VECTORS_FOLDER:
            yield relative.as_posix(), path.read_bytes()
