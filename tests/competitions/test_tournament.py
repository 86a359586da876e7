"""The whole tournament through the API (issue 11): a prelim test of 24 teams, the top 16 to a semifinal
drawn snake into 4 groups, four live group games played over WebSockets with a known pattern of answers,
per-group ranking and ``top_per_group: 2`` advancement (a deliberate tie for second place in one group
blocks it until a tie-break settles it), the 8 expected finalists, a substitute who plays the final."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook

from live.store import LiveGame
from quiz.accounts import issue_token
from quiz.models import User
from tests.competitions.conftest import check
from tests.live.conftest import Frames, seed_live_bank
from tests.live.test_ws import answer, connect, host_do, join, opening

GROUP_NAMES = ["第一组", "第二组", "第三组", "第四组"]
# How many of a team's 6 answers (3 players × 2 questions) are right, by the team's place in its group as dealt.
# The second group has a tie for second place (4 and 4, equal time on the test's clock).
PATTERN = [[2, 5, 6, 1], [6, 4, 4, 1], [1, 2, 3, 6], [3, 6, 2, 5]]
TIED_GROUP = 1


def tokens_for(app: Any, user_ids: list[int]) -> dict[int, str]:
    with app.state.db.write() as session:
        return {uid: issue_token(session, session.get(User, uid), app.state.clock.now_ms(), 30) for uid in user_ids}


def snake(ranked: list[int], count: int) -> list[list[int]]:
    """The test's own snake deal: 1, 2, 3, 4, 4, 3, 2, 1, 1, 2 …"""
    groups: list[list[int]] = [[] for _ in range(count)]
    order = list(range(count)) + list(reversed(range(count)))
    for i, team_id in enumerate(ranked):
        groups[order[i % (2 * count)]].append(team_id)
    return groups


def play(client: Any, game: dict[str, Any], players: list[tuple[int, str, int]], right: dict[int, int],
         question_ids: list[int], during: Callable[[], None] | None = None) -> None:
    """Play a game of 2 questions: ``players`` (user_id, token, team_id) in seat order per team; team t's
    first ``right[t]`` answers (question 1 seats 1–3, then question 2 seats 1–3) are right (C), the rest wrong (A)."""
    pin = game["pin"]
    with contextlib.ExitStack() as stack:
        host = Frames(stack.enter_context(connect(client, pin, "host", game["host_token"])), "host")
        opening(host)
        sockets = []
        for user_id, token, team_id in players:
            frames = Frames(stack.enter_context(connect(client, pin, token=token)), str(user_id))
            welcome, _ = join(frames, "")
            assert welcome["player"]["team_id"] == team_id
            sockets.append((frames, team_id))
        host.sync()
        host_do(host, "start")
        if during is not None:
            during()  # while the game is being played
        for q_index, _ in enumerate(question_ids):
            if q_index:
                host_do(host, "next")
            seat_of: dict[int, int] = {}
            for frames, team_id in sockets:
                question = frames.until("question")[-1]
                seat = seat_of[team_id] = seat_of.get(team_id, 0) + 1
                slot = q_index * 3 + seat
                value = "C" if slot <= right[team_id] else "A"
                ack = answer(frames, question["question"]["id"], value, f"{frames.name}-{q_index}")
                assert ack["accepted"] is True, ack
            host.sync()  # every player answered: the question closed by itself
            host_do(host, "reveal")
        host_do(host, "finish")


def members_of(team: dict[str, Any]) -> list[int]:
    return [m["user_id"] for m in sorted(team["members"], key=lambda m: m["seat"])]


def test_semifinal_in_groups_to_the_final_with_a_substitute(app: Any, client: Any, api: Callable[..., Any],
                                                            competition: Callable[..., dict[str, Any]],
                                                            exam_rows: Callable[..., int]) -> None:
    comp = competition(teams=24)
    cid = comp["id"]
    team_of = {t["name"]: t for t in comp["teams"]}
    by_id = {t["id"]: t for t in comp["teams"]}
    # Prelim: team i's three players score 100 - i each.
    attempts = {uid: [(100 - i, 600_000)] for i in range(1, 25) for uid in members_of(team_of[f"队{i:02d}"])}
    prelim = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={
        "stage": "prelim", "format": "exam", "exam_id": exam_rows(attempts), "advance": {"top": 16}}), 201)
    prelim_ranking = check(api("GET", f"/api/rounds/{prelim['id']}/ranking", as_="org"))
    ranked = [r["team_id"] for r in prelim_ranking["teams"]]
    assert ranked == [team_of[f"队{i:02d}"]["id"] for i in range(1, 25)]
    to_semi = check(api("POST", f"/api/rounds/{prelim['id']}/advance", as_="org"))
    assert to_semi["team_ids"] == ranked[:16]
    semi_id = to_semi["next_round_id"]
    check(api("PATCH", f"/api/rounds/{semi_id}", as_="org", json={"advance": {"top_per_group": 2}}))
    step = check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))["next_step"]
    assert step["step"] == "draw_groups" and step["count"] == 2  # the page's one button: draw the groups

    # Drawn snake by the prelim's places: the groups equal the test's own deal.
    drawn = check(api("PUT", f"/api/rounds/{semi_id}/groups", as_="org", json={"count": 4, "seeding": "snake"}))
    expected_groups = snake(ranked[:16], 4)
    assert [g["name"] for g in drawn["groups"]] == GROUP_NAMES
    assert [g["team_ids"] for g in drawn["groups"]] == expected_groups
    semi = check(api("GET", f"/api/rounds/{semi_id}", as_="org"))
    assert [g["team_ids"] for g in semi["groups"]] == expected_groups
    assert {g["state"] for g in semi["groups"]} == {"none"} and semi["groups"][0]["seeding"] == "snake"
    step = check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))["next_step"]
    assert step["step"] == "create_games" and step["groups"] == GROUP_NAMES
    # Every team in exactly one group.
    bad = api("PUT", f"/api/rounds/{semi_id}/groups", as_="org", json={"groups": [
        {"name": "甲组", "team_ids": expected_groups[0]}, {"name": "乙组", "team_ids": expected_groups[0][:1]}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "groups_invalid"
    # A random draw records its seed; the same seed deals the same groups.
    first = check(api("PUT", f"/api/rounds/{semi_id}/groups", as_="org", json={"count": 4, "seeding": "random"}))
    seed = first["groups"][0]["seed"]
    assert isinstance(seed, int) and sorted(t for g in first["groups"] for t in g["team_ids"]) == sorted(ranked[:16])
    again = check(api("PUT", f"/api/rounds/{semi_id}/groups", as_="org",
                      json={"count": 4, "seeding": "random", "seed": seed}))
    assert [g["team_ids"] for g in again["groups"]] == [g["team_ids"] for g in first["groups"]]
    check(api("PUT", f"/api/rounds/{semi_id}/groups", as_="org", json={"count": 4, "seeding": "snake"}))

    bank_id, qids = seed_live_bank(app)
    body = {"title": "复赛", "round_id": semi_id, "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": qids[:2], "time_limit_s": 20, "points": 10}]}
    no_group = api("POST", "/api/live", as_="org", json=body)
    assert no_group.status_code == 422 and no_group.json()["error"]["code"] == "group_required"
    user_ids = [uid for tid in ranked[:16] for uid in members_of(by_id[tid])]
    tokens = tokens_for(app, user_ids)
    right: dict[int, int] = {}
    for g, (name, team_ids) in enumerate(zip(GROUP_NAMES, expected_groups, strict=True)):
        game = check(api("POST", "/api/live", as_="org", json={**body, "group": name}), 201)
        second = api("POST", "/api/live", as_="org", json={**body, "group": name})
        assert second.status_code == 409 and second.json()["error"]["code"] == "group_has_game"
        with app.state.db.read() as session:
            config = session.get(LiveGame, game["id"]).config
        assert [t["id"] for t in config["teams"]] == team_ids  # the group's teams only, as dealt
        assert config["teams"][0]["seats"] == members_of(by_id[team_ids[0]])  # players in seat order
        for k, tid in enumerate(team_ids):
            right[tid] = PATTERN[g][k]
        players = [(uid, tokens[uid], tid) for tid in team_ids for uid in members_of(by_id[tid])]
        if g == 0:
            step = check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))["next_step"]
            assert step["step"] == "create_games" and step["groups"] == GROUP_NAMES[1:]
        play(client, game, players, right, qids[:2])
    semi = check(api("GET", f"/api/rounds/{semi_id}", as_="org"))
    assert [g["state"] for g in semi["groups"]] == ["finished"] * 4
    late = api("PUT", f"/api/rounds/{semi_id}/groups", as_="org", json={"count": 4, "seeding": "snake"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "groups_locked"

    # Each group ranked on its own; `rank` stays the place across the round.
    ranking = check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))
    rows = ranking["teams"]
    assert [r["team_id"] for r in rows] == [tid for g in range(4) for tid in sorted(
        expected_groups[g], key=lambda t: (-right[t], expected_groups[g].index(t)))]
    for g, name in enumerate(GROUP_NAMES):
        mine = [r for r in rows if r["group"] == name]
        assert [r["score"] for r in mine] == sorted((10 * right[t] for t in expected_groups[g]), reverse=True)
        expected_ranks = [1, 2, 2, 4] if g == TIED_GROUP else [1, 2, 3, 4]
        assert [r["group_rank"] for r in mine] == expected_ranks
        assert [r["tied"] for r in mine] == ([False, True, True, False] if g == TIED_GROUP else [False] * 4)
    overall = sorted(rows, key=lambda r: r["position"])
    assert [r["score"] for r in overall] == sorted((r["score"] for r in rows), reverse=True)
    tied_pair = [r["team_id"] for r in rows if r["group"] == GROUP_NAMES[TIED_GROUP] and r["tied"]]
    assert [sorted(t["team_ids"]) for t in ranking["ties"]] == [sorted(tied_pair)]
    assert ranking["ties"][0]["group"] == GROUP_NAMES[TIED_GROUP] and ranking["ties"][0]["decides"] == ["advance"]
    assert [r["advanced"] for r in rows if r["group"] == GROUP_NAMES[TIED_GROUP]] == [True, None, None, False]

    assert ranking["next_step"]["step"] == "settle_ties"
    # The tie blocks advancing until a tie-break within the group settles it.
    blocked = api("POST", f"/api/rounds/{semi_id}/advance", as_="org")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "tie_blocks_advance"
    across = [rows[0]["team_id"], rows[4]["team_id"]]
    assert api("POST", f"/api/rounds/{semi_id}/tiebreak", as_="org",
               json={"team_ids": across}).status_code == 422  # not a tie within one group
    winner, loser = tied_pair[1], tied_pair[0]
    settled = check(api("POST", f"/api/rounds/{semi_id}/tiebreak", as_="org",
                        json={"team_ids": [winner, loser], "note": "加赛一题"}), 201)
    tied_rows = [r for r in settled["teams"] if r["group"] == GROUP_NAMES[TIED_GROUP]]
    assert [r["team_id"] for r in tied_rows][1:3] == [winner, loser]
    assert [r["group_rank"] for r in tied_rows] == [1, 2, 3, 4] and settled["ties"] == []
    assert settled["next_step"]["step"] == "advance"
    to_final = check(api("POST", f"/api/rounds/{semi_id}/advance", as_="org"))
    finalists = []
    for g in range(4):
        ordered = sorted(expected_groups[g], key=lambda t: -right[t])
        if g == TIED_GROUP:
            ordered = [ordered[0], winner]
        finalists += ordered[:2]
    assert sorted(to_final["team_ids"]) == sorted(finalists) and len(finalists) == 8

    # A substitute between the semifinal and the final: the third player of a finalist team is replaced.
    sub_team = by_id[finalists[0]]
    old_player = members_of(sub_team)[2]
    members = members_of(sub_team)[:2] + [{"username": "13999990001", "name": "替补甲"}]
    changed = check(api("PUT", f"/api/competitions/{cid}/teams/{sub_team['id']}", as_="org",
                        json={"members": members}))
    assert [m["name"] for m in changed["members"]][2] == "替补甲" and changed["members"][2]["seat"] == 3
    substitute = changed["members"][2]["user_id"]
    taken = api("PUT", f"/api/competitions/{cid}/teams/{sub_team['id']}", as_="org",
                json={"members": members_of(by_id[finalists[1]])[:1]})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "member_in_other_team"

    final_id = to_final["next_round_id"]
    check(api("PATCH", f"/api/rounds/{final_id}", as_="org",
              json={"prizes": [{"name": "一等奖", "count": 2}, {"name": "二等奖", "count": 3}]}))
    game = check(api("POST", "/api/live", as_="org", json={**body, "title": "决赛", "round_id": final_id}), 201)
    final_teams = check(api("GET", f"/api/rounds/{final_id}", as_="org"))["team_ids"]
    tokens.update(tokens_for(app, [substitute]))
    by_id[sub_team["id"]] = changed
    players = [(uid, tokens[uid], tid) for tid in final_teams for uid in members_of(by_id[tid])]
    final_right = {tid: 6 - (i % 6) for i, tid in enumerate(final_teams)}
    again = api("POST", "/api/live", as_="org", json={**body, "title": "决赛", "round_id": final_id})
    assert again.status_code == 409 and again.json()["error"]["code"] == "round_has_game"

    def no_substitute_while_playing() -> None:
        busy = api("PUT", f"/api/competitions/{cid}/teams/{sub_team['id']}", as_="org", json={"members": members})
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "team_playing"

    play(client, game, players, final_right, qids[:2], during=no_substitute_while_playing)
    final_ranking = check(api("GET", f"/api/rounds/{final_id}/ranking", as_="org"))
    played_final = {p["user_id"] for p in final_ranking["players"] if p["team_id"] == sub_team["id"]}
    assert substitute in played_final and old_player not in played_final
    semi_players = {p["user_id"] for p in check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))["players"]
                    if p["team_id"] == sub_team["id"]}
    assert old_player in semi_players and substitute not in semi_players
    assert final_ranking["next_step"]["step"] in ("award", "settle_ties")
    sub_row = next(r for r in final_ranking["teams"] if r["team_id"] == sub_team["id"])
    assert sub_row["score"] == 10 * final_right[sub_team["id"]] and "替补甲" in sub_row["players"]

    # The export: a sheet per group of the semifinal, checked cell by cell; the summary shows groups and players.
    response = api("GET", f"/api/competitions/{cid}/rankings?format=xlsx", as_="org")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "初赛", "复赛-第一组", "复赛-第二组", "复赛-第三组", "复赛-第四组", "决赛"]
    semi_ranking = check(api("GET", f"/api/rounds/{semi_id}/ranking", as_="org"))
    for name in GROUP_NAMES:
        sheet = list(wb[f"复赛-{name}"].iter_rows(values_only=True))
        assert sheet[0][:9] == ("组内名次", "总名次", "队伍", "单位", "队员", "得分", "用时(秒)", "晋级", "奖项")
        mine = [r for r in semi_ranking["teams"] if r["group"] == name]
        assert [row[:8] for row in sheet[1:1 + len(mine)]] == [
            (r["group_rank"], r["rank"], r["name"], r["unit"], "、".join(r["players"]), r["score"],
             r["time_ms"] / 1000, "是" if r["advanced"] else "否") for r in mine]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    header = summary[0]
    assert "复赛分组" in header and "参赛队员" in header
    sub_line = next(row for row in summary[1:] if row[0] == sub_team["name"])
    used = sub_line[header.index("参赛队员")]
    assert "替补甲" in used and sub_team["members"][2]["name"] in used
    group_of = {r["name"]: r["group"] for r in semi_ranking["teams"]}
    assert all(row[header.index("复赛分组")] == group_of.get(row[0]) for row in summary[1:] if row[0] in group_of)


def test_an_exam_round_by_group_with_best_of_rest(api: Callable[..., Any], competition: Callable[..., dict[str, Any]],
                                                  exam_rows: Callable[..., int]) -> None:
    """A prelim test ranked per district: the first of each of 3 groups, plus the 2 best of the rest."""
    comp = competition(teams=9)
    cid = comp["id"]
    teams = [t["id"] for t in comp["teams"]]
    # team k (0-based) scores: a tie between the two best runners-up-but-one decides the second extra place.
    scores = [90, 80, 70, 88, 60, 50, 86, 75, 75]
    attempts = {uid: [(scores[k], 600_000)] for k, t in enumerate(comp["teams"]) for uid in members_of(t)}
    rnd = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={
        "stage": "prelim", "format": "exam", "exam_id": exam_rows({}),
        "advance": {"top_per_group": 1, "best_of_rest": 2}}), 201)
    groups = [{"name": "东区", "team_ids": teams[0:3]}, {"name": "西区", "team_ids": teams[3:6]},
              {"name": "南区", "team_ids": teams[6:9]}]
    check(api("PUT", f"/api/rounds/{rnd['id']}/groups", as_="org", json={"groups": groups}))
    # The districts are set before the test; then the test is taken (here: its attempts written at once).
    check(api("PATCH", f"/api/rounds/{rnd['id']}", as_="org", json={"exam_id": exam_rows(attempts)}))
    ranking = check(api("GET", f"/api/rounds/{rnd['id']}/ranking", as_="org"))
    assert [(r["group"], r["group_rank"], r["team_id"]) for r in ranking["teams"]] == [
        ("东区", 1, teams[0]), ("东区", 2, teams[1]), ("东区", 3, teams[2]),
        ("西区", 1, teams[3]), ("西区", 2, teams[4]), ("西区", 3, teams[5]),
        ("南区", 1, teams[6]), ("南区", 2, teams[7]), ("南区", 2, teams[8])]
    assert [r["rank"] for r in ranking["teams"][:3]] == [1, 4, 7]  # across the round: 270, 264, 258, 240, 225, 225, 210
    # The rest: 80 (东区), then 75 and 75 (南区) for the one place left: a tie that blocks.
    assert [sorted(t["team_ids"]) for t in ranking["ties"]] == [sorted(teams[7:9])]
    assert {r["team_id"]: r["advanced"] for r in ranking["teams"]}[teams[1]] is True
    blocked = api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org")
    assert blocked.status_code == 409
    check(api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org", json={"team_ids": [teams[8], teams[7]]}), 201)
    advanced = check(api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org"))
    assert sorted(advanced["team_ids"]) == sorted([teams[0], teams[3], teams[6], teams[1], teams[8]])
    # Scores exist: the groups are fixed.
    late = api("PUT", f"/api/rounds/{rnd['id']}/groups", as_="org", json={"groups": groups})
    assert late.status_code == 409


def test_only_organisers_draw_groups_substitute_and_advance(api: Callable[..., Any],
                                                            competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=2)
    rnd = check(api("POST", f"/api/competitions/{comp['id']}/rounds", as_="org",
                    json={"stage": "semifinal", "format": "live", "advance": {"top_per_group": 1}}), 201)
    team = comp["teams"][0]
    calls = [("PUT", f"/api/rounds/{rnd['id']}/groups", {"count": 1, "seeding": "snake"}),
             ("PUT", f"/api/competitions/{comp['id']}/teams/{team['id']}", {"members": members_of(team)}),
             ("POST", f"/api/rounds/{rnd['id']}/advance", {})]
    for method, url, body in calls:
        for who in ("alice", "host"):
            assert api(method, url, as_=who, json=body).status_code == 403, (url, who)
        assert api(method, url, json=body).status_code == 401
    assert api("PUT", calls[0][1], as_="org", json=calls[0][2]).status_code == 200
    assert api("PUT", calls[1][1], as_="org", json=calls[1][2]).status_code == 200
