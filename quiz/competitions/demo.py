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


# The prelim's results (entered scores) by team, in the order the teams are made: the first four teams
# (m11 … m43) do well enough to reach the semifinal, so the demo's live final (theirs) follows on.
PRELIM_SCORES = [286, 279, 271, 266, 262, 255, 249, 244, 238, 230, 221, 213]
PRELIM_TIME_MS = 1_200_000


def seed_demo(db: Any, context: dict[str, Any]) -> None:
    """Add the demo competition, walked through end to end: a finished prelim (12 teams, the top 8 advance),
    a semifinal drawn snake into two groups of 4 with each group's live game ready to host (the first 2 of
    each group go on), and the final with prizes. Teams are ``context["team_members"]`` by unit, 3 a team."""
    from quiz.competitions.service import advance_round, draw_groups, set_scores

    now = int(context.get("now_ms") or 0)
    members = list(context.get("team_members") or [])
    by_unit: dict[str, list[Any]] = {}
    for user in members:
        by_unit.setdefault(user.unit or "未分配单位", []).append(user)
    with db.write() as session:
        if session.exec(select(Competition).where(Competition.title == TITLE)).first():
            return
        competition = Competition(title=TITLE, description="初赛为线上测试，复赛分两组现场比赛（每组前 2 名晋级），"
                                  "决赛为现场竞赛（必答、抢答、风险题）。", created_ms=now)
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
        tournament = len(teams) >= 8
        prelim = Round(competition_id=cid, name="初赛", stage="prelim", format="exam", exam_id=exam_id,
                       team_score="sum", advance={"top": 8 if tournament else len(teams)}, created_ms=now)
        semifinal = Round(competition_id=cid, name="复赛", stage="semifinal", format="live", team_score="sum",
                          advance={"top_per_group": 2}, created_ms=now) if tournament else None
        final = Round(competition_id=cid, name="决赛", stage="final", format="live", team_score="sum",
                      prizes=DEMO_PRIZES, created_ms=now)
        for rnd in (prelim, semifinal, final):
            if rnd is not None:
                session.add(rnd)
        session.flush()
        games: list[dict[str, Any]] = []
        if semifinal is not None:
            # The prelim is over: its results entered, the top 8 sent on, the semifinal's groups drawn.
            set_scores(session, prelim.id or 0, [(t.id or 0, float(PRELIM_SCORES[i % len(PRELIM_SCORES)]),
                                                  PRELIM_TIME_MS) for i, t in enumerate(teams)], None, now)
            advance_round(session, prelim.id or 0, now)
            groups = draw_groups(session, semifinal.id or 0, 2, "snake", now)
            games = _group_games(session, semifinal.id or 0, groups, context, now)
    context["competition"] = competition
    context["competition_teams"] = teams[:4]  # the live demo's final game: the first four teams
    context["prelim_round"] = prelim
    context["semifinal_round"] = semifinal
    context["final_round"] = final
    base = context.get("base_url", "")
    exam_text = f"初赛用测试 #{exam_id}" if exam_id else "初赛成绩可手动录入"
    context["lines"].append(f"  竞赛：{TITLE}（{len(teams)} 支队伍，{exam_text}；决赛为现场竞赛，轮次 #{final.id}）")
    context["lines"].append(f"        {base}/admin/competitions/{cid}")
    for game in games:
        context["lines"].append(f"  复赛{game['group']}：比赛码 {game['pin']}，主持台 {base}/host/{game['id']}，"
                                f"大屏 {base}/screen/{game['pin']}")


def _group_games(session: Any, round_id: int, groups: list[dict[str, Any]], context: dict[str, Any], now: int
                 ) -> list[dict[str, Any]]:
    """Each semifinal group's live game, its teams only (必答 then 抢答), bound to the group."""
    import random

    from live import store
    from live.api import round_team_configs
    from live.engine import GameConfig, QuestionSnapshot, SegmentConfig
    from question_bank.models import Question
    from quiz.competitions.service import bind_live_game

    bank = context.get("bank")
    if bank is None or bank.id is None:
        return []
    singles = [q for q in session.exec(select(Question).where(Question.bank_id == bank.id,
                                                              Question.deleted == False)).all()  # noqa: E712
               if q.type == "single"]
    rng = random.Random(2021)
    host = context.get("users", {}).get("host")
    made = []
    for group in groups:
        picked = [QuestionSnapshot.from_dict(q.snapshot()) for q in rng.sample(singles, min(7, len(singles)))]
        if len(picked) < 2:
            return made
        segments = [SegmentConfig("required", "必答题", picked[:4], time_limit_s=30, points=10, answerer="team"),
                    SegmentConfig("buzzer", "抢答题", picked[4:], time_limit_s=20, points=10, buzz_window_s=10,
                                  foul_points=-10)]
        config = GameConfig(title=f"复赛 · {group['name']}（演示）", base_score=0, open=False,
                            teams=round_team_configs(session, round_id, group["name"]),
                            segments=[s for s in segments if s.questions])
        config.validate()
        row, _ = store.create_game(session, config, created_by=getattr(host, "id", None), round_id=round_id,
                                   bank_id=bank.id, now_ms=now)
        bind_live_game(session, round_id, row.id or 0, group["name"])
        made.append({"group": group["name"], "id": row.id, "pin": row.pin})
    return made
