"""Helpers for live-game tests over HTTP and WebSockets: a bank whose answers and explanations carry
markers (so a leak is easy to see), games created through the API, and socket helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from question_bank.models import Bank, Question

# Markers that appear only in answers and explanations: no frame before `reveal` may contain them.
SECRET_EXPLANATION = "解析标记XJ"
SECRET_FILL = "填空答案标记QZ"
OPTIONS = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]


def seed_live_bank(app: Any) -> tuple[int, list[int]]:
    """A bank of 6 single-choice questions (answer C) and 2 fill questions; returns (bank id, question ids)."""
    ids = []
    with app.state.db.write() as session:
        bank = Bank(name="竞赛题库", created_ms=0)
        session.add(bank)
        session.flush()
        for i in range(6):
            q = Question(bank_id=bank.id or 0, type="single", stem=f"第{i + 1}题：哪一项正确？", options=OPTIONS,
                         answer=["C"], explanation=f"{SECRET_EXPLANATION}{i}", tags=["党史"], difficulty=2)
            session.add(q)
            session.flush()
            ids.append(q.id or 0)
        for i in range(2):
            q = Question(bank_id=bank.id or 0, type="fill", stem=f"填空{i + 1}：____", options=[],
                         answer=[[f"{SECRET_FILL}{i}"]], explanation=f"{SECRET_EXPLANATION}F{i}", tags=["党史"])
            session.add(q)
            session.flush()
            ids.append(q.id or 0)
        return bank.id or 0, ids


@pytest.fixture
def live_bank(app: Any, client: Any) -> tuple[int, list[int]]:
    return seed_live_bank(app)


@pytest.fixture
def make_game(api: Callable[..., Any], live_bank: tuple[int, list[int]]) -> Callable[..., dict[str, Any]]:
    """``make_game(segments=[...], round_id=None)`` → the 201 body of ``POST /api/live``."""
    bank_id, ids = live_bank

    def make(segments: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"title": "党史知识竞赛", "bank_id": bank_id,
                "segments": segments or [{"kind": "all", "title": "全员答题", "question_ids": ids[:3],
                                          "time_limit_s": 20, "points": 10}], **extra}
        response = api("POST", "/api/live", as_="host", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


class Frames:
    """Every frame a test socket received, decoded, in order."""

    def __init__(self, ws: Any, name: str) -> None:
        self.ws, self.name = ws, name
        self.raw: list[str] = []

    def next(self) -> dict[str, Any]:
        text = self.ws.receive_text()
        self.raw.append(text)
        return dict(json.loads(text))

    def until(self, kind: str) -> list[dict[str, Any]]:
        """Frames up to and including the first of ``kind``."""
        got = []
        while True:
            message = self.next()
            got.append(message)
            if message["type"] == kind:
                return got

    def sync(self) -> list[dict[str, Any]]:
        """A barrier: everything sent to this socket before a pong (pings go through the game's writer)."""
        self.send({"type": "ping"})
        return self.until("pong")[:-1]

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(json.dumps(message, ensure_ascii=False))
