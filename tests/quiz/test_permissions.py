"""Who may call what: every registered /api endpoint against anonymous, member, host and organizer.

ROLES is the registry. An /api endpoint that is not in it is treated as organizer-only, so a new
endpoint that forgets its protection fails here until its author declares who may use it.
Rows for areas that are not present in this checkout (exams, competitions, live) are skipped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route

from quiz.app import create_app
from quiz.models import role_rank
from quiz.settings import Settings

PUBLIC = "public"

# (METHOD, path with {} for every parameter) -> the least role that may call it.
ROLES: dict[tuple[str, str], str] = {
    # accounts
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/me"): "member",
    ("POST", "/api/auth/logout-all"): "member",
    ("POST", "/api/me/password"): "member",
    ("POST", "/api/users"): "organizer",
    ("GET", "/api/users"): "organizer",
    ("POST", "/api/users/import"): "organizer",
    # banks and questions: members read questions without answers
    ("POST", "/api/banks"): "organizer",
    ("GET", "/api/banks"): "member",
    ("GET", "/api/banks/template.xlsx"): "organizer",
    ("GET", "/api/banks/{}"): "member",
    ("PUT", "/api/banks/{}"): "organizer",
    ("POST", "/api/banks/{}/import"): "organizer",
    ("GET", "/api/banks/{}/questions"): "member",
    ("POST", "/api/banks/{}/questions"): "organizer",
    ("GET", "/api/banks/{}/export"): "organizer",
    ("GET", "/api/questions/{}"): "member",
    ("PUT", "/api/questions/{}"): "organizer",
    ("DELETE", "/api/questions/{}"): "organizer",
    # practice
    ("POST", "/api/practice"): "member",
    ("GET", "/api/practice/{}"): "member",
    ("POST", "/api/practice/{}/answers"): "member",
    ("GET", "/api/me/wrong-book"): "member",
    ("GET", "/api/me/stats"): "member",
    # discipline tests (CONTRACT §5), when present: members list, open and take their tests
    ("POST", "/api/exams"): "organizer",
    ("GET", "/api/exams"): "member",
    ("GET", "/api/exams/{}"): "member",
    ("POST", "/api/exams/{}/attempts"): "member",
    ("GET", "/api/attempts/{}"): "member",
    ("PUT", "/api/attempts/{}/answers/{}"): "member",
    ("POST", "/api/attempts/{}/submit"): "member",
    ("POST", "/api/attempts/{}/events"): "member",
    ("GET", "/api/exams/{}/results"): "organizer",
    ("GET", "/api/exams/{}/stats"): "organizer",
    # competitions (CONTRACT §6), when present
    ("POST", "/api/competitions"): "organizer",
    ("GET", "/api/competitions/{}"): "organizer",
    ("POST", "/api/competitions/{}/teams"): "organizer",
    ("POST", "/api/competitions/{}/teams/import"): "organizer",
    ("POST", "/api/competitions/{}/rounds"): "organizer",
    ("POST", "/api/rounds/{}/advance"): "organizer",
    ("GET", "/api/competitions/{}/rankings"): "organizer",
    # live games (CONTRACT §7), when present
    ("POST", "/api/live"): "host",
    ("GET", "/api/live"): "host",
    ("POST", "/api/live/quick"): "host",
    ("GET", "/api/live/{}"): "host",
    ("GET", "/api/live/{}/ledger"): "host",
    ("GET", "/api/live/{}/results"): "host",  # every player's answers, for the game's host
    ("GET", "/api/live/{}/state"): PUBLIC,  # the screen's snapshot: what the audience may see
    ("GET", "/api/live/{}/qr.svg"): PUBLIC,  # the join QR on the big screen
}
# Any other /api endpoint (exam grading, competition and round management, ...) is organizer only
# until it is listed above.


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def api_endpoints() -> list[tuple[str, str, str]]:
    """(method, path as registered, normalised path) of every /api route of a freshly built app."""
    app = create_app(Settings(database_url="sqlite://", secret_key="x"))
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path, normalise(route.path)))
    return found


ENDPOINTS = api_endpoints()
ROLE_NAMES = {"alice": "member", "host": "host", "org": "organizer", "admin": "admin"}


def expected_role(method: str, path: str) -> str:
    return ROLES.get((method, normalise(path)), "organizer")


def concrete(path: str, ids: dict[str, int]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(ids.get(name, ids["default"]))

    return re.sub(r"\{([^}]*)\}", fill, path)


@pytest.fixture
def ids(api: Any) -> dict[str, int]:
    bank = api("POST", "/api/banks", as_="admin", json={"name": "权限测试"}).json()
    question = api("POST", f"/api/banks/{bank['id']}/questions", as_="admin", json={
        "type": "single", "stem": "测试题？", "options": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}],
        "answer": ["A"]}).json()
    return {"bank_id": bank["id"], "question_id": question["id"], "default": 1}


def test_the_foundations_endpoints_are_all_registered():
    registered = {(m, n) for m, _, n in ENDPOINTS}
    foundation = {key for key, _ in ROLES.items() if key[1].startswith(
        ("/api/auth", "/api/me", "/api/users", "/api/banks", "/api/questions", "/api/practice", "/api/openapi"))}
    assert foundation - registered == set()


@pytest.mark.parametrize("method,path", [(m, p) for m, p, _ in ENDPOINTS], ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_permissions(client, api, users, ids, method, path):
    """Anonymous → 401 unless public; a role below the endpoint's → 403; the role itself and above → allowed."""
    needed = expected_role(method, path)
    url = concrete(path, ids)
    # no body at all: the role check comes before any validation of the body
    response = api(method, url, as_=None)
    if needed == PUBLIC:
        assert response.status_code not in (401, 403, 500), response.text
    else:
        assert response.status_code == 401, (
            f"{method} {path}: anonymous got {response.status_code}; "
            f"if that is intended, declare the endpoint in ROLES of {__file__}")
        assert response.json()["error"]["code"] == "not_logged_in"
    for username, role in ROLE_NAMES.items():
        response = api(method, url, as_=username)
        assert response.status_code != 500, response.text
        if needed != PUBLIC and role_rank(role) < role_rank(needed):
            assert response.status_code == 403, (
                f"{method} {path}: {role} got {response.status_code}, expected 403 (needs {needed}); "
                f"if {role}s may use it, declare the endpoint in ROLES of {__file__}")
            assert response.json()["error"]["code"] == "forbidden"
        else:
            assert response.status_code not in (401, 403), f"{method} {path}: {role} refused: {response.text}"


def test_every_endpoint_was_checked():
    assert len(ENDPOINTS) >= 24
    assert all(p.startswith("/api") for _, p, _ in ENDPOINTS)
