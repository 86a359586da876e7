"""The database: one engine per app, SQLite (WAL) by default, PostgreSQL by URL.

SQLite gets two kinds of transaction. Reads use a deferred ``BEGIN``; writes use
``BEGIN IMMEDIATE``, which takes the write lock up front: a deferred transaction that
reads and then writes fails at once with "database is locked" when another writer got
in between, and ``busy_timeout`` does not help there. Every schema change goes through
Alembic (``migrate``), which each CLI command and the app's start-up run first.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Integer, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"


@compiles(Integer, "postgresql")
def _integer_is_64_bit(type_: Any, compiler: Any, **kw: Any) -> str:
    """Integers are 64-bit on PostgreSQL as on SQLite: every ``*_ms`` column holds epoch milliseconds,
    which overflow PostgreSQL's 32-bit INTEGER. (Autoincrement keys stay SERIAL.)"""
    return "BIGINT"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("quiz_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


class Database:
    """Owns the engine and hands out sessions: ``db.read()`` and ``db.write()``."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            memory = parsed.database in (None, "", ":memory:")
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            if memory:
                kwargs["poolclass"] = StaticPool
            else:
                # As many kept connections as worker threads (40): a smaller pool closes and reopens
                # (with its PRAGMAs) a connection for each checkout beyond it whenever the threads are busy.
                kwargs["pool_size"] = 40
                kwargs["max_overflow"] = 24
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._migrated = False
        self._lock = threading.Lock()
        # Re-entrant, so a nested write in one thread fails as it did before (SQLite's busy timeout), not hangs.
        self._write_lock: Any = threading.RLock() if self.is_sqlite else contextlib.nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it writes is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on any error.

        On SQLite the writers of this process also queue on a lock before ``BEGIN IMMEDIATE``:
        SQLite has one writer at a time anyway, and a writer refused by SQLite's busy handler
        sleeps in steps of up to 100 ms, which under load gave answers of several seconds; a
        thread waiting on the lock is woken the moment the previous writer commits.
        """
        with self._write_lock, Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"quiz_write": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def own_sqlite_connection(self, timeout_s: float) -> sqlite3.Connection:
        """SQLite: a connection outside the pool, for a writer on the event loop's thread (the live log,
        autosave): autocommit mode (it says BEGIN itself), WAL, waiting at most ``timeout_s`` for the
        write lock, and never checkpointing itself — a commit that crossed the automatic checkpoint
        would copy the log into the database file and wait for the disk; `checkpoint` does it instead."""
        conn = sqlite3.connect(self.engine.url.database or "", isolation_level=None, check_same_thread=False,
                               timeout=timeout_s)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=0"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file without blocking writers (PASSIVE)."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision (idempotent)."""
        with self._lock:
            if self._migrated:
                return
            from alembic import command
            from alembic.config import Config

            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
            with self.engine.begin() as connection:
                if not self.is_sqlite:
                    # Workers started together (`quiz serve --workers 4`, or machines rebooting at once) upgrade
                    # one after the other: the later ones find the schema current and do nothing.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72000)")
                config.attributes["connection"] = connection
                # "heads": migrations written side by side may branch from one parent (independent tables);
                # every branch is applied.
                command.upgrade(config, "heads")
            self._migrated = True

    def dispose(self) -> None:
        self.engine.dispose()
