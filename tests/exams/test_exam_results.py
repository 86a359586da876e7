"""Results for organisers: rows per candidate, per-unit figures (xlsx, csv, json), progress, statistics,
and the export speed for 10,000 candidates."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.exams.conftest import MINUTE, paper, right_answer, wrong_answer


def _take(api: Any, app: Any, exam_id: int, who: str, good: int, clock: Any, submit: bool = True) -> int:
    """``who`` answers the first ``good`` questions right and the rest wrong; returns the attempt id."""
    data = api("POST", f"/api/exams/{exam_id}/attempts", as_=who).json()
    for n, item in enumerate(paper(app, data["id"])):
        answer = right_answer(item) if n < good else wrong_answer(item)
        assert api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_=who,
                   json={"answer": answer}).status_code == 200
    if submit:
        clock.advance(2 * MINUTE)
        assert api("POST", f"/api/attempts/{data['id']}/submit", as_=who).status_code == 200
    return data["id"]


@pytest.fixture
def taken(api: Any, app: Any, users: Any, make_exam: Any, clock: Any) -> dict[str, Any]:
    users.add("c1", "member", unit="市财政局", name="陈一")
    users.add("c2", "member", unit="市财政局", name="陈二")
    users.add("d1", "member", unit="市卫健委", name="丁一")
    exam = make_exam(rules=[{"type": "single", "count": 4, "points": 2.5}, {"type": "judge", "count": 2, "points": 5}],
                     pass_score=15, shuffle_questions=False)
    _take(api, app, exam["id"], "alice", 6, clock)   # 20 → passed
    _take(api, app, exam["id"], "c1", 0, clock)      # 0
    _take(api, app, exam["id"], "bob", 4, clock)     # the four singles: 10
    _take(api, app, exam["id"], "c2", 6, clock, submit=False)  # still answering
    api("POST", f"/api/attempts/{_take(api, app, exam['id'], 'org', 6, clock, submit=False)}/events",
        as_="org", json={"type": "blur"})
    return exam


def test_xlsx_has_one_row_per_candidate_and_the_unit_summary(api: Any, taken: dict[str, Any]) -> None:
    response = api("GET", f"/api/exams/{taken['id']}/results?format=xlsx", as_="org")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["成绩明细", "单位汇总"]
    rows = list(wb["成绩明细"].iter_rows(values_only=True))
    assert list(rows[0]) == ["姓名", "账号", "单位", "得分", "用时", "是否及格", "提交时间", "切屏次数"]
    by_user = {r[1]: r for r in rows[1:]}
    assert set(by_user) == {"alice", "c1", "bob"}  # one row per candidate who submitted
    assert by_user["alice"][3] == 20 and by_user["alice"][5] == "是" and by_user["alice"][2] == "市财政局"
    assert by_user["c1"][3] == 0 and by_user["c1"][5] == "否"
    assert by_user["bob"][3] == 10 and by_user["bob"][4] == "2分00秒"
    assert str(by_user["bob"][6]).count(":") == 2
    units = {r[0]: r for r in list(wb["单位汇总"].iter_rows(values_only=True))[1:]}
    header = list(wb["单位汇总"].iter_rows(values_only=True))[0]
    assert list(header) == ["单位", "应考人数", "参考人数", "参考率", "平均分", "及格人数", "及格率"]
    # Computed here: 财政局 has alice, c1, c2 (members); alice 20 and c1 0 submitted; alice passed.
    assert units["市财政局"][1:] == (3, 2, round(2 / 3, 4), 10, 1, 0.5)
    assert units["市教育局"][1:] == (1, 1, 1.0, 10, 0, 0.0)
    assert units["市卫健委"][1:] == (1, 0, 0.0, "—", 0, "—")  # nobody submitted: no average, no pass rate
    # 市直机关 units of admin/org/host are not members: not expected unless they took part.
    assert units["合计"][1:] == (5, 3, 0.6, 10, 1, round(1 / 3, 4))


def test_json_and_csv_results(api: Any, taken: dict[str, Any]) -> None:
    data = api("GET", f"/api/exams/{taken['id']}/results", as_="org").json()
    assert data["total"] == 3
    assert [r["username"] for r in data["items"]] == ["bob", "alice", "c1"]  # by unit, then score
    assert {u["unit"]: u["participants"] for u in data["units"]}["合计"] == 3
    page = api("GET", f"/api/exams/{taken['id']}/results?limit=1&offset=1", as_="org").json()
    assert [r["username"] for r in page["items"]] == ["alice"] and page["total"] == 3
    text = api("GET", f"/api/exams/{taken['id']}/results?format=csv", as_="org").content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["姓名", "账号", "单位", "得分"] and len(rows) == 4
    units = list(csv.reader(io.StringIO(api("GET", f"/api/exams/{taken['id']}/results?format=csv&sheet=units",
                                            as_="org").content.decode("utf-8-sig"))))
    assert units[0][0] == "单位" and ["市教育局", "1", "1", "100.00%", "10", "0", "0.00%"] in units
    assert api("GET", f"/api/exams/{taken['id']}/results?format=pdf", as_="org").status_code == 400


def test_progress_per_unit(api: Any, taken: dict[str, Any]) -> None:
    data = api("GET", f"/api/exams/{taken['id']}/progress", as_="org").json()
    units = {u["unit"]: u for u in data["units"]}
    assert units["市财政局"] == {"unit": "市财政局", "expected": 3, "in_progress": 1, "submitted": 2, "not_started": 0}
    assert units["市卫健委"]["not_started"] == 1
    # The organiser (another role) is counted only because they started.
    assert units["测试单位"] == {"unit": "测试单位", "expected": 1, "in_progress": 1, "submitted": 0, "not_started": 0}
    assert data["totals"]["submitted"] == 3 and data["totals"]["in_progress"] == 2


def test_stats_hardest_first(api: Any, taken: dict[str, Any]) -> None:
    items = api("GET", f"/api/exams/{taken['id']}/stats", as_="org").json()["items"]
    rates = [i["correct_rate"] for i in items]
    assert rates == sorted(rates)
    assert sum(i["appeared"] for i in items) == 3 * 6
    judges = [i for i in items if i["type"] == "judge"]
    # alice got her judges right, c1 and bob wrong.
    assert sum(i["correct"] for i in judges) == 2 and sum(i["appeared"] for i in judges) == 6


def test_audience_limits_who_is_expected(api: Any, app: Any, make_exam: Any, clock: Any, users: Any) -> None:
    users.add("c1", "member", unit="市财政局")
    exam = make_exam(audience={"units": ["市财政局", "市审计局"]})
    _take(api, app, exam["id"], "alice", 9, clock)
    units = {u["unit"]: u for u in api("GET", f"/api/exams/{exam['id']}/results", as_="org").json()["units"]}
    assert set(units) == {"市财政局", "市审计局", "合计"}
    assert (units["市财政局"]["expected"], units["市财政局"]["participants"]) == (2, 1)
    assert units["市审计局"]["expected"] == 0


@pytest.mark.slow
def test_export_of_ten_thousand_candidates_is_fast(api: Any, app: Any, make_exam: Any, clock: Any) -> None:
    from sqlalchemy import insert, select

    from quiz.exams.models import ExamAttempt
    from quiz.models import User

    exam = make_exam()
    now = clock.now_ms()
    n = 10_000
    with app.state.db.write() as session:
        session.execute(insert(User), [{"username": f"m{i:05d}", "name": f"党员{i}", "role": "member",
                                        "unit": f"单位{i % 60:02d}", "password_hash": "", "active": True,
                                        "created_ms": now} for i in range(n)])
        ids = dict(session.execute(select(User.username, User.id)).all())
        session.execute(insert(ExamAttempt), [{
            "exam_id": exam["id"], "user_id": ids[f"m{i:05d}"], "number": 1, "unit": f"单位{i % 60:02d}",
            "status": "submitted", "started_ms": now, "deadline_ms": now + 1_800_000, "last_saved_ms": now,
            "submitted_ms": now + 60_000 + i, "submitted_by": "candidate", "paper": [], "score_cents": (i % 21) * 100,
            "max_cents": 2100, "correct": i % 9, "answered": 9, "total": 9, "pending": 0, "passed": i % 21 >= 12,
            "blur_count": i % 3} for i in range(n)])
    started = time.perf_counter()
    response = api("GET", f"/api/exams/{exam['id']}/results?format=xlsx", as_="org")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed <= 3.0, f"xlsx export of {n} candidates took {elapsed:.2f} s"
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    assert sum(1 for _ in wb["成绩明细"].iter_rows(values_only=True)) == n + 1
    # header, 60 units, the units of the fixture's members alice and bob (expected, not taking part), total
    assert len(list(wb["单位汇总"].iter_rows(values_only=True))) == 1 + 60 + 2 + 1
