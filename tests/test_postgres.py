"""The PostgreSQL path, proven even when the main suite runs on SQLite: migrations on a private
database, a bulk import, and practice answers arriving at the same moment from many threads."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, inspect
from sqlalchemy.engine import make_url
from sqlmodel import select
from starlette.testclient import TestClient

from question_bank.models import Question, QuestionTag
from quiz.app import create_app
from quiz.db import Database, normalise_url
from quiz.models import PracticeRecord, PracticeSession, WrongBookEntry
from quiz.settings import Settings
from quiz.timeutil import FakeClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own on the server (created empty, dropped afterwards)."""
    import psycopg

    base = make_url(normalise_url(postgres_url))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"quiz_pg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_client(pg_database: str) -> Iterator[tuple[Any, TestClient]]:
    app = create_app(Settings(database_url=pg_database, secret_key="pg"), clock=FakeClock())
    with TestClient(app) as client:
        yield app, client


def make_user(app: Any, username: str, role: str) -> dict[str, str]:
    from quiz.accounts import issue_token, upsert_user

    with app.state.db.write() as session:
        user, _ = upsert_user(session, username=username, password="secret123", name=username, role=role,
                              unit="测试", now_ms=app.state.clock.now_ms(), overwrite=True)
        token = issue_token(session, user, app.state.clock.now_ms(), 30)
    return {"Authorization": f"Bearer {token}"}


def questions(n: int) -> list[dict[str, Any]]:
    items = []
    for i in range(n):
        if i % 3 == 0:
            items.append({"type": "judge", "stem": f"第 {i} 题是对的。", "answer": [True], "tags": [f"t{i % 7}"]})
        else:
            items.append({"type": "single", "stem": f"第 {i} 题选什么？", "tags": [f"t{i % 7}", "共同"],
                          "options": [{"key": "A", "text": f"对 {i}"}, {"key": "B", "text": f"错 {i}"}],
                          "answer": ["A"], "explanation": f"解析 {i}"})
    return items


def test_migrations_create_every_table(pg_database):
    db = Database(pg_database)
    try:
        assert db.engine.dialect.name == "postgresql"
        db.migrate()
        db._migrated = False
        db.migrate()  # idempotent
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "auth_token", "bank", "question", "question_tag", "practice_session", "practice_record",
                "wrong_book", "alembic_version"} <= tables
    finally:
        db.dispose()


def test_bulk_import_and_queries(pg_client):
    app, client = pg_client
    org = make_user(app, "org", "organizer")
    bank = client.post("/api/banks", json={"name": "PG 题库"}, headers=org).json()
    data = json.dumps(questions(3000), ensure_ascii=False).encode()
    response = client.post(f"/api/banks/{bank['id']}/import", files={"file": ("q.json", data)}, headers=org)
    assert response.status_code == 200, response.text
    assert (response.json()["imported"], response.json()["duplicates"]) == (3000, 0)
    again = client.post(f"/api/banks/{bank['id']}/import", files={"file": ("q.json", data)}, headers=org).json()
    assert (again["imported"], again["duplicates"]) == (0, 3000)
    with app.state.db.read() as session:
        assert session.exec(select(func.count()).select_from(Question)).one() == 3000
        assert session.exec(select(func.count()).select_from(QuestionTag)).one() == 3000 + 2000
    summary = client.get(f"/api/banks/{bank['id']}", headers=org).json()
    assert summary["counts_by_type"]["judge"] == 1000 and summary["counts_by_tag"]["共同"] == 2000
    found = client.get(f"/api/banks/{bank['id']}/questions?q=第 2999 题&tag=共同&type=single", headers=org).json()
    assert found["total"] == 1
    # JSON columns come back as they went in
    exported = client.get(f"/api/banks/{bank['id']}/export?format=json", headers=org)
    assert json.loads(exported.content)["questions"][1]["options"][0] == {"key": "A", "text": "对 1"}


def test_concurrent_practice_answers_from_threads(pg_client):
    app, client = pg_client
    org = make_user(app, "org", "organizer")
    bank = client.post("/api/banks", json={"name": "并发"}, headers=org).json()
    data = json.dumps(questions(30), ensure_ascii=False).encode()
    assert client.post(f"/api/banks/{bank['id']}/import", files={"file": ("q.json", data)},
                       headers=org).status_code == 200
    members = {f"m{i}": make_user(app, f"m{i}", "member") for i in range(12)}

    def play(name: str) -> Counter[int]:
        """A member answers a random session of 10, alternately right and wrong, each answer sent twice at once."""
        headers = members[name]
        statuses: Counter[int] = Counter()
        practice = client.post("/api/practice", json={"bank_id": bank["id"], "mode": "random", "count": 10},
                               headers=headers).json()
        question, turn = practice["question"], 0
        while question is not None:
            value = (["A"] if question["type"] == "single" else [True]) if turn % 2 == 0 else (
                ["B"] if question["type"] == "single" else [False])
            barrier = threading.Barrier(2)

            def send(value: Any = value, qid: int = question["id"], barrier: threading.Barrier = barrier) -> Any:
                barrier.wait()
                return client.post(f"/api/practice/{practice['id']}/answers", json={"question_id": qid, "answer": value},
                                   headers=headers)

            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda _: send(), range(2)))
            for r in results:
                statuses[r.status_code] += 1
                if r.status_code == 409:  # refused by the session lock with its own reason, not a lost race
                    assert r.json()["error"]["code"] == "practice_already_answered", r.text
            ok = [r for r in results if r.status_code == 200]
            assert len(ok) == 1, [(r.status_code, r.text) for r in results]
            question, turn = ok[0].json()["next"], turn + 1
        return statuses

    with ThreadPoolExecutor(6) as pool:
        totals = sum(pool.map(play, list(members)), Counter())
    assert totals == Counter({200: 120, 409: 120}), totals

    with app.state.db.read() as session:
        assert session.exec(select(func.count()).select_from(PracticeRecord)).one() == 120
        sessions = session.exec(select(PracticeSession)).all()
        assert len(sessions) == 12 and all(s.done == 10 and s.correct == 5 for s in sessions)
        assert session.exec(select(func.count()).select_from(WrongBookEntry)).one() == 60
    stats = client.get("/api/me/stats", headers=members["m0"]).json()
    assert (stats["answered"], stats["correct"], stats["wrong_book"]) == (10, 5, 5)


def test_concurrent_wrong_answers_to_one_question_in_two_sessions(pg_client):
    """Two sessions of one member, the same question answered wrong in both at the same moment:
    one wrong-book entry counting both, never a 500."""
    app, client = pg_client
    org = make_user(app, "org", "organizer")
    bank = client.post("/api/banks", json={"name": "错题本并发"}, headers=org).json()
    data = json.dumps(questions(3), ensure_ascii=False).encode()
    client.post(f"/api/banks/{bank['id']}/import", files={"file": ("q.json", data)}, headers=org)
    member = make_user(app, "m", "member")
    for _ in range(10):
        sessions = [client.post("/api/practice", json={"bank_id": bank["id"], "mode": "sequential", "count": 1},
                                headers=member).json() for _ in range(2)]
        assert sessions[0]["question"]["id"] == sessions[1]["question"]["id"]
        qid = sessions[0]["question"]["id"]
        wrong = ["B"] if sessions[0]["question"]["type"] == "single" else [False]
        barrier = threading.Barrier(2)

        def send(practice: dict[str, Any], qid: int = qid, wrong: Any = wrong,
                 barrier: threading.Barrier = barrier) -> Any:
            barrier.wait()
            return client.post(f"/api/practice/{practice['id']}/answers", json={"question_id": qid, "answer": wrong},
                               headers=member)

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(send, sessions))
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    with app.state.db.read() as session:
        entries = session.exec(select(WrongBookEntry)).all()
    assert sum(e.wrong_count for e in entries) == 20
    assert len(entries) == len({e.question_id for e in entries})
