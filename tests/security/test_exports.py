"""Issue 9, items 6 and 7 on the way out: names such as ``=HYPERLINK("http://…","点")``, ``=1+1`` and
``@SUM(1+1)`` were written as formulas into the rankings and results xlsx and bare into the csv, and
a name with ``\\x07`` (stored before input was checked) made the xlsx exports answer 500."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook
from sqlmodel import select

from question_bank.formats.cells import clean_text, csv_cell, xlsx_row
from quiz.competitions.models import Team
from quiz.models import User
from tests.competitions.conftest import check, competition, exam_rows  # noqa: F401 — fixtures

EVIL = ['=HYPERLINK("http://evil.example","点")', "=1+1", "@SUM(1+1)", "+1", "-1+2", "\tx", "＝1+1"]
BELL = "响\x07铃"  # (a lone surrogate cannot even be stored: the input rules refuse it)


def _no_formula_in(xlsx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    for ws in load_workbook(io.BytesIO(xlsx)).worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def _rename_teams(app: Any, names: list[str]) -> None:
    """As if the names had been stored before the input rules (the bell character included)."""
    with app.state.db.write() as session:
        teams = session.exec(select(Team).order_by(Team.id)).all()
        for team, name in zip(teams, names, strict=False):
            team.name = name
            session.add(team)


def test_rankings_exports_never_hold_a_formula(app: Any, api: Callable[..., Any],
                                               competition: Callable[..., dict[str, Any]]) -> None:  # noqa: F811
    comp = competition(teams=len(EVIL) + 1)
    rnd = check(api("POST", f"/api/competitions/{comp['id']}/rounds", as_="org",
                    json={"name": "初赛", "stage": "prelim", "format": "live"}), 201)
    check(api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org", json={"teams": [
        {"team_id": t["id"], "score": 10 - i, "time_ms": 0} for i, t in enumerate(comp["teams"])]}))
    _rename_teams(app, [*EVIL, BELL])
    xlsx = api("GET", f"/api/competitions/{comp['id']}/rankings?format=xlsx", as_="org")
    assert xlsx.status_code == 200, xlsx.text
    _no_formula_in(xlsx.content)
    names = {cell for row in load_workbook(io.BytesIO(xlsx.content))["初赛"].iter_rows(values_only=True) for cell in row}
    assert set(EVIL) <= names and "响铃" in names  # shown exactly as typed; the unwritable characters dropped
    text = api("GET", f"/api/competitions/{comp['id']}/rankings?format=csv", as_="org")
    assert text.status_code == 200
    cells = {cell for row in csv.reader(io.StringIO(text.content.decode("utf-8-sig"))) for cell in row}
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "＝")) for c in cells)
    assert "'=1+1" in cells and "'@SUM(1+1)" in cells


def test_exam_results_never_hold_a_formula(app: Any, api: Callable[..., Any], users: Any,
                                           exam_rows: Callable[..., int]) -> None:  # noqa: F811
    ids = [users.add(f"evil{i}", unit=name, name=name) for i, name in enumerate([*EVIL, BELL])]
    exam = exam_rows({uid: [(50.0 + i, 60_000)] for i, uid in enumerate(ids)})
    with app.state.db.write() as session:  # stored before the input rules
        user = session.exec(select(User).where(User.username == "evil0")).one()
        user.name = "=cmd|' /C calc'!A0"
        session.add(user)
    xlsx = api("GET", f"/api/exams/{exam}/results?format=xlsx", as_="org")
    assert xlsx.status_code == 200, xlsx.text
    _no_formula_in(xlsx.content)
    for sheet in ("rows", "units"):
        response = api("GET", f"/api/exams/{exam}/results?format=csv&sheet={sheet}", as_="org")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert not any(c.startswith(("=", "+", "@", "\t", "＝")) for row in rows for c in row)


def test_question_export_keeps_the_text_and_never_a_formula(api: Callable[..., Any]) -> None:
    bank = check(api("POST", "/api/banks", as_="org", json={"name": "公式"}), 201)["id"]
    question = {"type": "single", "stem": "=1+1 等于几？", "answer": ["A"], "options": [
        {"key": "A", "text": "@SUM(1+1)"}, {"key": "B", "text": "-3"}]}
    check(api("POST", f"/api/banks/{bank}/questions", as_="org", json=question), 201)
    xlsx = api("GET", f"/api/banks/{bank}/export?format=xlsx", as_="org")
    assert xlsx.status_code == 200
    _no_formula_in(xlsx.content)
    other = check(api("POST", "/api/banks", as_="org", json={"name": "公式2"}), 201)["id"]
    check(api("POST", f"/api/banks/{other}/import", as_="org", files={"file": ("q.xlsx", xlsx.content)}))
    again = check(api("GET", f"/api/banks/{other}/questions", as_="org"))["items"][0]
    assert again["stem"] == "=1+1 等于几？" and [o["text"] for o in again["options"]] == ["@SUM(1+1)", "-3"]


def test_the_cell_helpers() -> None:
    assert csv_cell(-5) == -5 and csv_cell(3.5) == 3.5  # numbers stay numbers
    assert csv_cell("-5") == "'-5" and csv_cell("安全") == "安全" and csv_cell("\rx") == "'\rx"
    assert clean_text("a\x00b\x1fc\td\ne\ud800") == "abc\td\ne"
    from openpyxl import Workbook

    ws = Workbook().active
    values = xlsx_row(ws, ["=1+1", 7, "文本", "a\x07"])
    assert values[1:] == [7, "文本", "a"] and values[0].data_type == "s" and values[0].quotePrefix
