"""HTTP endpoints of live games (CONTRACT §7): create, list, read, state, ledger, join QR code.

Creating a game resolves every segment's ``question_ids`` or ``rule`` into question snapshots
at once (later bank edits never change a game), and a ``round_id`` into the round's teams with
their members in seat order (a round game admits only them; without a round anyone with the
PIN joins as a guest). ``POST /api/live/quick`` starts an open game straight from a bank.
"""

from __future__ import annotations

import io
import random
from typing import Any, Literal

import anyio.from_thread
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response
from starlette.routing import Route

from live import store
from live.engine import ConfigError, GameConfig, QuestionSnapshot, SegmentConfig, TeamConfig
from live.messages import reason_text
from live.runner import LiveManager
from question_bank.drawing import Candidate, DrawError, Rule, draw
from question_bank.models import Bank, Question
from quiz.errors import Conflict, Forbidden, Invalid, NotFound, NotLoggedIn, TooManyRequests, Unavailable
from quiz.i18n import register, t
from quiz.models import User, role_rank
from quiz.web import Ctx, Id, api

register("zh", {
    "live_not_found": "没有这场比赛",
    "live_owner_unavailable": "比赛服务暂时无法应答，请稍后重试",
    "live_too_many_guesses": "比赛码错误次数过多，请稍后再试",
    "live_config_invalid": "比赛设置有误：{problems}",
    "live_questions_missing": "题目不存在或已删除：{ids}",
    "live_rule_short": "第 {segment} 个环节的抽题规则只能找到 {available} 道题（需要 {count} 道）",
    "live_bank_required": "按规则抽题需要指定题库（bank_id）",
    "live_round_not_live": "这一轮不是现场竞赛轮次",
    "live_round_no_teams": "这一轮还没有参赛队伍",
    "live_no_questions": "题库中没有足够的客观题（需要 {count} 道，只有 {available} 道）",
    "live_pin_exhausted": "暂时无法分配比赛码，请重试",
    "live_not_owner": "只有创建这场比赛的主持人或组织者可以查看",
})

QTYPE = Literal["single", "multiple", "judge", "fill", "short"]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: QTYPE
    count: int = Field(ge=1, le=500)
    tags: list[str] = Field(default_factory=list, max_length=50)
    difficulty: int | list[int] | None = None

    def rule(self) -> Rule:
        low, high = 1, 5
        if isinstance(self.difficulty, int):
            low = high = self.difficulty
        elif self.difficulty:
            low, high = (self.difficulty + self.difficulty)[:2]
        return Rule(type=self.type, count=self.count, tags=tuple(self.tags), difficulty=(low, high))


class SegmentIn(BaseModel):
    """A segment as data (CONTRACT §7); kind-specific fields are checked again by the engine."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["all", "required", "buzzer", "risk", "tiebreak"]
    title: str = Field(default="", max_length=100)
    question_ids: list[Id] | None = Field(default=None, max_length=500)
    rule: RuleIn | None = None
    time_limit_s: float = Field(default=20, ge=0, le=3600)
    points: int = Field(default=10, ge=-10_000, le=10_000)
    wrong_points: int | None = Field(default=None, ge=-10_000, le=10_000)
    timeout_points: int | None = Field(default=None, ge=-10_000, le=10_000)
    speed_bonus: bool = False
    team_score: Literal["sum", "average"] = "sum"
    answerer: Literal["team", "seat"] = "team"
    buzz_window_s: float = Field(default=10, gt=0, le=3600)
    foul_points: int = Field(default=-10, ge=-10_000, le=10_000)
    foul_policy: Literal["deduct", "lose_turn"] = "deduct"
    rebuzz_after_wrong: bool = False
    no_buzz: Literal["void", "audience"] = "void"
    risk_values: list[int] = Field(default_factory=lambda: [10, 20, 30], max_length=20)
    pick_order: Literal["score_asc", "score_desc", "seat"] = "seat"
    allow_decline: bool = False
    risk_once: bool = True
    rounds: int = Field(default=1, ge=1, le=20)
    mode: Literal["sudden_death"] = "sudden_death"
    places_that_matter: list[int] | None = None
    team_ids: list[int] | None = None


class LiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    round_id: Id | None = None
    group: str | None = Field(default=None, max_length=50)  # a grouped round: the group that plays this game
    bank_id: Id | None = None
    base_score: int = Field(default=0, ge=-100_000, le=100_000)
    segments: list[SegmentIn] = Field(min_length=1, max_length=50)


class QuickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_id: Id
    title: str = Field(default="", max_length=200)
    count: int = Field(default=10, ge=1, le=100)
    time_limit_s: float = Field(default=20, gt=0, le=600)
    points: int = Field(default=10, ge=1, le=10_000)
    speed_bonus: bool = True
    tags: list[str] = Field(default_factory=list, max_length=50)


# --- building a game -------------------------------------------------------------------------

def _snapshots(session: Any, ids: list[int]) -> dict[int, QuestionSnapshot]:
    if not ids:
        return {}
    rows = session.exec(select(Question).where(Question.id.in_(ids), Question.deleted == False)).all()  # type: ignore  # noqa: E712
    return {q.id: QuestionSnapshot.from_dict(q.snapshot()) for q in rows}


def _candidates(session: Any, bank_id: int) -> list[Candidate]:
    rows = session.exec(select(Question.id, Question.type, Question.difficulty, Question.tags).where(
        Question.bank_id == bank_id, Question.deleted == False).order_by(col(Question.id))).all()  # noqa: E712
    return [Candidate(id=r[0], type=r[1], difficulty=r[2], tags=frozenset(r[3] or ())) for r in rows]


def resolve_questions(session: Any, bank_id: int | None, segments: list[SegmentIn],
                      rng: random.Random) -> list[list[QuestionSnapshot]]:
    """Each segment's questions as snapshots: its ``question_ids`` in order, then its ``rule``'s draw."""
    explicit = [qid for s in segments for qid in s.question_ids or []]
    found = _snapshots(session, explicit)
    missing = [qid for qid in explicit if qid not in found]
    if missing:
        raise Invalid(t("live_questions_missing", ids="、".join(map(str, missing))), code="questions_missing",
                      details=[{"field": "segments", "message": t("live_questions_missing", ids=missing)}])
    ruled = [(i, s.rule) for i, s in enumerate(segments) if s.rule is not None]
    drawn: dict[int, list[int]] = {}
    if ruled:
        if bank_id is None:
            raise Invalid(t("live_bank_required"), code="bank_required")
        if session.get(Bank, bank_id) is None:
            raise NotFound(t("bank_not_found"), code="bank_not_found")
        pool = [c for c in _candidates(session, bank_id) if c.id not in set(explicit)]
        rules = [r.rule() for _, r in ruled]
        try:
            picked = draw(rules, pool, rng)
        except DrawError as exc:
            details = [{"field": f"segments.{ruled[s.index][0]}.rule",
                        "message": t("live_rule_short", segment=ruled[s.index][0] + 1, available=s.available,
                                     count=s.rule.count)} for s in exc.shortages]
            raise Invalid(details[0]["message"], code="rule_short", details=details) from None
        for rule_index, qid in picked:
            drawn.setdefault(ruled[rule_index][0], []).append(qid)
        found.update(_snapshots(session, [q for ids in drawn.values() for q in ids]))
    return [[found[qid] for qid in (s.question_ids or []) + drawn.get(i, [])] for i, s in enumerate(segments)]


def round_team_configs(session: Any, round_id: int, group: str | None = None) -> list[TeamConfig]:
    """The teams of a round (or of one group of it) as the engine's rosters: user ids in seat order."""
    from quiz.competitions.service import get_round, round_teams

    rnd = get_round(session, round_id)
    if rnd.format != "live":
        raise Conflict(t("live_round_not_live"), code="round_not_live")
    teams = round_teams(session, round_id, group)
    if not teams:
        raise Conflict(t("live_round_no_teams"), code="round_no_teams")
    return [TeamConfig(id=int(team["team_id"]), name=team["name"], unit=team.get("unit") or "",
                       seats=[int(m["user_id"]) for m in sorted(team["members"], key=lambda m: m["seat"])])
            for team in teams]


def round_prizes(session: Any, round_id: int) -> list[dict[str, Any]]:
    """The round's prizes ``[{name, count}]`` (best first), shown with the final leaderboard."""
    from quiz.competitions.service import get_round

    return [{"name": str(p.get("name") or ""), "count": int(p.get("count") or 0)}
            for p in get_round(session, round_id).prizes or []]


def build_config(title: str, base_score: int, teams: list[TeamConfig], segments: list[SegmentIn],
                 questions: list[list[QuestionSnapshot]], prizes: list[dict[str, Any]] | None = None) -> GameConfig:
    try:
        config = GameConfig(title=title, base_score=base_score, open=not teams, teams=teams, prizes=prizes or [],
                            segments=[
            SegmentConfig.from_dict({**s.model_dump(exclude={"question_ids", "rule"}), "questions": qs})
            for s, qs in zip(segments, questions, strict=True)])
        config.validate()
    except (ConfigError, TypeError, ValueError) as exc:
        raise Invalid(t("live_config_invalid", problems=str(exc)), code="config_invalid",
                      details=[{"field": "segments", "message": str(exc)}]) from None
    return config


def base_url(ctx: Ctx) -> str:
    from quiz.security import link_base  # QUIZ_BASE_URL, else a trusted Host (issue 9, item 11)

    return link_base(ctx.request, ctx.settings)[0]


def urls(ctx: Ctx, row: store.LiveGame) -> dict[str, str]:
    base = base_url(ctx)
    return {"join_url": f"{base}/play/{row.pin}", "screen_url": f"{base}/screen/{row.pin}",
            "host_url": f"{base}/host/{row.id}"}


def public(ctx: Ctx, row: store.LiveGame) -> dict[str, Any]:
    """A game as the API shows it: times in ISO 8601 with the zone, and its links."""
    from quiz.timeutil import to_iso

    data = row.public()
    tz = ctx.settings.timezone
    data["created_at"] = to_iso(data.pop("created_ms"), tz)
    data["finished_at"] = to_iso(data.pop("finished_ms"), tz)
    return {**data, **urls(ctx, row)}


def _create(ctx: Ctx, config: GameConfig, round_id: int | None, bank_id: int | None,
            group: str | None = None) -> dict[str, Any]:
    assert ctx.user is not None
    with ctx.db.write() as session:
        try:
            row, host_token = store.create_game(session, config, created_by=ctx.user.id, round_id=round_id,
                                                bank_id=bank_id, now_ms=ctx.now_ms())
        except store.PinTaken:
            raise Conflict(t("live_pin_exhausted"), code="pin_exhausted") from None
        if round_id is not None and row.id is not None:
            from quiz.audit import record_game_binding
            from quiz.competitions.service import bind_live_game

            record_game_binding(session, ctx.user, round_id, row.id, group)  # before: it names a game replaced

            bind_live_game(session, round_id, row.id, group)
    return {**public(ctx, row), "host_token": host_token}


# --- endpoints -------------------------------------------------------------------------------

@api(role="host", status=201)
def create_live(ctx: Ctx) -> Any:
    """Create a live game: segments resolved to question snapshots, a round's teams, a PIN and a host token."""
    data = ctx.parse(LiveIn)
    with ctx.db.read() as session:
        teams = round_team_configs(session, data.round_id, data.group) if data.round_id is not None else []
        prizes = round_prizes(session, data.round_id) if data.round_id is not None else []
        questions = resolve_questions(session, data.bank_id, data.segments, random.Random())
    config = build_config(data.title.strip(), data.base_score, teams, data.segments, questions, prizes)
    return _create(ctx, config, data.round_id, data.bank_id, data.group)


@api(role="host", status=201)
def create_quick(ctx: Ctx) -> Any:
    """An open game straight from a bank: one everyone-answers segment of random objective questions."""
    data = ctx.parse(QuickIn)
    with ctx.db.read() as session:
        bank = session.get(Bank, data.bank_id)
        if bank is None:
            raise NotFound(t("bank_not_found"), code="bank_not_found")
        pool = [c.id for c in _candidates(session, data.bank_id) if c.type in ("single", "multiple", "judge")
                and (not data.tags or c.tags & set(data.tags))]
        if len(pool) < data.count:
            raise Invalid(t("live_no_questions", count=data.count, available=len(pool)), code="rule_short")
        ids = random.Random().sample(pool, data.count)
        found = _snapshots(session, ids)
        title = data.title.strip() or f"{bank.name} · 快速竞答"
    segment = SegmentIn(kind="all", title="全员答题", time_limit_s=data.time_limit_s, points=data.points,
                        speed_bonus=data.speed_bonus)
    config = build_config(title, 0, [], [segment], [[found[i] for i in ids]])
    return _create(ctx, config, None, data.bank_id)


def may_host(user: User | None, row: store.LiveGame) -> bool:
    """Whether a logged-in user may host this game without its token: its creator, or an organizer."""
    return user is not None and (user.id == row.created_by or role_rank(user.role) >= role_rank("organizer"))


def _bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("authorization", "")
    return (header[7:].strip() or None) if header.lower().startswith("bearer ") else None


def _owned(ctx: Ctx, game_id: int | None = None) -> store.LiveGame:
    """The game, for its host: the game's host token as ``Authorization: Bearer``, or a logged-in
    user who created it or an organizer."""
    token = _bearer(ctx)
    if token is None and ctx.user is None:
        raise NotLoggedIn()  # neither a login nor a host token: say so before saying whether the game exists
    row = store.find_game(ctx.db, game_id=ctx.path_int("id") if game_id is None else game_id)
    if row is None:
        if ctx.user is not None and role_rank(ctx.user.role) < role_rank("host"):
            raise Forbidden()
        raise NotFound(t("live_not_found"), code="live_not_found")
    if token is not None and store.digest(token) == row.host_token_hash:
        return row
    if ctx.user is None:
        raise NotLoggedIn()
    if not may_host(ctx.user, row):
        raise Forbidden(t("live_not_owner"), code="not_owner")
    return row


@api(role="host")
def list_live(ctx: Ctx) -> Any:
    """The host's games (an organizer sees every game), newest first."""
    assert ctx.user is not None
    limit, offset = ctx.page_args()
    query = select(store.LiveGame)
    if role_rank(ctx.user.role) < role_rank("organizer"):
        query = query.where(store.LiveGame.created_by == ctx.user.id)
    status = ctx.query.get("status")
    if status in store.STATUSES:
        query = query.where(store.LiveGame.status == status)
    with ctx.db.read() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(store.LiveGame.id.desc()).offset(offset).limit(limit)).all()  # type: ignore
    return {"items": [public(ctx, r) for r in rows], "total": total}


@api(role=None, public=False)  # a logged-in host, or the game's host token alone (the console's unlock)
def get_live(ctx: Ctx) -> Any:
    """One game: status, PIN, links, segments, how many players joined."""
    row = _owned(ctx)
    with ctx.db.read() as session:
        players = session.exec(select(func.count()).select_from(store.LivePlayer)
                               .where(store.LivePlayer.game_id == row.id)).one()
    return {**public(ctx, row), "players": players}


def _read(ctx: Ctx, game_id: int, what: str, role: str = "screen") -> Any:
    """A game's ``state`` or ``ledger``, from the one worker that owns it (`LiveManager.read`)."""
    manager: LiveManager = ctx.app.state.live
    try:
        result = anyio.from_thread.run(manager.read, game_id, what, role)
    except TimeoutError:
        raise Unavailable(t("live_owner_unavailable"), code="live_unavailable") from None
    if result is None:
        raise NotFound(t("live_not_found"), code="live_not_found")
    return result


@api(role=None)
def live_state(ctx: Ctx) -> Any:
    """The snapshot the socket sends as ``state`` (the screen's; ``?as=host`` for the game's host)."""
    game_id = ctx.path_int("id")
    role = "screen"
    if ctx.query.get("as") == "host":
        _owned(ctx, game_id)
        role = "host"
    return _read(ctx, game_id, "state", role)


@api(role=None, public=False)  # the host token is checked by the endpoint itself
def live_ledger(ctx: Ctx) -> Any:
    """Every score change of the game, in order (append-only: corrections are entries too); for the game's
    host (host token as ``Authorization: Bearer``, or its creator or an organizer logged in)."""
    row = _owned(ctx)
    found = _read(ctx, row.id or 0, "ledger")
    entries, names, players = found["entries"], found["names"], found.get("players", {})
    tz = ctx.settings.timezone
    from quiz.timeutil import to_iso

    items = [{**e, "reason_text": reason_text(e["reason"]), "team_name": names.get(str(e["team_id"]), ""),
              "player_name": players.get(str(e["player_id"]), "") if e["team_id"] is None else "",
              "at": to_iso(e["at_ms"], tz)} for e in entries]
    return {"items": items, "total": len(items)}


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    return "、".join(str(v) for v in value) if isinstance(value, list) else str(value)


@api(role=None, public=False)  # the host token is checked by the endpoint itself
def live_results(ctx: Ctx) -> Any:
    """Every player's answer to every question, points, score, time and rank (``?format=xlsx``: a workbook);
    for the game's host, from its log (an open game ends with something to keep)."""
    from live.results import game_results

    row = _owned(ctx)
    found = store.game_log(ctx.db, row.id or 0)
    if found is None:
        raise NotFound(t("live_not_found"), code="live_not_found")
    results = game_results(row.title, row.config, found[1])
    results["status"] = row.status
    if ctx.query.get("format") != "xlsx":
        return results
    return _results_workbook(row, results)


def _results_workbook(row: store.LiveGame, results: dict[str, Any]) -> Response:
    from urllib.parse import quote

    from openpyxl import Workbook

    from question_bank.formats.cells import xlsx_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet("成绩")
    questions = results["questions"]
    sheet.append(xlsx_row(sheet, ["名次", "昵称/姓名", "队伍", "得分", "用时（秒）", "作答题数",
                                  *[f"第{q['number']}题" for q in questions]]))
    for p in results["players"]:
        cells = [f"{_answer_text(a['answer'])}{'' if a['answer'] is None else ' ✓' if a['correct'] else ' ✗' if a['correct'] is False else ''}"
                 for a in p["answers"]]
        sheet.append(xlsx_row(sheet, [p["rank"], p["name"], p["team"], p["score"], round(p["time_ms"] / 1000, 1),
                                      p["answered"], *cells]))
    key = book.create_sheet("题目")
    key.append(xlsx_row(key, ["题号", "环节", "题干", "正确答案", "答对人数", "作答人数"]))
    for i, q in enumerate(questions):
        given = [p["answers"][i] for p in results["players"] if p["answers"][i]["answer"] is not None]
        key.append(xlsx_row(key, [q["number"], q["segment"], q["stem"], _answer_text(q["answer"]),
                                  sum(1 for a in given if a["correct"]), len(given)]))
    if results["teams"]:
        teams = book.create_sheet("队伍")
        teams.append(xlsx_row(teams, ["名次", "队伍", "单位", "得分", "用时（秒）"]))
        for team in results["teams"]:
            teams.append(xlsx_row(teams, [team["rank"], team["name"], team.get("unit", ""), team["score"],
                                          round(team["time_ms"] / 1000, 1)]))
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"{row.title or '竞赛'}-成绩.xlsx"
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})


@api(role=None)
def join_qr(ctx: Ctx) -> Any:
    """The join link of a game as an SVG QR code (for the big screen)."""
    import segno

    from live.ws import pin_guesser

    pin = ctx.params.get("pin", "")
    guesser = pin_guesser(ctx.app, ctx.request.scope, known=pin in ctx.app.state.live.pins)
    if guesser is not None and (wait := guesser.retry_after_s()):
        raise TooManyRequests(t("live_too_many_guesses"), code="too_many_guesses",
                              details=[{"retry_after_s": wait}])
    row = store.find_game(ctx.db, pin=pin) if len(pin) == store.PIN_DIGITS and pin.isdigit() else None
    if row is None:
        if guesser is not None:
            guesser.wrong()
        raise NotFound(t("live_not_found"), code="live_not_found")
    buffer = io.BytesIO()
    segno.make(urls(ctx, row)["join_url"], error="m").save(buffer, kind="svg", scale=10, border=2, xmldecl=False)
    from quiz.security import link_base

    # Built from QUIZ_BASE_URL: the same for everyone, cacheable; built from the request's Host: never public.
    cache = "public, max-age=3600" if link_base(ctx.request, ctx.settings)[1] else "private, no-store"
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": cache})


routes = [
    Route("/api/live", create_live, methods=["POST"]),
    Route("/api/live", list_live, methods=["GET"]),
    Route("/api/live/quick", create_quick, methods=["POST"]),
    Route("/api/live/{pin}/qr.svg", join_qr, methods=["GET"]),
    Route("/api/live/{id}/state", live_state, methods=["GET"]),
    Route("/api/live/{id}/ledger", live_ledger, methods=["GET"]),
    Route("/api/live/{id}/results", live_results, methods=["GET"]),
    Route("/api/live/{id}", get_live, methods=["GET"]),
]
