"""Hypothesis tests of every importer: arbitrary bytes and arbitrary rows, for questions (every
format) and for user and team rosters, never give a 500 or a half-written import."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select

from question_bank.formats import FORMATS, UnsupportedFormat, limits, parse
from question_bank.formats.cells import clean_text
from question_bank.formats.rules import check_question
from question_bank.models import Question
from quiz.competitions.models import Team
from quiz.models import User

FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
EXTENSIONS = {"xlsx": "q.xlsx", "csv": "q.csv", "json": "q.json", "gift": "q.gift", "aiken": "q.aiken", "text": "q.txt", "zip": "q.zip"}
OK = {200, 201, 400, 413, 415, 422}

text = st.text(st.characters(codec="utf-8"), max_size=40)
header_words = st.sampled_from(["题型", "题干", "答案", "选项A", "选项B", "选项C", "解析", "难度", "标签", "分值",
                                "姓名", "账号", "单位", "队伍", "初始密码", "角色", "座次", "x"])
cell = st.one_of(text, st.sampled_from(["single", "单选", "多选", "判断", "A", "AB", "正确", "3", "-1", "=1+1", ""]))
rows = st.lists(st.lists(cell, max_size=8), max_size=12)


def _table(header: list[str], body: list[list[str]], kind: str) -> bytes:
    if kind == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, *body])
        return buffer.getvalue().encode("utf-8", "surrogatepass")
    wb = Workbook()
    ws = wb.active
    for row in [header, *body]:
        ws.append([clean_text(c) for c in row])  # what openpyxl can write at all
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(app: Any, model: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(FORMATS))
def test_question_parsers_take_any_bytes(data: bytes, fmt: str) -> None:
    for payload in (data, b"PK\x03\x04" + data):
        try:
            result = parse(payload, EXTENSIONS[fmt])
        except (UnsupportedFormat, limits.ImportTooLarge):
            continue
        assert result.errors or result.questions
        for question in result.questions:  # whatever a parser lets through is a whole, valid question
            assert check_question(question) == []


@pytest.fixture
def bank(api: Any) -> int:
    return api("POST", "/api/banks", as_="org", json={"name": "模糊题库"}).json()["id"]


@FUZZ
@given(header=st.lists(header_words, min_size=1, max_size=8), body=rows, kind=st.sampled_from(["csv", "xlsx"]))
def test_bank_import_is_all_or_nothing(app: Any, api: Any, bank: int, header: list[str], body: list[list[str]],
                                       kind: str) -> None:
    before = _count(app, Question)
    response = api("POST", f"/api/banks/{bank}/import", as_="org", files={"file": (f"q.{kind}", _table(header, body, kind))})
    assert response.status_code in OK, response.text
    imported = response.json().get("imported", 0) if response.status_code == 200 else 0
    assert _count(app, Question) == before + imported


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["q.xlsx", "q.csv", "q.json", "q.gift", "q.txt"]))
def test_bank_import_takes_any_bytes(app: Any, api: Any, bank: int, data: bytes, name: str) -> None:
    before = _count(app, Question)
    response = api("POST", f"/api/banks/{bank}/import", as_="org", files={"file": (name, data)})
    assert response.status_code in OK, response.text
    if response.status_code != 200:
        assert _count(app, Question) == before


@FUZZ
@given(header=st.lists(header_words, min_size=1, max_size=6), body=rows, kind=st.sampled_from(["csv", "xlsx"]))
def test_user_import_is_all_or_nothing(app: Any, api: Any, header: list[str], body: list[list[str]], kind: str) -> None:
    before = _count(app, User)
    response = api("POST", "/api/users/import", as_="admin", files={"file": (f"u.{kind}", _table(header, body, kind))})
    assert response.status_code in OK, response.text
    if response.status_code != 200:
        assert _count(app, User) == before
    else:
        assert _count(app, User) == before + response.json()["created"]


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["u.xlsx", "u.csv"]))
def test_roster_imports_take_any_bytes(app: Any, api: Any, data: bytes, name: str) -> None:
    users, teams = _count(app, User), _count(app, Team)
    competition = api("POST", "/api/competitions", as_="org", json={"title": "模糊杯"}).json()["id"]
    for url in ("/api/users/import", f"/api/competitions/{competition}/teams/import"):
        response = api("POST", url, as_="admin", files={"file": (name, data)})
        assert response.status_code in OK, response.text
    assert _count(app, User) >= users and _count(app, Team) >= teams


@FUZZ
@given(header=st.lists(header_words, min_size=1, max_size=6), body=rows, kind=st.sampled_from(["csv", "xlsx"]))
def test_team_import_is_all_or_nothing(app: Any, api: Any, header: list[str], body: list[list[str]], kind: str) -> None:
    competition = api("POST", "/api/competitions", as_="org", json={"title": "模糊杯"}).json()["id"]
    before = _count(app, Team)
    response = api("POST", f"/api/competitions/{competition}/teams/import", as_="org",
                   files={"file": (f"t.{kind}", _table(header, body, kind))})
    assert response.status_code in OK, response.text
    if response.status_code != 200:
        assert _count(app, Team) == before
    else:
        assert _count(app, Team) == before + response.json()["teams"]
