"""Teams: one by one, or a whole roster from a spreadsheet (队伍, 单位, 姓名, 账号), all rows or none.

A member is an existing account (by id, or by username) or a new one, made with the roster's
default password rule (``quiz.accounts.default_password``: the account's last six characters).
A person plays in at most one team of a competition; seats follow the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from quiz.accounts import default_password, find_header, hash_password, read_table
from quiz.competitions.models import Team, TeamMember
from quiz.errors import Conflict, Invalid
from quiz.i18n import t
from quiz.models import User

TEAM_HEADERS = {
    "team": ("队伍", "队名", "队伍名称", "team"),
    "unit": ("单位", "所在单位", "unit"),
    "name": ("姓名", "name"),
    "username": ("账号", "手机号", "账号/手机号", "用户名", "username", "account"),
    "seat": ("座次", "座位", "序号", "seat"),
}


@dataclass
class NewMember:
    """A member given by name and username (made as an account when the username is new)."""

    username: str
    name: str
    unit: str = ""
    row: int = 0


@dataclass
class TeamPlan:
    name: str
    unit: str
    row: int = 0
    members: list[int | NewMember] = field(default_factory=list)


def hash_all(passwords: dict[str, str]) -> dict[str, str]:
    """Hash many initial passwords at once (argon2 releases the GIL), outside any transaction."""
    if not passwords:
        return {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(passwords, pool.map(hash_password, passwords.values()), strict=True))


def _taken(session: Session, competition_id: int, user_ids: Sequence[int]) -> dict[int, str]:
    """Users already in a team of this competition: ``{user_id: team name}``."""
    if not user_ids:
        return {}
    rows = session.exec(select(TeamMember.user_id, Team.name).join(Team, col(Team.id) == col(TeamMember.team_id))
                        .where(TeamMember.competition_id == competition_id,
                               TeamMember.user_id.in_(list(user_ids)))).all()  # type: ignore[attr-defined]
    return {uid: name for uid, name in rows}


def create_teams(session: Session, competition_id: int, plans: Sequence[TeamPlan], hashes: dict[str, str],
                 now_ms: int) -> tuple[list[Team], int]:
    """Write teams already validated; returns (teams, accounts created). Usernames known get reused."""
    usernames = [m.username for p in plans for m in p.members if isinstance(m, NewMember)]
    existing = {u.username: u for u in session.exec(
        select(User).where(User.username.in_(usernames))).all()} if usernames else {}  # type: ignore[attr-defined]
    created_users = 0
    teams = []
    known_teams = {team.name: team for team in session.exec(select(Team).where(
        Team.competition_id == competition_id, col(Team.name).in_([p.name for p in plans]))).all()}
    if known_teams:  # re-import: their members are replaced by the file's
        for member in session.exec(select(TeamMember).where(
                col(TeamMember.team_id).in_([t.id for t in known_teams.values()]))).all():
            session.delete(member)
        session.flush()
    for plan in plans:
        team = known_teams.get(plan.name) or Team(competition_id=competition_id, name=plan.name, unit=plan.unit,
                                                  created_ms=now_ms)
        team.unit = plan.unit or team.unit
        session.add(team)
        session.flush()
        for seat, member in enumerate(plan.members, start=1):
            if isinstance(member, NewMember):
                user = existing.get(member.username)
                if user is None:
                    password_hash = hashes.get(member.username) or hash_password(default_password(member.username))
                    user = User(username=member.username, name=member.name or member.username, role="member",
                                unit=member.unit or plan.unit, password_hash=password_hash, created_ms=now_ms)
                    session.add(user)
                    session.flush()
                    existing[member.username] = user
                    created_users += 1
                user_id = user.id or 0
            else:
                user_id = member
            session.add(TeamMember(competition_id=competition_id, team_id=team.id or 0, user_id=user_id, seat=seat))
        teams.append(team)
    session.flush()
    return teams, created_users


def check_team(session: Session, competition_id: int, plan: TeamPlan) -> None:
    """Raise 409/422 for a team that cannot be added as given (one team through the API)."""
    if session.exec(select(Team).where(Team.competition_id == competition_id, Team.name == plan.name)).first():
        raise Conflict(t("team_exists", name=plan.name), code="team_exists")
    ids = [m for m in plan.members if isinstance(m, int)]
    known = set(session.exec(select(User.id).where(User.id.in_(ids))).all()) if ids else set()  # type: ignore
    details = [{"field": f"members.{i}", "message": t("user_not_found_id", user_id=m)}
               for i, m in enumerate(plan.members) if isinstance(m, int) and m not in known]
    if details:
        raise Invalid(details[0]["message"], code="user_not_found", details=details)
    names = [m.username for m in plan.members if isinstance(m, NewMember)]
    if names:
        by_name = dict(session.exec(select(User.username, User.id).where(User.username.in_(names))).all())  # type: ignore
        ids += [by_name[n] or 0 for n in names if n in by_name]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise Invalid(t("member_repeated"), code="member_repeated")
    taken = _taken(session, competition_id, ids)
    if taken:
        uid, team = next(iter(taken.items()))
        raise Conflict(t("member_in_other_team", user_id=uid, team=team), code="member_in_other_team",
                       details=[{"user_id": u, "team": n} for u, n in taken.items()])


def parse_team_roster(session: Session, competition_id: int, filename: str, data: bytes
                      ) -> tuple[list[TeamPlan], list[dict[str, Any]]]:
    """Teams of a roster file and every row error (``{row, field, message}``), checked against the database."""
    rows = [r for r in read_table(filename, data) if any(r[1])]
    if not rows:
        return [], [{"row": 1, "field": "", "message": "文件中没有数据"}]
    start, columns = find_header(rows, TEAM_HEADERS, ("team", "name", "username"))
    header_row = rows[start][0]
    errors: list[dict[str, Any]] = []
    for key, label in (("team", "队伍"), ("name", "姓名"), ("username", "账号")):
        if key not in columns:
            errors.append({"row": header_row, "field": label, "message": t("roster_missing_column", column=label)})
    if errors:
        return [], errors

    def get(cells: list[str], key: str) -> str:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    plans: dict[str, TeamPlan] = {}
    seats: dict[str, list[tuple[int, NewMember]]] = {}
    seen: dict[str, int] = {}
    for number, cells in rows[start + 1:]:
        team, unit, name, username, seat = (get(cells, k) for k in ("team", "unit", "name", "username", "seat"))
        problems = []
        for value, label, limit in ((team, "队伍", 100), (name, "姓名", 100), (username, "账号", 100)):
            if not value:
                problems.append((label, f"{label}不能为空"))
            elif len(value) > limit:
                problems.append((label, f"{label}过长（最多 {limit} 字）"))
        if len(unit) > 200:
            problems.append(("单位", "单位过长（最多 200 字）"))
        if username and username in seen:
            problems.append(("账号", f"账号与第 {seen[username]} 行重复"))
        if seat and not (seat.isdigit() and 0 < int(seat) < 100):
            problems.append(("座次", "座次应为正整数"))
        errors.extend({"row": number, "field": f, "message": m} for f, m in problems)
        if username:
            seen.setdefault(username, number)
        if problems:
            continue
        plan = plans.setdefault(team, TeamPlan(name=team, unit=unit, row=number))
        plan.unit = plan.unit or unit
        seats.setdefault(team, []).append((int(seat) if seat else 1000 + len(seats.get(team, [])),
                                           NewMember(username=username, name=name, unit=unit, row=number)))
    for team, members in seats.items():
        numbers = [s for s, _ in members if s < 1000]
        if len(set(numbers)) != len(numbers):
            errors.append({"row": plans[team].row, "field": "座次", "message": f"队伍“{team}”的座次重复"})
        plans[team].members = [m for _, m in sorted(members, key=lambda x: x[0])]
    if plans:
        errors.extend(_check_against_database(session, competition_id, list(plans.values())))
    errors.sort(key=lambda e: (e["row"], e["field"]))
    return list(plans.values()), errors


def _check_against_database(session: Session, competition_id: int, plans: list[TeamPlan]) -> list[dict[str, Any]]:
    errors = []
    names = [p.name for p in plans]
    # A team of the file that already exists is updated (its members replaced by the file's), so an
    # organiser can correct a roster and import it again; a member may move between teams of the file.
    members = [m for p in plans for m in p.members if isinstance(m, NewMember)]
    users = dict(session.exec(select(User.username, User.id).where(
        User.username.in_([m.username for m in members]))).all())  # type: ignore[attr-defined]
    taken = _taken(session, competition_id, [uid for uid in users.values() if uid is not None])
    for m in members:
        uid = users.get(m.username)
        if uid in taken and taken[uid] not in names:
            errors.append({"row": m.row, "field": "账号",
                           "message": f"账号“{m.username}”已在本竞赛的队伍“{taken[uid]}”中"})
    return errors


def substitute_members(session: Session, team: Team, plan: TeamPlan, hashes: dict[str, str], now_ms: int
                       ) -> list[int]:
    """The user ids of a team's new players in seat order, accounts made for new usernames (the same
    shapes and rules as creating a team: existing users by id, unknown ids 422, nobody twice, nobody
    from another team of the competition 409)."""
    ids = [m for m in plan.members if isinstance(m, int)]
    known = set(session.exec(select(User.id).where(col(User.id).in_(ids))).all()) if ids else set()
    details = [{"field": f"members.{i}", "message": t("user_not_found_id", user_id=m)}
               for i, m in enumerate(plan.members) if isinstance(m, int) and m not in known]
    if details:
        raise Invalid(details[0]["message"], code="user_not_found", details=details)
    result: list[int] = []
    for member in plan.members:
        if isinstance(member, int):
            result.append(member)
            continue
        user = session.exec(select(User).where(User.username == member.username)).first()
        if user is None:
            password_hash = hashes.get(member.username) or hash_password(default_password(member.username))
            user = User(username=member.username, name=member.name or member.username, role="member",
                        unit=team.unit, password_hash=password_hash, created_ms=now_ms)
            session.add(user)
            session.flush()
        result.append(user.id or 0)
    if len(set(result)) != len(result):
        raise Invalid(t("member_repeated"), code="member_repeated")
    taken = {uid: name for uid, name in _taken(session, team.competition_id, result).items() if name != team.name}
    if taken:
        uid, name = next(iter(taken.items()))
        raise Conflict(t("member_in_other_team", user_id=uid, team=name), code="member_in_other_team",
                       details=[{"user_id": u, "team": n} for u, n in taken.items()])
    return result
