"""The audit log of organisers' actions: who did what, to what, when (issue 9, "Operations").

``record(session, actor, action, target_type, target_id, details)`` adds an entry in the session of
the action itself, so the entry is committed with the action or not at all. Areas call it in one
line where an action succeeds (question imports and edits, test changes, competitions created or
changed, teams created, imported or substituted, a round created or changed, its teams and groups,
advancement, prizes, tie-breaks, a round's live game bound or replaced, user and role changes).

A live game's score corrections are the exception: the host's ``adjust`` and ``reverse`` are
commands of the game's own log (stored in bursts by the live runner, which knows no users), so they
are copied from that log into the audit log whenever the audit log is read (``sync_live``): each
with the time the server handled it and the game's creator, who holds its host token, as actor.

Organisers read it at ``/admin/audit`` (filters and pages) and export it (xlsx or csv) from
``GET /api/audit/export``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import JSON, Column, Index, String, cast, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select
from starlette.responses import Response
from starlette.routing import Route

from quiz.errors import Invalid
from quiz.i18n import register, t
from quiz.models import User
from quiz.web import Ctx, api, page

# Keys whose values never enter the log, whatever an area passes (a password, a token, a PIN).
SECRET_KEYS = ("password", "token", "secret", "pin", "hash")

ACTIONS = {
    "question.import": "导入题目",
    "question.create": "新增题目",
    "question.update": "修改题目",
    "question.delete": "删除题目",
    "exam.create": "新建测试",
    "exam.update": "修改测试",
    "exam.delete": "删除测试",
    "competition.create": "新建竞赛",
    "competition.update": "修改竞赛",
    "team.create": "新增队伍",
    "team.import": "导入队伍名单",
    "team.members": "更换队员（替补）",
    "round.create": "新建轮次",
    "round.update": "修改轮次设置",
    "round.teams": "设置轮次参赛队伍",
    "round.groups": "设置轮次分组",
    "round.scores": "录入轮次成绩",
    "round.advance": "晋级",
    "round.award": "确定奖项",
    "round.tiebreak": "记录加赛结果",
    "round.game_bound": "为轮次创建现场比赛",
    "round.game_replaced": "更换轮次的现场比赛",
    "live.adjust": "现场调整分数",
    "live.reverse": "现场撤销计分",
    "user.create": "新建用户",
    "user.update": "修改用户",
    "user.role": "更改用户角色",
    "user.import": "导入用户名单",
}
TARGETS = {"bank": "题库", "question": "题目", "exam": "测试", "round": "轮次", "live_game": "现场比赛",
           "user": "用户", "competition": "竞赛", "team": "队伍"}
LIVE_ACTIONS = ("adjust", "reverse")

register("zh", {"audit_bad_time": "时间“{value}”格式不正确（例如 2026-12-01 或 2026-12-01T08:00）",
                "audit_bad_format": "导出格式只能是 xlsx 或 csv"})
register("en", {"audit_bad_time": "Time '{value}' is not valid (e.g. 2026-12-01 or 2026-12-01T08:00)",
                "audit_bad_format": "Export format must be xlsx or csv"})


class AuditEntry(SQLModel, table=True):
    """One organiser action. The actor's username is kept as it was, so a renamed account still reads right."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at_ms: int = Field(index=True)
    actor_id: int | None = Field(default=None, index=True)  # no foreign key: the log outlives what it names
    actor_name: str = Field(default="", max_length=100)
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(default="", max_length=20)
    target_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Where an entry copied from elsewhere came from ("live:<game>:<seq>"): never copied twice.
    source_key: str | None = Field(default=None, max_length=60, unique=True, index=True)


class AuditLiveCursor(SQLModel, table=True):
    """How far each live game's command log has been copied into the audit log."""

    __tablename__ = "audit_live_cursor"

    game_id: int = Field(primary_key=True)
    seq: int = 0


# --- writing ------------------------------------------------------------------------------------

def is_secret(key: str) -> bool:
    """``password``, ``host_token``, ``token_hash``, ``pin``…: a key naming a secret (not ``opinion``)."""
    parts = str(key).lower().split("_")
    return any(word in parts for word in SECRET_KEYS)


def _clean(value: Any) -> Any:
    """JSON-ready, without secrets: what a details dict may hold."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if not is_secret(str(k))}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(session: Session, actor: User | int | None, action: str, target_type: str, target_id: int | None,
           details: dict[str, Any] | None = None, *, now_ms: int | None = None,
           source_key: str | None = None) -> AuditEntry:
    """Add an audit entry to ``session``: committed with the action that made it, or rolled back with it."""
    if isinstance(actor, User):
        actor_id, actor_name = actor.id, actor.username
    else:
        actor_id, actor_name = actor, ""
        if actor is not None:
            user = session.get(User, actor)
            actor_name = user.username if user is not None else ""
    entry = AuditEntry(at_ms=int(time.time() * 1000) if now_ms is None else now_ms, actor_id=actor_id,
                       actor_name=actor_name, action=action, target_type=target_type,
                       target_id=int(target_id) if target_id is not None else None, details=_clean(details or {}),
                       source_key=source_key)
    session.add(entry)
    return entry


def changes(obj: Any, given: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"from", "to"}}`` for each field of ``given`` that differs from ``obj`` (call it before the
    change is applied); a secret field is only named, in ``"changed": ["password"]``, never its value."""
    out: dict[str, Any] = {}
    secrets = [name for name, new in given.items() if is_secret(name) and new]
    for name, new in given.items():
        old = getattr(obj, name, None)
        if not is_secret(name) and new is not None and new != old:
            out[name] = {"from": _clean(old), "to": _clean(new)}
    if secrets:
        out["changed"] = secrets
    return out


def user_action(user: Any, role: str | None) -> str:
    """``user.role`` when the change gives the user another role, else ``user.update``."""
    return "user.role" if role is not None and role != user.role else "user.update"


def record_game_binding(session: Session, actor: User | None, round_id: int, live_id: int,
                        group: str | None = None) -> AuditEntry:
    """Before a round (or its group) is bound to a live game: ``round.game_replaced`` when another game
    was bound to it (naming that game), else ``round.game_bound``."""
    from quiz.competitions.models import Round

    rnd = session.get(Round, round_id)
    previous = rnd.live_id if rnd is not None else None
    if group is not None and rnd is not None:
        try:
            from quiz.competitions.service import group_named

            found = group_named(session, rnd, group)
            previous = found.live_id if found is not None else previous
        except ImportError:  # a build without groups
            pass
    replaced = previous is not None and previous != live_id
    details: dict[str, Any] = {"live_id": live_id, "group": group}
    if replaced:
        details["replaced_live_id"] = previous
    return record(session, actor, "round.game_replaced" if replaced else "round.game_bound", "round", round_id,
                  details)


# --- live score corrections, copied from the games' logs ---------------------------------------------

def sync_live(db: Any) -> int:
    """Copy the host's ``adjust``/``reverse`` commands not yet copied into the audit log; how many were.

    Each game's log is read once, from where the last copy stopped. Two readers at once: one of them
    loses on the unique ``source_key`` (or the cursor's key), rolls back and leaves it to the other.
    """
    try:
        from live.store import LiveCommand, LiveGame
    except ImportError:  # a build without live games
        return 0
    def behind(session: Session) -> list[tuple[int, int, int, int | None, str]]:
        """(game, copied up to, logged up to, creator, title) of each game with commands not yet looked at."""
        cursors = dict(session.exec(select(AuditLiveCursor.game_id, AuditLiveCursor.seq)).all())
        games = session.exec(select(LiveGame.id, LiveGame.seq, LiveGame.created_by, LiveGame.title)).all()
        return [(g, cursors.get(g, 0), seq, by, title) for g, seq, by, title in games if seq > cursors.get(g, 0)]

    with db.read() as session:  # most reads find nothing new: no write lock for them
        if not behind(session):
            return 0
    copied = 0
    text = cast(LiveCommand.command, String)
    try:
        with db.write() as session:
            for game_id, start, seq, created_by, title in behind(session):
                rows = session.exec(select(LiveCommand.seq, LiveCommand.now_ms, LiveCommand.command).where(
                    LiveCommand.game_id == game_id, LiveCommand.seq > start, LiveCommand.seq <= seq,
                    # A cheap first sieve in the database (with or without spaces after the colon), exact below.
                    or_(*(text.like(f'%"{a}"%') for a in LIVE_ACTIONS)))).all()
                for command_seq, now_ms, command in rows:
                    if not isinstance(command, dict) or command.get("action") not in LIVE_ACTIONS:
                        continue
                    params = command.get("params") or {}
                    record(session, created_by, f"live.{command['action']}", "live_game", game_id,
                           {"title": title, "seq": command_seq, **params}, now_ms=now_ms,
                           source_key=f"live:{game_id}:{command_seq}")
                    copied += 1
                cursor = session.get(AuditLiveCursor, game_id) or AuditLiveCursor(game_id=game_id)
                cursor.seq = seq
                session.add(cursor)
    except IntegrityError:  # another reader copied them at the same moment
        return 0
    return copied


# --- reading ---------------------------------------------------------------------------------------

def _time_filter(value: str | None, tz: str, *, end: bool) -> int | None:
    from quiz.timeutil import parse_iso

    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        ms = parse_iso(text, tz)
    except ValueError:
        raise Invalid(t("audit_bad_time", value=text[:40]), code="invalid",
                      details=[{"field": "to" if end else "from", "message": t("audit_bad_time", value=text[:40])}]
                      ) from None
    if end and len(text) == 10:  # a date alone: up to the end of that day
        ms += int(timedelta(days=1).total_seconds() * 1000)
    return ms


def query(session: Session, filters: dict[str, Any]) -> Any:
    """A select of the entries matching ``filters`` (action or action group, actor, target, from, to)."""
    statement = select(AuditEntry)
    action = (filters.get("action") or "").strip()
    if action:
        statement = statement.where(or_(AuditEntry.action == action, AuditEntry.action.like(f"{action}.%")))
    actor = (filters.get("actor") or "").strip()
    if actor:
        statement = statement.where(func.lower(AuditEntry.actor_name) == actor.lower())
    if filters.get("target_type"):
        statement = statement.where(AuditEntry.target_type == filters["target_type"])
    if filters.get("target_id") is not None:
        statement = statement.where(AuditEntry.target_id == filters["target_id"])
    if filters.get("from_ms") is not None:
        statement = statement.where(AuditEntry.at_ms >= filters["from_ms"])
    if filters.get("to_ms") is not None:
        statement = statement.where(AuditEntry.at_ms < filters["to_ms"])
    return statement


def entry_json(entry: AuditEntry, tz: str) -> dict[str, Any]:
    from quiz.timeutil import to_iso

    return {"id": entry.id, "at": to_iso(entry.at_ms, tz), "at_ms": entry.at_ms, "actor_id": entry.actor_id,
            "actor": entry.actor_name, "action": entry.action, "action_name": ACTIONS.get(entry.action, entry.action),
            "target_type": entry.target_type, "target_name": TARGETS.get(entry.target_type, entry.target_type),
            "target_id": entry.target_id, "details": entry.details}


def _filters(ctx: Ctx) -> dict[str, Any]:
    tz = ctx.settings.timezone
    return {"action": ctx.query.get("action"), "actor": ctx.query.get("actor"),
            "target_type": (ctx.query.get("target_type") or "").strip() or None,
            "target_id": ctx.query_int("target_id"),
            "from_ms": _time_filter(ctx.query.get("from"), tz, end=False),
            "to_ms": _time_filter(ctx.query.get("to"), tz, end=True)}


@api(role="organizer")
def list_entries(ctx: Ctx) -> Any:
    """The audit log, newest first: ?action= (or a group: user, exam, round, live, question), actor=, target_type=,
    target_id=, from=, to= (dates or ISO times), limit=, offset=."""
    filters = _filters(ctx)
    limit, offset = ctx.page_args(default=50, maximum=500)
    sync_live(ctx.db)
    with ctx.db.read() as session:
        statement = query(session, filters)
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = session.exec(statement.order_by(AuditEntry.at_ms.desc(), AuditEntry.id.desc())  # type: ignore
                            .limit(limit).offset(offset)).all()
    tz = ctx.settings.timezone
    return {"items": [entry_json(e, tz) for e in rows], "total": total, "actions": ACTIONS, "targets": TARGETS}


EXPORT_HEADERS = ["时间", "操作人", "操作", "操作代码", "对象", "对象编号", "详情"]
EXPORT_LIMIT = 100_000


def _formula_safe(text: str) -> str:
    """A cell that starts a formula in a spreadsheet (=, +, -, @, tab, CR) gets a leading apostrophe
    (OWASP's CSV-injection advice); the platform's shared cell helper is used where it exists."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _safe_cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    try:  # EDGE's helper for every export, when present
        from quiz.security import spreadsheet_text  # type: ignore[attr-defined]

        return spreadsheet_text(str(value))
    except ImportError:
        return _formula_safe(str(value))


def export_rows(entries: Iterable[AuditEntry], tz: str) -> Iterable[list[Any]]:
    from quiz.timeutil import to_local_text

    for e in entries:
        yield [to_local_text(e.at_ms, tz), e.actor_name, ACTIONS.get(e.action, e.action), e.action,
               TARGETS.get(e.target_type, e.target_type), e.target_id,
               orjson.dumps(e.details).decode() if e.details else ""]


@api(role="organizer")
def export_entries(ctx: Ctx) -> Any:
    """The audit log with the same filters as the list, as ``?format=xlsx`` (default) or ``csv``."""
    fmt = (ctx.query.get("format") or "xlsx").lower()
    if fmt not in ("xlsx", "csv"):
        raise Invalid(t("audit_bad_format"), code="invalid", details=[{"field": "format",
                                                                        "message": t("audit_bad_format")}])
    filters = _filters(ctx)
    sync_live(ctx.db)
    tz = ctx.settings.timezone
    with ctx.db.read() as session:
        entries = session.exec(query(session, filters).order_by(AuditEntry.at_ms.desc(),  # type: ignore
                                                                AuditEntry.id.desc()).limit(EXPORT_LIMIT)).all()
    rows = [[_safe_cell(v) for v in row] for row in export_rows(entries, tz)]
    headers = {"Content-Disposition": f'attachment; filename="audit-log.{fmt}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows(rows)
        return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers=headers)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("操作日志")
    sheet.append(EXPORT_HEADERS)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@page("admin_audit.html", role="organizer")
def audit_page(ctx: Ctx) -> Any:
    """The audit log for organisers: filters, pages, export."""
    return {"active": "audit", "actions": ACTIONS, "targets": TARGETS}


routes = [
    Route("/api/audit", list_entries, methods=["GET"]),
    Route("/api/audit/export", export_entries, methods=["GET"]),
    Route("/admin/audit", audit_page, methods=["GET"]),
]
