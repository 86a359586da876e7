"""Accounts through the API (CONTRACT §2): login, cookie and token, throttling, logout, users, roster import."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select

from quiz.models import User

ROSTER_HEADER = ["姓名", "账号/手机号", "单位", "队伍", "初始密码"]


def login(client: Any, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def without_warnings(body: dict[str, Any]) -> dict[str, Any]:
    """The contract's import result; ``warnings`` (e.g. an unused 队伍 column) is an addition."""
    return {k: v for k, v in body.items() if k != "warnings"}


def user_count(app: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(User)).one()


def get_user(app: Any, username: str) -> User | None:
    with app.state.db.read() as session:
        return session.exec(select(User).where(User.username == username)).first()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


# --- login, cookie, token, logout ------------------------------------------------------------


def test_login_gives_token_and_cookie_both_work_for_me(client, users):
    response = login(client, "alice", "secret123")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {"id": users.ids["alice"], "username": "alice", "name": "alice", "role": "member",
                            "unit": "市财政局"}
    token = body["token"]
    assert "quiz_session" in response.cookies
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie

    # the cookie alone (the TestClient keeps it)
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"
    # the token alone, from a client without the cookie
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["id"] == users.ids["alice"]


@pytest.mark.parametrize("username,password", [("alice", "wrong-pass"), ("nobody", "secret123"), ("ALICE", "wrong-pass")])
def test_wrong_credentials_401_in_error_shape(client, users, username, password):
    error = assert_error(login(client, username, password), 401, "bad_credentials")
    assert error["message"] == "账号或密码错误"
    assert "quiz_session" not in client.cookies


def test_login_body_validation_is_422_not_500(client, users):
    assert_error(client.post("/api/auth/login", json={"username": "alice"}), 422, "invalid")
    assert_error(client.post("/api/auth/login", json=["alice"]), 400)
    assert_error(client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}), 400)


def test_throttled_after_repeated_failures_then_allowed_after_lock(client, users, clock, settings):
    for _ in range(settings.login_max_failures):
        assert_error(login(client, "alice", "bad-guess"), 401, "bad_credentials")
    # even the right password waits now
    response = login(client, "alice", "secret123")
    error = assert_error(response, 429, "login_throttled")
    assert response.headers["Retry-After"] == str(settings.login_lock_s)
    assert error["details"] == [{"retry_after_s": settings.login_lock_s}]
    clock.advance(settings.login_lock_s * 1000 - 1000)
    assert login(client, "alice", "secret123").status_code == 429
    assert int(login(client, "alice", "secret123").headers["Retry-After"]) == 1
    clock.advance(1000)
    assert login(client, "alice", "secret123").status_code == 200
    # another account was never slowed down
    assert login(client, "bob", "secret123").status_code == 200


def test_throttle_delay_doubles_with_each_further_failure(client, users, clock, settings):
    for _ in range(settings.login_max_failures):
        login(client, "bob", "bad-guess")
    clock.advance(settings.login_lock_s * 1000)
    assert login(client, "bob", "bad-guess").status_code == 401  # one more try after the wait, wrong again
    response = login(client, "bob", "secret123")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(2 * settings.login_lock_s)
    clock.advance(2 * settings.login_lock_s * 1000)
    assert login(client, "bob", "bad-guess").status_code == 401
    assert login(client, "bob", "secret123").headers["Retry-After"] == str(4 * settings.login_lock_s)


def test_logout_invalidates_the_token(client, users):
    token = login(client, "bob", "secret123").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.cookies.clear()
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    assert_error(client.get("/api/me", headers=headers), 401, "not_logged_in")
    # other sessions of the same user stay valid
    assert client.get("/api/me", headers=users.headers("bob")).status_code == 200


def test_logout_with_cookie_clears_it(client, users):
    login(client, "bob", "secret123")
    assert client.get("/api/me").status_code == 200
    response = client.post("/api/auth/logout")
    assert response.status_code == 200
    assert client.get("/api/me").status_code == 401


def test_expired_login_is_refused(client, users, clock, settings):
    token = login(client, "bob", "secret123").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.cookies.clear()
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.advance(settings.session_days * 86_400_000 + 1)
    assert client.get("/api/me", headers=headers).status_code == 401


def test_me_anonymous_or_bad_token_is_401(client, users):
    assert_error(client.get("/api/me"), 401, "not_logged_in")
    assert_error(client.get("/api/me", headers={"Authorization": "Bearer nonsense"}), 401)
    client.cookies.set("quiz_session", "nonsense")
    assert_error(client.get("/api/me"), 401)


# --- creating users -----------------------------------------------------------------------------


def test_create_user_201_and_can_log_in(client, api, users, app):
    response = api("POST", "/api/users", as_="org", json={"username": "carol", "password": "carol-pass",
                                                          "name": "卡萝", "role": "member", "unit": "市卫健委"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "carol" and body["name"] == "卡萝" and body["role"] == "member"
    assert body["unit"] == "市卫健委" and isinstance(body["id"], int)
    assert "password" not in response.text and "password_hash" not in body
    assert login(client, "carol", "carol-pass").status_code == 200


def test_existing_username_409_never_overwrites(client, api, users, app):
    before = get_user(app, "alice")
    assert before is not None
    response = api("POST", "/api/users", as_="admin", json={"username": "alice", "password": "hijacked!",
                                                            "name": "冒名", "role": "admin", "unit": "x"})
    assert_error(response, 409, "username_taken")
    after = get_user(app, "alice")
    assert after is not None
    assert (after.password_hash, after.name, after.role, after.unit) == (
        before.password_hash, before.name, before.role, before.unit)
    assert login(client, "alice", "secret123").status_code == 200
    assert login(client, "alice", "hijacked!").status_code == 401


def test_create_user_validation_422_with_fields(api, users, app):
    count = user_count(app)
    response = api("POST", "/api/users", as_="org", json={"username": "", "password": "123", "role": "king"})
    error = assert_error(response, 422, "invalid")
    fields = {d["field"] for d in error["details"]}
    assert {"username", "password", "role"} <= fields
    for body in ({"username": "   ", "password": "secret123"}, {"username": "x" * 101, "password": "secret123"},
                 {"username": "long", "password": "secret123", "name": "名" * 101},
                 {"username": "long", "password": "secret123", "unit": "单" * 201}):
        assert_error(api("POST", "/api/users", as_="org", json=body), 422, "invalid")
    assert user_count(app) == count
    # surrounding spaces are not part of a username
    created = api("POST", "/api/users", as_="org", json={"username": " carol ", "password": "secret123"})
    assert created.status_code == 201 and created.json()["username"] == "carol"


@pytest.mark.parametrize("actor,role,status", [
    ("admin", "admin", 201), ("admin", "organizer", 201), ("admin", "host", 201), ("admin", "member", 201),
    ("org", "admin", 403), ("org", "organizer", 403), ("org", "host", 201), ("org", "member", 201),
    ("host", "member", 403), ("host", "host", 403), ("alice", "member", 403), (None, "member", 401),
])
def test_role_rules_for_creating_users(api, users, app, actor, role, status):
    count = user_count(app)
    response = api("POST", "/api/users", as_=actor, json={"username": f"new-{role}", "password": "secret123",
                                                          "name": "新人", "role": role})
    assert response.status_code == status, response.text
    assert user_count(app) == count + (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["role"] == role
    else:
        assert_error(response, status)


def test_list_users_is_organizer_only_and_paged(api, users):
    assert api("GET", "/api/users", as_="alice").status_code == 403
    body = api("GET", "/api/users?limit=2", as_="org").json()
    assert body["total"] == 5 and len(body["items"]) == 2
    body = api("GET", "/api/users?unit=市财政局", as_="org").json()
    assert [u["username"] for u in body["items"]] == ["alice"]


# --- roster import ------------------------------------------------------------------------------

GOOD_ROWS = [
    ["张三", "13800000001", "市财政局", "财政一队", "zhang-pass"],
    ["李四", "13800000002", "市教育局", "", ""],
    ["王五", "wangwu", "市卫健委", "卫健队", "wangwu-pw"],
]


def import_roster(api: Any, filename: str, data: bytes, as_: str = "org") -> Any:
    return api("POST", "/api/users/import", as_=as_, files={"file": (filename, data)})


@pytest.mark.parametrize("kind", ["xlsx", "csv", "csv-gbk", "csv-bom"])
def test_roster_import_creates_users_who_can_log_in(client, api, users, app, kind):
    rows = [ROSTER_HEADER, *GOOD_ROWS]
    if kind == "xlsx":
        data, name = xlsx_bytes(rows), "名单.xlsx"
    elif kind == "csv":
        data, name = csv_bytes(rows), "名单.csv"
    elif kind == "csv-gbk":
        data, name = csv_bytes(rows, "gbk"), "名单.csv"
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really GBK
    else:
        data, name = b"\xef\xbb\xbf" + csv_bytes(rows), "名单.csv"
    count = user_count(app)
    response = import_roster(api, name, data)
    assert response.status_code == 200, response.text
    assert without_warnings(response.json()) == {"created": 3, "updated": 0, "errors": []}
    assert user_count(app) == count + 3
    zhang = get_user(app, "13800000001")
    assert zhang is not None and (zhang.name, zhang.unit, zhang.role) == ("张三", "市财政局", "member")
    assert login(client, "13800000001", "zhang-pass").status_code == 200
    # no initial password: the default is the account's last six characters
    assert login(client, "13800000002", "000002").status_code == 200
    assert login(client, "wangwu", "wangwu-pw").status_code == 200


def test_roster_import_xlsx_with_numeric_phone_cells(client, api, users, app):
    data = xlsx_bytes([ROSTER_HEADER, ["赵六", 13900000009, "市交通局", None, None]])
    response = import_roster(api, "r.xlsx", data)
    assert response.json()["created"] == 1, response.text
    assert get_user(app, "13900000009") is not None
    assert login(client, "13900000009", "000009").status_code == 200


def test_roster_import_updates_existing_users(client, api, users, app):
    assert import_roster(api, "r.csv", csv_bytes([ROSTER_HEADER, *GOOD_ROWS])).status_code == 200
    rows = [ROSTER_HEADER,
            ["张三丰", "13800000001", "市财政局机关党委", "", ""],      # no password: keeps the old one
            ["王五", "wangwu", "市卫健委", "", "wangwu-new"],           # new password
            ["孙七", "sunqi1", "市水务局", "", ""]]
    response = import_roster(api, "r.csv", csv_bytes(rows))
    assert response.status_code == 200, response.text
    assert without_warnings(response.json()) == {"created": 1, "updated": 2, "errors": []}
    zhang = get_user(app, "13800000001")
    assert zhang is not None and (zhang.name, zhang.unit) == ("张三丰", "市财政局机关党委")
    assert login(client, "13800000001", "zhang-pass").status_code == 200
    assert login(client, "wangwu", "wangwu-new").status_code == 200
    assert login(client, "wangwu", "wangwu-pw").status_code == 401


def test_roster_import_keeps_roles_of_existing_users(client, api, users, app):
    """A roster without a 角色 column updates names and units; it never demotes anyone."""
    rows = [ROSTER_HEADER, ["主持人", "host", "市直机关工委", "", ""]]
    response = import_roster(api, "r.csv", csv_bytes(rows))
    assert without_warnings(response.json()) == {"created": 0, "updated": 1, "errors": []}, response.text
    assert get_user(app, "host").role == "host"  # type: ignore[union-attr]
    assert get_user(app, "host").name == "主持人"  # type: ignore[union-attr]
    # an admin may update an organizer: the role stays
    rows = [ROSTER_HEADER, ["组织者", "org", "市直机关工委", "", ""]]
    response = import_roster(api, "r.csv", csv_bytes(rows), as_="admin")
    assert response.json()["updated"] == 1, response.text
    assert get_user(app, "org").role == "organizer"  # type: ignore[union-attr]
    assert api("GET", "/api/users", as_="org").status_code == 200
    # a 角色 column does set roles (within the importer's reach)
    rows = [["姓名", "账号", "角色"], ["主持人", "host", "成员"], ["新主持", "host2", "主持人"]]
    assert import_roster(api, "r.csv", csv_bytes(rows)).json() == {"created": 1, "updated": 1, "errors": []}
    assert get_user(app, "host").role == "member"  # type: ignore[union-attr]
    assert get_user(app, "host2").role == "host"  # type: ignore[union-attr]


def test_roster_import_cannot_grant_or_touch_higher_roles(api, users, app):
    count = user_count(app)
    rows = [["姓名", "账号", "角色"], ["新管理员", "boss1", "管理员"], ["新组织者", "boss2", "organizer"]]
    body = import_roster(api, "r.csv", csv_bytes(rows)).json()
    assert [e["row"] for e in body["errors"]] == [2, 3]
    assert user_count(app) == count
    before = {name: get_user(app, name) for name in ("admin", "org")}
    for username in ("admin", "org"):  # only an admin changes admins and organizers (the organizer included)
        response = import_roster(api, "r.csv", csv_bytes([ROSTER_HEADER, ["改名", username, "x", "", "taken-over"]]))
        error = assert_error(response, 422, "import_invalid")
        assert error["details"][0]["row"] == 2
        after = get_user(app, username)
        assert after.password_hash == before[username].password_hash  # type: ignore[union-attr]
        assert after.name == before[username].name  # type: ignore[union-attr]
    rows = [["姓名", "账号", "角色"], ["主持人", "host", "管理员"]]  # promoting an existing host
    assert import_roster(api, "r.csv", csv_bytes(rows)).status_code == 422
    assert get_user(app, "host").role == "host"  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_roster_import_all_or_nothing(api, users, app, kind):
    rows = [ROSTER_HEADER,
            ["张三", "13800000001", "市财政局", "", "zhang-pass"],
            ["", "13800000002", "市教育局", "", ""],                 # row 3: no name
            ["王五", "13800000003", "市卫健委", "", "123"],          # row 4: password too short
            ["赵六", "13800000001", "市交通局", "", ""],              # row 5: duplicate account
            ["钱七", "", "市交通局", "", ""]]                         # row 6: no account
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows)
    count = user_count(app)
    response = import_roster(api, f"r.{kind}", data)
    error = assert_error(response, 422, "import_invalid")
    body = response.json()
    assert body["created"] == 0 and body["updated"] == 0
    assert sorted({e["row"] for e in body["errors"]}) == [3, 4, 5, 6]
    assert all(set(e) >= {"row", "message"} and e["message"] for e in body["errors"])
    assert error["details"] == body["errors"]
    assert user_count(app) == count
    assert get_user(app, "13800000001") is None


def test_roster_values_too_long_for_their_columns_are_row_errors(api, users, app):
    count = user_count(app)
    rows = [ROSTER_HEADER, ["张" * 101, "u1", "x", "", ""], ["李四", "u2", "单" * 201, "", ""],
            ["王五", "9" * 101, "x", "", ""]]
    body = import_roster(api, "r.csv", csv_bytes(rows)).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "姓名"), (3, "单位"), (4, "账号")]
    assert user_count(app) == count


def test_roster_missing_columns_and_empty_and_bad_files(api, users, app):
    count = user_count(app)
    body = import_roster(api, "r.csv", csv_bytes([["名字", "单位"], ["张三", "x"]])).json()
    assert {e["field"] for e in body["errors"]} == {"姓名", "账号"}
    assert_error(import_roster(api, "r.csv", b""), 422)
    assert_error(import_roster(api, "r.xlsx", b"PK\x03\x04 this is not a zip"), 422)
    assert_error(import_roster(api, "r.xlsx", xlsx_bytes([])), 422)
    assert_error(api("POST", "/api/users/import", as_="org", data={"x": "1"}), 400, "no_file")
    assert user_count(app) == count


def test_roster_import_is_organizer_only(api, users, app):
    data = csv_bytes([ROSTER_HEADER, *GOOD_ROWS])
    count = user_count(app)
    assert import_roster(api, "r.csv", data, as_="alice").status_code == 403
    assert import_roster(api, "r.csv", data, as_="host").status_code == 403
    assert user_count(app) == count


def test_usernames_are_one_account_whatever_their_case(client: Any, api: Any, app: Any) -> None:
    """``ALICE`` logs in as ``alice``, and creating ``ALICE`` next to ``alice`` is a conflict, not a twin account."""
    response = login(client, "ALICE", "secret123")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "alice"
    before = user_count(app)
    created = api("POST", "/api/users", as_="admin",
                  json={"username": "Alice", "password": "another123", "name": "x", "role": "member"})
    assert_error(created, 409, "username_taken")
    assert user_count(app) == before


def test_one_address_guessing_across_accounts_is_slowed_down(client: Any, users: Any) -> None:
    """Trying one password against many accounts from one address slows that address, not only each account."""
    throttle = client.app.state.login_throttle
    limit = throttle.max_failures * throttle.ADDRESS_FACTOR
    for i in range(limit):
        assert login(client, f"nobody{i}", "guess-123").status_code == 401
    assert_error(login(client, "someone-else", "guess-123"), 429, "login_throttled")


def test_roster_with_a_merged_title_row_above_the_header(client, api, users, app):
    """Real rosters often start with a merged title row; the header is found below it and rows keep Excel's numbers."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2024年党史竞赛 报名名单"])
    ws.merge_cells("A1:D1")
    ws.append(["姓名", "账号/手机号", "单位", "备注"])
    ws.append(["周一", "13900000001", "市审计局", ""])
    ws.append(["", "13900000002", "市审计局", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = import_roster(api, "名单.xlsx", buffer.getvalue())
    error = assert_error(response, 422)
    assert [(d["row"], d["field"]) for d in error["details"]] == [(4, "姓名")]
    ws.delete_rows(4)
    buffer = io.BytesIO()
    wb.save(buffer)
    response = import_roster(api, "名单.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert login(client, "13900000001", "000001").status_code == 200


def test_anonymous_with_a_broken_body_is_told_to_log_in_first(client):
    """Authentication comes before the body: a caller without a login learns that first (401), not a JSON error."""
    response = client.post("/api/banks", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 401, "not_logged_in")


# --- quiz user add (CLI) --------------------------------------------------------------------------------


def test_cli_user_add_on_an_existing_user_changes_only_what_is_given(database_url, tmp_path, monkeypatch, capsys):
    """Resetting an admin's password from the command line keeps the admin an admin of their unit."""
    from quiz.accounts import verify_password
    from quiz.cli import main
    from quiz.db import Database

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", database_url)
    assert main(["user", "add", "chief", "--password", "first-pass", "--role", "admin", "--name", "主任",
                 "--unit", "市委组织部"]) == 0
    assert main(["user", "add", "chief", "--password", "second-pass"]) == 0
    assert "已更新" in capsys.readouterr().out
    db = Database(database_url)
    with db.read() as session:
        chief = session.exec(select(User).where(User.username == "chief")).one()
    assert (chief.role, chief.unit, chief.name) == ("admin", "市委组织部", "主任")
    assert verify_password(chief.password_hash, "second-pass")
    assert main(["user", "add", "chief", "--unit", "市纪委"]) == 0  # no password: the password stays too
    with db.read() as session:
        chief = session.exec(select(User).where(User.username == "chief")).one()
    assert (chief.role, chief.unit) == ("admin", "市纪委") and verify_password(chief.password_hash, "second-pass")
    assert main(["user", "add", "newbie"]) == 2  # a new user needs a password
    assert "--password" in capsys.readouterr().err
    db.dispose()


@pytest.mark.redis
def test_cli_password_reset_ends_the_users_sessions_on_running_servers(database_url, redis_url, tmp_path,
                                                                       monkeypatch):
    import time

    from starlette.testclient import TestClient

    from quiz.app import create_app
    from quiz.cli import main
    from quiz.settings import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", database_url)
    monkeypatch.setenv("QUIZ_REDIS_URL", redis_url)
    assert main(["user", "add", "wang", "--password", "first-pass", "--role", "organizer"]) == 0
    settings = Settings(database_url=database_url, redis_url=redis_url, secret_key="test", gc_freeze_s=0)
    with TestClient(create_app(settings)) as server:
        token = login(server, "wang", "first-pass").json()["token"]
        server.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        assert server.get("/api/users", headers=headers).status_code == 200  # cached by the server
        assert main(["user", "add", "wang", "--password", "second-pass"]) == 0
        deadline = time.monotonic() + 1
        while server.get("/api/me", headers=headers).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert_error(server.get("/api/me", headers=headers), 401)
