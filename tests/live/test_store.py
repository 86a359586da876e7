"""The live store: games and PINs, one transaction per burst, rebuilding by replay, and the scores
that competitions read from a round's live game."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from live import store
from live.engine import Game, GameConfig, QuestionSnapshot, SegmentConfig, TeamConfig
from live.messages import HostAction, Join, SubmitAnswer, Tick

OPTIONS = [{"key": k, "text": k} for k in "ABCD"]


def config(teams: list[TeamConfig] | None = None) -> GameConfig:
    questions = [QuestionSnapshot(i, "single", f"题{i}", OPTIONS, ["A"], "解析") for i in (1, 2)]
    kind = "required" if teams else "all"
    return GameConfig("测试", 0, not teams, teams or [], [SegmentConfig(kind, "环节", questions, time_limit_s=10)])


def new_game(app: Any, cfg: GameConfig, round_id: int | None = None) -> tuple[int, str]:
    with app.state.db.write() as session:
        row, token = store.create_game(session, cfg, created_by=None, round_id=round_id, bank_id=None, now_ms=1000)
        return row.id or 0, token


def play(app: Any, game_id: int, commands: list[tuple[Any, int]]) -> Game:
    """Handle commands in a fresh game and log them the way the runner does; returns the live game."""
    loaded = store.load_game(app.state.db, game_id)
    assert loaded is not None
    game, seq, records = loaded.game, loaded.row.seq, []
    for command, now in commands:
        game.handle(command, now)
        seq += 1
        records.append(store.LogRecord(seq, now, command))
    store.append(app.state.db, game_id, records, status=store.status_of(game))
    return game


def test_games_get_unique_six_digit_pins_and_only_token_digests_are_stored(app: Any, client: Any) -> None:
    made = [new_game(app, config()) for _ in range(30)]
    with app.state.db.read() as session:
        rows = session.exec(select(store.LiveGame)).all()
    pins = [r.pin for r in rows]
    assert len(set(pins)) == 30 and all(len(p) == 6 and p.isdigit() and p[0] != "0" for p in pins)
    tokens = {token for _, token in made}
    assert not tokens & {r.host_token_hash for r in rows}
    assert {store.digest(t) for t in tokens} == {r.host_token_hash for r in rows}


def test_a_burst_is_stored_in_one_transaction(app: Any, client: Any) -> None:
    game_id, _ = new_game(app, config())
    join = store.PlayerRecord(1, "甲", None, None, store.digest("r1"), 5)
    store.append(app.state.db, game_id, [store.LogRecord(1, 5, Join(1, "甲"))], [join])
    with pytest.raises(IntegrityError):  # seq 1 again: the whole burst fails
        store.append(app.state.db, game_id, [store.LogRecord(2, 6, Join(2, "乙")), store.LogRecord(1, 6, Tick())],
                     [store.PlayerRecord(2, "乙", None, None, store.digest("r2"), 6)], status="running")
    with app.state.db.read() as session:
        assert [r.seq for r in session.exec(select(store.LiveCommand)).all()] == [1]
        assert [p.player_id for p in session.exec(select(store.LivePlayer)).all()] == [1]
        row = session.get(store.LiveGame, game_id)
        assert row is not None and row.seq == 1 and row.status == "lobby"


def test_a_large_burst_with_awkward_text_is_stored_exactly(app: Any, client: Any) -> None:
    """10,000 answers in one burst (PostgreSQL: one COPY, whose text format escapes backslashes, tabs and
    newlines itself) come back from the log exactly as handled."""
    game_id, _ = new_game(app, config())
    awkward = ["甲\\乙", "tab\there", "line\nbreak", '引号"\'', "😀 表情", "\\N", "a" * 60]
    players = [store.PlayerRecord(i + 1, name, None, None, store.digest(f"r{i}"), 5) for i, name in enumerate(awkward)]
    records = [store.LogRecord(i + 1, 5, Join(i + 1, name)) for i, name in enumerate(awkward)]
    records.append(store.LogRecord(len(records) + 1, 6, HostAction("start")))
    answers = [SubmitAnswer(1 + i % len(awkward), f"c{i}", 1, awkward[i % len(awkward)]) for i in range(10_000)]
    first = len(records) + 1
    records += [store.LogRecord(first + i, 7_000 + i, a) for i, a in enumerate(answers)]
    store.append(app.state.db, game_id, records, players, status="running")
    with app.state.db.read() as session:
        names = {p.player_id: p.name for p in session.exec(select(store.LivePlayer)
                                                         .where(store.LivePlayer.game_id == game_id)).all()}
        stored = session.exec(select(store.LiveCommand).where(store.LiveCommand.game_id == game_id)
                              .order_by(store.LiveCommand.seq)).all()
    assert names == {i + 1: name for i, name in enumerate(awkward)}
    assert len(stored) == len(records) and [r.seq for r in stored] == list(range(1, len(records) + 1))
    assert [r.command.get("name") for r in stored[:len(awkward)]] == awkward
    assert [(r.now_ms, r.command["answer"]) for r in stored[-3:]] == [
        (7_000 + i, awkward[i % len(awkward)]) for i in range(9_997, 10_000)]
    loaded = store.load_game(app.state.db, game_id)
    assert loaded is not None and len(loaded.logged_answers) == 10_000


def test_replaying_the_log_rebuilds_the_same_game(app: Any, client: Any) -> None:
    game_id, _ = new_game(app, config())
    commands: list[tuple[Any, int]] = [(Join(1, "甲"), 10), (Join(2, "乙"), 11), (Join(3, "丙"), 12),
                                       (HostAction("start"), 100), (SubmitAnswer(1, "c1", 1, "A"), 2_000),
                                       (SubmitAnswer(2, "c2", 1, "B"), 3_000), (Tick(), 10_101),
                                       (HostAction("reveal"), 11_000),
                                       (HostAction("adjust", {"team_id": 1, "delta": 5, "reason": "x"}), 12_000),
                                       (HostAction("next"), 13_000), (SubmitAnswer(3, "c3", 2, "A"), 14_000)]
    live = play(app, game_id, commands[:8])
    live_tail = [live.handle(c, n) for c, n in commands[8:]]
    assert live_tail[0][0].type == "error"  # an open game has no teams: the adjust is refused
    play(app, game_id, commands[9:])
    loaded = store.load_game(app.state.db, game_id)
    assert loaded is not None
    again = loaded.game
    assert again.snapshot("host", None, 20_000) == live.snapshot("host", None, 20_000)
    assert again.snapshot("player", 3, 20_000)["you"] == live.snapshot("player", 3, 20_000)["you"]
    assert again.leaderboard() == live.leaderboard()
    assert loaded.logged_answers == {(1, "c1"), (2, "c2"), (3, "c3")}
    assert loaded.row.status == "running"


def seat_round(api: Callable[..., Any], users: Any) -> tuple[int, list[dict[str, Any]]]:
    """A competition with two teams of two and a live final; returns (round id, teams)."""
    for name in ("carol", "dave"):
        users.add(name)
    cid = api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}).json()["id"]
    teams = [api("POST", f"/api/competitions/{cid}/teams", as_="org",
                 json={"name": name, "unit": name, "members": [users.ids[a], users.ids[b]]}).json()
             for name, a, b in (("一队", "alice", "bob"), ("二队", "carol", "dave"))]
    rnd = api("POST", f"/api/competitions/{cid}/rounds", as_="org",
              json={"name": "决赛", "stage": "final", "format": "live"}).json()
    return rnd["id"], teams


def test_round_scores_come_from_the_rounds_live_game(app: Any, client: Any, api: Callable[..., Any], users: Any,
                                                     make_game: Callable[..., Any],
                                                     live_bank: tuple[int, list[int]]) -> None:
    _, ids = live_bank
    round_id, teams = seat_round(api, users)
    game = make_game(round_id=round_id, segments=[{"kind": "required", "question_ids": ids[:2], "points": 10}])
    assert api("GET", f"/api/rounds/{round_id}", as_="org").json().get("live_id") in (game["id"], None)
    first, second = (t["id"] for t in teams)
    a, c = users.ids["alice"], users.ids["carol"]
    play(app, game["id"], [(Join(1, "alice", user_id=a), 1), (Join(2, "carol", user_id=c), 2),
                           (HostAction("start"), 10), (Tick(), 2_010),  # the question after the title card
                           (SubmitAnswer(1, "x", ids[0], "C"), 4_010),
                           (HostAction("reveal"), 5_000), (HostAction("next"), 6_000),
                           (SubmitAnswer(2, "y", ids[1], "A"), 7_000), (HostAction("reveal"), 8_000)])
    with app.state.db.read() as session:
        scores = store.round_team_scores(session, round_id)
        players = store.round_player_scores(session, round_id)
    assert scores == {first: (10.0, 2_000), second: (0.0, 1_000)}
    assert players[a] == (10.0, 2_000) and players[c][0] == 0.0
    ranking = api("GET", f"/api/rounds/{round_id}/ranking", as_="org").json()
    assert [(t["team_id"], t["score"]) for t in ranking["teams"]] == [(first, 10), (second, 0)]


def test_a_round_game_seats_the_rounds_teams(app: Any, client: Any, api: Callable[..., Any], users: Any,
                                             make_game: Callable[..., Any]) -> None:
    round_id, teams = seat_round(api, users)
    game = make_game(round_id=round_id)
    loaded = store.load_game(app.state.db, game["id"])
    assert loaded is not None
    cfg = loaded.game.config
    assert cfg.open is False
    assert [(t.id, t.name, t.seats) for t in cfg.teams] == [
        (teams[0]["id"], "一队", [users.ids["alice"], users.ids["bob"]]),
        (teams[1]["id"], "二队", [users.ids["carol"], users.ids["dave"]])]
    events = loaded.game.handle(Join(1, "guest"), 1)
    assert events[0].type == "error"  # guests are not admitted to a round's game


def test_the_sqlite_log_steps_aside_while_another_writer_holds_the_lock(tmp_path: Any) -> None:
    import sqlite3

    from quiz.db import Database

    db = Database(f"sqlite:///{tmp_path / 'log.db'}")  # SQLite even when the suite runs on PostgreSQL
    db.migrate()
    with db.write() as session:
        row, _ = store.create_game(session, config(), created_by=None, round_id=None, bank_id=None, now_ms=1)
        game_id = row.id or 0
    log = store.SqliteLog.for_database(db)
    assert log is not None
    other = sqlite3.connect(str(tmp_path / "log.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # an import holding the write lock
    batch = store.prepare(game_id, [store.LogRecord(1, 5, Join(1, "甲"))],
                          [store.PlayerRecord(1, "甲", None, None, store.digest("r"), 5)], status="running")
    try:
        assert log.write_now(batch) is False  # it does not wait: the runner goes through a thread instead
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert log.write_now(batch) is True
    log.close()
    loaded = store.load_game(db, game_id)
    db.dispose()
    assert loaded is not None and loaded.row.seq == 1 and loaded.row.status == "running"
    assert loaded.resume == {store.digest("r"): 1} and loaded.game.player(1) == {"id": 1, "name": "甲", "team_id": None}


async def test_checkpoints_wait_for_a_lull_in_the_games(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background checkpoint never runs while a game has bursts coming in (it would compete with the
    fan-out for the cores); it runs in the first quiet moment, or at the latest after CHECKPOINT_LATEST_S."""
    import asyncio
    from types import SimpleNamespace

    from live import runner as live_runner

    monkeypatch.setattr(live_runner, "CHECKPOINT_EVERY_S", 0.01)
    monkeypatch.setattr(live_runner, "CHECKPOINT_QUIET_S", 0.1)
    monkeypatch.setattr(live_runner, "CHECKPOINT_LATEST_S", 5.0)
    done: list[float] = []
    loop = asyncio.get_running_loop()
    manager = live_runner.LiveManager(SimpleNamespace(checkpoint=lambda: done.append(loop.time())), clock=None)
    task = loop.create_task(manager._checkpoints())
    try:
        busy_until = loop.time() + 0.5
        while loop.time() < busy_until:  # a game with a burst every 20 ms
            manager.last_burst = loop.time()
            await asyncio.sleep(0.02)
        assert done == []
        await asyncio.sleep(0.4)
        assert done and done[0] >= busy_until + 0.09
    finally:
        task.cancel()
        manager.checkpointer.shutdown(wait=False)
        manager.writer.shutdown(wait=False)
