"""Where an accepted upload is kept once its refresh succeeded: a file in the data
directory on one machine, or a row of the shared PostgreSQL database (the file's bytes
and its summary) when app servers keep no state of their own (`database_url`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class KeptUploads(Protocol):
    def source(self, name: str) -> str:
        """What the upload's documents name as their source: a new version of the same
        name with `sync` removes the postings it no longer has."""
        ...

    def keep(self, name: str, staged: Path, summary: dict[str, Any]) -> None:
        """Keep the staged file, replacing an earlier upload of the same name."""
        ...

    def kept(self) -> list[dict[str, Any]]:
        """name, bytes and sha256 of every kept upload, by name."""
        ...


class UploadFolder:
    """`data_dir/uploads/NAME`, the source its documents name."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def source(self, name: str) -> str:
        return str((self.folder / name).resolve())

    def keep(self, name: str, staged: Path, summary: dict[str, Any]) -> None:
        staged.replace(self.folder / name)

    def kept(self) -> list[dict[str, Any]]:
        if not self.folder.is_dir():
            return []
        return [{"name": path.name, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                for path in sorted(self.folder.iterdir()) if path.is_file()]


class PostgresUploads:
    """The `uploads` table. The source is `uploads/NAME`, the same on every machine, where
    a path in one machine's data directory would not be."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def source(self, name: str) -> str:
        return f"uploads/{name}"

    def keep(self, name: str, staged: Path, summary: dict[str, Any]) -> None:
        from sqlalchemy.dialects.postgresql import insert

        from assistant.database import connect, uploads_table

        content = staged.read_bytes()
        row = {"name": name, "uploaded": datetime.now(UTC).replace(microsecond=0), "bytes": len(content),
               "sha256": hashlib.sha256(content).hexdigest(), "source": self.source(name), "report": summary,
               "content": content}
        upsert = insert(uploads_table).values(row)
        upsert = upsert.on_conflict_do_update(index_elements=["name"], set_={k: upsert.excluded[k] for k in row if k != "name"})
        with connect(self.engine) as connection, connection.begin():
            connection.execute(upsert)

    def kept(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from assistant.database import connect, uploads_table

        table = uploads_table
        with connect(self.engine) as connection:
            rows = connection.execute(select(table.c.name, table.c.bytes, table.c.sha256).order_by(table.c.name))
            return [dict(row) for row in rows.mappings()]
