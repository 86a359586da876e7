"""``quiz demo``: an open live game from the demo bank, ready for a host, a big screen and phones; and,
when the competitions demo made its live final round, a team game for that round (必答, 抢答, 风险)."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import select

from live import store
from live.engine import GameConfig, QuestionSnapshot, SegmentConfig
from question_bank.models import Question

TITLE = "党史知识 · 现场竞答（演示）"
TEAM_TITLE = "党史知识竞赛 · 决赛（演示）"


def _pick(questions: list[Question], kind: str, count: int, rng: random.Random) -> list[QuestionSnapshot]:
    pool = [q for q in questions if q.type == kind]
    return [QuestionSnapshot.from_dict(q.snapshot()) for q in rng.sample(pool, min(count, len(pool)))]


def seed_demo(db: Any, context: dict[str, Any]) -> None:
    """Add an open game (全员答题 with speed bonus, 判断题, 多选题) and print its PIN and console URL;
    then the final round's team game (`seed_team_game`)."""
    bank = context.get("bank")
    if bank is None or bank.id is None:
        return
    seed_open_game(db, context, bank)
    seed_team_game(db, context, bank)


def seed_open_game(db: Any, context: dict[str, Any], bank: Any) -> None:
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


def seed_team_game(db: Any, context: dict[str, Any], bank: Any) -> None:
    """The competition demo's live final as a team game: its 4 teams entered in the final round (through the
    competitions service, so ``POST /api/live`` with that ``round_id`` works too), the game bound to it."""
    from live.api import round_prizes, round_team_configs
    from quiz.competitions.service import bind_live_game, enter_teams

    final, teams = context.get("final_round"), context.get("competition_teams") or []
    if final is None or final.id is None or not teams:
        return
    rng = random.Random(1921)
    now = int(context.get("now_ms") or 0)
    with db.write() as session:
        if session.exec(select(store.LiveGame).where(store.LiveGame.title == TEAM_TITLE)).first() is not None:
            return
        enter_teams(session, final.id, [t.id for t in teams if t.id is not None], now)
        questions = list(session.exec(select(Question).where(Question.bank_id == bank.id,
                                                             Question.deleted == False)).all())  # noqa: E712
        singles = _pick(questions, "single", 4 + 3 + len(teams), rng)
        segments = [
            SegmentConfig("required", "必答题", singles[:4], time_limit_s=30, points=10, answerer="team"),
            SegmentConfig("buzzer", "抢答题", singles[4:7], time_limit_s=20, points=10, buzz_window_s=10,
                          foul_points=-10),
            SegmentConfig("risk", "风险题", singles[7:], time_limit_s=30, risk_values=[10, 20, 30],
                          pick_order="score_asc"),
        ]
        config = GameConfig(title=TEAM_TITLE, base_score=0, open=False, teams=round_team_configs(session, final.id),
                            segments=[s for s in segments if s.questions], prizes=round_prizes(session, final.id))
        config.validate()
        host = context.get("users", {}).get("host")
        row, host_token = store.create_game(session, config, created_by=getattr(host, "id", None),
                                            round_id=final.id, bank_id=bank.id, now_ms=now)
        bind_live_game(session, final.id, row.id or 0)
    base = context.get("base_url", "")
    context["team_game"] = {"id": row.id, "pin": row.pin, "host_token": host_token, "round_id": final.id}
    context.setdefault("lines", []).extend([
        f"  决赛现场赛（{len(teams)} 支队伍：必答、抢答、风险题）：比赛码 {row.pin}",
        f"    主持台：{base}/host/{row.id}（以 host / demo123 登录）",
        f"    大屏：  {base}/screen/{row.pin}",
        f"    队员手机：{base}/play/{row.pin}（m11 … m43 / demo123 登录后输入比赛码加入）",
    ])
