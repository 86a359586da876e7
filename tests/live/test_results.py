"""An open game ends with something to keep: every player's answer to every question, points, score,
time and rank, as JSON and as an xlsx for the host (issue 10), read from the game's log."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.live.conftest import Frames
from tests.live.test_ws import answer, connect, host_do, join, opening


def test_the_host_gets_every_players_answers_and_an_xlsx(client: Any, make_game: Any, live_bank: Any,
                                                         clock: Any) -> None:
    _, ids = live_bank
    game = make_game(segments=[{"kind": "all", "title": "全员答题", "question_ids": ids[:2], "time_limit_s": 20,
                                "points": 10}])
    pin, token = game["pin"], game["host_token"]
    with connect(client, pin, "host", token) as h, connect(client, pin) as a, connect(client, pin) as b, \
            connect(client, pin) as c:
        host, alice, bob, carol = Frames(h, "host"), Frames(a, "a"), Frames(b, "b"), Frames(c, "c")
        opening(host)
        join(alice, "小张")
        join(bob, "=1+1")  # a name that must not become a formula in the workbook
        join(carol, "只看不答")
        host_do(host, "start")
        q1 = alice.until("question")[-1]["question"]["id"]
        assert answer(alice, q1, "C", "a1")["accepted"] and answer(bob, q1, "A", "b1")["accepted"]
        clock.advance(21_000)
        host.sync()
        host_do(host, "reveal")
        host_do(host, "next")
        q2 = alice.until("question")[-1]["question"]["id"]
        assert answer(alice, q2, "C", "a2")["accepted"]
        clock.advance(21_000)
        host.sync()
        host_do(host, "reveal")
        host_do(host, "finish")

    assert client.get(f"/api/live/{game['id']}/results").status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    results = client.get(f"/api/live/{game['id']}/results", headers=auth).json()
    assert [q["question_id"] for q in results["questions"]] == [q1, q2]
    rows = {p["name"]: p for p in results["players"]}
    assert rows["小张"]["rank"] == 1 and rows["小张"]["score"] == 20 and rows["小张"]["answered"] == 2
    assert [a["correct"] for a in rows["小张"]["answers"]] == [True, True]
    assert [a["points"] for a in rows["小张"]["answers"]] == [10, 10]
    assert rows["=1+1"]["answers"][0] == {"answer": ["A"], "correct": False, "points": 0}
    assert rows["=1+1"]["answers"][1]["answer"] is None
    assert rows["只看不答"]["answered"] == 0

    xlsx = client.get(f"/api/live/{game['id']}/results?format=xlsx", headers=auth)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["成绩"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:7] == ["名次", "昵称/姓名", "队伍", "得分", "用时（秒）", "作答题数", "第1题"]
    assert values[1][1] == "小张" and values[1][3] == 20 and values[1][6] == "C ✓"
    formula_row = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "=1+1")
    assert formula_row[1].data_type == "s" and formula_row[1].quotePrefix  # text, not a formula
    assert formula_row[6].value == "A ✗"
    key = [[cell.value for cell in row] for row in book["题目"].iter_rows()]
    assert key[1][3] == "C" and key[1][4:] == [1, 2]
