"""Issue 10 item 12 (an outside tester's small defects), on the server side of tests: a unit where
nobody has submitted has no average and no pass rate (—, never 0) on the page's JSON and in both exports;
the browser side of the list is tests/browser/test_small_defects_browser.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from tests.exams.test_exam_results import _take


def test_a_unit_where_nobody_submitted_has_a_dash_not_zero(api: Any, app: Any, make_exam: Any, clock: Any,
                                                           users: Any) -> None:
    users.add("c1", "member", unit="市财政局")
    exam = make_exam(audience={"units": ["市财政局", "市审计局"]})
    _take(api, app, exam["id"], "alice", 9, clock)
    units = {u["unit"]: u for u in api("GET", f"/api/exams/{exam['id']}/results", as_="org").json()["units"]}
    assert units["市审计局"]["participants"] == 0
    assert units["市审计局"]["average"] is None and units["市审计局"]["pass_rate"] is None
    assert units["市财政局"]["average"] is not None and units["市财政局"]["pass_rate"] is not None
    assert units["合计"]["average"] == units["市财政局"]["average"]

    text = api("GET", f"/api/exams/{exam['id']}/results?format=csv&sheet=units", as_="org").content.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
    assert rows["市审计局"][4:] == ["—", "0", "—"]
    assert rows["市财政局"][4] not in ("—", "0") and rows["市财政局"][6].endswith("%")

    wb = load_workbook(io.BytesIO(api("GET", f"/api/exams/{exam['id']}/results?format=xlsx", as_="org").content))
    sheet = {r[0]: r for r in wb["单位汇总"].iter_rows(values_only=True)}
    assert sheet["市审计局"][4] == "—" and sheet["市审计局"][6] == "—"
    assert isinstance(sheet["市财政局"][4], (int, float)) and isinstance(sheet["市财政局"][6], (int, float))


def test_an_exam_nobody_took_has_no_average_anywhere(api: Any, make_exam: Any) -> None:
    exam = make_exam()
    units = api("GET", f"/api/exams/{exam['id']}/results", as_="org").json()["units"]
    assert units and all(u["average"] is None and u["pass_rate"] is None for u in units)
    text = api("GET", f"/api/exams/{exam['id']}/results?format=csv&sheet=units", as_="org").content.decode("utf-8-sig")
    total = next(r for r in csv.reader(io.StringIO(text)) if r[0] == "合计")
    assert total[4] == "—" and total[6] == "—"
