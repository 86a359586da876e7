"""Shared fixtures: a fresh app and database per test, on SQLite or (when QUIZ_DATABASE_URL points
at PostgreSQL) on PostgreSQL, users with tokens, and a controllable clock.

``QUIZ_REQUIRE_SERVICES=1`` (set by ``.ci/run``) turns every skip for a missing service or
browser into a failure, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from quiz.app import create_app
from quiz.db import Database, normalise_url
from quiz.settings import Settings
from quiz.timeutil import FakeClock

SHARED_DATA = Path(os.environ.get("QUIZ_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
REQUIRE_SERVICES = os.environ.get("QUIZ_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get("QUIZ_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql"))
POSTGRES_URL = os.environ.get("QUIZ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("QUIZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, which would break every asyncio test scheduled after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def skip_or_fail(reason: str) -> None:
    """Skip, unless this run requires every service (then fail with the same reason)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required by QUIZ_REQUIRE_SERVICES=1 but unavailable: {reason}")
    pytest.skip(reason)


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (the shared/data folder sits beside the repository)")
    return path


def _postgres_available(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not available here"
        return f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL for tests marked ``postgres``."""
    problem = _postgres_available(POSTGRES_URL)
    if problem:
        skip_or_fail(problem)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    return REDIS_URL


def _private_postgres_database(url: str) -> str:
    """A database of its own for this test run (dropped at exit), so parallel runs never meet."""
    import atexit

    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(normalise_url(url))
    name = f"quiz_t_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:
            pass

    atexit.register(drop)
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database made once per run: a SQLite file to copy, or a private PostgreSQL database."""
    if ON_POSTGRES:
        problem = _postgres_available(TEST_DATABASE_URL)
        if problem:
            pytest.fail(problem)
        url = _private_postgres_database(TEST_DATABASE_URL)
        db = Database(url)
        db.migrate()
        db.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return str(path)


@pytest.fixture
def database_url(_template_db: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for this test."""
    if ON_POSTGRES:
        db = Database(_template_db)
        with db.engine.begin() as conn:
            tables = [r[0] for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")]
            if tables:
                conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        db.dispose()
        return _template_db
    target = tmp_path / "quiz.db"
    shutil.copyfile(_template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # gc_freeze_s=0: the server's garbage-collector policy (a full collection at start-up) is tested on its own.
    return Settings(database_url=database_url, secret_key="test", max_upload_mb=2, gc_freeze_s=0)


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Any:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class Users:
    """Makes users directly in the database and logs them in; ``users.client("member")`` is a logged-in client."""

    def __init__(self, app: Any, client: TestClient) -> None:
        self.app = app
        self.anonymous = client
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, int] = {}

    def add(self, username: str, role: str = "member", unit: str = "测试单位", name: str | None = None) -> int:
        from quiz.accounts import issue_token, upsert_user

        db = self.app.state.db
        with db.write() as session:
            user, _ = upsert_user(session, username=username, password="secret123", name=name or username, role=role,
                                  unit=unit, now_ms=self.app.state.clock.now_ms(), overwrite=True)
            self.tokens[username] = issue_token(session, user, self.app.state.clock.now_ms(), 30)
        self.ids[username] = user.id or 0
        return user.id or 0

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def users(app: Any, client: TestClient) -> Users:
    u = Users(app, client)
    u.add("admin", "admin")
    u.add("org", "organizer")
    u.add("host", "host")
    u.add("alice", "member", unit="市财政局")
    u.add("bob", "member", unit="市教育局")
    return u


@pytest.fixture
def api(client: TestClient, users: Users) -> Callable[..., Any]:
    """``api("POST", "/api/banks", as_="org", json=...)``: a request as one of the fixture users."""

    def call(method: str, url: str, as_: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if as_:
            headers.update(users.headers(as_))
        return client.request(method, url, headers=headers, **kwargs)

    return call
