"""The live socket with a host, a screen and several players in one test (Starlette's TestClient):
audiences, no answer before reveal, late answers, duplicates, malformed input, host-only actions,
resume, and storage before acknowledgement."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from live import store
from tests.live.conftest import SECRET_EXPLANATION, SECRET_FILL, Frames


def connect(client: Any, pin: str, role: str = "player", token: str | None = None) -> Any:
    url = f"/ws/live/{pin}?role={role}" + (f"&token={token}" if token else "")
    return client.websocket_connect(url)


def join(frames: Frames, name: str, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    frames.send({"type": "join", "name": name, **fields})
    welcome = frames.next()
    assert welcome["type"] == "welcome", welcome
    state = frames.next()
    assert state["type"] == "state"
    return welcome, state


def opening(frames: Frames) -> dict[str, Any]:
    """Host and screen: welcome, then the state snapshot."""
    assert frames.next()["type"] == "welcome"
    state = frames.next()
    assert state["type"] == "state"
    return state


def host_do(host: Frames, action: str, **params: Any) -> list[dict[str, Any]]:
    host.send({"type": "host", "action": action, **params})
    frames = host.sync()
    card = next((m for m in frames if m["type"] == "segment" and m.get("card_until_ms")), None)
    if card is not None:  # a segment's title card: its question comes once the (fake) clock is past the card
        host.ws.app.state.clock.advance(card["card_ms"] + 1)
        frames += host.sync()
    return frames


def answer(frames: Frames, question: int, value: Any, cid: str) -> dict[str, Any]:
    frames.send({"type": "answer", "id": cid, "question": question, "answer": value})
    for message in frames.until("ack")[::-1]:
        return message
    raise AssertionError("no ack")


def walk(value: Any) -> Any:
    """Every dict inside a decoded message."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def test_no_answer_or_explanation_reaches_players_or_screen_before_reveal(client: Any, make_game: Callable[..., Any],
                                                                          live_bank: tuple[int, list[int]]) -> None:
    _, ids = live_bank
    game = make_game(segments=[{"kind": "all", "question_ids": [ids[0], ids[6]], "time_limit_s": 30}])
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s, \
            connect(client, pin) as a, connect(client, pin) as b:
        host, screen, alice, bob = Frames(h, "host"), Frames(s, "screen"), Frames(a, "alice"), Frames(b, "bob")
        opening(host), opening(screen)
        join(alice, "小张")
        welcome_b, _ = join(bob, "小李")
        host_frames = host_do(host, "start")
        # the host alone sees the answer while the question is open
        host_question = next(m for m in host_frames if m["type"] == "question")
        assert host_question["question"]["answer"] == ["C"]
        assert SECRET_EXPLANATION in host_question["question"]["explanation"]
        question = alice.until("question")[-1]
        qid = question["question"]["id"]
        assert answer(alice, qid, "C", "a-1")["accepted"] is True
        with connect(client, pin, "host", game["host_token"]) as h2:  # a second host console, mid-question
            host_state = opening(Frames(h2, "host2"))
            assert host_state["answer"] == ["C"] and host_state["question"]["answer"] == ["C"]
            assert host_state["explanation"].startswith(SECRET_EXPLANATION)
            assert host_state["counts"]["answered"] == 1
        # a player reconnecting mid-question gets a state snapshot: it must not leak either
        with connect(client, pin, token=welcome_b["resume"]) as b2:
            bob2 = Frames(b2, "bob2")
            assert bob2.next()["type"] == "welcome"
            assert bob2.next()["type"] == "state"
            assert answer(bob2, qid, "B", "b-1")["accepted"] is True
            bob2.sync()
        host_do(host, "close")
        # the second question is a fill-in: its accepted strings are secret too
        screen.sync(), alice.sync(), bob.sync()
        before = {f.name: list(f.raw) for f in (screen, alice, bob, bob2)}
        host_do(host, "reveal")
        revealed = alice.until("reveal")[-1]
        assert revealed["answer"] == ["C"] and revealed["you"]["correct"] is True
        host_do(host, "next")
        fill = bob.until("question")[-1]
        assert fill["question"]["type"] == "fill" and fill["question"].get("blanks") == 1
        screen.sync(), alice.sync(), bob.sync()
        before_fill = {f.name: list(f.raw[len(before[f.name]):]) for f in (screen, alice, bob)}
        host_do(host, "close")
        host_do(host, "reveal")
        after = screen.until("reveal")[-1]
        assert after["answer"] == [[f"{SECRET_FILL}0"]]

    frames_before_reveal = [t for texts in before.values() for t in texts]
    frames_before_reveal += [t for texts in before_fill.values() for t in texts if '"type":"reveal"' not in t]
    assert len(frames_before_reveal) > 10
    for text in frames_before_reveal:
        assert SECRET_EXPLANATION not in text and SECRET_FILL not in text, text
        for node in walk(json.loads(text)):
            assert "explanation" not in node, text
            if node.get("type") in ("question", "state") and isinstance(node.get("question"), dict):
                assert "answer" not in node["question"], text
            assert node.get("type") != "reveal", text


def test_each_socket_gets_only_its_own_messages(client: Any, api: Callable[..., Any], users: Any,
                                                make_game: Callable[..., Any], live_bank: tuple[int, list[int]]) -> None:
    """A round game: team audiences, player audiences, host-only and screen-only messages."""
    _, ids = live_bank
    for name in ("carol", "dave"):
        users.add(name, "member", unit="市卫健委")
    competition = api("POST", "/api/competitions", as_="org", json={"title": "党史竞赛"}).json()
    cid = competition["id"]
    t1 = api("POST", f"/api/competitions/{cid}/teams", as_="org",
             json={"name": "财政队", "unit": "市财政局", "members": [users.ids["alice"], users.ids["bob"]]}).json()
    t2 = api("POST", f"/api/competitions/{cid}/teams", as_="org",
             json={"name": "卫健队", "unit": "市卫健委", "members": [users.ids["carol"], users.ids["dave"]]}).json()
    rnd = api("POST", f"/api/competitions/{cid}/rounds", as_="org",
              json={"name": "决赛", "stage": "final", "format": "live"}).json()
    game = make_game(round_id=rnd["id"], segments=[
        {"kind": "required", "title": "必答题", "answerer": "team", "question_ids": ids[:2], "time_limit_s": 30}])
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s, \
            connect(client, pin, token=users.tokens["alice"]) as a, connect(client, pin, token=users.tokens["bob"]) as b, \
            connect(client, pin, token=users.tokens["carol"]) as c, connect(client, pin, token=users.tokens["dave"]) as d:
        host, screen = Frames(h, "host"), Frames(s, "screen")
        players = {n: Frames(ws, n) for n, ws in (("alice", a), ("bob", b), ("carol", c), ("dave", d))}
        opening(host), opening(screen)
        for name, frames in players.items():
            welcome, state = join(frames, "")
            team = t1 if name in ("alice", "bob") else t2
            assert welcome["player"]["team_id"] == team["id"] and welcome["player"]["name"] == name
        joined = host.sync()
        assert [m["type"] for m in joined] == ["joined"] * 4
        assert [m["type"] for m in screen.sync()] == ["joined"] * 4
        for frames in players.values():  # 10,000 joins must not fan out to the players
            assert frames.sync() == []
        host_do(host, "start")
        question = players["alice"].until("question")[-1]
        assert question["team_id"] == t1["id"]
        for frames in players.values():
            frames.sync()
        screen.sync()
        # carol (not on turn) is refused; alice answers for her team
        refused = answer(players["carol"], question["question"]["id"], "C", "c-1")
        assert refused["accepted"] is False and refused["reason"] == "not_your_turn"
        ack = answer(players["alice"], question["question"]["id"], "C", "a-1")
        assert ack["accepted"] is True
        got = {name: frames.sync() for name, frames in players.items()}
        host_got, screen_got = host.sync(), screen.sync()
    assert [m["type"] for m in got["alice"]] == ["team_answered", "closed"]
    assert [m["type"] for m in got["bob"]] == ["team_answered", "closed"]  # bob's teammate answered
    assert [m["type"] for m in got["carol"]] == ["closed"]  # no other team's answer, no one else's ack
    assert [m["type"] for m in got["dave"]] == ["closed"]
    assert [m["type"] for m in host_got if m["type"] != "counts"] == ["team_answered", "closed"]
    assert [m["counts"] for m in host_got if m["type"] == "counts"] in ([], [{"joined": 4, "answered": 1, "buzzes": 0}])
    assert [m["type"] for m in screen_got] == ["closed"]


def test_late_answer_duplicate_and_first_answer_final(client: Any, clock: Any, make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a, connect(client, pin) as b, \
            connect(client, pin) as c:
        host, alice, bob, carol = Frames(h, "host"), Frames(a, "alice"), Frames(b, "bob"), Frames(c, "carol")
        opening(host)
        for frames, name in ((alice, "甲"), (bob, "乙"), (carol, "丙")):
            join(frames, name)
        host_do(host, "start")
        question = alice.until("question")[-1]
        qid = question["question"]["id"]
        assert question["deadline_ms"] == question["now_ms"] + 20_000
        first = answer(alice, qid, "C", "same-id")
        again = answer(alice, qid, "C", "same-id")
        assert first == again and first["accepted"] is True and first["submitted"] == ["C"]
        changed = answer(alice, qid, "A", "other-id")  # the first accepted answer is final
        assert changed["accepted"] is False and changed["reason"] == "duplicate"
        clock.advance(19_999)
        assert answer(bob, qid, "B", "b-1")["accepted"] is True
        clock.advance(2)  # past deadline_ms on the server's clock
        late = answer(carol, qid, "C", "c-1")
        assert late == {"type": "ack", "id": "c-1", "question": qid, "accepted": False, "reason": "late",
                        "at_ms": question["deadline_ms"] + 1, "submitted": None}
        assert answer(alice, qid, "C", "same-id") == first  # still the same ack after the deadline
        host_do(host, "reveal")
        reveal = carol.until("reveal")[-1]
        assert reveal["distribution"] == {"A": 0, "B": 1, "C": 1, "D": 0}
        assert reveal["you"].items() >= {"answered": False, "correct": False, "points": 0}.items()
        assert alice.until("reveal")[-1]["you"].items() >= {"answered": True, "correct": True, "points": 10}.items()
        assert bob.until("reveal")[-1]["you"]["correct"] is False


def test_malformed_json_and_unknown_types_get_errors_and_the_game_goes_on(client: Any, make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a:
        host, alice = Frames(h, "host"), Frames(a, "alice")
        opening(host)
        alice.ws.send_text("{not json")
        assert alice.next()["code"] == "invalid_json"
        alice.ws.send_text("[1, 2, 3]")
        assert alice.next()["code"] == "invalid_json"
        alice.send({"type": "dance"})
        assert alice.next()["code"] == "unknown_type"
        alice.send({"type": "answer", "question": "x"})
        assert alice.next()["code"] == "invalid_message"
        alice.send({"type": "answer", "id": "z", "question": 1, "answer": "A"})  # before joining
        assert alice.until("error")[-1]["code"] == "not_joined"
        alice.ws.send_bytes(b"\xff\xfe")
        assert alice.next()["code"] == "invalid_json"
        alice.send({"type": "join", "name": "   "})
        assert alice.next()["code"] == "name_required"
        join(alice, "小王")
        host.send({"type": "host", "action": "fly"})
        assert host.until("error")[-1]["code"] == "unknown_action"
        host.send({"type": "host"})
        assert host.until("error")[-1]["code"] == "invalid_message"
        host_do(host, "start")
        qid = alice.until("question")[-1]["question"]["id"]
        alice.send({"type": "answer", "id": "bad", "question": qid, "answer": {"nested": [1, 2]}})
        bad = alice.until("ack")[-1]
        assert bad["accepted"] is False and bad["reason"] == "invalid"
        assert answer(alice, qid, "C", "good")["accepted"] is True
        pong = alice.sync()
        alice.send({"type": "ping", "t": 42})
        reply = alice.until("pong")[-1]
        assert reply["t"] == 42 and isinstance(reply["now_ms"], int) and pong is not None


def test_players_and_screens_cannot_drive_the_game(client: Any, make_game: Callable[..., Any], app: Any) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s, \
            connect(client, pin) as a:
        host, screen, alice = Frames(h, "host"), Frames(s, "screen"), Frames(a, "alice")
        opening(host), opening(screen)
        join(alice, "小王")
        alice.send({"type": "host", "action": "start"})
        assert alice.next()["code"] == "not_host"
        screen.send({"type": "host", "action": "finish"})
        assert screen.until("error")[-1]["code"] == "not_host"
        screen.send({"type": "answer", "id": "s", "question": 1, "answer": "A"})
        assert screen.next()["code"] == "not_player"
        host.send({"type": "join", "name": "主持人"})
        got = host.sync()
        assert [m["type"] for m in got] == ["joined", "error"] and got[1]["code"] == "not_player"
    state = client.get(f"/api/live/{game['id']}/state").json()
    assert state["phase"] == "lobby"
    with app.state.db.read() as session:
        logged = [r.command["command"] for r in session.exec(select(store.LiveCommand)).all()]
    assert logged == ["join"]


def test_host_actions_out_of_order_get_an_error_and_change_nothing(client: Any, make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a:
        host, alice = Frames(h, "host"), Frames(a, "alice")
        opening(host)
        join(alice, "小王")
        host.sync()
        for action, code in (("reveal", "no_open_question"), ("next", "not_started"), ("close", "no_open_question")):
            got = host_do(host, action)
            assert [(m["type"], m["code"]) for m in got] == [("error", code)]
        host_do(host, "start")
        for action, code in (("start", "already_started"), ("reveal", "question_open"), ("next", "question_open")):
            got = host_do(host, action)
            assert [(m["type"], m["code"]) for m in got] == [("error", code)]
        alice.sync()
        state = client.get(f"/api/live/{game['id']}/state").json()
        assert state["phase"] == "question" and state["index"] == 1
        assert alice.sync() == []  # players heard nothing of the refused actions


def test_host_needs_the_host_token_and_unknown_pins_are_refused(client: Any, make_game: Callable[..., Any],
                                                                users: Any) -> None:
    game = make_game()
    with connect(client, game["pin"], "host", "wrong-token") as ws:
        assert ws.receive_json()["code"] == "forbidden"
    with connect(client, game["pin"], "host", users.tokens["alice"]) as ws:  # a member is not the game's host
        assert ws.receive_json()["code"] == "forbidden"
    with connect(client, game["pin"], "host", users.tokens["host"]) as ws:  # its creator is
        assert ws.receive_json()["type"] == "welcome"
    with connect(client, "000000") as ws:
        assert ws.receive_json()["code"] == "game_not_found"
    with connect(client, game["pin"], "referee") as ws:
        assert ws.receive_json()["code"] == "bad_role"
    with connect(client, game["pin"], "player", "no-such-token") as ws:
        assert ws.receive_json()["code"] == "invalid_token"
        frames = Frames(ws, "guest")
        join(frames, "游客")  # still welcome to play as a guest


def test_resume_after_disconnect_returns_the_saved_answer(client: Any, make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as b:
        host = Frames(h, "host")
        opening(host)
        join(Frames(b, "bob"), "小李")  # one who has not answered keeps the question open
        with connect(client, pin) as a:
            alice = Frames(a, "alice")
            welcome, _ = join(alice, "小王")
            host_do(host, "start")
            qid = alice.until("question")[-1]["question"]["id"]
            assert answer(alice, qid, "B", "a-1")["accepted"] is True
        with connect(client, pin, token=welcome["resume"]) as a2:  # no join needed
            again = Frames(a2, "alice-again")
            back = again.next()
            assert back["type"] == "welcome" and back["player"] == welcome["player"]
            assert back["resume"] == welcome["resume"]
            state = again.next()
            assert state["type"] == "state" and state["phase"] == "question"
            assert state["question"]["id"] == qid
            assert state["you"]["answered"] is True and state["you"]["answer"] == ["B"]
            assert answer(again, qid, "C", "a-2")["reason"] == "duplicate"
            host_do(host, "close")
            host_do(host, "reveal")
            assert again.until("reveal")[-1]["you"]["answered"] is True


def test_user_token_rejoins_as_the_same_player(client: Any, make_game: Callable[..., Any], users: Any) -> None:
    game = make_game()
    with connect(client, game["pin"], token=users.tokens["alice"]) as a:
        first, _ = join(Frames(a, "alice"), "")
    with connect(client, game["pin"], token=users.tokens["alice"]) as a2:
        frames = Frames(a2, "alice")
        again = frames.next()  # a known user is welcomed back at once, with a fresh resume token
        assert again["type"] == "welcome" and again["player"] == first["player"]
        assert frames.next()["type"] == "state"
    with connect(client, game["pin"], token=again["resume"]) as a3:
        assert a3.receive_json()["player"]["id"] == first["player"]["id"]


def test_every_answer_is_stored_before_it_is_acknowledged(client: Any, make_game: Callable[..., Any], app: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    game = make_game()
    pin = game["pin"]
    stored: list[int] = []
    real_run = store.run_batch

    def slow_run(execute: Any, batch: store.Batch, copy: Any = None) -> None:
        time.sleep(0.2)  # a slow disk: the ack must still wait for the commit
        real_run(execute, batch, copy)
        stored.extend(row[1] for row in batch.rows_of("live_command"))

    monkeypatch.setattr(store, "run_batch", slow_run)
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a:
        host, alice = Frames(h, "host"), Frames(a, "alice")
        opening(host)
        join(alice, "小王")
        host_do(host, "start")
        qid = alice.until("question")[-1]["question"]["id"]
        ack = answer(alice, qid, "C", "a-1")
        assert ack["accepted"] is True
        assert threading.current_thread() is threading.main_thread()
        with app.state.db.read() as session:
            rows = session.exec(select(store.LiveCommand).where(store.LiveCommand.game_id == game["id"])
                                .order_by(store.LiveCommand.seq)).all()
    kinds = [r.command["command"] for r in rows]
    assert kinds == ["join", "host", "tick", "answer"]  # the tick put the question up after the title card
    assert rows[-1].command["client_id"] == "a-1" and rows[-1].command["answer"] == "C"
    assert stored == [1, 2, 3, 4]


def test_a_reveal_tells_each_player_their_own_result(client: Any, make_game: Callable[..., Any]) -> None:
    game = make_game(segments=[{"kind": "all", "question_ids": None, "rule": {"type": "single", "count": 1},
                                "points": 10}])
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s:
        host, screen = Frames(h, "host"), Frames(s, "screen")
        opening(host), opening(screen)
        sockets = [connect(client, pin) for _ in range(5)]
        players = [Frames(ws.__enter__(), f"p{i}") for i, ws in enumerate(sockets)]
        try:
            for i, frames in enumerate(players):
                join(frames, f"选手{i}")
            host_do(host, "start")
            qid = players[0].until("question")[-1]["question"]["id"]
            for i, frames in enumerate(players[:4]):
                assert answer(frames, qid, "C" if i % 2 == 0 else "D", f"x{i}")["accepted"]
            host_do(host, "close")
            host_do(host, "reveal")
            yous = [frames.until("reveal")[-1]["you"] for frames in players]
            public = screen.until("reveal")[-1]
        finally:
            for ws in sockets:
                ws.__exit__(None, None, None)
    assert [y["correct"] for y in yous] == [True, False, True, False, False]
    assert [y["answered"] for y in yous] == [True, True, True, True, False]
    assert [y["score"] for y in yous] == [10, 0, 10, 0, 0]  # each player's running total
    assert [y["rank"] for y in yous] == [1, 3, 1, 3, 3]  # on the player board (ties share a place)
    assert "you" not in public and public["distribution"] == {"A": 0, "B": 0, "C": 2, "D": 2}


async def test_a_slow_client_queues_a_bounded_backlog_and_is_then_dropped() -> None:
    import asyncio

    from live import ws as live_ws

    sent: list[str] = []
    gate = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if not gate.is_set():
            await gate.wait()  # the socket's buffer is full until the client reads
        sent.append(message["text"])

    fast = live_ws.WsClient(send, "player")
    gate.set()
    fast.push_text("1")
    assert sent == ["1"]  # completed at once, no task
    gate.clear()
    slow = live_ws.WsClient(send, "player")
    slow.task = asyncio.ensure_future(asyncio.sleep(10))
    for i in range(live_ws.SEND_BACKLOG + 1):
        slow.push_text(f"m{i}")
    assert not slow.closed  # one in flight, the rest waiting
    gate.set()
    await asyncio.sleep(0.01)
    assert sent[1:] == [f"m{i}" for i in range(live_ws.SEND_BACKLOG + 1)]
    gate.clear()
    for i in range(live_ws.SEND_BACKLOG + 2):
        slow.push_text(f"n{i}")
    assert slow.closed and slow.dropped
    await asyncio.sleep(0)
    assert slow.task.cancelled() or slow.task.cancelling()
    gate.set()


def test_a_finished_game_is_unloaded_when_everyone_left_and_replayed_on_demand(client: Any, app: Any,
                                                                              make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a:
        host, alice = Frames(h, "host"), Frames(a, "alice")
        opening(host)
        join(alice, "小王")
        host_do(host, "start")
        qid = alice.until("question")[-1]["question"]["id"]
        answer(alice, qid, "C", "a-1")
        host_do(host, "reveal")
        host_do(host, "finish")
        finished = alice.until("finished")[-1]
        assert finished["players"][0]["score"] == 10
        assert game["id"] in app.state.live.runners
    for _ in range(100):
        if game["id"] not in app.state.live.runners:
            break
        time.sleep(0.01)
    assert game["id"] not in app.state.live.runners
    state = client.get(f"/api/live/{game['id']}/state").json()
    assert state["phase"] == "finished" and state["leaderboard"]["players"][0]["score"] == 10
    with app.state.db.read() as session:
        row = session.get(store.LiveGame, game["id"])
        assert row is not None and row.status == "finished" and row.finished_ms is not None


def test_the_host_gets_pushed_counts_and_the_screen_state_has_joined(client: Any, make_game: Callable[..., Any]) -> None:
    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as p1, connect(client, pin) as p2:
        host, one, two = Frames(h, "host"), Frames(p1, "p1"), Frames(p2, "p2")
        assert opening(host)["counts"] == {"joined": 0, "answered": 0, "buzzes": 0}
        join(one, "甲"), join(two, "乙")
        host_do(host, "start")
        qid = one.until("question")[-1]["question"]["id"]
        assert answer(one, qid, "C", "a1")["accepted"]
        assert answer(two, qid, "A", "a2")["accepted"]
        deadline = time.monotonic() + 5
        counts: list[dict[str, Any]] = []
        while not any(c["answered"] == 2 for c in counts) and time.monotonic() < deadline:
            counts += [m["counts"] for m in host.sync() if m["type"] == "counts"]
        assert {"joined": 2, "answered": 2, "buzzes": 0} in counts
        assert len(counts) <= 4  # throttled: not one message per answer and join
        assert not any(m["type"] == "counts" for f in (one, two) for m in f.sync())  # the host's alone
        with connect(client, pin, "screen") as s:
            assert opening(Frames(s, "screen"))["counts"] == {"joined": 2}
    assert client.get(f"/api/live/{game['id']}/state").json()["counts"] == {"joined": 2}


def test_a_trickle_of_items_is_gathered_into_fewer_bursts(client: Any, app: Any, make_game: Callable[..., Any]) -> None:
    """Items that come one by one, soon after a burst, wait a moment (GATHER_S) to share a burst: one commit
    and one wake-up for several answers spread over a countdown."""
    import asyncio

    from live.runner import GATHER_S, Item

    game = make_game()
    with connect(client, game["pin"], "screen") as s:
        opening(Frames(s, "screen"))  # the game's runner is loaded
        runner = app.state.live.runners[game["id"]]

        class Pinger:
            role, player_id, team_id, closed = "screen", None, None, False

            def __init__(self) -> None:
                self.pongs = 0

            def push(self, messages: list[Any]) -> None:
                self.pongs += len(messages)

        async def trickle() -> tuple[int, int]:
            pinger, bursts = Pinger(), []
            manager = app.state.live
            publish = manager.publish

            async def counted(runner: Any, ops: list[Any], in_id: Any) -> None:
                bursts.append(ops)
                await publish(runner, ops, in_id)

            manager.publish = counted
            runner.submit(Item("ping", pinger))  # a burst of its own: nothing came just before
            await asyncio.sleep(GATHER_S * 2)
            for _ in range(4):
                runner.submit(Item("ping", pinger))
                await asyncio.sleep(GATHER_S / 8)
            await asyncio.sleep(GATHER_S * 5)
            del manager.publish
            return len(bursts), pinger.pongs

        bursts, pongs = client.portal.call(trickle)
    assert pongs == 5 and bursts <= 3


def test_no_full_garbage_collection_while_people_are_in_a_game(client: Any, make_game: Callable[..., Any]) -> None:
    from live.runner import game_in_progress
    from quiz import gcpolicy

    game = make_game()
    assert not game_in_progress()
    with connect(client, game["pin"], "host", game["host_token"]) as h:
        host = Frames(h, "host")
        opening(host)
        assert game_in_progress() and gcpolicy._busy_now()  # a lobby full of phones counts too
        host_do(host, "finish")
    deadline = time.monotonic() + 5
    while game_in_progress() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not game_in_progress()


def test_short_answers_for_everyone_reach_the_host_alone_who_judges_each(client: Any, app: Any,
                                                                         make_game: Callable[..., Any],
                                                                         live_bank: tuple[int, list[int]]) -> None:
    from question_bank.models import Question

    with app.state.db.write() as session:
        short = Question(bank_id=live_bank[0], type="short", stem="简述党的根本宗旨", options=[],
                         answer=["全心全意为人民服务"], explanation="解析", tags=["党史"])
        session.add(short)
        session.flush()
        short_id = short.id or 0
    game = make_game(segments=[{"kind": "all", "question_ids": [short_id], "points": 10, "time_limit_s": 30}])
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s, \
            connect(client, pin) as a, connect(client, pin) as b:
        host, screen, alice, bob = Frames(h, "host"), Frames(s, "screen"), Frames(a, "alice"), Frames(b, "bob")
        opening(host), opening(screen)
        alice_id = join(alice, "张三")[0]["player"]["id"]
        bob_id = join(bob, "李四")[0]["player"]["id"]
        host_do(host, "start")
        for frames in (alice, bob):
            frames.until("question")
        assert answer(alice, short_id, "全心全意为人民服务", "a1")["accepted"]
        assert answer(bob, short_id, "为人民币服务", "b1")["accepted"]
        shown = [host.until("player_answered")[-1], host.until("player_answered")[-1]]
        host_do(host, "close")
        assert {(m["player_id"], m["name"], m["answer"][0]) for m in shown} == {
            (alice_id, "张三", "全心全意为人民服务"), (bob_id, "李四", "为人民币服务")}
        host_do(host, "judge", player_id=alice_id, correct=True)
        host_do(host, "judge", player_id=bob_id, correct=False)
        host_do(host, "reveal")
        yours = {name: frames.until("reveal")[-1]["you"] for name, frames in (("alice", alice), ("bob", bob))}
        screen.until("reveal")
        others = alice.raw + bob.raw + screen.raw
    assert yours["alice"]["correct"] is True and yours["alice"]["points"] == 10
    assert yours["bob"]["correct"] is False and yours["bob"]["points"] == 0
    assert not any('"player_answered"' in text for text in others)  # nobody but the host saw the answers


def test_a_join_that_could_not_be_stored_leaves_no_half_attached_player(client: Any, make_game: Callable[..., Any],
                                                                        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    game = make_game()
    pin = game["pin"]
    real_run = store.run_batch
    failures = [1]

    def failing_once(execute: Any, batch: store.Batch, copy: Any = None) -> None:
        if failures and batch.rows_of("live_player"):
            failures.pop()
            raise OSError("disk full")
        real_run(execute, batch, copy)

    monkeypatch.setattr(store, "run_batch", failing_once)
    with connect(client, pin) as a:
        alice = Frames(a, "alice")
        alice.send({"type": "join", "name": "小王"})
        refused = alice.next()
        assert refused["type"] == "error" and refused["code"] == "store_failed"
        welcome, _ = join(alice, "小王")  # the retry: one player, whose resume token is the one stored
        assert welcome["player"]["id"] == 1
    with app.state.db.read() as session:
        players = session.exec(select(store.LivePlayer).where(store.LivePlayer.game_id == game["id"])).all()
    assert [(p.player_id, p.resume_hash) for p in players] == [(1, store.digest(welcome["resume"]))]
    with connect(client, pin, token=welcome["resume"]) as again:
        back = Frames(again, "alice again")
        assert back.next()["player"]["id"] == 1


def test_a_kicked_guest_gets_kicked_and_its_socket_is_closed_with_4409(client: Any, make_game: Callable[..., Any]) -> None:
    from starlette.websockets import WebSocketDisconnect

    game = make_game()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin) as a:
        host, alice = Frames(h, "host"), Frames(a, "alice")
        opening(host)
        welcome, _ = join(alice, "捣乱的")
        host_do(host, "kick", player_id=welcome["player"]["id"])
        assert alice.next()["type"] == "kicked"
        with pytest.raises(WebSocketDisconnect) as closed:
            alice.next()
        assert closed.value.code == 4409
    with connect(client, pin, token=welcome["resume"]) as again:
        refused = Frames(again, "again").next()
        assert refused["type"] == "error" and refused["code"] == "not_joined"
