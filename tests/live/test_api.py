"""The live HTTP API: creating games (snapshots, rules, rounds, quick games), reading them, the ledger, the QR code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from live import store
from tests.live.conftest import SECRET_EXPLANATION


def test_create_snapshots_questions_and_answers_with_links(api: Callable[..., Any], app: Any,
                                                          make_game: Callable[..., Any],
                                                          live_bank: tuple[int, list[int]]) -> None:
    bank_id, ids = live_bank
    game = make_game(segments=[
        {"kind": "all", "title": "一", "question_ids": [ids[2], ids[0]], "speed_bonus": True},
        {"kind": "all", "title": "二", "rule": {"type": "single", "count": 3, "tags": ["党史"], "difficulty": [1, 3]}}])
    assert len(game["pin"]) == 6 and game["host_token"]
    assert game["join_url"].endswith(f"/play/{game['pin']}") and game["screen_url"].endswith(f"/screen/{game['pin']}")
    loaded = store.load_game(app.state.db, game["id"])
    assert loaded is not None
    first, second = loaded.game.config.segments
    assert [q.id for q in first.questions] == [ids[2], ids[0]] and first.speed_bonus is True
    drawn = [q.id for q in second.questions]
    assert len(drawn) == 3 and not set(drawn) & {ids[0], ids[2]} and set(drawn) <= set(ids[:6])
    # later edits of the bank do not change the game
    api("PUT", f"/api/questions/{ids[2]}", as_="org", json={"stem": "改过的题干"})
    again = store.load_game(app.state.db, game["id"])
    assert again is not None and again.game.config.segments[0].questions[0].stem != "改过的题干"
    listed = api("GET", "/api/live", as_="host").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == game["id"]
    assert api("GET", "/api/live", as_="alice").status_code == 403
    one = api("GET", f"/api/live/{game['id']}", as_="host").json()
    assert one["pin"] == game["pin"] and one["players"] == 0 and "host_token" not in one
    assert one["created_at"].endswith("+08:00") and one["finished_at"] is None and one["status"] == "lobby"
    assert api("GET", f"/api/live/{game['id']}", as_="admin").status_code == 200


def test_create_refuses_what_cannot_be_played(api: Callable[..., Any], live_bank: tuple[int, list[int]],
                                             users: Any) -> None:
    bank_id, ids = live_bank

    def create(**body: Any) -> Any:
        return api("POST", "/api/live", as_="host", json={"title": "赛", "bank_id": bank_id, **body})

    assert api("POST", "/api/live", as_="alice", json={"title": "x", "segments": []}).status_code == 403
    assert create(segments=[]).status_code == 422
    short = create(segments=[{"kind": "all", "rule": {"type": "single", "count": 50}}])
    assert short.status_code == 422 and short.json()["error"]["code"] == "rule_short"
    assert "只能找到 6 道题" in short.json()["error"]["message"]
    missing = create(segments=[{"kind": "all", "question_ids": [ids[0], 99999]}])
    assert missing.status_code == 422 and "99999" in missing.json()["error"]["message"]
    assert create(segments=[{"kind": "all", "question_ids": [ids[0]], "colour": "red"}]).status_code == 422
    assert create(segments=[{"kind": "quiz", "question_ids": [ids[0]]}]).status_code == 422
    twice = create(segments=[{"kind": "all", "question_ids": [ids[0]]}, {"kind": "all", "question_ids": [ids[0]]}])
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "config_invalid"
    no_teams = create(segments=[{"kind": "buzzer", "question_ids": [ids[0]]}])
    assert no_teams.status_code == 422
    assert create(round_id=424242, segments=[{"kind": "all", "question_ids": [ids[0]]}]).status_code == 404
    cid = api("POST", "/api/competitions", as_="org", json={"title": "赛"}).json()["id"]
    api("POST", f"/api/competitions/{cid}/teams", as_="org", json={"name": "队", "members": [users.ids["alice"]]})
    exam_round = api("POST", f"/api/competitions/{cid}/rounds", as_="org",
                     json={"name": "初赛", "stage": "prelim", "format": "exam"}).json()
    assert create(round_id=exam_round["id"], segments=[{"kind": "all", "question_ids": [ids[0]]}]).status_code == 409
    assert api("POST", "/api/live", as_="host", json={"title": "赛", "segments": [
        {"kind": "all", "rule": {"type": "single", "count": 1}}]}).status_code == 422  # a rule needs a bank


def test_quick_game_state_qr_and_ledger(api: Callable[..., Any], client: Any, live_bank: tuple[int, list[int]]) -> None:
    bank_id, _ = live_bank
    quick = api("POST", "/api/live/quick", as_="host", json={"bank_id": bank_id, "count": 4})
    assert quick.status_code == 201, quick.text
    game = quick.json()
    assert game["segments"] == [{"kind": "all", "title": "全员答题", "questions": 4}]
    assert api("POST", "/api/live/quick", as_="host", json={"bank_id": bank_id, "count": 40}).status_code == 422
    state = client.get(f"/api/live/{game['id']}/state").json()
    assert state["type"] == "state" and state["phase"] == "lobby" and "answer" not in state
    assert api("GET", f"/api/live/{game['id']}/state?as=host", as_="alice").status_code == 403
    assert client.get("/api/live/999999/state").status_code == 404
    qr = client.get(f"/api/live/{game['pin']}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.lstrip().startswith("<svg")
    assert client.get("/api/live/123/qr.svg").status_code == 404
    with client.websocket_connect(f"/ws/live/{game['pin']}?role=host&token={game['host_token']}") as ws:
        ws.receive_json(), ws.receive_json()
        ws.send_json({"type": "host", "action": "start"})
        while (message := ws.receive_json())["type"] != "question":
            if message["type"] == "segment" and message.get("card_until_ms"):
                client.app.state.clock.advance(message["card_ms"] + 1)  # the question comes after the title card
    host_state = api("GET", f"/api/live/{game['id']}/state?as=host", as_="host").json()
    assert host_state["phase"] == "question" and SECRET_EXPLANATION in host_state["explanation"]
    assert SECRET_EXPLANATION not in client.get(f"/api/live/{game['id']}/state").text
    ledger = api("GET", f"/api/live/{game['id']}/ledger", as_="host")
    assert ledger.status_code == 200 and ledger.json() == {"items": [], "total": 0}
    assert api("GET", f"/api/live/{game['id']}/ledger", as_="alice").status_code == 403


def test_the_ledger_lists_every_score_change(api: Callable[..., Any], client: Any, users: Any,
                                            make_game: Callable[..., Any], live_bank: tuple[int, list[int]]) -> None:
    _, ids = live_bank
    cid = api("POST", "/api/competitions", as_="org", json={"title": "赛"}).json()["id"]
    team = api("POST", f"/api/competitions/{cid}/teams", as_="org",
               json={"name": "财政队", "members": [users.ids["alice"]]}).json()
    rnd = api("POST", f"/api/competitions/{cid}/rounds", as_="org",
              json={"name": "决赛", "stage": "final", "format": "live"}).json()
    game = make_game(round_id=rnd["id"], segments=[{"kind": "all", "question_ids": ids[:1]}])
    with client.websocket_connect(f"/ws/live/{game['pin']}?role=host&token={game['host_token']}") as ws:
        ws.receive_json(), ws.receive_json()
        ws.send_json({"type": "host", "action": "adjust", "team_id": team["id"], "delta": -5, "reason": "违规提示"})
        score = ws.receive_json()
        assert score["type"] == "score" and score["total"] == -5
        assert score["reason"] == "违规提示" and score["reason_text"] == "主持人调整：违规提示"
        ws.send_json({"type": "host", "action": "reverse", "entry_id": 1})
        assert ws.receive_json()["reason_text"] == "撤销"
    items = api("GET", f"/api/live/{game['id']}/ledger", as_="host").json()["items"]
    assert [(e["team_id"], e["delta"], e["reason"], e["by"], e["team_name"]) for e in items] == [
        (team["id"], -5, "违规提示", "host", "财政队"), (team["id"], 5, "reverse", "host", "财政队")]
    assert [e["reason_text"] for e in items] == ["主持人调整：违规提示", "撤销"]
    assert items[0]["at"].endswith("+08:00")


def test_the_host_token_reads_the_host_state_and_the_ledger(api: Callable[..., Any], client: Any,
                                                            make_game: Callable[..., Any], users: Any) -> None:
    game = make_game()
    bearer = {"Authorization": f"Bearer {game['host_token']}"}
    ledger = client.get(f"/api/live/{game['id']}/ledger", headers=bearer)
    assert ledger.status_code == 200 and ledger.json()["total"] == 0
    state = client.get(f"/api/live/{game['id']}/state?as=host", headers=bearer)
    assert state.status_code == 200 and state.json()["counts"] == {"joined": 0, "answered": 0, "buzzes": 0}
    assert api("GET", f"/api/live/{game['id']}/ledger", as_="alice").status_code == 403  # a member's token
    assert api("GET", f"/api/live/{game['id']}/ledger", as_="host").status_code == 200  # the logged-in host
    assert api("GET", f"/api/live/{game['id']}/ledger", as_="org").status_code == 200
    assert client.get(f"/api/live/{game['id']}/ledger").status_code == 401
    wrong = {"Authorization": "Bearer not-the-host-token"}
    assert client.get(f"/api/live/{game['id']}/ledger", headers=wrong).status_code == 401
    assert client.get(f"/api/live/{game['id']}/state?as=host", headers=wrong).status_code == 401
