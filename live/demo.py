"""``quiz demo``: an open live game from the demo bank, ready for a host, a big screen and phones."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import select

from live import store
from live.engine import GameConfig, QuestionSnapshot, SegmentConfig
from question_bank.models import Question

TITLE = "党史知识 · 现场竞答（演示）"


def _pick(questions: list[Question], kind: str, count: int, rng: random.Random) -> list[QuestionSnapshot]:
    pool = [q for q in questions if q.type == kind]
    return [QuestionSnapshot.from_dict(q.snapshot()) for q in rng.sample(pool, min(count, len(pool)))]


def seed_demo(db: Any, context: dict[str, Any]) -> None:
    """Add an open game (全员答题 with speed bonus, 判断题, 多选题) and print its PIN and console URL."""
    bank = context.get("bank")
    if bank is None or bank.id is None:
        return
    rng = random.Random(2021)
    with db.write() as session:
        existing = session.exec(select(store.LiveGame).where(store.LiveGame.title == TITLE)).first()
        if existing is not None:
            return
        questions = list(session.exec(select(Question).where(Question.bank_id == bank.id,
                                                             Question.deleted == False)).all())  # noqa: E712
        segments = [
            SegmentConfig("all", "全员答题（抢速度）", _pick(questions, "single", 4, rng), time_limit_s=20, points=10,
                          speed_bonus=True),
            SegmentConfig("all", "判断题", _pick(questions, "judge", 3, rng), time_limit_s=10, points=5),
            SegmentConfig("all", "多选题", _pick(questions, "multiple", 2, rng), time_limit_s=30, points=20),
        ]
        config = GameConfig(title=TITLE, base_score=0, open=True, segments=[s for s in segments if s.questions])
        config.validate()
        host = context.get("users", {}).get("host")
        row, host_token = store.create_game(session, config, created_by=getattr(host, "id", None), round_id=None,
                                            bank_id=bank.id, now_ms=int(context.get("now_ms") or 0))
    base = context.get("base_url", "")
    context["live_game"] = {"id": row.id, "pin": row.pin, "host_token": host_token}
    context.setdefault("lines", []).extend([
        f"  现场竞答演示：比赛码 {row.pin}",
        f"    主持台：{base}/host/{row.id}（以 host / demo123 登录）",
        f"    大屏：  {base}/screen/{row.pin}",
        f"    手机答题：{base}/play/{row.pin}",
    ])
