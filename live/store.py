"""The live games' tables and their command log: create a game, append bursts, rebuild by replay.

The engine is deterministic, so a game is stored as its configuration plus the log of the
commands that changed its state, each with the server time it was handled at. Rebuilding a
game after a crash is replaying that log into a fresh ``Game(config)``: nothing acknowledged is
lost because the runner stores each burst of commands (one transaction) before it sends any
acknowledgement or event of that burst.

    game_id, pin, host_token = create_game(session, config, ...)
    append(db, game_id, [LogRecord(seq, now_ms, command), ...], players=[...], status=...)
    loaded = load_game(db, game_id)        # LoadedGame(row, game, players, resume index)
    round_team_scores(session, round_id)   # {team_id: (score, time_ms)} for competitions
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from live.engine import Game, GameConfig, Phase
from live.messages import Command, command_from_dict, command_to_dict

STATUSES = ("lobby", "running", "finished")
PIN_DIGITS = 6


def digest(token: str) -> str:
    """How tokens are kept: SHA-256, so a copy of the database hands out no host or resume token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class LiveGame(SQLModel, table=True):
    """One live game: its configuration (questions snapshotted), PIN, host token digest and progress."""

    __tablename__ = "live_game"

    id: int | None = Field(default=None, primary_key=True)
    pin: str = Field(max_length=PIN_DIGITS, unique=True, index=True)
    title: str = Field(default="", max_length=200)
    host_token_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    round_id: int | None = Field(default=None, index=True)  # no foreign key: competitions are optional
    bank_id: int | None = None
    status: str = Field(default="lobby", max_length=16, index=True)
    created_ms: int = 0
    finished_ms: int | None = None
    seq: int = 0  # the last command stored in the log
    owner_epoch: int = 0  # raised by each worker that takes the game over (`live.lease`): the fencing token

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "pin": self.pin, "title": self.title, "status": self.status,
                "round_id": self.round_id, "bank_id": self.bank_id, "created_by": self.created_by,
                "created_ms": self.created_ms, "finished_ms": self.finished_ms,
                "segments": [{"kind": s.get("kind"), "title": s.get("title", ""), "questions": len(s.get("questions", []))}
                             for s in self.config.get("segments", [])]}


class LiveCommand(SQLModel, table=True):
    """One state-changing command, as handled at ``now_ms``; replayed in ``seq`` order."""

    __tablename__ = "live_command"

    game_id: int = Field(foreign_key="live_game.id", primary_key=True)
    seq: int = Field(primary_key=True)
    now_ms: int
    command: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LivePlayer(SQLModel, table=True):
    """A player of a game: who they are, for whom they play, and the digest of their resume token."""

    __tablename__ = "live_player"
    __table_args__ = (
        UniqueConstraint("game_id", "resume_hash", name="uq_live_player_resume"),
        Index("ix_live_player_user", "game_id", "user_id"),
    )

    game_id: int = Field(foreign_key="live_game.id", primary_key=True)
    player_id: int = Field(primary_key=True)
    name: str = Field(default="", max_length=100)
    team_id: int | None = None
    user_id: int | None = None
    resume_hash: str = Field(max_length=64)
    joined_ms: int = 0


@dataclass(slots=True)
class LogRecord:
    """A command to store: its place in the log and the server time it was handled at."""

    seq: int
    now_ms: int
    command: Command


@dataclass(slots=True)
class PlayerRecord:
    """A player row to insert, or (``update``) a new resume token for one already stored."""

    player_id: int
    name: str
    team_id: int | None
    user_id: int | None
    resume_hash: str
    joined_ms: int
    update: bool = False


@dataclass
class LoadedGame:
    """A game rebuilt from the database."""

    row: LiveGame
    game: Game
    resume: dict[str, int] = field(default_factory=dict)  # resume token digest -> player id
    users: dict[int, int] = field(default_factory=dict)  # user id -> player id
    next_player_id: int = 1
    logged_answers: set[tuple[Any, str]] = field(default_factory=set)


class PinTaken(Exception):
    """No free PIN was found (astronomically unlikely while fewer than ~100,000 games exist)."""


def create_game(session: Session, config: GameConfig, *, created_by: int | None, round_id: int | None,
                bank_id: int | None, now_ms: int, attempts: int = 20) -> tuple[LiveGame, str]:
    """Insert a game with a fresh unique PIN; returns (row, host token). ``config`` must be valid."""
    host_token = new_token()
    taken = set()
    for _ in range(attempts):
        pin = f"{secrets.randbelow(900_000) + 100_000}"
        if pin in taken:
            continue
        taken.add(pin)
        row = LiveGame(pin=pin, title=config.title, host_token_hash=digest(host_token), created_by=created_by,
                       config=config.to_dict(), round_id=round_id, bank_id=bank_id, created_ms=now_ms)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row, host_token
    raise PinTaken()


_MAX_PARAMS = 8000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_FIELDS: dict[type, tuple[str, ...]] = {}
COMMAND_COLUMNS = ("game_id", "seq", "now_ms", "command")
PLAYER_COLUMNS = ("game_id", "player_id", "name", "team_id", "user_id", "resume_hash", "joined_ms")


def encode_command(command: Command) -> str:
    """The log's JSON of a command (what `command_to_dict` gives, built faster: answers come by the thousand)."""
    names = _FIELDS.get(type(command))
    if names is None:
        names = _FIELDS[type(command)] = tuple(k for k in command_to_dict(command) if k != "command")
    data = {"command": command.kind}
    for name in names:
        data[name] = getattr(command, name)
    return _ENCODER.encode(data)


@dataclass(slots=True)
class Rows:
    """New rows of one table in a burst: a COPY on PostgreSQL, multi-row INSERTs elsewhere."""

    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def inserts(self) -> list[tuple[str, tuple[Any, ...]]]:
        # One multi-row INSERT per chunk: one trip into the driver. An executemany releases and
        # re-takes the GIL for every row, and on a busy machine every re-take can wait for a turn
        # of the CPU: a 4,000-answer burst took seconds to store that way.
        one = "(" + ", ".join(["?"] * len(self.columns)) + ")"
        per = max(1, _MAX_PARAMS // len(self.columns))
        head = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES "
        return [(head + ", ".join([one] * len(chunk)), tuple(value for row in chunk for value in row))
                for chunk in (self.rows[start:start + per] for start in range(0, len(self.rows), per))]


@dataclass
class Batch:
    """One burst as SQL statements with ``?`` placeholders (and `Rows` to insert), in one transaction."""

    statements: list[tuple[str, tuple[Any, ...]] | Rows] = field(default_factory=list)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.statements.append(Rows(table, columns, rows))

    def rows_of(self, table: str) -> list[tuple[Any, ...]]:
        """Every row this batch inserts into ``table``."""
        return [row for entry in self.statements if isinstance(entry, Rows) and entry.table == table
                for row in entry.rows]


class Fenced(Exception):
    """A burst of a worker that no longer owns the game: nothing of it was stored."""


FENCE_SQL = "UPDATE live_game SET owner_epoch = owner_epoch WHERE id = ? AND owner_epoch = ?"


def prepare(game_id: int, records: list[LogRecord], players: list[PlayerRecord] | None = None,
            status: str | None = None, finished_ms: int | None = None, epoch: int | None = None) -> Batch:
    """The statements that store one burst: its commands, new players, the game's progress. With an
    ``epoch`` (several workers) the burst is stored only while the game's owner epoch is still that:
    the first statement, which also locks the game's row until the commit."""
    batch = Batch()
    if epoch is not None:
        batch.statements.append((FENCE_SQL, (game_id, epoch)))
    batch.insert("live_command", COMMAND_COLUMNS,
                 [(game_id, r.seq, r.now_ms, encode_command(r.command)) for r in records])
    batch.insert("live_player", PLAYER_COLUMNS,
                 [(game_id, p.player_id, p.name, p.team_id, p.user_id, p.resume_hash, p.joined_ms)
                  for p in players or [] if not p.update])
    for p in players or []:
        if p.update:
            batch.statements.append(("UPDATE live_player SET resume_hash = ? WHERE game_id = ? AND player_id = ?",
                                     (p.resume_hash, game_id, p.player_id)))
    values: dict[str, Any] = {}
    if records:
        values["seq"] = records[-1].seq
    if status is not None:
        values["status"] = status
    if finished_ms is not None:
        values["finished_ms"] = finished_ms
    if values:
        batch.statements.append((f"UPDATE live_game SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                                 (*values.values(), game_id)))
    return batch


def run_batch(execute: Any, batch: Batch, copy: Any = None) -> None:
    """Run a batch's statements with ``execute(sql, params)`` (inside the caller's transaction), its
    `Rows` with ``copy(rows)`` when given (PostgreSQL's COPY) or as INSERTs; `Fenced` when its owner
    epoch is no longer the game's."""
    for entry in batch.statements:
        if isinstance(entry, Rows):
            if copy is not None:
                copy(entry)
            else:
                for sql, params in entry.inserts():
                    execute(sql, params)
            continue
        sql, params = entry
        result = execute(sql, params)
        if sql is FENCE_SQL and getattr(result, "rowcount", 1) != 1:
            raise Fenced()


def take_over(db: Any, game_id: int) -> int:
    """Raise the game's owner epoch (a worker takes it over) and return the new one: from now on, no
    burst of an earlier owner is stored (it waits for an earlier owner's transaction on the row)."""
    with db.write() as session:
        conn = session.connection()
        qmark = conn.dialect.paramstyle == "qmark"
        sql = "UPDATE live_game SET owner_epoch = owner_epoch + 1 WHERE id = ?"
        conn.exec_driver_sql(sql if qmark else sql.replace("?", "%s"), (game_id,))
        sql = "SELECT owner_epoch FROM live_game WHERE id = ?"
        row = conn.exec_driver_sql(sql if qmark else sql.replace("?", "%s"), (game_id,)).first()
        return int(row[0]) if row else 0


def write(db: Any, batch: Batch) -> None:
    """Store a batch in ONE transaction through the app's connection pool (any database)."""
    with db.write() as session:
        conn = session.connection()
        qmark = conn.dialect.paramstyle == "qmark"
        copy = None
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection  # psycopg's, inside this transaction

            def copy(entry: Rows) -> None:
                # A 10,000-answer burst: ~0.1 s as COPY against ~0.4-0.7 s as multi-row INSERTs (PostgreSQL
                # parses and plans each 8,000-parameter statement; psycopg splits its query text in Python).
                import psycopg
                from sqlalchemy.exc import DBAPIError

                statement = f"COPY {entry.table} ({', '.join(entry.columns)}) FROM STDIN"
                try:
                    with raw.cursor() as cursor, cursor.copy(statement) as stream:
                        for row in entry.rows:
                            stream.write_row(row)
                except psycopg.Error as exc:  # as SQLAlchemy would have raised it (an IntegrityError ...)
                    raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc

        run_batch(lambda sql, params: conn.exec_driver_sql(sql if qmark else sql.replace("?", "%s"), params), batch,
                  copy)


def append(db: Any, game_id: int, records: list[LogRecord], players: list[PlayerRecord] | None = None,
           status: str | None = None, finished_ms: int | None = None) -> None:
    """Store one burst in ONE transaction: its commands, new players, the game's progress."""
    write(db, prepare(game_id, records, players, status, finished_ms))


class SqliteLog:
    """The live log's own SQLite connection, written from the event loop's thread.

    A burst's transaction is a handful of statements that take milliseconds; run in a worker
    thread, every one of them hands the GIL back and forth with the busy event loop, and on a
    shared machine each hand-over waits for the scheduler: tens to hundreds of milliseconds a
    burst. Here it runs without a hand-over. The connection waits at most ``busy_ms`` for the
    write lock: when another writer holds it (an import, say), `write_now` returns False and
    the runner stores through the pool in a thread instead, so the event loop never waits long.
    Checkpoints are left to `Database.checkpoint`, run by the manager in a thread.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def for_database(cls, db: Any, busy_ms: int = 50) -> SqliteLog | None:
        if not getattr(db, "is_sqlite", False) or db.engine.url.database in (None, "", ":memory:"):
            return None
        return cls(db.own_sqlite_connection(busy_ms / 1000))

    def write_now(self, batch: Batch) -> bool:
        """Store a batch in ONE transaction; False (nothing written) when the database stayed locked."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise
        try:
            run_batch(self.conn.execute, batch)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return True

    def close(self) -> None:
        self.conn.close()


def status_of(game: Game) -> str:
    """The stored status for a game's phase."""
    if game.phase is Phase.FINISHED:
        return "finished"
    return "lobby" if game.phase is Phase.LOBBY else "running"


def replay(config: dict[str, Any], commands: list[tuple[int, dict[str, Any]]]) -> tuple[Game, set[tuple[Any, str]]]:
    """A fresh game with every logged ``(now_ms, command dict)`` applied in order."""
    game = Game(GameConfig.from_dict(config))
    answered: set[tuple[Any, str]] = set()
    for now_ms, data in commands:
        command = command_from_dict(data)
        game.handle(command, now_ms)
        if data.get("command") == "answer":
            answered.add((command.player_id, command.client_id))  # type: ignore[union-attr]
    return game, answered


def game_log(db: Any, game_id: int) -> tuple[LiveGame, list[tuple[int, dict[str, Any]]]] | None:
    """A game's row and its command log, in order (None if there is no such game)."""
    with db.read() as session:
        row = session.get(LiveGame, game_id)
        return (row, _commands(session, game_id)) if row is not None else None


def _commands(session: Session, game_id: int) -> list[tuple[int, dict[str, Any]]]:
    return [(int(r[0]), dict(r[1])) for r in session.exec(
        select(LiveCommand.now_ms, LiveCommand.command).where(LiveCommand.game_id == game_id)
        .order_by(LiveCommand.seq)).all()]  # type: ignore[arg-type]


def load_game(db: Any, game_id: int) -> LoadedGame | None:
    """Rebuild a game from its configuration and command log (None if there is no such game)."""
    with db.read() as session:
        row = session.get(LiveGame, game_id)
        if row is None:
            return None
        commands = _commands(session, game_id)  # (one read transaction: the log and its players agree)
        players = session.exec(select(LivePlayer).where(LivePlayer.game_id == game_id)).all()
    game, answered = replay(row.config, commands)
    loaded = LoadedGame(row=row, game=game, logged_answers=answered)
    for p in players:
        loaded.resume[p.resume_hash] = p.player_id
        if p.user_id is not None:
            loaded.users[p.user_id] = p.player_id
        loaded.next_player_id = max(loaded.next_player_id, p.player_id + 1)
    return loaded


def find_game(db: Any, *, pin: str | None = None, game_id: int | None = None) -> LiveGame | None:
    with db.read() as session:
        if game_id is not None:
            return session.get(LiveGame, game_id)
        return session.exec(select(LiveGame).where(LiveGame.pin == pin)).first()


def unfinished_game_ids(db: Any) -> list[int]:
    with db.read() as session:
        return [int(i) for i in session.exec(select(LiveGame.id).where(LiveGame.status != "finished")
                                              .order_by(LiveGame.id)).all()]  # type: ignore[arg-type]


# --- for competitions -----------------------------------------------------------------------

_REPLAYS: dict[tuple[str, int], tuple[int, Game]] = {}
_REPLAYS_LOCK = threading.Lock()


def _round_games(session: Session, round_id: int, game_ids: Iterable[int] | None = None) -> list[Game]:
    """The games played for a round, newest first, rebuilt from the log (cached while the log is
    unchanged). A grouped round has one game per group. ``game_ids``: only these (the games an organizer
    bound to the round: another game created with the round's id never decides its scores)."""
    query = select(LiveGame).where(LiveGame.round_id == round_id)
    if game_ids is not None:
        query = query.where(LiveGame.id.in_(list(game_ids)))  # type: ignore[union-attr]
    rows = session.exec(query.order_by(LiveGame.id.desc())).all()  # type: ignore[union-attr]
    return [_replayed(session, row) for row in rows if row.id is not None]


def _replayed(session: Session, row: LiveGame) -> Game:
    key = (str(getattr(session.get_bind(), "url", "")), row.id or 0)
    with _REPLAYS_LOCK:
        hit = _REPLAYS.get(key)
    if hit is not None and hit[0] == row.seq:
        return hit[1]
    commands = [(int(r[0]), dict(r[1])) for r in session.exec(
        select(LiveCommand.now_ms, LiveCommand.command).where(LiveCommand.game_id == row.id)
        .order_by(LiveCommand.seq)).all()]  # type: ignore[arg-type]
    game, _ = replay(row.config, commands)
    with _REPLAYS_LOCK:
        if len(_REPLAYS) > 64:
            _REPLAYS.clear()
        _REPLAYS[key] = (row.seq, game)
    return game


def _newest_per_team(session: Session, round_id: int,
                     game_ids: Iterable[int] | None = None) -> list[tuple[Game, set[int]]]:
    """Each game of a round with the teams it decides: a team's result comes from the newest game it played in."""
    seen: set[int] = set()
    result = []
    for game in _round_games(session, round_id, game_ids):
        mine = {team_id for team_id in game.teams if team_id not in seen}
        seen |= mine
        result.append((game, mine))
    return result


def round_team_scores(session: Session, round_id: int,
                      game_ids: Iterable[int] | None = None) -> dict[int, tuple[float, int]]:
    """``{team_id: (score, time_ms)}`` of the live games played for a round (``{}`` if none):
    every group's game of a grouped round."""
    return {team_id: (float(game.teams[team_id].score), int(game.teams[team_id].time_ms))
            for game, mine in _newest_per_team(session, round_id, game_ids) for team_id in mine}


def round_player_scores(session: Session, round_id: int) -> dict[int, tuple[float, int]]:
    """``{user_id: (score, time_ms)}`` of the players with an account in a round's live games."""
    return {user_id: (score, time_ms) for user_id, (_, score, time_ms) in round_player_results(session, round_id).items()}


def round_player_results(session: Session, round_id: int,
                         game_ids: Iterable[int] | None = None) -> dict[int, tuple[int, float, int]]:
    """``{user_id: (team_id, score, time_ms)}``: who played for which team in a round's live games (answered
    or buzzed at least once: a member who only joined did not play)."""
    return {p.user_id: (p.team_id, float(p.score), int(p.time_ms))
            for game, mine in _newest_per_team(session, round_id, game_ids)
            for p in game.players.values() if p.user_id is not None and p.team_id in mine and p.acted}
