"""``quiz demo``: the canonical competition in small — 4 teams of 3, a prelim test and a live final."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from quiz.competitions.models import Competition, Round, Team, TeamMember
from quiz.competitions.service import exam_exists

TITLE = "学党史、知党情、跟党走 知识竞赛"
DEMO_PRIZES = [{"name": "一等奖", "count": 1}, {"name": "二等奖", "count": 1}, {"name": "三等奖", "count": 2}]


def _demo_exam_id(session: Any, context: dict[str, Any]) -> int | None:
    """The demo test made by the exams area, if any: from the context, else found by its title."""
    given = context.get("exam")
    given_id = getattr(given, "id", None) if given is not None else None
    if isinstance(given, dict):
        given_id = given.get("id")
    if given_id is not None and exam_exists(session, int(given_id)):
        return int(given_id)
    try:
        from quiz.exams.models import Exam
    except ModuleNotFoundError:
        return None
    exams = session.exec(select(Exam).where(Exam.deleted == False).order_by(col(Exam.id))).all()  # noqa: E712
    for words in (("竞赛", "初赛"), ("党史",), ()):
        for exam in exams:
            if not words or any(w in exam.title for w in words):
                return exam.id
    return None


def seed_demo(db: Any, context: dict[str, Any]) -> None:
    """Add the demo competition; its teams are ``context["team_members"]`` grouped by unit, 3 a team."""
    now = int(context.get("now_ms") or 0)
    members = list(context.get("team_members") or [])
    by_unit: dict[str, list[Any]] = {}
    for user in members:
        by_unit.setdefault(user.unit or "未分配单位", []).append(user)
    with db.write() as session:
        if session.exec(select(Competition).where(Competition.title == TITLE)).first():
            return
        competition = Competition(title=TITLE, description="初赛为线上测试，决赛为现场竞赛（必答、抢答、风险题）。",
                                  created_ms=now)
        session.add(competition)
        session.flush()
        cid = competition.id or 0
        teams = []
        for unit, users in by_unit.items():
            team = Team(competition_id=cid, name=f"{unit.removeprefix('市')}代表队", unit=unit, created_ms=now)
            session.add(team)
            session.flush()
            for seat, user in enumerate(users[:3], start=1):
                session.add(TeamMember(competition_id=cid, team_id=team.id or 0, user_id=user.id or 0, seat=seat))
            teams.append(team)
        exam_id = _demo_exam_id(session, context)
        prelim = Round(competition_id=cid, name="初赛", stage="prelim", format="exam", exam_id=exam_id,
                       team_score="sum", advance={"top": len(teams)}, created_ms=now)
        final = Round(competition_id=cid, name="决赛", stage="final", format="live", team_score="sum",
                      prizes=DEMO_PRIZES, created_ms=now)
        session.add(prelim)
        session.add(final)
        session.flush()
    context["competition"] = competition
    context["competition_teams"] = teams
    context["prelim_round"] = prelim
    context["final_round"] = final
    base = context.get("base_url", "")
    exam_text = f"初赛用测试 #{exam_id}" if exam_id else "初赛成绩可手动录入"
    context["lines"].append(f"  竞赛：{TITLE}（{len(teams)} 支队伍，{exam_text}；决赛为现场竞赛，轮次 #{final.id}）")
    context["lines"].append(f"        {base}/admin/competitions/{cid}")
