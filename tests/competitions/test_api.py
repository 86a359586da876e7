"""Competitions through the API: teams, rounds, ties and tie-breaks, advancement, prizes, permissions, CLI."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from quiz.competitions.models import Round, Team, TeamMember
from quiz.models import User
from tests.competitions.conftest import ROSTER_HEADER, check, xlsx_bytes

PRIZES = [{"name": "一等奖", "count": 2}, {"name": "二等奖", "count": 3}, {"name": "三等奖", "count": 3}]


def count(app: Any, model: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def team_ids(comp: dict[str, Any]) -> list[int]:
    return [t["id"] for t in comp["teams"]]


def make_round(api: Callable[..., Any], cid: int, **fields: Any) -> dict[str, Any]:
    body = {"stage": "prelim", "format": "live", **fields}
    return check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json=body), 201)


def put_scores(api: Callable[..., Any], round_id: int, scores: dict[int, tuple[float, int]]) -> dict[str, Any]:
    body = {"teams": [{"team_id": t, "score": s, "time_ms": ms} for t, (s, ms) in scores.items()]}
    return check(api("PUT", f"/api/rounds/{round_id}/scores", as_="org", json=body))


# --- competitions and teams ------------------------------------------------------------------

def test_create_list_and_get(api: Callable[..., Any]) -> None:
    made = check(api("POST", "/api/competitions", as_="org", json={"title": "  党史竞赛  "}), 201)
    assert made["title"] == "党史竞赛" and made["teams"] == [] and made["rounds"] == []
    listed = check(api("GET", "/api/competitions", as_="org"))
    assert listed["total"] == 1 and listed["items"][0]["id"] == made["id"]
    assert api("GET", "/api/competitions/999", as_="org").status_code == 404
    bad = api("POST", "/api/competitions", as_="org", json={"title": ""})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "title"


def test_add_team_with_existing_and_new_members(api: Callable[..., Any], users: Any) -> None:
    cid = check(api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}), 201)["id"]
    team = check(api("POST", f"/api/competitions/{cid}/teams", as_="org", json={
        "name": "财政一队", "unit": "市财政局",
        "members": [users.ids["alice"], {"name": "王五", "username": "13800001234"}, {"username": "bob"}]}), 201)
    assert [(m["name"], m["seat"]) for m in team["members"]] == [("alice", 1), ("王五", 2), ("bob", 3)]
    assert team["members"][1]["unit"] == "市财政局"
    login = api("POST", "/api/auth/login", json={"username": "13800001234", "password": "001234"})
    assert login.status_code == 200, login.text
    # The same name again, a member already in a team, an unknown user id.
    assert api("POST", f"/api/competitions/{cid}/teams", as_="org",
               json={"name": "财政一队"}).json()["error"]["code"] == "team_exists"
    taken = api("POST", f"/api/competitions/{cid}/teams", as_="org",
                json={"name": "二队", "members": [{"username": "bob"}]})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "member_in_other_team"
    unknown = api("POST", f"/api/competitions/{cid}/teams", as_="org", json={"name": "三队", "members": [99999]})
    assert unknown.status_code == 422
    twice = api("POST", f"/api/competitions/{cid}/teams", as_="org",
                json={"name": "四队", "members": [users.ids["admin"], {"username": "admin"}]})
    assert twice.status_code == 422
    # Another competition may have the same people.
    other = check(api("POST", "/api/competitions", as_="org", json={"title": "另一个"}), 201)["id"]
    check(api("POST", f"/api/competitions/{other}/teams", as_="org",
              json={"name": "财政一队", "members": [users.ids["alice"]]}), 201)


def test_team_import_bad_rows_write_nothing(app: Any, api: Callable[..., Any], users: Any) -> None:
    cid = check(api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}), 201)["id"]
    check(api("POST", f"/api/competitions/{cid}/teams", as_="org",
              json={"name": "已有队", "members": [users.ids["bob"]]}), 201)
    before = (count(app, User), count(app, Team), count(app, TeamMember))
    rows = [ROSTER_HEADER,
            ["一队", "市财政局", "张三", "13900000001"],
            ["一队", "市财政局", "", "13900000002"],           # row 3: no name
            ["", "市财政局", "李四", "13900000003"],            # row 4: no team
            ["二队", "市教育局", "王五", "13900000001"],         # row 5: account repeated
            ["已有队", "市教育局", "赵六", "13900000006"],        # row 6: an existing team is updated (no error)
            ["三队", "市教育局", "钱七", "bob"]]                 # row 7: bob moves from 已有队 (in this file)
    response = api("POST", f"/api/competitions/{cid}/teams/import", as_="org",
                   files={"file": ("teams.xlsx", xlsx_bytes(rows))})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "姓名"), (4, "队伍"), (5, "账号")]
    assert response.json()["error"]["details"] == errors
    assert (count(app, User), count(app, Team), count(app, TeamMember)) == before
    missing = api("POST", f"/api/competitions/{cid}/teams/import", as_="org",
                  files={"file": ("t.csv", "队伍,姓名\n一队,张三\n".encode())})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "账号"
    garbage = api("POST", f"/api/competitions/{cid}/teams/import", as_="org", files={"file": ("t.xlsx", b"PK\x03\x04no")})
    assert garbage.status_code == 422


def test_team_import_csv_gbk_with_seats(api: Callable[..., Any]) -> None:
    cid = check(api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}), 201)["id"]
    text = "队伍,单位,姓名,账号,座次\n一队,市财政局,甲,u0001,2\n一队,市财政局,乙,u0002,1\n二队,市教育局,丙,u0003,\n"
    result = check(api("POST", f"/api/competitions/{cid}/teams/import", as_="org",
                       files={"file": ("teams.csv", text.encode("gb18030"))}))
    assert result["teams"] == 2 and result["members"] == 3
    teams = check(api("GET", f"/api/competitions/{cid}/teams", as_="org"))["items"]
    assert [m["name"] for m in teams[0]["members"]] == ["乙", "甲"]
    assert teams[1]["unit"] == "市教育局"


# --- rounds ----------------------------------------------------------------------------------

def test_round_validation(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    cid = competition(teams=2)["id"]
    bad = [{"stage": "quarter"}, {"stage": "prelim", "advance": {"top": 8, "min_score": 1}},
           {"stage": "prelim", "advance": {}}, {"stage": "prelim", "advance": {"top": 0}},
           {"stage": "prelim", "prizes": [{"name": "一等奖", "count": 0}]}, {"stage": "prelim", "team_score": "max"},
           {"stage": "prelim", "format": "exam", "exam_id": 424242}]
    for body in bad:
        response = api("POST", f"/api/competitions/{cid}/rounds", as_="org", json=body)
        assert response.status_code == 422, (body, response.text)
    prelim = make_round(api, cid, advance={"min_score": 60})
    assert prelim["name"] == "初赛" and prelim["advance"] == {"min_score": 60}
    again = api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={"stage": "prelim"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "stage_exists"
    patched = check(api("PATCH", f"/api/rounds/{prelim['id']}", as_="org", json={"advance": None, "name": "预赛"}))
    assert patched["advance"] is None and patched["name"] == "预赛"
    semi = make_round(api, cid, stage="semifinal")
    moved = check(api("PATCH", f"/api/rounds/{semi['id']}", as_="org", json={"stage": "final"}))
    assert (moved["stage"], moved["name"]) == ("final", "决赛")  # a default name follows the stage
    clash = api("PATCH", f"/api/rounds/{semi['id']}", as_="org", json={"stage": "prelim"})
    assert clash.status_code == 409
    assert api("GET", "/api/rounds/99999/ranking", as_="org").status_code == 404


def test_equal_score_is_broken_by_time(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=3)
    a, b, c = team_ids(comp)
    rnd = make_round(api, comp["id"], advance={"top": 2})
    ranking = put_scores(api, rnd["id"], {a: (90, 80_000), b: (90, 70_000), c: (95, 99_000)})
    assert [(r["team_id"], r["rank"], r["tied"]) for r in ranking["teams"]] == [(c, 1, False), (b, 2, False),
                                                                                 (a, 3, False)]
    assert ranking["ties"] == []


def test_tie_at_the_cut_blocks_advance_until_a_tiebreak(app: Any, api: Callable[..., Any],
                                                        competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=4)
    a, b, c, d = team_ids(comp)
    rnd = make_round(api, comp["id"], advance={"top": 2})
    ranking = put_scores(api, rnd["id"], {a: (90, 1000), b: (80, 5000), c: (80, 5000), d: (10, 0)})
    rows = {r["team_id"]: r for r in ranking["teams"]}
    assert rows[b]["rank"] == rows[c]["rank"] == 2 and rows[b]["tied"] and rows[c]["tied"]
    assert rows[b]["advanced"] is None and rows[a]["advanced"] is True and rows[d]["advanced"] is False
    assert len(ranking["ties"]) == 1
    tie = ranking["ties"][0]
    assert sorted(tie["team_ids"]) == sorted([b, c]) and tie["decides"] == ["advance"] and tie["positions"] == [2, 3]

    blocked = api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "tie_blocks_advance"
    assert sorted(blocked.json()["error"]["details"][0]["team_ids"]) == sorted([b, c])
    assert count(app, Round) == 1

    # A tie-break must name exactly the tied teams.
    wrong = api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org", json={"team_ids": [a, b]})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "tiebreak_not_tied"
    assert api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org",
               json={"team_ids": [b]}).status_code == 422
    settled = check(api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org",
                        json={"team_ids": [c, b], "note": "加赛一题"}), 201)
    assert settled["ties"] == []
    assert [(r["team_id"], r["rank"], r["tiebreak"], r["advanced"]) for r in settled["teams"]][:3] == [
        (a, 1, False, True), (c, 2, True, True), (b, 3, True, False)]
    # A newer result wins (a correction).
    settled = check(api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org", json={"team_ids": [b, c]}), 201)
    assert [r["team_id"] for r in settled["teams"]][:3] == [a, b, c]

    first = check(api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org"))
    assert first["team_ids"] == [a, b] and first["created"] is True
    second = check(api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org"))
    assert second["team_ids"] == [a, b] and second["next_round_id"] == first["next_round_id"]
    assert count(app, Round) == 2
    semi = check(api("GET", f"/api/rounds/{first['next_round_id']}/ranking", as_="org"))
    assert sorted(r["team_id"] for r in semi["teams"]) == sorted([a, b])
    # Results of an advanced round are fixed.
    assert api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org",
               json={"team_ids": [c, b]}).status_code == 409


def test_advance_into_an_existing_later_round_and_min_score(api: Callable[..., Any],
                                                            competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=4)
    a, b, c, d = team_ids(comp)
    prelim = make_round(api, comp["id"], advance={"min_score": 60})
    final = make_round(api, comp["id"], stage="final", prizes=PRIZES)
    assert check(api("GET", f"/api/rounds/{final['id']}/ranking", as_="org"))["teams"] == []  # nobody yet
    put_scores(api, prelim["id"], {a: (60, 0), b: (59.5, 0), c: (75, 0), d: (60, 0)})
    result = check(api("POST", f"/api/rounds/{prelim['id']}/advance", as_="org"))
    assert result["next_round_id"] == final["id"] and result["created"] is False
    assert result["team_ids"] == [c, a, d]
    scores = put_scores(api, final["id"], {c: (10, 0), a: (30, 0), d: (20, 0)})
    assert [r["prize"] for r in scores["teams"]] == ["一等奖", "一等奖", "二等奖"]
    outsider = api("PUT", f"/api/rounds/{final['id']}/scores", as_="org",
                   json={"teams": [{"team_id": b, "score": 1}]})
    assert outsider.status_code == 422 and outsider.json()["error"]["code"] == "team_not_in_round"
    no_next = api("POST", f"/api/rounds/{final['id']}/advance", as_="org")
    assert no_next.status_code == 409


def test_advance_needs_a_rule(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=2)
    rnd = make_round(api, comp["id"])
    response = api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org")
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_advance_rule"


def test_tie_at_a_prize_boundary_blocks_awarding(api: Callable[..., Any],
                                                competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=9)
    ids = team_ids(comp)
    final = make_round(api, comp["id"], stage="final", prizes=PRIZES)
    scores = {tid: (100 - n, 0) for n, tid in enumerate(ids)}
    scores[ids[2]] = (99, 0)  # the 2nd and 3rd place tie across 一等奖 / 二等奖
    ranking = put_scores(api, final["id"], scores)
    prizes = {r["team_id"]: r["prize"] for r in ranking["teams"]}
    assert prizes[ids[0]] == "一等奖" and prizes[ids[1]] is None and prizes[ids[2]] is None
    assert prizes[ids[3]] == "二等奖" and prizes[ids[8]] is None
    assert [(sorted(t["team_ids"]), t["decides"]) for t in ranking["ties"]] == [(sorted(ids[1:3]), ["prize"])]
    blocked = api("POST", f"/api/rounds/{final['id']}/prizes", as_="org")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "tie_blocks_prize"
    check(api("POST", f"/api/rounds/{final['id']}/tiebreak", as_="org", json={"team_ids": [ids[2], ids[1]]}), 201)
    awarded = check(api("POST", f"/api/rounds/{final['id']}/prizes", as_="org"))
    assert [(a["team_id"], a["prize"]) for a in awarded["awards"]][:3] == [
        (ids[0], "一等奖"), (ids[2], "一等奖"), (ids[1], "二等奖")]
    assert len(awarded["awards"]) == 8


def test_exam_round_sum_and_average(api: Callable[..., Any], competition: Callable[..., dict[str, Any]],
                                    exam_rows: Callable[..., int]) -> None:
    comp = competition(teams=2)
    (t1, m1), (t2, m2) = [(t["id"], [m["user_id"] for m in t["members"]]) for t in comp["teams"]]
    # Team 1: 90 + 60 + absent; team 2: 50 + 50 + 50. Best attempt counts; an open attempt does not.
    exam_id = exam_rows({m1[0]: [(80, 100_000), (90, 200_000)], m1[1]: [(60, 300_000)],
                         m2[0]: [(50, 10_000)], m2[1]: [(50, 10_000)], m2[2]: [(50, 10_000), (50, 5_000)]},
                        open_attempts=[m1[2]])
    rnd = make_round(api, comp["id"], format="exam", exam_id=exam_id, team_score="sum")
    summed = check(api("GET", f"/api/rounds/{rnd['id']}/ranking", as_="org"))
    assert [(r["team_id"], r["score"], r["time_ms"], r["source"]) for r in summed["teams"]] == [
        (t2, 150, 25_000, "exam"), (t1, 150, 500_000, "exam")]
    check(api("PATCH", f"/api/rounds/{rnd['id']}", as_="org", json={"team_score": "average"}))
    averaged = check(api("GET", f"/api/rounds/{rnd['id']}/ranking", as_="org"))
    assert [(r["team_id"], r["score"]) for r in averaged["teams"]] == [(t2, 50), (t1, 50)]
    players = {p["user_id"]: p for p in averaged["players"]}
    assert players[m1[0]]["score"] == 90 and players[m1[0]]["rank"] == 1 and players[m1[2]]["rank"] is None
    # An organiser's entry wins over the computed score.
    manual = put_scores(api, rnd["id"], {t1: (99, 0)})
    assert manual["teams"][0]["team_id"] == t1 and manual["teams"][0]["source"] == "manual"
    removed = check(api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org",
                        json={"teams": [{"team_id": t1, "score": None}]}))
    assert removed["teams"][1]["source"] == "exam"


def test_bad_scores_are_refused(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=1)
    rnd = make_round(api, comp["id"])
    tid = team_ids(comp)[0]
    for body in ({"teams": [{"team_id": tid, "score": "x"}]}, {"teams": [{"team_id": tid, "score": 1, "time_ms": -1}]},
                 {"teams": "all"}):
        assert api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org", json=body).status_code == 422
    nan = api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org", content=b'{"teams":[{"team_id":1,"score":NaN}]}',
              headers={"content-type": "application/json"})
    assert nan.status_code in (400, 422)


def test_live_layer_interface(app: Any, api: Callable[..., Any], competition: Callable[..., dict[str, Any]],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from live import store
    from quiz.competitions import bind_live_game, record_tiebreak, round_ranking, round_teams

    comp = competition(teams=3)
    a, b, c = team_ids(comp)
    rnd = make_round(api, comp["id"], stage="final", format="live", prizes=[{"name": "冠军", "count": 1}])
    # The competitions read a round's live results from live.store (quiz may import live, never the reverse).
    monkeypatch.setattr(store, "round_team_scores", lambda session, round_id, game_ids=None: {
        a: (50, 9000), b: (50, 9000), c: (10, 0)})
    monkeypatch.setattr(store, "round_player_results", lambda session, round_id, game_ids=None: {})
    with app.state.db.write() as session:
        bind_live_game(session, rnd["id"], 77)
        teams = round_teams(session, rnd["id"])
        assert [t["team_id"] for t in teams] == [a, b, c] and [m["seat"] for m in teams[0]["members"]] == [1, 2, 3]
        before = round_ranking(session, rnd["id"])
        assert before["round"]["live_id"] == 77
        assert [r["source"] for r in before["teams"]] == ["live", "live", "live"]
        assert [sorted(t["team_ids"]) for t in before["ties"]] == [sorted([a, b])]
        record_tiebreak(session, rnd["id"], [b, a])
        after = round_ranking(session, rnd["id"])
    assert after["ties"] == [] and [(r["team_id"], r["prize"]) for r in after["teams"]] == [
        (b, "冠军"), (a, None), (c, None)]


# --- permissions, exports, CLI ----------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/competitions"), ("POST", "/api/competitions"), ("GET", "/api/competitions/{cid}"),
    ("POST", "/api/competitions/{cid}/teams"), ("GET", "/api/competitions/{cid}/teams"),
    ("POST", "/api/competitions/{cid}/teams/import"), ("POST", "/api/competitions/{cid}/rounds"),
    ("GET", "/api/rounds/{rid}"), ("GET", "/api/rounds/{rid}/ranking"), ("POST", "/api/rounds/{rid}/advance"),
    ("POST", "/api/rounds/{rid}/tiebreak"), ("PUT", "/api/rounds/{rid}/scores"), ("POST", "/api/rounds/{rid}/prizes"),
    ("GET", "/api/competitions/{cid}/rankings?format=xlsx"),
])
def test_members_and_anonymous_are_refused(api: Callable[..., Any], competition: Callable[..., dict[str, Any]],
                                           method: str, path: str) -> None:
    comp = competition(teams=1)
    rid = make_round(api, comp["id"])["id"]
    url = path.format(cid=comp["id"], rid=rid)
    assert api(method, url, as_="alice", json={}).status_code == 403
    assert api(method, url, as_="host", json={}).status_code == 403
    assert api(method, url, json={}).status_code == 401


def test_admin_pages(api: Callable[..., Any], competition: Callable[..., dict[str, Any]], client: Any) -> None:
    comp = competition(teams=1)
    page = api("GET", "/admin/competitions", as_="org")
    assert page.status_code == 200 and "竞赛" in page.text and "admin_competitions.js" in page.text
    detail = api("GET", f"/admin/competitions/{comp['id']}", as_="org")
    assert detail.status_code == 200 and comp["title"] in detail.text
    assert api("GET", "/admin/competitions/999", as_="org").status_code == 404
    assert api("GET", "/admin/competitions", as_="alice").status_code == 403
    anonymous = client.get("/admin/competitions", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/?next=")
    assert client.get("/static/js/admin_competitions.js").status_code == 200


def test_rankings_export_formats(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=3)
    a, b, c = team_ids(comp)
    rnd = make_round(api, comp["id"], advance={"top": 1})
    put_scores(api, rnd["id"], {a: (5, 0), b: (5, 0), c: (1, 0)})
    one = check(api("GET", f"/api/competitions/{comp['id']}/rankings?format=json&round={rnd['id']}", as_="org"))
    assert len(one["rounds"]) == 1 and len(one["rounds"][0]["ties"]) == 1
    wb = load_workbook(io.BytesIO(api("GET", f"/api/competitions/{comp['id']}/rankings?format=xlsx",
                                      as_="org").content))
    rows = list(wb["初赛"].iter_rows(values_only=True))
    assert [(r[0], r[6], r[8]) for r in rows[1:4]] == [(1, "待加赛", "并列"), (1, "待加赛", "并列"), (3, "否", None)]
    assert api("GET", f"/api/competitions/{comp['id']}/rankings?format=pdf", as_="org").status_code == 400
    assert api("GET", f"/api/competitions/{comp['id']}/rankings?round=x", as_="org").status_code == 400
    other = check(api("POST", "/api/competitions", as_="org", json={"title": "别的"}), 201)
    assert api("GET", f"/api/competitions/{other['id']}/rankings?round={rnd['id']}", as_="org").status_code == 404


def test_cli_export_rankings(api: Callable[..., Any], competition: Callable[..., dict[str, Any]], settings: Any,
                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    from quiz.cli import main

    comp = competition(teams=3)
    a, b, c = team_ids(comp)
    rnd = make_round(api, comp["id"], advance={"top": 2})
    put_scores(api, rnd["id"], {a: (3, 0), b: (2, 0), c: (1, 0)})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", settings.database_url)
    out = tmp_path / "排名.xlsx"
    assert main(["export", "rankings", str(comp["id"]), "-o", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "初赛"]
    assert [r[1] for r in list(wb["初赛"].iter_rows(values_only=True))[1:4]] == ["队01", "队02", "队03"]
    assert main(["export", "rankings", str(comp["id"]), "--round", str(rnd["id"]), "-o", "r.csv"]) == 0
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", "rankings", "9999", "-o", "x.xlsx"]) == 1
    assert "竞赛不存在" in capsys.readouterr().err


def test_exam_round_through_the_exams_api(api: Callable[..., Any], users: Any, clock: Any) -> None:
    """Real attempts through the tests API (CONTRACT §5) feed a prelim of format exam."""
    from quiz.timeutil import to_iso

    bank = check(api("POST", "/api/banks", as_="org", json={"name": "党史题库"}), 201)
    for stem in ("中国共产党成立于1921年。", "遵义会议在1935年召开。"):
        check(api("POST", f"/api/banks/{bank['id']}/questions", as_="org",
                  json={"type": "judge", "stem": stem, "answer": [True], "tags": ["党史"], "difficulty": 1}), 201)
    exam = check(api("POST", "/api/exams", as_="org", json={
        "title": "初赛", "bank_id": bank["id"], "rules": [{"type": "judge", "count": 2, "points": 50}],
        "duration_s": 600, "opens_at": to_iso(clock.value - 60_000), "closes_at": to_iso(clock.value + 86_400_000),
        "max_attempts": 2}), 201)
    players = {name: users.add(name, unit="市财政局") for name in ("p11", "p12", "p13", "p21", "p22", "p23")}
    cid = check(api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}), 201)["id"]
    teams = [check(api("POST", f"/api/competitions/{cid}/teams", as_="org", json={
        "name": name, "members": [players[f"p{n}{s}"] for s in (1, 2, 3)]}), 201)["id"] for n, name in ((1, "一队"), (2, "二队"))]
    rnd = make_round(api, cid, format="exam", exam_id=exam["id"], advance={"top": 1})

    def sit(player: str, right: int, seconds: int) -> Any:
        attempt = check(api("POST", f"/api/exams/{exam['id']}/attempts", as_=player), 201)
        for i, question in enumerate(attempt["questions"]):
            check(api("PUT", f"/api/attempts/{attempt['id']}/answers/{question['id']}", as_=player,
                      json={"answer": [i < right]}))
        clock.advance(seconds * 1000)
        return check(api("POST", f"/api/attempts/{attempt['id']}/submit", as_=player))["score"]

    scores = {"p11": sit("p11", 2, 100), "p12": sit("p12", 1, 50), "p13": sit("p13", 1, 50),
              "p21": sit("p21", 2, 30), "p22": sit("p22", 2, 40)}  # p23 never sits the test
    assert scores == {"p11": 100, "p12": 50, "p13": 50, "p21": 100, "p22": 100}
    ranking = check(api("GET", f"/api/rounds/{rnd['id']}/ranking", as_="org"))
    assert [(r["team_id"], r["score"], r["time_ms"], r["advanced"]) for r in ranking["teams"]] == [
        (teams[1], 200, 70_000, True), (teams[0], 200, 200_000, False)]
    assert [p["name"] for p in ranking["players"]][:2] == ["p21", "p22"]
    assert ranking["players"][-1]["name"] == "p23" and ranking["players"][-1]["rank"] is None
    # A second, better attempt counts.
    assert sit("p12", 2, 10) == 100
    ranking = check(api("GET", f"/api/rounds/{rnd['id']}/ranking", as_="org"))
    assert ranking["teams"][0]["team_id"] == teams[0] and ranking["teams"][0]["score"] == 250


def test_enter_teams_by_hand(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=3)
    a, b, c = team_ids(comp)
    prelim = make_round(api, comp["id"], advance={"top": 1})
    final = make_round(api, comp["id"], stage="final")
    assert check(api("GET", f"/api/rounds/{final['id']}", as_="org"))["team_ids"] == []
    assert check(api("PUT", f"/api/rounds/{final['id']}/teams", as_="org", json={"team_ids": [c, b]}))["team_ids"] == [b, c]
    assert check(api("PUT", f"/api/rounds/{final['id']}/teams", as_="org", json={"team_ids": [c]}))["team_ids"] == [c]
    assert api("PUT", f"/api/rounds/{final['id']}/teams", as_="org", json={"team_ids": [99999]}).status_code == 422
    # A team listed twice in one score entry: the last entry wins.
    ranking = check(api("PUT", f"/api/rounds/{prelim['id']}/scores", as_="org", json={"teams": [
        {"team_id": a, "score": 1}, {"team_id": a, "score": 9}, {"team_id": b, "score": 5}]}))
    assert [(r["team_id"], r["score"]) for r in ranking["teams"]] == [(a, 9), (b, 5), (c, 0)]
    result = check(api("POST", f"/api/rounds/{prelim['id']}/advance", as_="org"))
    assert result["next_round_id"] == final["id"] and result["team_ids"] == [a]
    assert check(api("GET", f"/api/rounds/{final['id']}", as_="org"))["team_ids"] == [a, c]
    assert api("PUT", f"/api/rounds/{prelim['id']}/teams", as_="org", json={"team_ids": [a]}).status_code == 409


def test_concurrent_advances_create_one_next_round(app: Any, client: Any, users: Any,
                                                   api: Callable[..., Any],
                                                   competition: Callable[..., dict[str, Any]]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    comp = competition(teams=4)
    ids = team_ids(comp)
    rnd = make_round(api, comp["id"], advance={"top": 2})
    put_scores(api, rnd["id"], {tid: (10 * n, 0) for n, tid in enumerate(ids)})
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: client.post(f"/api/rounds/{rnd['id']}/advance",
                                                        headers=users.headers("org")), range(6)))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["next_round_id"] for r in responses}) == 1
    assert all(r.json()["team_ids"] == [ids[3], ids[2]] for r in responses)
    assert count(app, Round) == 2


def test_team_import_again_updates_instead_of_failing(app: Any, api: Callable[..., Any], users: Any) -> None:
    """Organisers correct a roster and send it again: the teams of the file are updated, not duplicated."""
    cid = check(api("POST", "/api/competitions", as_="org", json={"title": "竞赛"}), 201)["id"]
    rows = [ROSTER_HEADER, ["一队", "市财政局", "张三", "13900000001"], ["一队", "市财政局", "李四", "13900000002"],
            ["二队", "市教育局", "王五", "13900000003"]]
    url = f"/api/competitions/{cid}/teams/import"
    check(api("POST", url, as_="org", files={"file": ("teams.xlsx", xlsx_bytes(rows))}), 200)
    before = (count(app, User), count(app, Team), count(app, TeamMember))
    check(api("POST", url, as_="org", files={"file": ("teams.xlsx", xlsx_bytes(rows))}), 200)
    assert (count(app, User), count(app, Team), count(app, TeamMember)) == before
    moved = [ROSTER_HEADER, ["一队", "市财政局", "张三", "13900000001"], ["二队", "市教育局", "李四", "13900000002"],
             ["二队", "市教育局", "王五", "13900000003"]]
    check(api("POST", url, as_="org", files={"file": ("teams.xlsx", xlsx_bytes(moved))}), 200)
    teams = {t["name"]: [m["username"] for m in t["members"]]
             for t in check(api("GET", f"/api/competitions/{cid}/teams", as_="org"), 200)["items"]}
    assert teams == {"一队": ["13900000001"], "二队": ["13900000002", "13900000003"]}
