"""The live socket's edge (CONTRACT §0, issue 9): text that cannot be stored is refused as it arrives,
a cookie-carrying upgrade from another site is closed with 4403, an oversized frame is refused from its
header, and no input a fuzzer finds reaches the game as something its log cannot store."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from live.runner import Item
from live.ws import MAX_FRAME_BYTES, UNTYPEABLE, WsClient, parse_item
from quiz.cli import serve_options
from quiz.settings import Settings
from tests.live.conftest import Frames


def connect(client: Any, pin: str, role: str = "player", **kwargs: Any) -> Any:
    return client.websocket_connect(f"/ws/live/{pin}?role={role}", **kwargs)


@pytest.mark.parametrize("name", ["x\ud800", "铃\x07声", "a\x00b"])
def test_a_name_that_cannot_be_stored_is_refused_and_the_game_goes_on(client: Any, make_game: Any, app: Any,
                                                                       name: str) -> None:
    game = make_game()
    with connect(client, game["pin"]) as bad, connect(client, game["pin"]) as good:
        frames = Frames(bad, "bad")
        bad.send_text(json.dumps({"type": "join", "name": name}))  # (json.dumps escapes it: \ud800, \u0007)
        refused = frames.next()
        assert refused["type"] == "error" and refused["code"] == "invalid_message"
        bad.send_text(json.dumps({"type": "ping", "t": "\udfff"}))
        assert frames.next()["code"] == "invalid_message"
        honest = Frames(good, "good")
        honest.send({"type": "join", "name": "小李"})
        assert honest.next()["type"] == "welcome"
        bad.send_text(json.dumps({"type": "join", "name": "换个名字"}))
        assert frames.next()["type"] == "welcome"


def test_a_cookie_upgrade_from_another_site_is_closed_with_4403(client: Any, make_game: Any, users: Any) -> None:
    game = make_game()
    cookie = {"cookie": f"quiz_session={users.tokens['alice']}"}
    with connect(client, game["pin"], headers={**cookie, "origin": "http://testserver:9999"}) as ws:
        assert ws.receive_json()["code"] == "cross_site"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    with connect(client, game["pin"], headers={**cookie, "origin": "http://testserver"}) as ws:
        ws.send_text(json.dumps({"type": "join", "name": ""}))
        assert ws.receive_json()["type"] == "welcome"  # our own page: the member joins as themself
    # A token in the URL is no cookie: another site's page gains nothing it did not already hold.
    with client.websocket_connect(f"/ws/live/{game['pin']}?role=screen",
                                  headers={"origin": "http://elsewhere.example"}) as ws:
        assert ws.receive_json()["type"] == "welcome"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
MESSAGES = st.fixed_dictionaries({"type": st.sampled_from(["join", "answer", "buzz", "ping", "host", "leave", ""])},
                                 optional={"name": JSON_VALUES, "team_id": JSON_VALUES, "id": JSON_VALUES,
                                           "question": JSON_VALUES, "answer": JSON_VALUES, "t": JSON_VALUES,
                                           "action": JSON_VALUES, "params": JSON_VALUES})


def _storable(value: Any) -> bool:
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    if isinstance(value, str):
        return not UNTYPEABLE.search(value.replace("\r", "").replace("\t", "").replace("\n", ""))
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=MESSAGES, role=st.sampled_from(["player", "host", "screen"]))
def test_no_message_reaches_the_game_that_its_log_cannot_store(message: dict[str, Any], role: str) -> None:
    async def never(_: Any) -> None:
        return None

    client = WsClient(never, role)
    item = parse_item(json.dumps(message), client)
    if isinstance(item, str):
        assert json.loads(item)["type"] == "error"
        return
    assert isinstance(item, Item)
    assert _storable(item.data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_quiz_serve_refuses_an_oversized_frame_from_its_header() -> None:
    got: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await send({"type": "websocket.accept"})
        got.append(await receive())

    options = serve_options(Settings(), "127.0.0.1", _free_port())
    assert options["ws_max_size"] == MAX_FRAME_BYTES
    options.pop("ws")
    from live.wsproto import QuizWebSocketProtocol

    server = uvicorn.Server(uvicorn.Config(app, ws=QuizWebSocketProtocol, lifespan="off", **options))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", options["port"])
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await writer.drain()
        assert b"101" in await reader.readuntil(b"\r\n\r\n")
        # A masked text frame announcing 16 MiB, of which only 8 bytes ever come.
        writer.write(bytes((0x81, 0x80 | 127)) + struct.pack(">Q", 16 * 1024 * 1024) + b"\x00" * 4 + b"x" * 8)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(64), 2)
        assert reply[0] == 0x88 and struct.unpack(">H", reply[2:4])[0] == 1009  # closed: message too big
        writer.close()
    finally:
        server.should_exit = True
        await task


def test_wrong_pins_from_one_address_are_slowed_down_on_the_socket_and_the_qr_code(client: Any, make_game: Any,
                                                                                     app: Any, clock: Any) -> None:
    game = make_game()
    for i in range(10):  # ten mistakes; the tenth starts the delay
        with connect(client, f"{900000 + i}") as ws:
            assert ws.receive_json()["code"] == "game_not_found"
    app.state.live.pins.clear()  # (as on a worker that has not served this game yet)
    with connect(client, game["pin"]) as ws:
        assert ws.receive_json()["code"] == "too_many_guesses"  # even a right PIN waits: guessing gains nothing
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4429
    refused = client.get("/api/live/123456/qr.svg")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    clock.advance(1500)
    with connect(client, game["pin"], "screen") as ws:
        assert ws.receive_json()["type"] == "welcome"  # known to this worker again: no lookup, no wait
