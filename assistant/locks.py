"""The refresh lock: one refresh of an index at a time, across processes (and, with
PostgreSQL, across machines). A refusal is IndexBusy (exit 5, HTTP 409)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from assistant.database import unavailable
from assistant.errors import IndexBusy

WAIT_HINT = "try again when it finishes (or set ASSISTANT_LOCK_TIMEOUT_S to wait)"
RETRY_S = 0.1


class RefreshLock(Protocol):
    def hold(self) -> AbstractContextManager[None]:
        """Held for the block; IndexBusy when another holder keeps it past the timeout."""
        ...


class FileRefreshLock:
    """A lock file in the index folder: one machine (the kernel frees it when its holder dies)."""

    def __init__(self, root: Path, timeout_s: float = 0.0) -> None:
        self.root = Path(root)
        self.timeout_s = timeout_s

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".refresh.lock"), timeout=self.timeout_s)
        try:
            lock.acquire()
        except Timeout:
            raise IndexBusy(f"another process is refreshing the index in {self.root}; {WAIT_HINT}") from None
        try:
            yield
        finally:
            lock.release()


def advisory_key(collection: str) -> int:
    """A signed 64-bit key of its own for each collection name, so that indexes sharing
    a database do not block each other."""
    digest = hashlib.sha256(f"role-assistant refresh lock:{collection}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryRefreshLock:
    """A PostgreSQL session advisory lock on a connection of its own, held for the block.
    The server frees it when that connection ends, so a killed refresh never leaves it taken."""

    def __init__(self, engine: Engine, collection: str, timeout_s: float = 0.0) -> None:
        self.engine = engine
        self.collection = collection
        self.key = advisory_key(collection)
        self.timeout_s = timeout_s

    @contextmanager
    def hold(self) -> Iterator[None]:
        connection = self._take()
        # Outside `connect`: an error of the refresh itself (SQLite's, Chroma's) must pass
        # through as it is, not be read as PostgreSQL going away.
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                connection.close()
            except DBAPIError:
                connection.invalidate()  # the server went away, and the lock with the session

    def _take(self) -> Connection:
        deadline = time.monotonic() + self.timeout_s
        try:
            # Autocommit: a session lock needs no transaction, and an open one would sit
            # "idle in transaction" for the whole refresh.
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            raise unavailable(self.engine, exc) from None
        try:
            while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar():
                if time.monotonic() >= deadline:
                    url = self.engine.url
                    raise IndexBusy(
                        f"another process is refreshing the index {self.collection!r} (its lock is held in "
                        f"PostgreSQL at {url.host}:{url.port or 5432}/{url.database}); {WAIT_HINT}"
                    )
                time.sleep(min(RETRY_S, max(deadline - time.monotonic(), 0)))
        except DBAPIError as exc:
            connection.invalidate()
            raise unavailable(self.engine, exc) from None
        except BaseException:
            connection.close()
            raise
        return connection
