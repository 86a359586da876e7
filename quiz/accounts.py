"""Accounts: passwords, logins, tokens, throttling, users and roster import (CONTRACT §2)."""

from __future__ import annotations

import csv
import io
import os
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.routing import Route

from quiz import audit
from quiz.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, NotLoggedIn, TooManyRequests
from quiz.i18n import register as register_texts
from quiz.i18n import t
from quiz.models import ROLES, AuthToken, User, role_rank
from quiz.sessions import TRUST_S, after_commit, bus_for_engine, namespace, register, token_digest, unregister
from quiz.throttle import Backend, Policy, RedisBackend, Throttle, backend_for
from quiz.web import Ctx, JSONResponse, api, request_token

# OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane (~25 ms here instead of ~160 ms).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
COOKIE = "quiz_session"

register_texts("zh", {"wrong_old_password": "原密码不正确"})
register_texts("en", {"wrong_old_password": "The current password is wrong"})


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("not-a-real-password")


def issue_token(session: Session, user: User, now_ms: int, days: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(token_hash=token_digest(token), user_id=user.id or 0, created_ms=now_ms,
                          expires_ms=now_ms + days * 86_400_000))
    return token


def cached_user(db: Any, token: str, now_ms: int) -> tuple[bool, User | None]:
    """``(True, user or None)`` when this process's cache can answer for ``token`` without a query,
    else ``(False, None)``. Cheap enough for the event loop: one digest and two dict lookups.

    The cache (``quiz/sessions.py``) is forgotten in every process when a session ends; it keeps the
    token's expiry and checks it against the server clock on every hit.
    """
    bus = bus_for_engine(db.engine)
    hit = bus.cache.get(token_digest(token))
    if hit is None or time.monotonic() - hit[0] >= TRUST_S or not bus.fresh():
        return False, None
    user, expires_ms = hit[1], hit[2]
    if user is None or not user.active or expires_ms <= now_ms:
        return True, None
    return True, user


def user_for_token(db: Any, token: str, now_ms: int) -> User | None:
    """The active user owning ``token``; the process's cache spares a query on busy paths."""
    known, user = cached_user(db, token, now_ms)
    if known:
        return user
    digest = token_digest(token)
    cache = bus_for_engine(db.engine).cache
    epoch = cache.epoch  # a change committed while we read must not be cached over
    with db.read() as session:
        row = session.exec(select(User, AuthToken.expires_ms).join(AuthToken, AuthToken.user_id == User.id)
                           .where(AuthToken.token_hash == digest)).first()
    user = row[0] if row and row[1] > now_ms and row[0].active else None
    cache.put(digest, user, row[1] if row else 0, epoch)
    return user


def end_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> int:
    """End every session of a user (but ``keep_token``'s) in the database and, once committed, in every
    process. Returns how many ended."""
    query = select(AuthToken).where(AuthToken.user_id == user_id)
    if keep_token:
        query = query.where(AuthToken.token_hash != token_digest(keep_token))
    rows = session.exec(query).all()
    for row in rows:
        session.delete(row)
    after_commit(session, lambda bus: bus.forget("user", user_id))
    return len(rows)


def forget_users_after_commit(session: Session) -> None:
    """Forget every cached login once committed (after many users changed at once: a roster import)."""
    after_commit(session, lambda bus: bus.forget("all"))


class LoginThrottle:
    """Slows down the guesser, not the owner (CONTRACT §2; issue: anyone could lock anyone out).

    Three failure counters (``quiz/throttle.py``, shared by every worker with Redis), each with a growing
    delay once its allowance is spent — ``lock_s``, then twice that with each further failure:
    - the (address, account) pair: ``max_failures`` — the one guesser at one account;
    - the account from anywhere: ``ACCOUNT_FACTOR`` times as many — a guess spread over many addresses;
    - the address on any account: ``ADDRESS_FACTOR`` times as many — one address trying many names
      (a unit's members often share one address, hence the headroom).
    The owner is known by where they logged in before: an address this account logged in from within
    ``session_days`` is exempt from the account's and the address's counters, so neither a guesser
    elsewhere nor a neighbour behind the same NAT trying other names locks the owner out.
    """

    ACCOUNT_FACTOR = 4
    ADDRESS_FACTOR = 10
    MEMORY_MS = 3_600_000  # failures are forgotten an hour after the last one
    KNOWN_MS = 30 * 86_400_000

    def __init__(self, max_failures: int, lock_s: int, backend: Backend | None = None) -> None:
        self.max_failures = max_failures
        self.lock_s = lock_s
        self.throttle = Throttle(backend)
        lock_ms = lock_s * 1000

        def policy(factor: int) -> Policy:
            return Policy(max_failures * factor, lock_ms, lock_ms * 64, self.MEMORY_MS)

        self.pair, self.account, self.address = policy(1), policy(self.ACCOUNT_FACTOR), policy(self.ADDRESS_FACTOR)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str, str]:
        name = username.strip().lower()
        return f"login:pair:{address}:{name}", f"login:user:{name}", f"login:ip:{address}"

    def check(self, username: str, address: str, now_ms: int) -> None:
        """Raise 429 (with ``Retry-After``) while this attempt must wait."""
        pair, account, whole_address = self._keys(username, address)
        known = self.throttle.backend.marked(f"login:known:{address}:{username.strip().lower()}", now_ms)
        seconds = self.throttle.retry_after_s([pair] if known else [pair, account, whole_address], now_ms)
        if seconds:
            raise TooManyRequests(t("login_throttled", seconds=seconds), code="login_throttled",
                                  details=[{"retry_after_s": seconds}])

    def failed(self, username: str, address: str, now_ms: int) -> None:
        pair, account, whole_address = self._keys(username, address)
        self.throttle.failed([(pair, self.pair), (account, self.account), (whole_address, self.address)], now_ms)

    def succeeded(self, username: str, address: str, now_ms: int) -> None:
        """The owner is in: their account's counters start again, and this address is theirs from now on.
        The address's own counter stays (a success among many guesses does not excuse the others)."""
        pair, account, _ = self._keys(username, address)
        self.throttle.succeeded([pair, account])
        self.throttle.backend.mark(f"login:known:{address}:{username.strip().lower()}", self.KNOWN_MS, now_ms)


def find_user(session: Session, username: str) -> User | None:
    """The user with this username, compared without regard to case (``Zhang`` and ``zhang`` are one account)."""
    name = username.strip()
    exact = session.exec(select(User).where(User.username == name)).first()
    if exact is not None:
        return exact
    return session.exec(select(User).where(func.lower(User.username) == name.lower())).first()


Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class LoginIn(BaseModel):
    username: Username
    password: str = Field(min_length=1, max_length=200)


class UserIn(BaseModel):
    username: Username
    password: str = Field(min_length=6, max_length=200)
    name: str = Field(default="", max_length=100)
    role: Literal["member", "host", "organizer", "admin"] = "member"
    unit: str = Field(default="", max_length=200)


def check_grant(actor: User, role: str) -> None:
    """No one grants a role above their own; only an admin creates or changes admins and organizers."""
    if role not in ROLES:
        raise Invalid(t("unknown_role", role=role), code="unknown_role")
    if role_rank(role) > role_rank(actor.role):
        raise Forbidden(t("role_too_high"), code="role_too_high")
    if role in ("admin", "organizer") and actor.role != "admin":
        raise Forbidden(t("admin_only_roles"), code="admin_only_roles")


def login_response(ctx: Ctx, user: User, token: str) -> JSONResponse:
    response = JSONResponse({"token": token, "user": user.public()})
    response.set_cookie(COOKIE, token, max_age=ctx.settings.session_days * 86400, httponly=True, samesite="lax",
                        secure=ctx.request.url.scheme == "https")
    return response


@api(role=None)
def login(ctx: Ctx) -> Any:
    """Log in with username and password; returns a token and sets the session cookie."""
    data = ctx.parse(LoginIn)
    now = ctx.now_ms()
    client = ctx.request.client.host if ctx.request.client else "?"
    throttle: LoginThrottle = ctx.app.state.login_throttle
    throttle.check(data.username, client, now)
    with ctx.db.read() as session:
        user = find_user(session, data.username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, data.password)  # same cost whether or not the account exists
        ok = False
    else:
        ok = verify_password(user.password_hash, data.password)
    if not ok or user is None:
        throttle.failed(data.username, client, now)
        raise NotLoggedIn(t("bad_credentials"), code="bad_credentials")
    throttle.succeeded(data.username, client, now)
    with ctx.db.write() as session:
        token = issue_token(session, user, now, ctx.settings.session_days)
    return login_response(ctx, user, token)


@api(role=None)
def logout(ctx: Ctx) -> Any:
    """End this session (on every worker)."""
    token = request_token(ctx.request)
    if token:
        with ctx.db.write() as session:
            row = session.get(AuthToken, token_digest(token))
            if row:
                session.delete(row)
            digest = token_digest(token)
            after_commit(session, lambda bus: bus.forget("token", digest))
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE)
    return response


@api(role="member")
def logout_all(ctx: Ctx) -> Any:
    """Log out everywhere: end every session of the caller, this one included, on every worker."""
    assert ctx.user and ctx.user.id is not None
    with ctx.db.write() as session:
        ended = end_sessions(session, ctx.user.id)
    response = JSONResponse({"ok": True, "ended": ended})
    response.delete_cookie(COOKIE)
    return response


class PasswordIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=6, max_length=200)


@api(role="member")
def change_password(ctx: Ctx) -> Any:
    """Change one's own password; every other session of the account ends (this one stays)."""
    assert ctx.user and ctx.user.id is not None
    data = ctx.parse(PasswordIn)
    if not verify_password(ctx.user.password_hash, data.old_password):
        raise Forbidden(t("wrong_old_password"), code="wrong_old_password")
    password_hash = hash_password(data.new_password)
    with ctx.db.write() as session:
        user = session.get(User, ctx.user.id)
        assert user is not None
        user.password_hash = password_hash
        session.add(user)
        ended = end_sessions(session, user.id or 0, keep_token=request_token(ctx.request))
    return {"ok": True, "ended": ended}


@api(role="member")
def me(ctx: Ctx) -> Any:
    assert ctx.user
    return ctx.user.public()


def upsert_user(session: Session, *, username: str, password: str | None, name: str | None = None,
                role: str | None = None, unit: str | None = None, now_ms: int, overwrite: bool) -> tuple[User, bool]:
    """Create a user, or update one when ``overwrite``; returns (user, created).

    An update changes only what is given (``None``: kept). A new password or another role ends every
    session of the user."""
    user = find_user(session, username)
    if user is not None and not overwrite:
        raise Conflict(t("username_taken", username=username), code="username_taken")
    created = user is None
    if user is None:
        user = User(username=username, created_ms=now_ms, role=role or "member", unit=unit or "")
    ends_sessions = not created and (bool(password) or (role is not None and role != user.role))
    user.name = name or user.name or username
    if role is not None:
        user.role = role
    if unit is not None:
        user.unit = unit
    if password:
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    if ends_sessions:
        end_sessions(session, user.id or 0)
    return user, created


@api(role="organizer", status=201)
def create_user(ctx: Ctx) -> Any:
    """Create a user (never overwrites an existing username)."""
    assert ctx.user
    data = ctx.parse(UserIn)
    check_grant(ctx.user, data.role)
    with ctx.db.write() as session:
        user, _ = upsert_user(session, username=data.username.strip(), password=data.password, name=data.name,
                              role=data.role, unit=data.unit, now_ms=ctx.now_ms(), overwrite=False)
        audit.record(session, ctx.user, "user.create", "user", user.id, {"username": user.username, "role": user.role, "unit": user.unit})
    return user.public()


class UserChange(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    unit: str | None = Field(default=None, max_length=200)
    role: Literal["member", "host", "organizer", "admin"] | None = None
    password: str | None = Field(default=None, min_length=6, max_length=200)
    active: bool | None = None


def check_reach(actor: User, target: User) -> None:
    """Only an admin changes an admin or an organizer; no one changes an account above their own role."""
    if target.role != "member" and (role_rank(target.role) > role_rank(actor.role)
                                    or (target.role in ("admin", "organizer") and actor.role != "admin")):
        raise Forbidden(t("admin_only_roles"), code="admin_only_roles")


@api(role="organizer")
def update_user(ctx: Ctx) -> Any:
    """Change a user: only the fields given. A new password, another role or a deactivation ends every
    session of that user at once, on every worker."""
    assert ctx.user
    user_id = ctx.path_int("user_id")
    data = ctx.parse(UserChange)
    if data.role is not None:
        check_grant(ctx.user, data.role)
    password_hash = hash_password(data.password) if data.password else None
    with ctx.db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(t("not_found"), code="not_found")
        check_reach(ctx.user, user)
        audit.record(session, ctx.user, audit.user_action(user, data.role), "user", user_id, {"username": user.username, **audit.changes(user, data.model_dump(exclude_unset=True))})
        ends = bool(password_hash) or (data.role is not None and data.role != user.role) or (
            data.active is False and user.active)
        if data.name is not None:
            user.name = data.name or user.name
        if data.unit is not None:
            user.unit = data.unit
        if data.role is not None:
            user.role = data.role
        if data.active is not None:
            user.active = data.active
        if password_hash:
            user.password_hash = password_hash
        session.add(user)
        if ends:
            end_sessions(session, user_id)
        else:
            after_commit(session, lambda bus: bus.forget("user", user_id))  # a cached name or unit
    return user.public() | {"active": user.active}


@api(role="organizer")
def list_users(ctx: Ctx) -> Any:
    limit, offset = ctx.page_args()
    with ctx.db.read() as session:
        query = select(User)
        unit = ctx.query.get("unit")
        if unit:
            query = query.where(User.unit == unit)
        rows = session.exec(query.order_by(User.id).offset(offset).limit(limit)).all()
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return {"items": [u.public() for u in rows], "total": total}


# --- roster import ---------------------------------------------------------------

ROSTER_HEADERS = {
    "name": ("姓名", "name"),
    "username": ("账号", "手机号", "账号/手机号", "用户名", "username", "account"),
    "unit": ("单位", "所在单位", "unit"),
    "team": ("队伍", "队名", "team"),
    "password": ("初始密码", "密码", "password"),
    "role": ("角色", "role"),
}
ROLE_WORDS = {"成员": "member", "党员": "member", "主持人": "host", "组织者": "organizer", "管理员": "admin"}


def _cell(value: Any) -> str:
    from question_bank.formats.cells import clean_text  # a stray control character is dropped, never stored

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def read_table(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """Rows of an xlsx or csv file as (row number as the user sees it, cells). Raises BadRequest."""
    from question_bank.formats.limits import check_archive, count_rows  # zip bombs and row floods: 413

    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        import zipfile

        from openpyxl import load_workbook
        check_archive(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
            rows = [(i, [_cell(c) for c in row])
                    for i, row in enumerate(count_rows(ws.iter_rows(values_only=True)), start=1)]
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, EOFError):
            raise Invalid("文件不是有效的 Excel (.xlsx) 文件", code="bad_file") from None
        wb.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("无法识别文件编码（请使用 UTF-8 或 GBK）", code="bad_file")
    try:
        return [(i, [_cell(c) for c in row]) for i, row in enumerate(count_rows(csv.reader(io.StringIO(text))), start=1)]
    except csv.Error:
        raise Invalid("CSV 格式错误", code="bad_file") from None


def header_map(cells: list[str], spec: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(cells):
        key = raw.replace("*", "").replace(" ", "").split("(")[0].split("（")[0].strip().lower()
        for fieldname, aliases in spec.items():
            if fieldname not in found and key in {a.lower() for a in aliases}:
                found[fieldname] = index
    return found


def find_header(rows: list[tuple[int, list[str]]], spec: dict[str, tuple[str, ...]],
                required: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """Index (into ``rows``) of the header and its column map: the first of the first ten rows naming every
    required column, so a title row above the header (often merged) is skipped; else the first row."""
    for index, (_, cells) in enumerate(rows[:10]):
        columns = header_map(cells, spec)
        if all(name in columns for name in required):
            return index, columns
    return 0, header_map(rows[0][1], spec) if rows else {}


@dataclass
class RosterRow:
    row: int
    username: str
    name: str
    unit: str
    team: str
    password: str
    role: str | None  # None: the roster has no 角色 cell (new accounts are members, existing ones keep theirs)


def parse_roster(filename: str, data: bytes) -> tuple[list[RosterRow], list[dict[str, Any]]]:
    """Validate a roster; returns rows and every error (row, field, message)."""
    rows = [r for r in read_table(filename, data) if any(r[1])]
    if not rows:
        return [], [{"row": 1, "field": "", "message": "文件中没有数据"}]
    start, columns = find_header(rows, ROSTER_HEADERS, ("name", "username"))
    header_row = rows[start][0]
    errors: list[dict[str, Any]] = []
    for required, label in (("name", "姓名"), ("username", "账号")):
        if required not in columns:
            errors.append({"row": header_row, "field": label, "message": t("roster_missing_column", column=label)})
    if errors:
        return [], errors
    result: list[RosterRow] = []
    seen: dict[str, int] = {}

    def get(cells: list[str], key: str) -> str:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    for number, cells in rows[start + 1:]:
        username, name = get(cells, "username"), get(cells, "name")
        password = get(cells, "password")
        role_text = get(cells, "role")
        role = ROLE_WORDS.get(role_text, role_text) if role_text else None
        if not username:
            errors.append({"row": number, "field": "账号", "message": "账号不能为空"})
            continue
        if not name:
            errors.append({"row": number, "field": "姓名", "message": "姓名不能为空"})
        if username in seen:
            errors.append({"row": number, "field": "账号", "message": f"账号与第 {seen[username]} 行重复"})
        for label, value, limit in (("账号", username, 100), ("姓名", name, 100), ("单位", get(cells, "unit"), 200)):
            if len(value) > limit:
                errors.append({"row": number, "field": label, "message": f"{label}过长（最多 {limit} 个字）"})
        if password and len(password) < 6:
            errors.append({"row": number, "field": "初始密码", "message": "初始密码至少 6 位"})
        if role is not None and role not in ROLES:
            errors.append({"row": number, "field": "角色", "message": t("unknown_role", role=role_text)})
        seen[username] = number
        result.append(RosterRow(number, username, name, get(cells, "unit"), get(cells, "team"), password, role))
    return result, errors


def default_password(username: str) -> str:
    """The initial password when the roster gives none: the account's last six characters (as for phone numbers)."""
    return username[-6:] if len(username) >= 6 else username.rjust(6, "0")


def _hash_all(passwords: list[str]) -> list[str]:
    """argon2 hashes of many passwords; cffi releases the GIL, so threads use every core."""
    if len(passwords) < 8:
        return [hash_password(p) for p in passwords]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(hash_password, passwords))


@api(role="organizer")
def import_users(ctx: Ctx) -> Any:
    """Import a roster (xlsx/csv): all rows or none. Existing accounts are updated (name, unit, and the
    password and role only where the roster gives them); accounts above the importer's reach are errors."""
    actor = ctx.user
    assert actor
    from question_bank.formats.limits import cap_errors

    filename, data = ctx.upload()
    rows, errors = parse_roster(filename, data)
    with ctx.db.read() as session:
        existing = {u.username.lower(): u for u in session.exec(select(User).where(
            func.lower(User.username).in_([r.username.lower() for r in rows]))).all()}
    for r in rows:
        user = existing.get(r.username.lower())
        if user is not None and user.role != "member" and (
                role_rank(user.role) > role_rank(actor.role) or (user.role in ("admin", "organizer") and actor.role != "admin")):
            errors.append({"row": r.row, "field": "账号", "message": t("roster_protected_account", username=r.username)})
        elif r.role is not None and r.role in ROLES:
            try:
                check_grant(actor, r.role)
            except Forbidden as exc:
                errors.append({"row": r.row, "field": "角色", "message": exc.message})
    if errors:
        errors.sort(key=lambda e: e["row"])
        errors, count = cap_errors(errors)
        return JSONResponse({"error": {"code": "import_invalid", "message": t("roster_import_invalid", count=count),
                                       "details": errors}, "created": 0, "updated": 0, "errors": errors,
                             "error_count": count}, status_code=422)
    now = ctx.now_ms()
    # Hash outside the transaction (the argon2 work must not hold the write lock), and only what is stored:
    # new accounts (given or default password) and existing ones whose row gives a password.
    needed = [r for r in rows if r.username.lower() not in existing or r.password]
    hashes = dict(zip([r.username for r in needed],
                      _hash_all([r.password or default_password(r.username) for r in needed]), strict=True))
    created = updated = 0
    with ctx.db.write() as session:
        current = {u.username.lower(): u for u in session.exec(select(User).where(
            func.lower(User.username).in_([r.username.lower() for r in rows]))).all()}
        for r in rows:
            user = current.get(r.username.lower())
            if user is None:
                password_hash = hashes.get(r.username) or hash_password(default_password(r.username))
                user = User(username=r.username, created_ms=now, password_hash=password_hash, role=r.role or "member")
                created += 1
            else:
                if user.role != existing.get(r.username.lower(), user).role:
                    raise Conflict(t("roster_changed"), code="roster_changed")  # changed while importing: retry
                updated += 1
                changes_login = bool(r.password) or (r.role is not None and r.role != user.role)
                if r.password:
                    user.password_hash = hashes[r.username]
                if r.role is not None:
                    user.role = r.role
                if changes_login:
                    end_sessions(session, user.id or 0)
            user.name, user.unit = r.name, r.unit
            session.add(user)
        forget_users_after_commit(session)  # names and units changed too: nobody's cached copy is kept
        audit.record(session, actor, "user.import", "user", None, {"file": filename, "created": created, "updated": updated})
    warnings = []
    if any(r.team for r in rows):
        warnings.append("“队伍”列未在此处使用：请在竞赛管理中用“导入队伍”把队员编入队伍")
    result: dict[str, Any] = {"created": created, "updated": updated, "errors": []}
    if warnings:
        result["warnings"] = warnings
    return result


async def startup(app: Any) -> None:
    """This app's token cache, and with Redis the reader of every process's session invalidations."""
    redis_url = app.state.settings.redis_url
    register(app.state.db, redis_url).start()
    # One backend for every counter of this app: logins, and PIN guesses and guests in live games.
    backend = backend_for(redis_url, namespace(app.state.db))
    app.state.login_throttle.throttle.backend = backend
    app.state.throttle = Throttle(backend)


async def shutdown(app: Any) -> None:
    await bus_for_engine(app.state.db.engine).stop()
    backend = app.state.login_throttle.throttle.backend
    if isinstance(backend, RedisBackend):
        backend.close()
    unregister(app.state.db)


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/auth/logout-all", logout_all, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/me/password", change_password, methods=["POST"]),
    Route("/api/users", create_user, methods=["POST"]),
    Route("/api/users", list_users, methods=["GET"]),
    Route("/api/users/import", import_users, methods=["POST"]),
    Route("/api/users/{user_id:int}", update_user, methods=["PATCH"]),
]

__all__ = ["BadRequest", "HASHER", "hash_password", "issue_token", "routes", "upsert_user", "verify_password"]
