"""PostgreSQL for the bookkeeping several machines share (`database_url`): feedback, the
uploads kept, and the refresh lock. Unset, nothing here connects anywhere.

One SQLAlchemy engine per URL and process, on the psycopg 3 driver; the tables are made at
the first connection, idempotently, under a transaction-scoped advisory lock so that two
processes starting together do not both try to create them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from assistant.errors import BackendUnavailable

CONNECT_TIMEOUT_S = 5
# pg_advisory_xact_lock key of schema creation; the refresh locks use other keys (locks.py).
_SCHEMA_LOCK_KEY = 0x61737369  # "assi"

metadata = MetaData()

feedback_table = Table(
    "feedback", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("rating", Text, CheckConstraint("rating IN ('up', 'down')"), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("sources", JSONB, nullable=False),
    Column("backend", Text, nullable=False, server_default=""),
)

# The uploaded file itself, not only its summary: an app server holds no state, so the
# upload must be readable from any machine.
uploads_table = Table(
    "uploads", metadata,
    Column("name", Text, primary_key=True),
    Column("uploaded", DateTime(timezone=True), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("report", JSONB, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_guard = threading.Lock()


def sqlalchemy_url(url: str) -> URL:
    """`postgresql://` or `postgres://` as the settings take it, on the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    return parsed.set(drivername="postgresql+psycopg")


def engine(url: str) -> Engine:
    """The process's one engine for `url`. Nothing connects yet: a server that is down
    fails the first request that needs it, not the start-up of a reader."""
    with _guard:
        if url not in _engines:
            # pre_ping: a connection the server dropped (a restart) is replaced, not handed out.
            _engines[url] = create_engine(
                sqlalchemy_url(url), pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
            )
        return _engines[url]


def create_schema(connection: Connection) -> None:
    """The tables, if they are not there yet; safe for processes starting together."""
    import assistant.catalog  # noqa: F401  (its tables join `metadata`; it imports this module)

    with connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        metadata.create_all(connection, checkfirst=True)


def unavailable(made: Engine, exc: BaseException) -> BackendUnavailable:
    url = made.url
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return BackendUnavailable(
        f"the PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432} (database {url.database!r}) "
        f"does not answer ({reason}): start it, check ASSISTANT_DATABASE_URL, or unset it to keep the "
        f"bookkeeping on disk"
    )


@contextmanager
def connect(made: Engine) -> Iterator[Connection]:
    """A connection; a server that cannot be reached or drops the connection becomes
    BackendUnavailable naming host and port (the API answers 503)."""
    try:
        connection = made.connect()
    except OperationalError as exc:
        raise unavailable(made, exc) from None
    try:
        key = str(made.url)
        if key not in _ready:
            create_schema(connection)
            _ready.add(key)
        yield connection
    except DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            raise unavailable(made, exc) from None
        raise
    finally:
        connection.close()


def dispose_all() -> None:
    """Close every pooled connection (tests dropping their databases; a forked worker)."""
    with _guard:
        for made in _engines.values():
            made.dispose()
        _engines.clear()
        _ready.clear()
