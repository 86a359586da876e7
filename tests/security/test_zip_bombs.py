"""Issue 9, item 2: zip bombs. A 1.6 MB xlsx whose sheet unpacks to 400 MB ran 286 s, grew the server
to 3.5 GB and answered 5,950,000 row errors; now every importer (questions, users, teams) refuses it
with 413 within seconds and bounded memory, and writes nothing (CONTRACT §0)."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest

from question_bank.formats import limits, parse
from tests.security.bombs import MB, xlsx_bomb

QUESTION_HEADER, QUESTION_ROW = ["题型", "题干", "答案"], ["single", "x", "A"]  # every row an error (no options)
ROSTER_HEADER, ROSTER_ROW = ["姓名", "账号"], ["张三", ""]                      # every row an error (no account)
TEAM_HEADER, TEAM_ROW = ["队伍", "姓名", "账号"], ["一队", "张三", ""]


@pytest.fixture(scope="module")
def sheet_bomb() -> bytes:
    return xlsx_bomb(QUESTION_HEADER, QUESTION_ROW, 400 * MB)


def _upload(client: Any, url: str, headers: dict[str, str], name: str, data: bytes) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post(url, headers=headers, files={"file": (name, data)})
    return response, time.perf_counter() - started


@pytest.fixture
def bank(client: Any, users: Any) -> int:
    return client.post("/api/banks", json={"name": "炸弹题库"}, headers=users.headers("org")).json()["id"]


def _question_count(client: Any, users: Any, bank: int) -> int:
    return client.get(f"/api/banks/{bank}/questions", headers=users.headers("org")).json()["total"]


def test_bank_import_refuses_a_400_mb_sheet_within_seconds(client: Any, users: Any, bank: int,
                                                          sheet_bomb: bytes) -> None:
    assert len(sheet_bomb) < 2 * MB  # it passes the upload limit: only what it unpacks to is too large
    tracemalloc.start()
    try:
        response, elapsed = _upload(client, f"/api/banks/{bank}/import", users.headers("org"), "bomb.xlsx", sheet_bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    assert "200 MB" in response.json()["error"]["message"]
    assert elapsed < 10
    assert peak < 80 * MB  # the 400 MB are counted, never held
    assert _question_count(client, users, bank) == 0


def test_a_zip_that_lies_about_its_size_is_refused_too(client: Any, users: Any, bank: int) -> None:
    liar = xlsx_bomb(QUESTION_HEADER, QUESTION_ROW, 300 * MB, declared_size=1000)
    response, elapsed = _upload(client, f"/api/banks/{bank}/import", users.headers("org"), "liar.xlsx", liar)
    assert response.status_code in (413, 422), response.text  # too large, or a damaged file: never parsed whole
    assert elapsed < 10
    assert _question_count(client, users, bank) == 0


def test_one_400_mb_cell_is_refused(client: Any, users: Any, bank: int) -> None:
    cell = xlsx_bomb(QUESTION_HEADER, QUESTION_ROW, 400 * MB, one_cell=True)
    response, elapsed = _upload(client, f"/api/banks/{bank}/import", users.headers("org"), "cell.xlsx", cell)
    assert response.status_code == 413, response.text
    assert elapsed < 10


def test_a_sheet_within_the_bytes_but_past_the_row_limit_is_refused() -> None:
    rows = xlsx_bomb(QUESTION_HEADER, QUESTION_ROW, 16 * MB)  # ~130,000 rows in 16 MB of XML
    with pytest.raises(limits.ImportTooLarge, match="100000"):
        parse(rows, "rows.xlsx")


def test_row_limit_and_unpacked_limit_are_settings(client: Any, users: Any, bank: int) -> None:
    limits.configure(limits.ImportLimits(max_unpacked_bytes=1 * MB, max_rows=50))
    try:
        small_bomb = xlsx_bomb(QUESTION_HEADER, QUESTION_ROW, 3 * MB)
        assert client.post(f"/api/banks/{bank}/import", headers=users.headers("org"),
                           files={"file": ("b.xlsx", small_bomb)}).status_code == 413
        many = ("题型,题干,答案,选项A,选项B\n" + "".join(f"single,题{i},A,甲,乙\n" for i in range(51))).encode()
        assert client.post(f"/api/banks/{bank}/import", headers=users.headers("org"),
                           files={"file": ("m.csv", many)}).status_code == 413
    finally:
        limits.configure(limits.ImportLimits())
    from quiz.settings import Settings

    settings = Settings.from_env({"QUIZ_MAX_UNPACKED_MB": "5", "QUIZ_MAX_IMPORT_ROWS": "10"}, dotenv=None)
    assert (settings.max_unpacked_bytes, settings.max_import_rows) == (5 * MB, 10)


def test_at_most_1000_row_errors_are_reported_with_their_count(client: Any, users: Any, bank: int) -> None:
    data = ("题型,题干,答案\n" + "single,题,A\n" * 5000).encode()  # 5,000 invalid rows (no options)
    response = client.post(f"/api/banks/{bank}/import", headers=users.headers("org"),
                           files={"file": ("e.csv", data)})
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == 1000 and len(body["error"]["details"]) == 1000
    assert body["error_count"] >= 5000
    assert _question_count(client, users, bank) == 0


def test_user_import_refuses_the_bomb(client: Any, users: Any) -> None:
    bomb = xlsx_bomb(ROSTER_HEADER, ROSTER_ROW, 400 * MB)
    response, elapsed = _upload(client, "/api/users/import", users.headers("admin"), "users.xlsx", bomb)
    assert response.status_code == 413, response.text
    assert elapsed < 10
    rows = ("姓名,账号\n" + "张三,\n" * 3000).encode()
    body = client.post("/api/users/import", headers=users.headers("admin"), files={"file": ("u.csv", rows)}).json()
    assert len(body["errors"]) == 1000 and body["error_count"] == 3000


def test_team_import_refuses_the_bomb(client: Any, users: Any) -> None:
    competition = client.post("/api/competitions", json={"title": "炸弹杯"}, headers=users.headers("org")).json()["id"]
    bomb = xlsx_bomb(TEAM_HEADER, TEAM_ROW, 400 * MB)
    response, elapsed = _upload(client, f"/api/competitions/{competition}/teams/import", users.headers("org"),
                                "teams.xlsx", bomb)
    assert response.status_code == 413, response.text
    assert elapsed < 10
    rows = ("队伍,姓名,账号\n" + "一队,张三,\n" * 3000).encode()
    body = client.post(f"/api/competitions/{competition}/teams/import", headers=users.headers("org"),
                       files={"file": ("t.csv", rows)}).json()
    assert len(body["errors"]) == 1000 and body["error_count"] == 3000
    teams = client.get(f"/api/competitions/{competition}", headers=users.headers("org")).json()
    assert not teams.get("teams")
