"""``quiz backup FILE`` and ``quiz restore FILE`` (CONTRACT §1): a consistent copy of the whole database.

SQLite is copied with SQLite's online backup API in one step: under WAL a reader never blocks the
writers, and a one-step copy reads one snapshot, so the server keeps answering while it runs and
the copy is exactly the database at one moment (a stepped copy would restart whenever another
connection writes, and might never finish under load). The file is itself a SQLite database.

PostgreSQL is copied with ``pg_dump --format=custom`` (one snapshot as well) and restored with
``pg_restore``; without those tools the commands say so instead of writing half a file.

A restore refuses a target that holds any row (``force`` overrides), so that a mistyped URL never
overwrites a live database. After a restore the schema is migrated, so an older backup comes up to
the newest revision.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from quiz.db import Database, normalise_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables that describe the schema, not the data: their rows do not make a database "non-empty".
SCHEMA_TABLES = frozenset({"alembic_version"})


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do (Chinese)."""


@dataclass(frozen=True)
class Summary:
    """What a backup or restore moved: the file, its size and the rows per table."""

    path: Path
    bytes: int
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def count_rows(db: Database) -> dict[str, int]:
    """Rows per data table (the schema's own bookkeeping left out)."""
    names = [n for n in inspect(db.engine).get_table_names() if n not in SCHEMA_TABLES]
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        for name in sorted(names):
            quoted = db.engine.dialect.identifier_preparer.quote(name)
            counts[name] = int(conn.execute(text(f"SELECT COUNT(*) FROM {quoted}")).scalar() or 0)
    return counts


def _sqlite_path(db: Database) -> Path:
    name = db.engine.url.database
    if name in (None, "", ":memory:"):
        raise BackupError("内存数据库无法备份：请把 QUIZ_DATABASE_URL 设为一个 SQLite 文件")
    return Path(name or "")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the command-line tools, and the environment carrying its password
    (a password on the command line would be visible to every user of the machine in ``ps``)."""
    parsed: URL = make_url(normalise_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 PostgreSQL 工具 {name}：请安装与服务器版本一致的客户端"
                          f"（Debian/Ubuntu：apt-get install postgresql-client），或把它加入 PATH")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败（退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


def backup(db: Database, target: Path) -> Summary:
    """Write a consistent copy of the whole database to ``target`` (replaced if it exists)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # never a half-written file under the real name
    partial.unlink(missing_ok=True)
    try:
        if db.is_sqlite:
            source = sqlite3.connect(str(_sqlite_path(db)), timeout=30)
            copy = sqlite3.connect(str(partial))
            try:
                source.backup(copy)  # pages=-1: one step, one snapshot, writers carry on meanwhile
                copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            finally:
                copy.close()
                source.close()
        else:
            uri, env = _libpq(db.url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={uri}"], env)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(target, target.stat().st_size, backup_rows(target) if db.is_sqlite else count_rows(db))


def backup_rows(path: Path) -> dict[str, int]:
    """Rows per table of a SQLite backup file (to print what it holds)."""
    copy = Database(f"sqlite:///{Path(path).resolve()}")
    try:
        return count_rows(copy)
    finally:
        copy.dispose()


def _kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} 不是本平台的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式）")


def restore(db: Database, source: Path, *, force: bool = False) -> Summary:
    """Replace the database's whole content with the backup in ``source``, then migrate it.

    Refused (BackupError) when the database holds any row and ``force`` is false, and when the
    backup was taken from the other kind of database (a SQLite file into PostgreSQL or back).
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    kind = _kind(source)
    wanted = "sqlite" if db.is_sqlite else "postgresql"
    if kind != wanted:
        raise BackupError(f"这是 {kind} 的备份，不能恢复到 {wanted} 数据库")
    if db.is_sqlite:
        _check_sqlite_backup(source)
    held = {name: n for name, n in count_rows(db).items() if n}
    if held and not force:
        raise BackupError(f"目标数据库不是空的（{sum(held.values())} 行，如 "
                          f"{', '.join(f'{k}={v}' for k, v in list(held.items())[:4])}）；"
                          f"确认要覆盖请加 --force")
    if db.is_sqlite:
        _restore_sqlite(db, source)
    else:
        _restore_postgres(db, source)
    db.dispose()
    restored = Database(db.url)
    try:
        restored.migrate()
        rows = count_rows(restored)
    finally:
        restored.dispose()
    return Summary(source, source.stat().st_size, rows)


def _check_sqlite_backup(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏：{exc}") from None
    finally:
        conn.close()
    if not verdict or verdict[0] != "ok":
        raise BackupError(f"备份文件已损坏：{verdict[0] if verdict else '无法检查'}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} 是 SQLite 数据库，但不是本平台的备份（没有 alembic_version 表）")


def _restore_sqlite(db: Database, source: Path) -> None:
    """Copy the backup over the database with the backup API (in the other direction): every page is
    replaced in one transaction, WAL and all, so no stale ``-wal`` file can resurrect old rows."""
    db.dispose()
    path = _sqlite_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    backup_conn = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
    target = sqlite3.connect(str(path), timeout=30)
    try:
        target.execute("PRAGMA journal_mode=WAL")
        backup_conn.backup(target)
        target.execute("PRAGMA journal_mode=WAL")  # the copy brought the backup's DELETE mode along
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()
        backup_conn.close()


def _restore_postgres(db: Database, source: Path) -> None:
    """``pg_restore --clean`` in one transaction: each table of the backup is dropped (if there) and
    recreated with its rows, so a failure leaves the target as it was, not half restored."""
    restore_tool = _tool("pg_restore")
    db.dispose()
    uri, env = _libpq(db.url)
    _run([restore_tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", f"--dbname={uri}", str(source)], env)
