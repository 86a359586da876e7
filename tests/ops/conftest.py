"""Helpers for the operations tests: a database filled the way a real day fills it, and a table-by-table
picture of a database to compare two of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.exams.conftest import exam_body, right_answer, seed_bank  # noqa: F401  (shared with the exam tests)


def fill(app: Any, client: Any) -> dict[str, Any]:
    """Users, a bank, a test with one candidate's saved answers, and a live game with its command log."""
    from live.store import LiveCommand, LiveGame, LivePlayer
    from quiz.accounts import issue_token, upsert_user

    now = app.state.clock.now_ms()
    tokens = {}
    with app.state.db.write() as session:
        for name, role in (("org", "organizer"), ("alice", "member"), ("管理员", "admin")):
            user, _ = upsert_user(session, username=name, password="secret123", name=name, role=role,
                                  unit="市财政局", now_ms=now, overwrite=True)
            tokens[name] = issue_token(session, user, now, 30)
    bank_id = seed_bank(app)
    org = {"Authorization": f"Bearer {tokens['org']}"}
    alice = {"Authorization": f"Bearer {tokens['alice']}"}
    exam = client.post("/api/exams", headers=org, json=exam_body(bank_id, now))
    assert exam.status_code == 201, exam.text
    attempt = client.post(f"/api/exams/{exam.json()['id']}/attempts", headers=alice)
    assert attempt.status_code == 201, attempt.text
    saved = 0
    for question in attempt.json()["questions"]:
        answer = ["A"] if question["type"] in ("single", "multiple") else [True] if question["type"] == "judge" \
            else ["南湖", "x"] if question["type"] == "fill" else "坚持真理"
        r = client.put(f"/api/attempts/{attempt.json()['id']}/answers/{question['id']}", headers=alice,
                       json={"answer": answer})
        assert r.status_code == 200, r.text
        saved += 1
    with app.state.db.write() as session:
        game = LiveGame(pin="123456", title="知识竞赛决赛", host_token_hash="h" * 64, config={"segments": []},
                        created_ms=now, seq=3)
        session.add(game)
        session.flush()
        session.add(LivePlayer(game_id=game.id or 0, player_id=1, name="张三", resume_hash="r" * 64, joined_ms=now))
        for seq, command in enumerate(({"type": "start"}, {"type": "answer", "player": 1, "answer": ["A"]},
                                       {"type": "adjust", "team_id": 1, "delta": 5, "reason": "补分"}), start=1):
            session.add(LiveCommand(game_id=game.id or 0, seq=seq, now_ms=now + seq, command=command))
    return {"answers": saved, "tokens": tokens}


def snapshot(db: Any, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, so that two databases can be compared for equality."""
    picture: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for name in sorted(inspect(db.engine).get_table_names()):
            if name in skip:
                continue
            quoted = db.engine.dialect.identifier_preparer.quote(name)
            rows = conn.execute(text(f"SELECT * FROM {quoted}")).fetchall()
            picture[name] = sorted((tuple(row) for row in rows), key=repr)
    return picture


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """An app on a SQLite file of its own, whatever database the suite runs on (the SQLite backup path)."""
    from starlette.testclient import TestClient

    from quiz.app import create_app
    from quiz.settings import Settings
    from quiz.timeutil import FakeClock

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'sqlite-app.db'}", secret_key="t", gc_freeze_s=0),
                     clock=FakeClock())
    with TestClient(app) as client:
        yield app, client
