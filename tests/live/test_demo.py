"""``quiz demo`` seeds two live games: the open one and the demo competition's live final as a team game."""

from __future__ import annotations

from typing import Any

from quiz.cli import main


def test_the_demo_seeds_a_team_game_for_the_final_round(tmp_path: Any, monkeypatch: Any, capsys: Any,
                                                        clock: Any) -> None:
    from starlette.testclient import TestClient

    from quiz.app import create_app
    from quiz.settings import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    path = tmp_path / "demo.db"
    assert main(["demo", "--no-serve", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "决赛现场赛" in out and "m11 … m43 / demo123" in out
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="t"), clock=clock)
    with TestClient(app) as client:
        def login(name: str) -> dict[str, str]:
            response = client.post("/api/auth/login", json={"username": name, "password": "demo123"})
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        host = login("host")
        games = client.get("/api/live", headers=host).json()["items"]
        team_game = next(g for g in games if g["round_id"] is not None)
        assert team_game["pin"] in out and f"/host/{team_game['id']}" in out
        assert [s["kind"] for s in team_game["segments"]] == ["required", "buzzer", "risk"]
        assert [s["title"] for s in team_game["segments"]] == ["必答题", "抢答题", "风险题"]
        org = login("organizer")
        rnd = client.get(f"/api/rounds/{team_game['round_id']}/ranking", headers=org).json()
        assert len(rnd["teams"]) == 4
        state = client.get(f"/api/live/{team_game['id']}/state").json()
        assert len(state["scores"]) == 4
        # a round's game is the organizers' (CONTRACT §7): a host cannot put another game in its place
        bank_id = client.get("/api/banks", headers=host).json()["items"][0]["id"]
        again = client.post("/api/live", headers=host, json={
            "title": "再来一场", "round_id": team_game["round_id"], "bank_id": bank_id,
            "segments": [{"kind": "required", "rule": {"type": "single", "count": 4}}]})
        assert again.status_code in (403, 409), again.text
        assert client.get(f"/api/rounds/{team_game['round_id']}/ranking", headers=org).json()["teams"] == rnd["teams"]
        # a team member joins the demo game by its PIN and plays for their team
        token = login("m11")["Authorization"].split()[1]
        with client.websocket_connect(f"/ws/live/{team_game['pin']}?role=player&token={token}") as ws:
            ws.send_json({"type": "join"})
            welcome = ws.receive_json()
            assert welcome["type"] == "welcome" and welcome["player"]["team_id"] is not None
