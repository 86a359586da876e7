"""Competition endpoints and admin pages (CONTRACT §6). Organisers only.

The handlers validate and hand over to ``service`` (rankings, advancement, tie-breaks, prizes)
and ``teams`` (team creation and roster import); exports come from ``export``.
"""

from __future__ import annotations

import math
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from starlette.responses import Response
from starlette.routing import Route

from quiz import audit
from quiz.competitions import export, papers, service
from quiz.competitions.models import STAGE_NAMES, Competition, Round, Team
from quiz.competitions.teams import (
    NewMember,
    TeamPlan,
    check_team,
    create_teams,
    hash_all,
    parse_team_roster,
    substitute_members,
)
from quiz.errors import BadRequest, Conflict, Invalid, NotFound
from quiz.i18n import t
from quiz.models import User
from quiz.web import Ctx, JSONResponse, api, page

ORGANIZER = "organizer"


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)


class CompetitionIn(_In):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


class CompetitionPatch(_In):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class MemberIn(_In):
    username: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=100)


class TeamIn(_In):
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(default="", max_length=200)
    members: list[int | MemberIn] = Field(default_factory=list, max_length=50)


class AdvanceIn(_In):
    model_config = ConfigDict(extra="forbid")
    top: int | None = Field(default=None, ge=1, le=100_000)
    min_score: float | None = Field(default=None, allow_inf_nan=False)
    top_per_group: int | None = Field(default=None, ge=1, le=10_000)
    best_of_rest: int | None = Field(default=None, ge=0, le=10_000)

    @model_validator(mode="after")
    def one_rule(self) -> AdvanceIn:
        rules = [self.top is not None, self.min_score is not None, self.top_per_group is not None]
        if sum(rules) != 1 or (self.best_of_rest is not None and self.top_per_group is None):
            raise ValueError('晋级规则应为 {"top": N}、{"min_score": 分数} 或 {"top_per_group": N, "best_of_rest": M} 之一')
        return self

    def stored(self) -> dict[str, Any]:
        if self.top_per_group is not None:
            rule: dict[str, Any] = {"top_per_group": self.top_per_group}
            if self.best_of_rest:
                rule["best_of_rest"] = self.best_of_rest
            return rule
        return {"top": self.top} if self.top is not None else {"min_score": self.min_score}


class PrizeIn(_In):
    name: str = Field(min_length=1, max_length=50)
    count: int = Field(ge=1, le=10_000)


class RoundFields(_In):
    name: str | None = Field(default=None, max_length=100)
    format: Literal["exam", "live"] | None = None
    exam_id: int | None = None
    team_score: Literal["sum", "average"] | None = None
    advance: AdvanceIn | None = None
    prizes: list[PrizeIn] | None = Field(default=None, max_length=20)


class RoundIn(RoundFields):
    stage: Literal["prelim", "semifinal", "final"]


class RoundPatch(RoundFields):
    stage: Literal["prelim", "semifinal", "final"] | None = None


class ScoreIn(BaseModel):
    team_id: int
    score: float | None = Field(allow_inf_nan=False)
    time_ms: int = Field(default=0, ge=0, le=10**11)


class ScoresIn(BaseModel):
    teams: list[ScoreIn] = Field(max_length=10_000)


class TiebreakIn(_In):
    team_ids: list[int | list[int]] = Field(min_length=2, max_length=1000)
    note: str = Field(default="", max_length=200)

    @field_validator("team_ids")
    @classmethod
    def flat_enough(cls, value: list[int | list[int]]) -> list[int | list[int]]:
        if sum(len(v) if isinstance(v, list) else 1 for v in value) < 2:
            raise ValueError("至少需要两支队伍")
        return value


class GroupIn(_In):
    name: str = Field(min_length=1, max_length=50)
    team_ids: list[int] = Field(max_length=10_000)


class GroupsIn(_In):
    model_config = ConfigDict(extra="forbid")
    groups: list[GroupIn] | None = Field(default=None, min_length=1, max_length=200)
    count: int | None = Field(default=None, ge=1, le=200)
    seeding: Literal["snake", "random"] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def hand_or_draw(self) -> GroupsIn:
        if (self.groups is None) == (self.count is None):
            raise ValueError('分组应为 {"groups": [...]}（手工）或 {"count": N, "seeding": "snake"|"random"}（抽签）之一')
        return self


class MembersIn(_In):
    members: list[int | MemberIn] = Field(max_length=50)


class TeamsIn(BaseModel):
    team_ids: list[int] = Field(max_length=10_000)


def _tz(ctx: Ctx) -> str:
    return str(ctx.settings.timezone)


def _competition_id(ctx: Ctx) -> int:
    return ctx.path_int("competition_id")


# --- competitions ------------------------------------------------------------------------------

@api(role=ORGANIZER, status=201)
def create_competition(ctx: Ctx) -> Any:
    """Create a competition."""
    assert ctx.user
    data = ctx.parse(CompetitionIn)
    with ctx.db.write() as session:
        competition = Competition(title=data.title, description=data.description, created_by=ctx.user.id,
                                  created_ms=ctx.now_ms())
        session.add(competition)
        session.flush()
        audit.record(session, ctx.user, "competition.create", "competition", competition.id,
                     {"title": competition.title, "description": competition.description})
        return service.competition_public(session, competition, _tz(ctx), detail=True)


@api(role=ORGANIZER)
def list_competitions(ctx: Ctx) -> Any:
    """List competitions, newest first."""
    limit, offset = ctx.page_args()
    with ctx.db.read() as session:
        rows = session.exec(select(Competition).order_by(Competition.id.desc())  # type: ignore[union-attr]
                            .offset(offset).limit(limit)).all()
        total = session.exec(select(func.count()).select_from(Competition)).one()
        return {"items": [service.competition_public(session, c, _tz(ctx)) for c in rows], "total": total}


@api(role=ORGANIZER)
def get_competition(ctx: Ctx) -> Any:
    """A competition with its teams and rounds."""
    with ctx.db.read() as session:
        competition = service.get_competition(session, _competition_id(ctx))
        return service.competition_public(session, competition, _tz(ctx), detail=True)


@api(role=ORGANIZER)
def patch_competition(ctx: Ctx) -> Any:
    """Rename a competition or change its description."""
    data = ctx.parse(CompetitionPatch)
    with ctx.db.write() as session:
        competition = service.get_competition(session, _competition_id(ctx))
        audit.record(session, ctx.user, "competition.update", "competition", competition.id,
                     audit.changes(competition, data.model_dump(mode="json", include=data.model_fields_set)))
        if data.title is not None:
            competition.title = data.title
        if data.description is not None:
            competition.description = data.description
        session.add(competition)
        session.flush()
        return service.competition_public(session, competition, _tz(ctx), detail=True)


# --- teams -------------------------------------------------------------------------------------

@api(role=ORGANIZER, status=201)
def create_team(ctx: Ctx) -> Any:
    """Add a team: members are user ids or {name, username} (new usernames become member accounts)."""
    data = ctx.parse(TeamIn)
    competition_id = _competition_id(ctx)
    plan = TeamPlan(name=data.name, unit=data.unit, members=[
        m if isinstance(m, int) else NewMember(username=m.username, name=m.name, unit=data.unit)
        for m in data.members])
    with ctx.db.read() as session:
        service.get_competition(session, competition_id)
        check_team(session, competition_id, plan)
        wanted = [m.username for m in plan.members if isinstance(m, NewMember)]
        known = set(session.exec(select(User.username).where(User.username.in_(wanted))).all()) if wanted else set()  # type: ignore
    from quiz.accounts import default_password

    hashes = hash_all({u: default_password(u) for u in wanted if u not in known})
    with ctx.db.write() as session:
        service.get_competition(session, competition_id, lock=True)
        check_team(session, competition_id, plan)  # again, inside the write transaction
        (team,), _ = _create(session, competition_id, [plan], hashes, ctx.now_ms())
        members = service.members_by_team(session, [team.id or 0])
        public = service.team_public(team, members.get(team.id or 0, []))
        audit.record(session, ctx.user, "team.create", "team", team.id, {
            "competition_id": competition_id, "name": team.name, "unit": team.unit,
            "members": [{"user_id": m["user_id"], "username": m.get("username")} for m in public["members"]]})
        return public


@api(role=ORGANIZER)
def list_teams(ctx: Ctx) -> Any:
    """The teams of a competition with their members."""
    limit, offset = ctx.page_args(default=1000, maximum=5000)
    with ctx.db.read() as session:
        service.get_competition(session, _competition_id(ctx))
        query = select(Team).where(Team.competition_id == _competition_id(ctx))
        teams = session.exec(query.order_by(col(Team.id)).offset(offset).limit(limit)).all()
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        members = service.members_by_team(session, [t.id or 0 for t in teams])
        return {"items": [service.team_public(team, members.get(team.id or 0, [])) for team in teams],
                "total": total}


@api(role=ORGANIZER)
def import_teams(ctx: Ctx) -> Any:
    """Import teams from xlsx/csv (队伍, 单位, 姓名, 账号): every row or none."""
    filename, content = ctx.upload()
    competition_id = _competition_id(ctx)
    with ctx.db.read() as session:
        service.get_competition(session, competition_id)
        plans, errors = parse_team_roster(session, competition_id, filename, content)
        usernames = [m.username for p in plans for m in p.members if isinstance(m, NewMember)]
        known = set(session.exec(select(User.username).where(User.username.in_(usernames))).all()) if usernames else set()  # type: ignore
    if errors:
        from question_bank.formats.limits import cap_errors

        errors, count = cap_errors(errors)
        return JSONResponse({"error": {"code": "import_invalid", "message": t("roster_import_invalid", count=count),
                                       "details": errors}, "teams": 0, "members": 0, "errors": errors,
                             "error_count": count}, status_code=422)
    from quiz.accounts import default_password

    hashes = hash_all({u: default_password(u) for u in usernames if u not in known})
    with ctx.db.write() as session:
        service.get_competition(session, competition_id, lock=True)
        _, errors = parse_team_roster(session, competition_id, filename, content)  # again, under the write lock
        if errors:
            raise Conflict(errors[0]["message"], code="import_conflict", details=errors)
        teams, created = _create(session, competition_id, plans, hashes, ctx.now_ms())
        audit.record(session, ctx.user, "team.import", "competition", competition_id, {
            "file": filename, "teams": [{"team_id": team.id, "name": team.name} for team in teams],
            "members": sum(len(p.members) for p in plans), "created_users": created})
    return {"teams": len(teams), "members": sum(len(p.members) for p in plans), "created_users": created,
            "errors": []}


def _create(session: Any, competition_id: int, plans: list[TeamPlan], hashes: dict[str, str], now_ms: int
            ) -> tuple[list[Team], int]:
    try:
        return create_teams(session, competition_id, plans, hashes, now_ms)
    except IntegrityError:  # an account made at the same moment by another request
        raise Conflict(t("conflict"), code="conflict") from None


# --- rounds ------------------------------------------------------------------------------------

def _apply_round(session: Any, rnd: Round, data: RoundFields, given: set[str]) -> None:
    if "name" in given and data.name is not None:
        rnd.name = data.name or STAGE_NAMES.get(rnd.stage, rnd.stage)
    if "format" in given and data.format is not None:
        rnd.format = data.format
    if "exam_id" in given:
        if data.exam_id is not None and service.exam_exists(session, data.exam_id) is False:
            raise Invalid(t("exam_not_found"), code="exam_not_found",
                          details=[{"field": "exam_id", "message": t("exam_not_found")}])
        rnd.exam_id = data.exam_id
    if "team_score" in given and data.team_score is not None:
        rnd.team_score = data.team_score
    if "advance" in given:
        rnd.advance = data.advance.stored() if data.advance else None
    if "prizes" in given:
        rnd.prizes = [p.model_dump() for p in data.prizes or []]


def _check_stage_free(session: Any, competition_id: int, stage: str, round_id: int | None = None) -> None:
    other = session.exec(select(Round).where(Round.competition_id == competition_id, Round.stage == stage)).first()
    if other is not None and other.id != round_id:
        raise Conflict(t("stage_exists", stage=STAGE_NAMES[stage]), code="stage_exists")


@api(role=ORGANIZER, status=201)
def create_round(ctx: Ctx) -> Any:
    """Add a round: stage, format (exam/live), exam, team score, advancement rule, prizes."""
    data = ctx.parse(RoundIn)
    with ctx.db.write() as session:
        competition = service.get_competition(session, _competition_id(ctx), lock=True)
        _check_stage_free(session, competition.id or 0, data.stage)
        rnd = Round(competition_id=competition.id or 0, stage=data.stage, name=STAGE_NAMES[data.stage],
                    format=data.format or ("exam" if data.stage == "prelim" else "live"), created_ms=ctx.now_ms())
        _apply_round(session, rnd, data, data.model_fields_set)
        session.add(rnd)
        session.flush()
        audit.record(session, ctx.user, "round.create", "round", rnd.id, {
            "competition_id": rnd.competition_id, **data.model_dump(mode="json", include=data.model_fields_set)})
        return service.round_public(session, rnd, _tz(ctx))


@api(role=ORGANIZER)
def get_round(ctx: Ctx) -> Any:
    """A round."""
    with ctx.db.read() as session:
        rnd = service.get_round(session, ctx.path_int("round_id"))
        data = service.round_public(session, rnd, _tz(ctx))
        data["team_ids"] = service.entered_team_ids(session, rnd)
        return data


@api(role=ORGANIZER)
def patch_round(ctx: Ctx) -> Any:
    """Change a round's settings (name, stage, format, exam, team score, advancement, prizes)."""
    data = ctx.parse(RoundPatch)
    with ctx.db.write() as session:
        rnd = service.get_round(session, ctx.path_int("round_id"), lock=True)
        if data.stage is not None and data.stage != rnd.stage:
            service.get_competition(session, rnd.competition_id, lock=True)
            _check_stage_free(session, rnd.competition_id, data.stage, rnd.id)
            if rnd.name == STAGE_NAMES.get(rnd.stage):  # a default name follows the stage
                rnd.name = STAGE_NAMES[data.stage]
            rnd.stage = data.stage
        _apply_round(session, rnd, data, data.model_fields_set)
        audit.record(session, ctx.user, "round.update", "round", rnd.id, data.model_dump(mode="json", include=data.model_fields_set))
        session.add(rnd)
        session.flush()
        return service.round_public(session, rnd, _tz(ctx))


@api(role=ORGANIZER)
def put_round_teams(ctx: Ctx) -> Any:
    """Set the teams entered in a round by hand."""
    data = ctx.parse(TeamsIn)
    round_id = ctx.path_int("round_id")
    with ctx.db.write() as session:
        before = service.entered_team_ids(session, service.get_round(session, round_id, lock=True))
        team_ids = service.enter_teams(session, round_id, data.team_ids, ctx.now_ms())
        audit.record(session, ctx.user, "round.teams", "round", round_id, {
            "team_ids": team_ids, "added": [i for i in team_ids if i not in before],
            "removed": [i for i in before if i not in team_ids]})
        return {"team_ids": team_ids}


@api(role=ORGANIZER)
def ranking(ctx: Ctx) -> Any:
    """The ranking of a round: teams (rank, score, time, advanced, prize, tied), players, deciding ties."""
    with ctx.db.read() as session:
        return service.round_ranking(session, ctx.path_int("round_id"), _tz(ctx))


@api(role=ORGANIZER)
def put_scores(ctx: Ctx) -> Any:
    """Enter team scores of a round played offline (they win over computed ones; score null removes)."""
    assert ctx.user
    data = ctx.parse(ScoresIn)
    round_id = ctx.path_int("round_id")
    items = [(item.team_id, None if item.score is None else float(item.score), item.time_ms) for item in data.teams]
    if any(s is not None and not math.isfinite(s) for _, s, _ in items):
        raise BadRequest()
    with ctx.db.write() as session:
        service.set_scores(session, round_id, items, ctx.user.id, ctx.now_ms())
        audit.record(session, ctx.user, "round.scores", "round", round_id, {"teams": [{"team_id": t, "score": s, "time_ms": ms} for t, s, ms in items]})
        return service.round_ranking(session, round_id, _tz(ctx))


@api(role=ORGANIZER)
def advance(ctx: Ctx) -> Any:
    """Enter the advancing teams in the next round (created if absent); 409 while a tie decides it."""
    with ctx.db.write() as session:
        result = service.advance_round(session, ctx.path_int("round_id"), ctx.now_ms(), _tz(ctx))
        audit.record(session, ctx.user, "round.advance", "round", ctx.path_int("round_id"), result)
        return result


@api(role=ORGANIZER, status=201)
def tiebreak(ctx: Ctx) -> Any:
    """Record a tie-break result: the tied teams best first (a nested list keeps teams sharing a place)."""
    assert ctx.user
    data = ctx.parse(TiebreakIn)
    round_id = ctx.path_int("round_id")
    with ctx.db.write() as session:
        row = service.record_tiebreak(session, round_id, data.team_ids, source="manual", strict=True,
                                      user_id=ctx.user.id, now_ms=ctx.now_ms(), note=data.note)
        result = service.round_ranking(session, round_id, _tz(ctx))
        result["tiebreak_id"] = row.id
        audit.record(session, ctx.user, "round.tiebreak", "round", round_id, {"team_ids": data.team_ids, "note": data.note, "tiebreak_id": row.id})
        return result


@api(role=ORGANIZER)
def award(ctx: Ctx) -> Any:
    """Fix the prizes of a round from its ranking; 409 while a tie decides a prize; idempotent."""
    with ctx.db.write() as session:
        result = service.award_prizes(session, ctx.path_int("round_id"), ctx.now_ms(), _tz(ctx))
        audit.record(session, ctx.user, "round.award", "round", ctx.path_int("round_id"), {"awards": [{"team_id": a["team_id"], "prize": a["prize"]} for a in result["awards"]]})
        return result


@api(role=ORGANIZER)
def rankings_export(ctx: Ctx) -> Any:
    """Every ranking of a competition (or one round's) as json, xlsx (summary + a sheet per round) or csv."""
    fmt = (ctx.query.get("format") or "json").lower()
    if fmt not in ("json", "xlsx", "csv"):
        raise BadRequest(t("bad_export_format"), code="bad_export_format")
    raw_round = ctx.query.get("round")
    try:
        round_id = int(raw_round) if raw_round not in (None, "") else None
    except ValueError:
        raise BadRequest("round 应为整数") from None
    with ctx.db.read() as session:
        data = export.competition_rankings(session, _competition_id(ctx), round_id, _tz(ctx))
    if fmt == "json":
        return data
    if fmt == "xlsx":
        content = export.to_xlsx(data)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = export.to_csv(data)
        media = "text/csv; charset=utf-8"
    name = export.filename_for(data, fmt)
    return Response(content, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"rankings.{fmt}\"; filename*=UTF-8''{quote(name)}"})


@api(role=ORGANIZER)
def put_groups(ctx: Ctx) -> Any:
    """Set a round's groups by hand, or draw them (snake by the previous round's places, or random with a seed)."""
    data = ctx.parse(GroupsIn)
    round_id = ctx.path_int("round_id")
    with ctx.db.write() as session:
        if data.groups is not None:
            groups = service.set_groups(session, round_id, [(g.name, g.team_ids) for g in data.groups], ctx.now_ms())
        else:
            groups = service.draw_groups(session, round_id, data.count or 1, data.seeding or "snake", ctx.now_ms(),
                                         seed=data.seed, tz=_tz(ctx))
        audit.record(session, ctx.user, "round.groups", "round", round_id, {"groups": [
            {k: g.get(k) for k in ("name", "team_ids", "seeding", "seed")} for g in groups]})
        return {"groups": groups}


@api(role=ORGANIZER)
def put_team(ctx: Ctx) -> Any:
    """Change a team's players (替补) between rounds; 409 while one of its rounds is being played live."""
    data = ctx.parse(MembersIn)
    competition_id, team_id = _competition_id(ctx), ctx.path_int("team_id")
    plan = TeamPlan(name="", unit="", members=[
        m if isinstance(m, int) else NewMember(username=m.username, name=m.name) for m in data.members])
    with ctx.db.read() as session:
        team = _team(session, competition_id, team_id)
        plan.unit = team.unit
        wanted = [m.username for m in plan.members if isinstance(m, NewMember)]
        known = set(session.exec(select(User.username).where(User.username.in_(wanted))).all()) if wanted else set()  # type: ignore
    from quiz.accounts import default_password

    hashes = hash_all({u: default_password(u) for u in wanted if u not in known})
    with ctx.db.write() as session:
        service.get_competition(session, competition_id, lock=True)
        team = _team(session, competition_id, team_id)
        if service.team_playing(session, team_id):
            raise Conflict(t("team_playing"), code="team_playing")
        try:
            user_ids = substitute_members(session, team, plan, hashes, ctx.now_ms())
        except IntegrityError:
            raise Conflict(t("conflict"), code="conflict") from None
        before = [m.user_id for m, _ in service.members_by_team(session, [team_id]).get(team_id, [])]
        service.replace_members(session, team, user_ids, ctx.now_ms())
        members = service.members_by_team(session, [team_id])
        audit.record(session, ctx.user, "team.members", "team", team_id, {
            "competition_id": competition_id, "name": team.name, "members": list(user_ids),
            "added": [u for u in user_ids if u not in before], "removed": [u for u in before if u not in user_ids]})
        return service.team_public(team, members.get(team_id, []))


def _team(session: Any, competition_id: int, team_id: int) -> Team:
    service.get_competition(session, competition_id)
    team = session.get(Team, team_id)
    if team is None or team.competition_id != competition_id:
        raise NotFound(t("team_not_found"), code="team_not_found")
    return team


# --- what organisers hand out -----------------------------------------------------------------

def _pdf_response(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(name)}"})


def _notice(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.read() as session:
        return papers.notice_data(session, ctx.path_int("round_id"), ctx.now_ms(), _tz(ctx))


@api(role=ORGANIZER)
def notice_pdf(ctx: Ctx) -> Any:
    """The round's results notice (成绩通报) as a PDF to print."""
    data = _notice(ctx)
    return _pdf_response(papers.notice_pdf(data), f"{data['competition']}_{data['round']}_成绩通报.pdf")


@api(role=ORGANIZER)
def certificates_pdf(ctx: Ctx) -> Any:
    """Prize certificates (获奖证书): a page for each prize-winning team and each of its players."""
    data = _notice(ctx)
    return _pdf_response(papers.certificates_pdf(data), f"{data['competition']}_{data['round']}_获奖证书.pdf")


@page("admin_competitions_notice.html", role=ORGANIZER)
def notice_page(ctx: Ctx) -> Any:
    """The round's results notice as a printable page."""
    return {"notice": _notice(ctx)}


# --- pages -------------------------------------------------------------------------------------

@page("admin_competitions.html", role=ORGANIZER)
def competitions_page(ctx: Ctx) -> Any:
    """Competitions: list and create."""
    return {"active": "competitions"}


@page("admin_competitions_detail.html", role=ORGANIZER)
def competition_page(ctx: Ctx) -> Any:
    """One competition: teams, rounds, rankings, tie-breaks, advancement, prizes, exports."""
    with ctx.db.read() as session:
        competition = session.get(Competition, ctx.path_int("competition_id"))
        if competition is None:
            raise NotFound(t("competition_not_found"), code="competition_not_found")
    return {"active": "competitions", "competition": {"id": competition.id, "title": competition.title}}


@page("screen_draw.html", role=ORGANIZER)
def draw_page(ctx: Ctx) -> Any:
    """The big screen's draw ceremony of a grouped round: the teams dealt into the groups one by one, in the
    order the draw dealt them, and how it was drawn (snake by places, or random with its seed to check)."""
    from quiz.competitions.ranking import dealing_order

    with ctx.db.read() as session:
        rnd = session.get(Round, ctx.path_int("round_id"))
        if rnd is None:
            raise NotFound(t("round_not_found"), code="round_not_found")
        competition = session.get(Competition, rnd.competition_id)
        groups = service.groups_public(session, rnd)
        ids = [tid for g in groups for tid in g["team_ids"]]
        teams = {team.id: team for team in session.exec(select(Team).where(col(Team.id).in_(ids))).all()} if ids else {}
    seeding = groups[0]["seeding"] if groups else "manual"
    order = {team_id: turn for turn, (_, team_id) in enumerate(dealing_order([g["team_ids"] for g in groups], seeding))}
    cards = [[{"name": teams[tid].name if tid in teams else str(tid), "unit": teams[tid].unit if tid in teams else "",
               "turn": order[tid] + 1} for tid in g["team_ids"]] for g in groups]
    return {"title": competition.title if competition else "", "round_name": rnd.name, "seeding": seeding,
            "seed": groups[0]["seed"] if groups else None, "groups": groups, "cards": cards, "total": len(order)}


routes = [
    Route("/screen/draw/{round_id:int}", draw_page, methods=["GET"]),
    Route("/api/competitions", create_competition, methods=["POST"]),
    Route("/api/competitions", list_competitions, methods=["GET"]),
    Route("/api/competitions/{competition_id:int}", get_competition, methods=["GET"]),
    Route("/api/competitions/{competition_id:int}", patch_competition, methods=["PATCH"]),
    Route("/api/competitions/{competition_id:int}/teams", create_team, methods=["POST"]),
    Route("/api/competitions/{competition_id:int}/teams", list_teams, methods=["GET"]),
    Route("/api/competitions/{competition_id:int}/teams/import", import_teams, methods=["POST"]),
    Route("/api/competitions/{competition_id:int}/teams/{team_id:int}", put_team, methods=["PUT"]),
    Route("/api/competitions/{competition_id:int}/rounds", create_round, methods=["POST"]),
    Route("/api/competitions/{competition_id:int}/rankings", rankings_export, methods=["GET"]),
    Route("/api/rounds/{round_id:int}", get_round, methods=["GET"]),
    Route("/api/rounds/{round_id:int}", patch_round, methods=["PATCH"]),
    Route("/api/rounds/{round_id:int}/teams", put_round_teams, methods=["PUT"]),
    Route("/api/rounds/{round_id:int}/ranking", ranking, methods=["GET"]),
    Route("/api/rounds/{round_id:int}/groups", put_groups, methods=["PUT"]),
    Route("/api/rounds/{round_id:int}/scores", put_scores, methods=["PUT"]),
    Route("/api/rounds/{round_id:int}/advance", advance, methods=["POST"]),
    Route("/api/rounds/{round_id:int}/tiebreak", tiebreak, methods=["POST"]),
    Route("/api/rounds/{round_id:int}/prizes", award, methods=["POST"]),
    Route("/api/rounds/{round_id:int}/notice.pdf", notice_pdf, methods=["GET"]),
    Route("/api/rounds/{round_id:int}/certificates.pdf", certificates_pdf, methods=["GET"]),
    Route("/admin/rounds/{round_id:int}/notice", notice_page, methods=["GET"]),
    Route("/admin/competitions", competitions_page, methods=["GET"]),
    Route("/admin/competitions/{competition_id:int}", competition_page, methods=["GET"]),
]
