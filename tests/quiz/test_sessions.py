"""Sessions end when they must (CONTRACT §2): a logout, "log out everywhere", a password or role change and a
deactivation refuse the old tokens at once — in this process, and (with Redis) on every other worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from quiz.app import create_app
from quiz.settings import Settings
from tests.quiz.test_accounts import assert_error, login


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def two_tokens(client: Any, username: str, password: str = "secret123") -> tuple[str, str]:
    first = login(client, username, password).json()["token"]
    second = login(client, username, password).json()["token"]
    client.cookies.clear()
    return first, second


def me_status(client: Any, token: str) -> int:
    return client.get("/api/me", headers=bearer(token)).status_code


# --- one process -----------------------------------------------------------------------------------------


def test_logout_everywhere_ends_every_session_of_the_caller_only(client, users):
    phone, laptop = two_tokens(client, "alice")
    assert me_status(client, phone) == 200 and me_status(client, laptop) == 200  # both cached now
    response = client.post("/api/auth/logout-all", headers=bearer(phone))
    assert response.status_code == 200 and response.json()["ended"] >= 2
    assert_error(client.get("/api/me", headers=bearer(phone)), 401, "not_logged_in")
    assert_error(client.get("/api/me", headers=bearer(laptop)), 401, "not_logged_in")
    assert me_status(client, users.tokens["bob"]) == 200
    assert client.post("/api/auth/logout-all").status_code == 401  # anonymous: nothing to end


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(client, users):
    here, stolen = two_tokens(client, "alice")
    assert me_status(client, stolen) == 200
    wrong = client.post("/api/me/password", headers=bearer(here),
                        json={"old_password": "not-it", "new_password": "fresh-pass-1"})
    assert_error(wrong, 403, "wrong_old_password")
    assert me_status(client, stolen) == 200  # a refused change ends nothing
    response = client.post("/api/me/password", headers=bearer(here),
                           json={"old_password": "secret123", "new_password": "fresh-pass-1"})
    assert response.status_code == 200, response.text
    assert me_status(client, stolen) == 401
    assert me_status(client, users.tokens["alice"]) == 401
    assert me_status(client, here) == 200
    assert login(client, "alice", "secret123").status_code == 401
    assert login(client, "alice", "fresh-pass-1").status_code == 200


def test_a_demoted_organizer_loses_organizer_rights_at_once(client, api, users):
    org = users.tokens["org"]
    assert client.get("/api/users", headers=bearer(org)).status_code == 200  # cached as an organizer
    response = api("PATCH", f"/api/users/{users.ids['org']}", as_="admin", json={"role": "member"})
    assert response.status_code == 200 and response.json()["role"] == "member"
    assert_error(client.get("/api/users", headers=bearer(org)), 401, "not_logged_in")
    token = login(client, "org", "secret123").json()["token"]
    client.cookies.clear()
    assert_error(client.get("/api/users", headers=bearer(token)), 403)


def test_a_deactivated_account_is_out_at_once_and_cannot_log_in(client, api, users):
    assert me_status(client, users.tokens["bob"]) == 200
    assert api("PATCH", f"/api/users/{users.ids['bob']}", as_="org", json={"active": False}).status_code == 200
    assert me_status(client, users.tokens["bob"]) == 401
    assert_error(login(client, "bob", "secret123"), 401, "bad_credentials")


def test_a_password_reset_by_an_organizer_ends_the_users_sessions(client, api, users):
    assert me_status(client, users.tokens["alice"]) == 200
    response = api("PATCH", f"/api/users/{users.ids['alice']}", as_="org", json={"password": "reset-pass-9"})
    assert response.status_code == 200
    assert me_status(client, users.tokens["alice"]) == 401
    assert login(client, "alice", "reset-pass-9").status_code == 200


def test_changing_a_name_ends_nothing_and_shows_at_once(client, api, users):
    assert client.get("/api/me", headers=users.headers("alice")).json()["name"] == "alice"
    assert api("PATCH", f"/api/users/{users.ids['alice']}", as_="org", json={"name": "李丽"}).status_code == 200
    me = client.get("/api/me", headers=users.headers("alice"))
    assert me.status_code == 200 and me.json()["name"] == "李丽"


@pytest.mark.parametrize("actor,target,body,status", [
    ("host", "alice", {"active": False}, 403),  # hosts manage no users
    ("org", "admin", {"active": False}, 403),  # an organizer cannot touch an admin
    ("org", "host", {"role": "organizer"}, 403),  # nor grant organizer
    ("org", "alice", {"role": "host"}, 200),
    ("admin", "org", {"password": "short"}, 422),
])
def test_who_may_change_whom(api, users, actor, target, body, status):
    response = api("PATCH", f"/api/users/{users.ids[target]}", as_=actor, json=body)
    assert response.status_code == status, response.text
    if status != 200:
        assert me_status(users.anonymous, users.tokens[target]) == 200  # a refused change ends nothing


def test_patching_a_user_that_does_not_exist_is_404(api, users):
    assert_error(api("PATCH", "/api/users/99999", as_="admin", json={"active": False}), 404)


def test_roster_import_that_changes_a_role_ends_that_users_sessions(client, api, users):
    from tests.quiz.test_accounts import csv_bytes, import_roster

    assert me_status(client, users.tokens["host"]) == 200
    assert me_status(client, users.tokens["bob"]) == 200
    data = csv_bytes([["姓名", "账号/手机号", "单位", "角色"], ["主持", "host", "单位", "成员"],
                      ["鲍勃", "bob", "市教育局", ""]])
    response = import_roster(api, "r.csv", data)
    assert response.status_code == 200, response.text
    assert me_status(client, users.tokens["host"]) == 401  # demoted: out
    me = client.get("/api/me", headers=users.headers("bob"))
    assert me.status_code == 200 and me.json()["name"] == "鲍勃"  # only renamed: still in, and up to date


# --- two workers: two apps on one database and one Redis ------------------------------------------------


@pytest.fixture
def two_workers(database_url: str, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(database_url=database_url, redis_url=redis_url, secret_key="test", gc_freeze_s=0)
    with ExitStack() as stack:
        first = stack.enter_context(TestClient(create_app(settings)))
        second = stack.enter_context(TestClient(create_app(settings)))
        from quiz.accounts import upsert_user

        with first.app.state.db.write() as session:
            for username, role in (("zhao", "organizer"), ("qian", "member"), ("admin", "admin")):
                upsert_user(session, username=username, password="secret123", name=username, role=role,
                            unit="", now_ms=first.app.state.clock.now_ms(), overwrite=True)
        yield first, second


def within_a_second(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.mark.redis
def test_logout_on_one_worker_refuses_the_token_on_the_other_within_a_second(two_workers):
    first, second = two_workers
    token = login(first, "qian", "secret123").json()["token"]
    first.cookies.clear()
    assert me_status(second, token) == 200  # the other worker has it cached now
    assert first.post("/api/auth/logout", headers=bearer(token)).status_code == 200
    assert within_a_second(lambda: me_status(second, token) == 401)


@pytest.mark.redis
def test_password_change_on_one_worker_ends_sessions_on_the_other(two_workers):
    first, second = two_workers
    here, elsewhere = two_tokens(first, "qian")
    assert me_status(second, elsewhere) == 200
    response = first.post("/api/me/password", headers=bearer(here),
                          json={"old_password": "secret123", "new_password": "another-pass"})
    assert response.status_code == 200
    assert within_a_second(lambda: me_status(second, elsewhere) == 401)
    assert me_status(second, here) == 200


@pytest.mark.redis
def test_demotion_on_one_worker_is_honoured_by_the_other_within_a_second(two_workers):
    first, second = two_workers
    organizer = login(first, "zhao", "secret123").json()["token"]
    admin = login(first, "admin", "secret123").json()["token"]
    first.cookies.clear()
    assert second.get("/api/users", headers=bearer(organizer)).status_code == 200  # cached as an organizer
    users = first.get("/api/users", headers=bearer(admin)).json()["items"]
    zhao = next(u for u in users if u["username"] == "zhao")
    assert first.patch(f"/api/users/{zhao['id']}", headers=bearer(admin), json={"role": "member"}).status_code == 200
    assert within_a_second(lambda: second.get("/api/users", headers=bearer(organizer)).status_code == 401)


@pytest.mark.redis
def test_logout_everywhere_reaches_every_worker(two_workers):
    first, second = two_workers
    one, two = two_tokens(first, "qian")
    assert me_status(second, one) == 200 and me_status(second, two) == 200
    assert second.post("/api/auth/logout-all", headers=bearer(two)).status_code == 200
    assert within_a_second(lambda: me_status(first, one) == 401 and me_status(first, two) == 401)


@pytest.mark.redis
def test_a_worker_cut_off_from_redis_stops_trusting_its_cache(two_workers):
    """Missed invalidations cannot keep a session alive: without news from Redis the cache is not used."""
    first, second = two_workers
    token = login(first, "qian", "secret123").json()["token"]
    first.cookies.clear()
    assert me_status(second, token) == 200
    from quiz.sessions import FRESH_S, bus_for_engine

    bus = bus_for_engine(second.app.state.db.engine)
    assert bus.fresh()
    second.portal.call(bus.stop)  # the reader is gone: as if Redis were unreachable from this worker
    with first.app.state.db.write() as session:  # a change nobody announces
        from sqlmodel import delete

        from quiz.models import AuthToken

        session.exec(delete(AuthToken))  # type: ignore[call-overload]
    time.sleep(FRESH_S + 0.1)
    assert not bus.fresh()
    assert me_status(second, token) == 401
