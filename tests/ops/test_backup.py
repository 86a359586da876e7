"""`quiz backup` / `quiz restore` (CONTRACT §1): a consistent copy taken while the server writes, and a
restore into a fresh database that gives back every row: answers of an attempt, live logs, users."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from quiz.backup import BackupError, backup, restore
from quiz.cli import main
from quiz.db import Database, normalise_url
from quiz.models import AuthToken, User
from tests.ops.conftest import fill, snapshot

WRITER_TABLES = frozenset({"user", "auth_token"})


class Writer(threading.Thread):
    """Inserts a user and its login in one transaction, again and again, as a busy server would."""

    def __init__(self, db: Database) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.db.write() as session:
                    user = User(username=f"w{self.commits}", name="写入者", created_ms=1)
                    session.add(user)
                    session.flush()
                    session.add(AuthToken(token_hash=f"{self.commits:064d}", user_id=user.id or 0, expires_ms=2))
                self.commits += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


def test_sqlite_backup_while_writing_restores_everything(sqlite_app: Any, tmp_path: Path) -> None:
    app, client = sqlite_app
    filled = fill(app, client)
    db = app.state.db
    writer = Writer(db)
    writer.start()
    try:
        while writer.commits < 20:
            time.sleep(0.005)
        # A backup that overlapped at least one commit of the writer (each try is a few milliseconds).
        overlapped = False
        for _ in range(50):
            before = writer.commits
            summary = backup(db, tmp_path / "quiz-backup.db")
            if writer.commits > before:
                overlapped = True
                break
        assert overlapped, "the writer never committed during a backup: the backup blocked it"
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None, writer.error
    assert summary.rows["attempt_answer"] == filled["answers"]

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    restored = restore(fresh, tmp_path / "quiz-backup.db")
    assert restored.rows["attempt_answer"] == filled["answers"] > 0
    assert restored.rows["live_command"] == 3

    # Everything but the writer's tables is exactly the source.
    assert snapshot(fresh, skip=WRITER_TABLES) == snapshot(db, skip=WRITER_TABLES)
    # The writer's rows are one moment of the source: whole transactions only, none missing before it.
    with fresh.read() as session:
        users = {u.id: u.username for u in session.exec(select(User))}
        tokens = {t.user_id for t in session.exec(select(AuthToken))}
    written = sorted(int(name[1:]) for name in users.values() if name.startswith("w"))
    assert written == list(range(len(written))) and len(written) >= 20
    assert set(users) == tokens  # never a user without the login written in the same transaction
    fresh.dispose()


def test_restore_refuses_a_database_with_rows_unless_forced(sqlite_app: Any, tmp_path: Path) -> None:
    app, client = sqlite_app
    fill(app, client)
    backup(app.state.db, tmp_path / "b.db")
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.migrate()
    with other.write() as session:
        session.add(User(username="留下的用户", created_ms=1))
    with pytest.raises(BackupError, match="--force"):
        restore(other, tmp_path / "b.db")
    with other.read() as session:  # nothing changed
        assert [u.username for u in session.exec(select(User))] == ["留下的用户"]
    restore(other, tmp_path / "b.db", force=True)
    assert snapshot(other) == snapshot(app.state.db)
    other.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    target = Database(f"sqlite:///{tmp_path / 't.db'}")
    target.migrate()
    (tmp_path / "notes.txt").write_text("不是备份", encoding="utf-8")
    with pytest.raises(BackupError, match="不是本平台的备份"):
        restore(target, tmp_path / "notes.txt")
    with pytest.raises(BackupError, match="不存在"):
        restore(target, tmp_path / "missing.db")
    target.dispose()


def test_cli_backup_and_restore(sqlite_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    app, client = sqlite_app
    fill(app, client)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("QUIZ_DATABASE_URL", str(app.state.db.engine.url))
    assert main(["backup", str(tmp_path / "cli.db")]) == 0
    assert "已备份到" in capsys.readouterr().out
    monkeypatch.setenv("QUIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
    assert main(["restore", str(tmp_path / "cli.db")]) == 0
    assert "已从" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "cli.db")]) == 1  # now it holds rows
    assert "--force" in capsys.readouterr().err
    assert main(["restore", "--force", str(tmp_path / "cli.db")]) == 0
    restored = Database(f"sqlite:///{tmp_path / 'restored.db'}")
    assert snapshot(restored) == snapshot(app.state.db)
    restored.dispose()


@pytest.mark.postgres
def test_postgres_backup_restores_into_a_fresh_database(postgres_url: str, tmp_path: Path) -> None:
    """pg_dump of a filled database, pg_restore into a scratch database created here: the same rows."""
    import psycopg
    from starlette.testclient import TestClient

    from quiz.app import create_app
    from quiz.settings import Settings
    from quiz.timeutil import FakeClock

    if os.system("command -v pg_dump >/dev/null && command -v pg_restore >/dev/null") != 0:
        from tests.conftest import skip_or_fail

        skip_or_fail("pg_dump/pg_restore are not installed")
    base = make_url(normalise_url(postgres_url))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    names = [f"quiz_backup_src_{os.getpid()}", f"quiz_restore_test_{os.getpid()}"]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    source_url, target_url = (base.set(database=n).render_as_string(hide_password=False) for n in names)
    try:
        app = create_app(Settings(database_url=source_url, secret_key="pg", gc_freeze_s=0), clock=FakeClock())
        with TestClient(app) as client:
            filled = fill(app, client)
            summary = backup(app.state.db, tmp_path / "quiz.dump")
            assert (tmp_path / "quiz.dump").read_bytes()[:5] == b"PGDMP"
            assert summary.rows["attempt_answer"] == filled["answers"]
            target = Database(target_url)
            target.migrate()  # as every command does first: the restore replaces the empty tables
            restored = restore(target, tmp_path / "quiz.dump")
            assert restored.rows["attempt_answer"] == filled["answers"] > 0
            assert snapshot(target) == snapshot(app.state.db)
            # A second restore over the now filled database needs --force.
            with pytest.raises(BackupError, match="--force"):
                restore(target, tmp_path / "quiz.dump")
            restore(target, tmp_path / "quiz.dump", force=True)
            assert snapshot(target) == snapshot(app.state.db)
            # The restored database works: its sequences continue after the restored ids.
            with target.write() as session:
                session.add(User(username="恢复后新用户", created_ms=1))
            target.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
