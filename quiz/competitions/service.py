"""Competitions in the database: teams, rounds, scores, rankings, advancement, tie-breaks, prizes.

Every function takes an open SQLModel session; the caller owns the transaction. The live layer
calls ``record_tiebreak``, ``bind_live_game``, ``round_teams`` and ``round_ranking`` from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from live import store as live_store
from quiz.competitions.models import (
    STAGE_NAMES,
    STAGES,
    Competition,
    Round,
    RoundGroup,
    RoundScore,
    RoundTeam,
    RoundTiebreak,
    Team,
    TeamMember,
    TeamMemberPast,
    stage_index,
)
from quiz.competitions.ranking import (
    ADVANCE,
    PRIZE,
    Entry,
    number,
    rank_grouped,
    rank_players,
    raw_tie_groups,
    team_score,
)
from quiz.errors import Conflict, Invalid, NotFound
from quiz.i18n import t
from quiz.models import User
from quiz.timeutil import to_iso


def _exam_models() -> Any:
    """``quiz.exams.models`` when the exams area is installed, else None."""
    try:
        return importlib.import_module("quiz.exams.models")
    except ModuleNotFoundError as exc:
        if exc.name and "quiz.exams.models".startswith(exc.name):
            return None
        raise


# --- lookups -----------------------------------------------------------------------------------

def get_competition(session: Session, competition_id: int, *, lock: bool = False) -> Competition:
    """The competition or 404; ``lock`` (PostgreSQL) queues writers of its teams and rounds one at a time."""
    query = select(Competition).where(Competition.id == competition_id)
    competition = session.exec(query.with_for_update() if lock else query).first()
    if competition is None:
        raise NotFound(t("competition_not_found"), code="competition_not_found")
    return competition


def get_round(session: Session, round_id: int, *, lock: bool = False) -> Round:
    query = select(Round).where(Round.id == round_id)
    if lock:  # PostgreSQL: two "advance" calls at once must not both create the next round
        query = query.with_for_update()
    rnd = session.exec(query).first()
    if rnd is None:
        raise NotFound(t("round_not_found"), code="round_not_found")
    return rnd


def rounds_of(session: Session, competition_id: int) -> list[Round]:
    rows = session.exec(select(Round).where(Round.competition_id == competition_id)).all()
    return sorted(rows, key=lambda r: (stage_index(r.stage), r.id or 0))


def is_first_round(session: Session, rnd: Round) -> bool:
    return all(stage_index(r.stage) >= stage_index(rnd.stage) for r in rounds_of(session, rnd.competition_id))


def entered_team_ids(session: Session, rnd: Round) -> list[int]:
    """Teams ranked in a round: those entered in it; the first round by stage takes every team."""
    ids = list(session.exec(select(RoundTeam.team_id).where(RoundTeam.round_id == rnd.id)).all())
    if not ids and is_first_round(session, rnd):
        ids = [i for i in session.exec(select(Team.id).where(Team.competition_id == rnd.competition_id)).all()
               if i is not None]
    return sorted(int(i) for i in ids if i is not None)


def members_by_team(session: Session, team_ids: Sequence[int]) -> dict[int, list[tuple[TeamMember, User]]]:
    result: dict[int, list[tuple[TeamMember, User]]] = {tid: [] for tid in team_ids}
    if not team_ids:
        return result
    rows = session.exec(select(TeamMember, User).join(User, col(User.id) == col(TeamMember.user_id))
                        .where(TeamMember.team_id.in_(list(team_ids)))  # type: ignore[attr-defined]
                        .order_by(col(TeamMember.team_id), col(TeamMember.seat))).all()
    for member, user in rows:
        result.setdefault(member.team_id, []).append((member, user))
    return result


# --- public forms ------------------------------------------------------------------------------

def team_public(team: Team, members: list[tuple[TeamMember, User]]) -> dict[str, Any]:
    return {"id": team.id, "competition_id": team.competition_id, "name": team.name, "unit": team.unit,
            "members": [{"user_id": u.id, "name": u.name, "username": u.username, "unit": u.unit, "seat": m.seat}
                        for m, u in members]}


def round_public(session: Session, rnd: Round, tz: str) -> dict[str, Any]:
    return {
        "id": rnd.id, "competition_id": rnd.competition_id, "name": rnd.name, "stage": rnd.stage,
        "stage_name": STAGE_NAMES.get(rnd.stage, rnd.stage), "format": rnd.format, "exam_id": rnd.exam_id,
        "live_id": rnd.live_id, "team_score": rnd.team_score, "advance": rnd.advance, "prizes": rnd.prizes,
        "created_at": to_iso(rnd.created_ms, tz), "team_count": len(entered_team_ids(session, rnd)),
        "advanced": rnd.advanced_ms is not None, "advanced_at": to_iso(rnd.advanced_ms, tz),
        "advanced_team_ids": rnd.advanced_team_ids, "next_round_id": rnd.next_round_id,
        "awarded": rnd.awarded_ms is not None, "awarded_at": to_iso(rnd.awarded_ms, tz), "awards": rnd.awards,
        "groups": groups_public(session, rnd),
    }


def competition_public(session: Session, competition: Competition, tz: str, *, detail: bool = False
                       ) -> dict[str, Any]:
    rounds = rounds_of(session, competition.id or 0)
    team_count = session.exec(select(func.count()).select_from(Team).where(Team.competition_id == competition.id)).one()
    data: dict[str, Any] = {"id": competition.id, "title": competition.title, "description": competition.description,
                            "created_at": to_iso(competition.created_ms, tz), "team_count": team_count,
                            "round_count": len(rounds)}
    if detail:
        teams = session.exec(select(Team).where(Team.competition_id == competition.id).order_by(col(Team.id))).all()
        members = members_by_team(session, [t.id or 0 for t in teams])
        data["teams"] = [team_public(team, members.get(team.id or 0, [])) for team in teams]
        data["rounds"] = [round_public(session, r, tz) for r in rounds]
    return data


# --- scores ------------------------------------------------------------------------------------

def exam_player_scores(session: Session, exam_id: int | None, user_ids: Sequence[int],
                       until: dict[int, int] | None = None) -> dict[int, tuple[float, int]]:
    """Each user's best submitted attempt at a test: ``{user_id: (score, used_ms)}``.

    Best = highest score, then least time. Used time runs from the start to the submission,
    and never past the attempt's deadline (a late automatic submission does not add time).
    ``until`` ({user_id: ms}) keeps only attempts submitted before a player left the team.
    """
    models = _exam_models()
    if models is None or exam_id is None or not user_ids:
        return {}
    attempt = models.ExamAttempt
    rows = session.exec(select(attempt).where(attempt.exam_id == exam_id, attempt.status == "submitted",
                                              attempt.user_id.in_(list(user_ids)))).all()
    best: dict[int, tuple[float, int]] = {}
    for row in rows:
        end = row.submitted_ms if row.submitted_ms is not None else row.deadline_ms
        if row.deadline_ms:
            end = min(end, row.deadline_ms)
        if until and row.user_id in until and end > until[row.user_id]:
            continue
        result = (row.score_cents / 100, max(0, end - row.started_ms))
        current = best.get(row.user_id)
        if current is None or (-result[0], result[1]) < (-current[0], current[1]):
            best[row.user_id] = result
    return best


def past_members(session: Session, team_ids: Sequence[int]) -> dict[int, list[TeamMemberPast]]:
    """Players who left each team (substituted), oldest first."""
    result: dict[int, list[TeamMemberPast]] = {tid: [] for tid in team_ids}
    if team_ids:
        for row in session.exec(select(TeamMemberPast).where(col(TeamMemberPast.team_id).in_(list(team_ids)))
                                .order_by(col(TeamMemberPast.id))).all():
            result.setdefault(row.team_id, []).append(row)
    return result


def exam_exists(session: Session, exam_id: int) -> bool | None:
    """True/False when the exams area is installed, None when it is not (nothing to check against)."""
    models = _exam_models()
    if models is None:
        return None
    exam = session.get(models.Exam, exam_id)
    return exam is not None and not getattr(exam, "deleted", False)


def round_scores(session: Session, rnd: Round, team_ids: Sequence[int],
                 members: dict[int, list[tuple[TeamMember, User]]]
                 ) -> tuple[dict[int, tuple[float, int, str]], dict[int, tuple[int, float, int]]]:
    """``({team_id: (score, time_ms, source)}, {user_id: (team_id, score, time_ms)})`` for a round.

    An organiser's entry (``RoundScore``) wins; otherwise an exam round sums (or averages) the
    best attempts of the team's players (those who left the team count for the attempts made
    before), and a live round takes each team's result from its (group's) game; a team without
    any result has 0. The players are the ones who played the round, each for the team they played for.
    """
    players: dict[int, tuple[int, float, int]] = {}
    computed: dict[int, tuple[float, int]] = {}
    source = "none"
    if rnd.format == "exam":
        past = past_members(session, team_ids)
        played_for = {u.id or 0: tid for tid in team_ids for _, u in members.get(tid, [])}
        until: dict[int, int] = {}
        for tid, rows in past.items():
            for row in rows:
                if row.user_id not in played_for:
                    played_for[row.user_id], until[row.user_id] = tid, row.removed_ms
        best = exam_player_scores(session, rnd.exam_id, list(played_for), until)
        players = {uid: (played_for[uid], s, ms) for uid, (s, ms) in best.items()}
        if rnd.exam_id is not None and _exam_models() is not None:
            source = "exam"
            for tid in team_ids:
                results = [(s, ms) for t_id, s, ms in players.values() if t_id == tid]
                if not results:
                    continue  # nobody of this team took the test: "none", ranked after those who did
                computed[tid] = (team_score([s for s, _ in results], len(members.get(tid, [])) or len(results),
                                            rnd.team_score), sum(ms for _, ms in results))
    else:
        bound = bound_game_ids(session, rnd)  # never silently the newest game created with the round's id
        computed = live_store.round_team_scores(session, rnd.id or 0, game_ids=bound)
        players = live_store.round_player_results(session, rnd.id or 0, game_ids=bound)
        source = "live" if computed else "none"
    manual = {s.team_id: s for s in session.exec(select(RoundScore).where(RoundScore.round_id == rnd.id)).all()}
    teams: dict[int, tuple[float, int, str]] = {}
    for tid in team_ids:
        if tid in manual:
            teams[tid] = (manual[tid].score, manual[tid].time_ms, "manual")
        elif tid in computed:
            teams[tid] = (computed[tid][0], computed[tid][1], source)
        else:
            teams[tid] = (0.0, 0, "none")
    return teams, players


def tiebreak_places(session: Session, round_id: int) -> list[list[list[int]]]:
    rows = session.exec(select(RoundTiebreak).where(RoundTiebreak.round_id == round_id)
                        .order_by(RoundTiebreak.id)).all()  # type: ignore[arg-type]
    return [row.places for row in rows]


# --- ranking -----------------------------------------------------------------------------------

def round_ranking(session: Session, round_id: int, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """The ranking of a round, as ``GET /api/rounds/{id}/ranking`` returns it (by group in a grouped round)."""
    rnd = get_round(session, round_id)
    team_ids = entered_team_ids(session, rnd)
    teams = {t.id: t for t in session.exec(select(Team).where(Team.id.in_(team_ids))).all()}  # type: ignore
    members = members_by_team(session, team_ids)
    scores, player_scores = round_scores(session, rnd, team_ids, members)
    tiebreaks = tiebreak_places(session, rnd.id or 0)
    groups = groups_of(session, rnd.id or 0)
    layout = [(g.name, g.team_ids) for g in groups] or [("", team_ids)]
    result = rank_grouped([Entry(tid, s, ms, src == "none") for tid, (s, ms, src) in scores.items()], layout,
                          advance=rnd.advance, prizes=rnd.prizes, tiebreaks=tiebreaks)
    advanced_ids = set(rnd.advanced_team_ids) if rnd.advanced_ms is not None else None
    awards = {a["team_id"]: a["prize"] for a in rnd.awards} if rnd.awarded_ms is not None else None
    overall = {p.team_id: p for p in result.overall.teams}
    played = _played_names(session, player_scores)
    order = result.order if groups else [p.team_id for p in result.overall.teams]
    order += [tid for tid in overall if tid not in set(order)]  # a team missing from every group: last
    rows = []
    for tid in order:
        p, team, place = overall[tid], teams[tid], result.places.get(tid)
        advanced = result.advanced.get(tid) if advanced_ids is None else tid in advanced_ids
        prize = p.prize if awards is None else awards.get(tid)
        in_group = bool(groups) and place is not None
        rows.append({"rank": p.rank, "position": p.position, "team_id": tid, "name": team.name,
                     "unit": team.unit, "score": number(p.score), "time_ms": p.time_ms, "advanced": advanced,
                     "prize": prize, "tied": place.tied if in_group and place else p.tied,
                     "tiebreak": (place.tiebreak if in_group and place else p.tiebreak),
                     "group": place.group if in_group and place else None,
                     "group_rank": place.group_rank if in_group and place else None,
                     "source": scores[tid][2], "members": [u.name for _, u in members.get(tid, [])],
                     "players": played.get(tid, [])})
    ties = []
    any_result = any(src != "none" for _, _, src in scores.values())
    for tie in result.ties if any_result else []:  # before anyone has a result, nothing is tied yet
        decides = [d for d in tie.decides if (d == ADVANCE and advanced_ids is None) or (
            d == PRIZE and awards is None)]
        if decides:
            data = tie.public()
            data["decides"] = decides
            data["names"] = [teams[tid].name for tid in tie.team_ids]
            data["group"] = result.groups_of.get(tie.team_ids[0]) if groups and len(
                {result.groups_of.get(t) for t in tie.team_ids}) == 1 and PRIZE not in decides else None
            ties.append(data)
    result = {"round": round_public(session, rnd, tz), "teams": rows,
              "players": _players(session, rnd, team_ids, teams, members, player_scores), "ties": ties,
              "tiebreaks": tiebreaks}
    result["next_step"] = next_step(result, is_first_round(session, rnd))
    return result


STAGE_SIZE = 8  # about 8 teams on a stage at a time: more than that plays a live round in groups


def next_step(ranking: dict[str, Any], first_round: bool) -> dict[str, Any]:
    """What the organiser does next with a round, for the competition page's one button:
    ``{"step", "message", "groups"?}`` with step one of enter_teams, draw_groups, create_games,
    play, settle_ties, advance, award, done."""
    rnd, teams = ranking["round"], ranking["teams"]
    groups = rnd.get("groups") or []
    if not teams:
        return {"step": "enter_teams", "message": "先导入参赛队伍" if first_round else "由上一轮晋级产生参赛队伍"}
    per_group = bool((rnd.get("advance") or {}).get("top_per_group"))
    scored = any(row["source"] != "none" for row in teams)
    if rnd["format"] == "live":
        if not groups and not scored and (per_group or len(teams) > STAGE_SIZE):
            count = max(2, -(-len(teams) // STAGE_SIZE))
            return {"step": "draw_groups", "count": count,
                    "message": f"{len(teams)} 支队伍分 {count} 组上台：按上一轮名次蛇形抽签分组"}
        missing = [g["name"] for g in groups if g["state"] == "none"]
        if missing or (not groups and not scored and rnd.get("live_id") is None):
            return {"step": "create_games", "groups": missing,
                    "message": "为每个小组创建现场比赛" if missing else "创建本轮的现场比赛"}
    if rnd["format"] == "live" and any(g["state"] != "finished" for g in groups):
        return {"step": "play", "message": "各小组比赛进行中：主持人在主持台开始并主持比赛"}
    if not scored:
        return {"step": "play", "message": "等待比赛成绩（测试提交或现场比赛），也可手动录入成绩"}
    if ranking["ties"]:
        return {"step": "settle_ties", "message": "有并列影响晋级或奖项：加赛后记录加赛结果"}
    if rnd.get("advance") and not rnd["advanced"] and rnd["stage"] != "final":
        return {"step": "advance", "message": "按排名把晋级队伍送入下一轮"}
    if rnd.get("prizes") and not rnd["awarded"]:
        return {"step": "award", "message": "按排名确定奖项"}
    return {"step": "done", "message": "本轮已完成：可打印成绩通报" + ("和获奖证书" if rnd.get("awards") else "")}


def _played_names(session: Session, results: dict[int, tuple[int, float, int]]) -> dict[int, list[str]]:
    """``{team_id: [names of the players who played]}``."""
    if not results:
        return {}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(list(results)))).all()}
    names: dict[int, list[str]] = {}
    for uid, (tid, _, _) in sorted(results.items()):
        if uid in users:
            names.setdefault(tid, []).append(users[uid].name)
    return names


def _players(session: Session, rnd: Round, team_ids: Sequence[int], teams: dict[Any, Team],
             members: dict[int, list[tuple[TeamMember, User]]], results: dict[int, tuple[int, float, int]]
             ) -> list[dict[str, Any]]:
    """The players who played the round, ranked; in an exam round, the teams' current members who
    did not take the test follow without a rank."""
    if not results and not (rnd.format == "exam" and rnd.exam_id is not None):
        return []
    seats = {u.id or 0: m.seat for tid in team_ids for m, u in members.get(tid, [])}
    listed = dict(results)
    if rnd.format == "exam":
        for tid in team_ids:
            for _, u in members.get(tid, []):
                listed.setdefault(u.id or 0, (tid, None, None))  # type: ignore[arg-type]
    listed = {uid: v for uid, v in listed.items() if v[0] in teams}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(list(listed) or [0]))).all()}
    ranks = {uid: (rank, tied) for uid, rank, tied in rank_players(
        (uid, s, ms) for uid, (_, s, ms) in results.items() if uid in listed)}
    ordered = sorted((uid for uid in listed if uid in users),
                     key=lambda uid: (ranks[uid][0] if uid in ranks else 10**9, uid))
    rows = []
    for uid in ordered:
        user, (tid, score, time_ms) = users[uid], listed[uid]
        rank, tied = ranks[uid] if uid in ranks else (None, False)
        rows.append({"rank": rank, "user_id": uid, "name": user.name, "username": user.username,
                     "unit": user.unit, "team_id": tid, "team_name": teams[tid].name, "seat": seats.get(uid),
                     "score": number(score) if score is not None else None,
                     "time_ms": time_ms if score is not None else None, "tied": tied})
    return rows


# --- advancement, tie-breaks, prizes ----------------------------------------------------------

def next_round(session: Session, rnd: Round, now_ms: int) -> tuple[Round, bool]:
    """The round after ``rnd`` by stage: the nearest later one that exists, or the next stage, created."""
    get_competition(session, rnd.competition_id, lock=True)  # one writer creates rounds at a time
    later = [r for r in rounds_of(session, rnd.competition_id) if stage_index(r.stage) > stage_index(rnd.stage)]
    if later:
        return later[0], False
    stage = STAGES[stage_index(rnd.stage) + 1]
    created = Round(competition_id=rnd.competition_id, name=STAGE_NAMES[stage], stage=stage, format="live",
                    team_score=rnd.team_score, created_ms=now_ms)
    session.add(created)
    session.flush()
    return created, True


def advance_round(session: Session, round_id: int, now_ms: int, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Enter the teams that advance in the next round (created if absent). Doing it again changes nothing."""
    rnd = get_round(session, round_id, lock=True)
    if rnd.advanced_ms is not None:
        return {"next_round_id": rnd.next_round_id, "team_ids": rnd.advanced_team_ids, "created": False}
    if not rnd.advance:
        raise Conflict(t("no_advance_rule"), code="no_advance_rule")
    if stage_index(rnd.stage) >= len(STAGES) - 1:
        raise Conflict(t("no_next_stage"), code="no_next_stage")
    ranking = round_ranking(session, round_id, tz)
    blocking = [tie for tie in ranking["ties"] if ADVANCE in tie["decides"]]
    if blocking:
        raise Conflict(t("tie_blocks_advance", message=blocking[0]["message"]), code="tie_blocks_advance",
                       details=blocking)
    team_ids = [row["team_id"] for row in ranking["teams"] if row["advanced"]]
    if not team_ids:
        raise Conflict(t("nobody_advances"), code="nobody_advances")
    target, created = next_round(session, rnd, now_ms)
    present = set(session.exec(select(RoundTeam.team_id).where(RoundTeam.round_id == target.id)).all())
    for team_id in team_ids:
        if team_id not in present:
            session.add(RoundTeam(round_id=target.id or 0, team_id=team_id, source="advance", entered_ms=now_ms))
    rnd.advanced_ms = now_ms
    rnd.advanced_team_ids = team_ids
    rnd.next_round_id = target.id
    session.add(rnd)
    session.flush()
    return {"next_round_id": target.id, "team_ids": team_ids, "created": created}


def _places(ordered_team_ids: Sequence[int | Sequence[int]]) -> list[list[int]]:
    places: list[list[int]] = []
    for item in ordered_team_ids:
        group = [int(x) for x in item] if isinstance(item, (list, tuple)) else [int(item)]  # type: ignore[arg-type]
        if group:
            places.append(group)
    return places


def record_tiebreak(session: Session, round_id: int, ordered_team_ids: Sequence[int | Sequence[int]], *,
                    source: str = "live", strict: bool = False, user_id: int | None = None,
                    now_ms: int = 0, note: str = "") -> RoundTiebreak:
    """Record the result of a tie-break played among tied teams of a round.

    ``ordered_team_ids``: best first; an item may itself be a list of team ids that still share
    a place (a sudden death that settled only the places that matter). The newest result
    covering every team of a tied group orders that group in the ranking. With ``strict``
    (the organisers' API) the teams must be exactly one group tied on score and time.
    Raises ``Invalid`` (422) for unknown, repeated or too few teams, ``Conflict`` (409) once the
    round has advanced or its prizes are awarded.
    """
    rnd = get_round(session, round_id, lock=True)
    places = _places(ordered_team_ids)
    flat = [tid for place in places for tid in place]
    entered = set(entered_team_ids(session, rnd))
    if len(flat) < 2 or len(set(flat)) != len(flat):
        raise Invalid(t("tiebreak_bad_teams"), code="tiebreak_bad_teams")
    unknown = [tid for tid in flat if tid not in entered]
    if unknown:
        raise Invalid(t("team_not_in_round", team_ids=", ".join(map(str, unknown))), code="team_not_in_round",
                      details=[{"team_id": tid} for tid in unknown])
    if rnd.advanced_ms is not None or rnd.awarded_ms is not None:
        raise Conflict(t("round_locked"), code="round_locked")
    if strict:
        members = members_by_team(session, sorted(entered))
        scores, _ = round_scores(session, rnd, sorted(entered), members)
        entries = {tid: Entry(tid, s, ms, src == "none") for tid, (s, ms, src) in scores.items()}
        # In a grouped round a tie is within one group (or among the runners-up that compete for
        # "best_of_rest" places across groups).
        pools = [[entries[tid] for tid in g.team_ids if tid in entries] for g in groups_of(session, round_id)]
        pools = pools + [list(entries.values())] if not pools or (rnd.advance or {}).get("best_of_rest") else pools
        if not any(set(tie) == set(flat) for pool in pools for tie in raw_tie_groups(pool)):
            raise Invalid(t("tiebreak_not_tied"), code="tiebreak_not_tied")
    row = RoundTiebreak(round_id=round_id, places=places, source=source, note=note[:200], created_by=user_id,
                        created_ms=now_ms)
    session.add(row)
    session.flush()
    return row


def award_prizes(session: Session, round_id: int, now_ms: int, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Fix the prizes of a round from its ranking (409 while a tie decides a prize). Idempotent."""
    rnd = get_round(session, round_id, lock=True)
    if rnd.awarded_ms is None:
        if not rnd.prizes:
            raise Conflict(t("no_prizes"), code="no_prizes")
        ranking = round_ranking(session, round_id, tz)
        blocking = [tie for tie in ranking["ties"] if PRIZE in tie["decides"]]
        if blocking:
            raise Conflict(t("tie_blocks_prize", message=blocking[0]["message"]), code="tie_blocks_prize",
                           details=blocking)
        rnd.awards = [{"team_id": row["team_id"], "prize": row["prize"]} for row in ranking["teams"] if row["prize"]]
        rnd.awarded_ms = now_ms
        session.add(rnd)
        session.flush()
    teams = {t.id: t for t in session.exec(select(Team).where(Team.competition_id == rnd.competition_id)).all()}
    return {"round_id": rnd.id, "awards": [
        {"team_id": a["team_id"], "name": teams[a["team_id"]].name if a["team_id"] in teams else "",
         "unit": teams[a["team_id"]].unit if a["team_id"] in teams else "", "prize": a["prize"]}
        for a in rnd.awards]}


def set_scores(session: Session, round_id: int, items: Sequence[tuple[int, float | None, int]],
               user_id: int | None, now_ms: int) -> int:
    """Enter (or with score None, remove) organisers' team scores for a round."""
    rnd = get_round(session, round_id, lock=True)
    if rnd.advanced_ms is not None or rnd.awarded_ms is not None:
        raise Conflict(t("round_locked"), code="round_locked")
    entered = set(entered_team_ids(session, rnd))
    errors = [{"field": f"teams.{i}.team_id", "message": t("team_not_in_round", team_ids=tid)}
              for i, (tid, _, _) in enumerate(items) if tid not in entered]
    if errors:
        raise Invalid(errors[0]["message"], code="team_not_in_round", details=errors)
    latest = {team_id: (score, time_ms) for team_id, score, time_ms in items}  # a team listed twice: the last wins
    for team_id, (score, time_ms) in latest.items():
        row = session.get(RoundScore, (round_id, team_id))
        if score is None:
            if row is not None:
                session.delete(row)
            continue
        row = row or RoundScore(round_id=round_id, team_id=team_id)
        row.score, row.time_ms, row.updated_by, row.updated_ms = float(score), int(time_ms), user_id, now_ms
        session.add(row)
    session.flush()
    return len(items)


def enter_teams(session: Session, round_id: int, team_ids: Sequence[int], now_ms: int) -> list[int]:
    """Set the teams entered in a round by hand (an organiser's choice, e.g. a seeded team)."""
    rnd = get_round(session, round_id, lock=True)
    if rnd.advanced_ms is not None or rnd.awarded_ms is not None:
        raise Conflict(t("round_locked"), code="round_locked")
    known = set(session.exec(select(Team.id).where(Team.competition_id == rnd.competition_id)).all())
    unknown = [tid for tid in team_ids if tid not in known]
    if unknown:
        raise Invalid(t("team_not_found_ids", team_ids=", ".join(map(str, unknown))), code="team_not_found")
    for row in session.exec(select(RoundTeam).where(RoundTeam.round_id == round_id)).all():
        if row.team_id not in team_ids:
            session.delete(row)
    present = set(session.exec(select(RoundTeam.team_id).where(RoundTeam.round_id == round_id)).all())
    for tid in dict.fromkeys(team_ids):
        if tid not in present:
            session.add(RoundTeam(round_id=round_id, team_id=tid, source="manual", entered_ms=now_ms))
    session.flush()
    return entered_team_ids(session, rnd)


# --- groups ------------------------------------------------------------------------------------

def groups_of(session: Session, round_id: int) -> list[RoundGroup]:
    """A round's groups in the order they were set or drawn (none: the round is played as one)."""
    return list(session.exec(select(RoundGroup).where(RoundGroup.round_id == round_id)
                             .order_by(col(RoundGroup.position), col(RoundGroup.id))).all())


def group_state(session: Session, group: RoundGroup) -> str:
    """``none`` (no game yet), ``lobby`` (created, not started), ``running``, ``finished``."""
    if group.live_id is None:
        return "none"
    row = session.get(live_store.LiveGame, group.live_id)
    return row.status if row is not None else "none"


def groups_public(session: Session, rnd: Round) -> list[dict[str, Any]]:
    result = []
    for g in groups_of(session, rnd.id or 0):
        game = session.get(live_store.LiveGame, g.live_id) if g.live_id is not None else None
        result.append({"name": g.name, "team_ids": g.team_ids, "seeding": g.seeding, "seed": g.seed,
                       "live_id": g.live_id, "pin": game.pin if game else None, "state": group_state(session, g)})
    return result


def round_has_scores(session: Session, rnd: Round) -> bool:
    """Scores entered by hand, a submitted attempt at its test, or a live game of it under way."""
    if session.exec(select(RoundScore).where(RoundScore.round_id == rnd.id)).first() is not None:
        return True
    if rnd.format == "exam":
        team_ids = entered_team_ids(session, rnd)
        scores, _ = round_scores(session, rnd, team_ids, members_by_team(session, team_ids))
        return any(src == "exam" for _, _, src in scores.values())
    game = live_store.LiveGame
    return session.exec(select(game.id).where(game.round_id == rnd.id, game.status != "lobby")).first() is not None


def previous_round(session: Session, rnd: Round) -> Round | None:
    earlier = [r for r in rounds_of(session, rnd.competition_id) if stage_index(r.stage) < stage_index(rnd.stage)]
    return earlier[-1] if earlier else None


def seeded_order(session: Session, rnd: Round, team_ids: Sequence[int], tz: str) -> list[int]:
    """The round's teams by their place in the previous round (teams it did not rank follow, by id)."""
    before = previous_round(session, rnd)
    places: dict[int, int] = {}
    if before is not None:
        ranking = round_ranking(session, before.id or 0, tz)
        places = {row["team_id"]: row["position"] for row in ranking["teams"]}
    return sorted(team_ids, key=lambda tid: (places.get(tid, 10**9), tid))


def set_groups(session: Session, round_id: int, groups: Sequence[tuple[str, Sequence[int]]], now_ms: int, *,
               seeding: str = "manual", seed: int | None = None) -> list[dict[str, Any]]:
    """Replace a round's groups: every team of the round in exactly one group (422 otherwise);
    409 once the round has scores or a group has its game."""
    rnd = get_round(session, round_id, lock=True)
    if rnd.advanced_ms is not None or rnd.awarded_ms is not None or round_has_scores(session, rnd):
        raise Conflict(t("groups_locked"), code="groups_locked")
    current = groups_of(session, round_id)
    if any(g.live_id is not None for g in current):
        raise Conflict(t("groups_have_games"), code="groups_have_games")
    entered = entered_team_ids(session, rnd)
    errors: list[dict[str, Any]] = []
    seen: dict[int, str] = {}
    names = [name for name, _ in groups]
    if len(set(names)) != len(names):
        errors.append({"field": "groups", "message": t("group_name_repeated")})
    for i, (name, team_ids) in enumerate(groups):
        if not team_ids:
            errors.append({"field": f"groups.{i}.team_ids", "message": t("group_empty", group=name)})
        for tid in team_ids:
            if tid not in entered:
                errors.append({"field": f"groups.{i}.team_ids", "message": t("team_not_in_round", team_ids=tid)})
            elif tid in seen:
                errors.append({"field": f"groups.{i}.team_ids",
                               "message": t("team_in_two_groups", team_id=tid, first=seen[tid], second=name)})
            seen.setdefault(tid, name)
    missing = [tid for tid in entered if tid not in seen]
    if missing:
        errors.append({"field": "groups", "message": t("teams_without_group", team_ids=", ".join(map(str, missing)))})
    if errors:
        raise Invalid(errors[0]["message"], code="groups_invalid", details=errors)
    for row in current:
        session.delete(row)
    session.flush()
    for position, (name, team_ids) in enumerate(groups):
        session.add(RoundGroup(round_id=round_id, name=name, position=position, team_ids=list(team_ids),
                               seeding=seeding, seed=seed, created_ms=now_ms))
    session.flush()
    return groups_public(session, rnd)


def draw_groups(session: Session, round_id: int, count: int, seeding: str, now_ms: int, *,
                seed: int | None = None, tz: str = "Asia/Shanghai") -> list[dict[str, Any]]:
    """Draw ``count`` groups: ``snake`` by the previous round's places, ``random`` with a recorded seed."""
    import secrets

    from quiz.competitions.ranking import group_name, random_groups, snake_groups

    rnd = get_round(session, round_id)
    team_ids = entered_team_ids(session, rnd)
    if count > len(team_ids):
        raise Invalid(t("groups_too_many", count=count, teams=len(team_ids)), code="groups_invalid",
                      details=[{"field": "count", "message": t("groups_too_many", count=count, teams=len(team_ids))}])
    if seeding == "snake":
        dealt, seed = snake_groups(seeded_order(session, rnd, team_ids, tz), count), None
    else:
        seed = secrets.randbelow(2**31) if seed is None else seed
        dealt = random_groups(team_ids, count, seed)
    return set_groups(session, round_id, [(group_name(i), ids) for i, ids in enumerate(dealt)], now_ms,
                      seeding=seeding, seed=seed)


# --- substitutes ---------------------------------------------------------------------------------

def team_playing(session: Session, team_id: int) -> bool:
    """True while a live game of one of the team's rounds with the team in it is started and not finished."""
    game = live_store.LiveGame
    round_ids = [r for r in session.exec(select(RoundTeam.round_id).where(RoundTeam.team_id == team_id)).all()]
    team = session.get(Team, team_id)
    if team is not None:  # the first round takes every team without entering them
        round_ids += [r.id for r in rounds_of(session, team.competition_id) if is_first_round(session, r)]
    if not round_ids:
        return False
    rows = session.exec(select(game).where(col(game.round_id).in_(round_ids), game.status == "running")).all()
    return any(any(int(tc.get("id", 0)) == team_id for tc in (row.config or {}).get("teams", [])) for row in rows)


def replace_members(session: Session, team: Team, user_ids: Sequence[int], now_ms: int) -> None:
    """Seat ``user_ids`` in the team in that order; who leaves is kept as a past member."""
    current = session.exec(select(TeamMember).where(TeamMember.team_id == team.id)).all()
    for member in current:
        if member.user_id not in user_ids:
            session.add(TeamMemberPast(competition_id=team.competition_id, team_id=team.id or 0,
                                       user_id=member.user_id, seat=member.seat, removed_ms=now_ms))
        session.delete(member)
    session.flush()
    for seat, uid in enumerate(user_ids, start=1):
        session.add(TeamMember(competition_id=team.competition_id, team_id=team.id or 0, user_id=uid, seat=seat))
    session.flush()


def players_used(session: Session, team_ids: Sequence[int]) -> dict[int, list[str]]:
    """Every player a team used: the past ones (in the order they left) then the current ones by seat."""
    members = members_by_team(session, team_ids)
    past = past_members(session, team_ids)
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(
        [r.user_id for rows in past.values() for r in rows] or [0]))).all()}
    result: dict[int, list[str]] = {}
    for tid in team_ids:
        names = [users[r.user_id].name for r in past.get(tid, []) if r.user_id in users]
        names += [u.name for _, u in members.get(tid, [])]
        result[tid] = list(dict.fromkeys(names))
    return result


# --- for the live layer ------------------------------------------------------------------------

def group_named(session: Session, rnd: Round, group: str | None) -> RoundGroup | None:
    """The group a live game is for: 422 without one in a grouped round, or with one unknown or in an ungrouped round."""
    groups = groups_of(session, rnd.id or 0)
    if not groups:
        if group:
            raise Invalid(t("round_not_grouped"), code="group_unknown",
                          details=[{"field": "group", "message": t("round_not_grouped")}])
        return None
    if not group:
        raise Invalid(t("group_required"), code="group_required",
                      details=[{"field": "group", "message": t("group_required")}])
    found = next((g for g in groups if g.name == group.strip()), None)
    if found is None:
        raise Invalid(t("group_unknown", group=group), code="group_unknown",
                      details=[{"field": "group", "message": t("group_unknown", group=group)}])
    return found


def bound_game_ids(session: Session, rnd: Round) -> list[int]:
    """The live games an organizer bound to a round: its own, or one per group. Only these decide its scores."""
    ids = {g.live_id for g in groups_of(session, rnd.id or 0) if g.live_id is not None}
    if rnd.live_id is not None:
        ids.add(rnd.live_id)
    return sorted(ids)


def bind_live_game(session: Session, round_id: int, live_id: int, group: str | None = None, *,
                   replace: bool = False) -> tuple[Round, int | None]:
    """Bind a live game to a round (called when ``POST /api/live`` gets a ``round_id``), to its group in a
    grouped round. A round (or group) that has a game keeps it (409) unless ``replace``; returns the round
    and the id of the game replaced, if any."""
    rnd = get_round(session, round_id, lock=True)
    found = group_named(session, rnd, group)
    previous = found.live_id if found is not None else rnd.live_id
    replaced = previous if previous is not None and previous != live_id and _game_exists(session, previous) else None
    if replaced is not None and not replace:
        _refuse_second_game(found)
    if found is not None:
        found.live_id = live_id
        session.add(found)
    rnd.live_id = live_id
    session.add(rnd)
    session.flush()
    return rnd, replaced


def _game_exists(session: Session, live_id: int) -> bool:
    return session.get(live_store.LiveGame, live_id) is not None


def _refuse_second_game(group: RoundGroup | None) -> None:
    if group is not None:
        raise Conflict(t("group_has_game", group=group.name), code="group_has_game")
    raise Conflict(t("round_has_game"), code="round_has_game")


def round_teams(session: Session, round_id: int, group: str | None = None, *,
                replace: bool = False) -> list[dict[str, Any]]:
    """The teams that play a round (or one group of it), members in seat order:
    ``[{"team_id", "name", "unit", "members": [{"user_id", "name", "username", "seat"}]}]`` (seat from 1).
    In a grouped round the group is required (422); a round or group with a game has one only (409)
    unless ``replace``."""
    rnd = get_round(session, round_id)
    found = group_named(session, rnd, group)
    previous = found.live_id if found is not None else rnd.live_id
    if previous is not None and not replace and _game_exists(session, previous):
        _refuse_second_game(found)
    team_ids = list(found.team_ids) if found is not None else entered_team_ids(session, rnd)
    teams = {team.id: team for team in session.exec(select(Team).where(Team.id.in_(team_ids))).all()}  # type: ignore
    members = members_by_team(session, team_ids)
    return [{"team_id": team.id, "name": team.name, "unit": team.unit,
             "members": [{"user_id": u.id, "name": u.name, "username": u.username, "seat": m.seat}
                         for m, u in members.get(team.id or 0, [])]}
            for team in (teams[tid] for tid in team_ids if tid in teams)]
