"""The fast lane for shared frames (live.wsproto), how the socket layer and the room use it, and the
ASGI fallback: frames built once decode to the same messages, a burst's frames reach each connection
in order in one write, and a slow client stays bounded and is dropped."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from live import ws as live_ws
from live.messages import AnswerAcked, AnswerRevealed, Error, PlayerJoined, QuestionShown, SegmentStarted
from live.room import Attach, Outgoing, Reply, Room, Send, encode
from live.wsproto import ON_TEXT, RAW_WRITE, QuizWebSocketProtocol, text_frame


def parse_frames(data: bytes) -> list[Frame]:
    """Every complete frame in ``data``, as websockets' own parser reads them from a server."""
    reader = StreamReader()
    reader.feed_data(data)
    frames = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
    return frames


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_a_text_frame_is_what_websockets_parses(size: int) -> None:
    payload = ("题" * (size // 3) + "x" * (size % 3)).encode()
    (frame,) = parse_frames(text_frame(payload))
    assert frame.opcode is Opcode.TEXT and frame.fin and not (frame.rsv1 or frame.rsv2 or frame.rsv3)
    assert frame.data == payload


# --- the protocol in a real uvicorn server ---------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(app: Callable[..., Any], **options: Any) -> AsyncIterator[int]:
    port = free_port()
    options = {"lifespan": "off", "log_level": "warning", **options}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=QuizWebSocketProtocol, **options))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def test_the_raw_writer_writes_only_when_the_asgi_path_would() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = scope["extensions"].get(RAW_WRITE)
        assert raw is not None
        await receive()
        seen["before accept"] = raw(text_frame(b"too early"))
        await send({"type": "websocket.accept"})
        seen["open"] = raw(text_frame("第一".encode()) + text_frame(b"two"))  # two frames, one write
        protocol = raw.__self__
        protocol.pause_writing()  # the transport's buffer is full: the ASGI path would wait
        seen["paused"] = raw(text_frame(b"lost"))
        protocol.resume_writing()
        await send({"type": "websocket.send", "text": "through asgi"})  # the two paths interleave
        seen["large"] = raw(text_frame(b"x" * 70_000))
        seen["client said"] = (await receive()).get("text")
        await send({"type": "websocket.close", "code": 1000})
        seen["after close"] = raw(text_frame(b"too late"))

    async with serving(app) as port:
        async with connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
            got = [await ws.recv() for _ in range(4)]
            await ws.send("bye")
            await ws.wait_closed()
    assert got == ["第一", "two", "through asgi", "x" * 70_000]
    assert seen == {"before accept": False, "open": True, "paused": False, "large": True, "client said": "bye",
                    "after close": False}


async def test_no_raw_writer_when_per_message_deflate_is_negotiated() -> None:
    offered: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        offered.append(RAW_WRITE in scope["extensions"])
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "压缩"})
        await send({"type": "websocket.close", "code": 1000})

    async with serving(app, ws_per_message_deflate=True) as port:
        for compression in ("deflate", None):
            async with connect(f"ws://127.0.0.1:{port}/", compression=compression) as ws:
                assert await ws.recv() == "压缩"
    assert offered == [False, True]


async def test_keepalive_pings_only_a_connection_silent_for_a_whole_interval() -> None:
    """A phone that spoke within the interval is alive and is not pinged; a silent one is, answers with a
    pong and stays connected; one that never answers is closed after the timeout."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async def client(port: int, talk: bool, pong: bool, seconds: float) -> tuple[int, bool]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        pings, closed = 0, False
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0 and not closed:
            if talk:  # a masked text frame "hi" with a zero mask
                writer.write(b"\x81\x82\x00\x00\x00\x00hi")
            try:
                head = await asyncio.wait_for(reader.readexactly(2), min(left, 0.1))
            except TimeoutError:
                continue
            except asyncio.IncompleteReadError:
                closed = True
                break
            payload = await reader.readexactly(head[1] & 0x7F)
            if head[0] & 0x0F == 0x9:
                pings += 1
                if pong:
                    writer.write(bytes((0x8A, 0x80 | len(payload))) + b"\x00\x00\x00\x00" + payload)
            elif head[0] & 0x0F == 0x8:
                closed = True
        writer.close()
        return pings, closed

    async with serving(app, ws_ping_interval=0.3, ws_ping_timeout=0.3) as port:
        talking, silent, dead = await asyncio.gather(client(port, True, True, 1.5), client(port, False, True, 1.5),
                                                     client(port, False, False, 1.5))
    assert talking == (0, False)
    assert silent[0] >= 2 and not silent[1]
    assert dead[0] == 1 and dead[1]


async def test_the_receiver_gets_text_messages_in_order_after_what_was_already_queued() -> None:
    got: list[tuple[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        set_receiver = scope["extensions"][ON_TEXT]
        queue = set_receiver.__self__.queue
        await receive()
        await send({"type": "websocket.accept"})
        while queue.empty():  # "1" arrives before there is a receiver: it waits in the queue
            await asyncio.sleep(0.01)
        set_receiver(lambda text: got.append(("receiver", text)))
        while not queue.empty():  # what was queued first is taken first; then the receiver takes over
            got.append(("queue", (await receive())["text"]))
        await send({"type": "websocket.send", "text": "ready"})
        got.append(("queue", (await receive())["bytes"]))  # binary messages still come this way
        set_receiver(None)
        await send({"type": "websocket.send", "text": "off"})
        got.append(("queue", (await receive())["text"]))
        await send({"type": "websocket.close", "code": 1000})

    async with serving(app) as port:
        async with connect(f"ws://127.0.0.1:{port}/") as ws:
            await ws.send("1")
            await ws.send("2")
            assert await ws.recv() == "ready"
            await ws.send("3")
            await ws.send(b"4")
            assert await ws.recv() == "off"
            await ws.send("5")
            await ws.wait_closed()
    assert [text for _, text in got] == ["1", "2", "3", b"4", "5"]
    assert got[0] == ("queue", "1") and ("receiver", "3") in got and got[-2:] == [("queue", b"4"), ("queue", "5")]


# --- the socket layer's client: fast lane, fallback, bounded backlog --------------------------

class FakeSocket:
    """An ASGI ``send`` and a raw writer over one byte stream; ``full`` makes both wait/refuse."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.raw_calls = self.asgi_calls = 0
        self.ready = asyncio.Event()
        self.ready.set()

    def raw(self, data: bytes) -> bool:
        if not self.ready.is_set():
            return False
        self.raw_calls += 1
        self.data += data
        return True

    async def send(self, message: dict[str, Any]) -> None:
        await self.ready.wait()
        self.asgi_calls += 1
        self.data += text_frame(message["text"].encode())

    def texts(self) -> list[str]:
        return [frame.data.decode() for frame in parse_frames(bytes(self.data))]


async def test_the_client_writes_a_burst_in_one_raw_write_and_falls_back_to_asgi_without_it() -> None:
    messages = [Outgoing(encode({"type": "segment", "n": 1})), Outgoing(encode({"type": "question", "题": 2}))]
    fast = FakeSocket()
    live_ws.WsClient(fast.send, "player", fast.raw).push(messages)
    assert fast.raw_calls == 1 and fast.asgi_calls == 0
    plain = FakeSocket()
    live_ws.WsClient(plain.send, "player").push(messages)  # no extension: Starlette's TestClient, other servers
    assert plain.asgi_calls == 2
    assert fast.texts() == plain.texts() == [m.text for m in messages]


async def test_a_slow_client_on_the_fast_lane_is_bounded_and_then_dropped() -> None:
    sock = FakeSocket()
    client = live_ws.WsClient(sock.send, "player", sock.raw)
    client.task = asyncio.ensure_future(asyncio.sleep(10))
    client.push_text("a")
    sock.ready.clear()  # the transport paused writing
    client.push_text("b")  # the raw writer refuses; the ASGI send waits in a task
    client.push([Outgoing(f"q{i}") for i in range(live_ws.SEND_BACKLOG)])
    assert not client.closed
    sock.ready.set()
    await asyncio.sleep(0.01)
    assert sock.texts() == ["a", "b", *(f"q{i}" for i in range(live_ws.SEND_BACKLOG))]
    client.push_text("fast again")
    assert sock.texts()[-1] == "fast again" and sock.raw_calls == 2
    sock.ready.clear()
    client.push_text("stuck")
    client.push([Outgoing("x")] * live_ws.SEND_BACKLOG)
    assert not client.closed
    client.push_text("one too many")
    assert client.closed and client.dropped
    await asyncio.sleep(0)
    assert client.task.cancelled() or client.task.cancelling()
    sock.ready.set()


# --- the room: one push per connection and burst, shared frames, the spliced reveal ----------

class FakeClient:
    def __init__(self, role: str, player_id: int | None = None, team_id: int | None = None) -> None:
        self.role, self.player_id, self.team_id, self.closed = role, player_id, team_id, False
        self.pushes: list[list[Outgoing]] = []

    def push(self, messages: list[Outgoing]) -> None:
        self.pushes.append(messages)

    def decoded(self) -> list[list[dict[str, Any]]]:
        return [[json.loads(m.text) for m in push] for push in self.pushes]


def shown(audience: str) -> QuestionShown:
    return QuestionShown(audience=audience, question={"id": 7, "stem": "题"}, index=1, count=3,
                         segment={"kind": "all"}, points=10, deadline_ms=1000, now_ms=0)


def test_a_burst_reaches_each_connection_in_one_push_in_order_and_only_its_audience() -> None:
    room = Room()
    host, screen = FakeClient("host"), FakeClient("screen")
    one, two = FakeClient("player", 1, 5), FakeClient("player", 2)
    for client in (host, screen, one):
        room.add(client)
    welcome, state = {"type": "welcome", "player": {"id": 2}}, {"type": "state", "phase": "lobby"}
    room.deliver([
        Attach(two, [welcome, state]),  # joins in this burst: gets everything after its snapshot
        Send(PlayerJoined(audience="host", player={"id": 2}, count=2)),
        Send(SegmentStarted(audience="all", segment={"kind": "all"}, team_ids=[5])),
        Send(shown("players")),
        Send(shown("host")),
        Send(AnswerAcked(audience="player:1", id="a", question=7, accepted=True, reason=None, at_ms=1)),
        Send(Error(audience="", code="late", message="迟了"), two),
        Reply(screen, {"type": "pong", "now_ms": 3}),
    ])
    assert [len(c.pushes) for c in (host, screen, one, two)] == [1, 1, 1, 1]
    types = {name: [m["type"] for m in c.decoded()[0]]
             for name, c in {"host": host, "screen": screen, "one": one, "two": two}.items()}
    assert types == {"host": ["joined", "segment", "question"], "screen": ["segment", "pong"],
                     "one": ["segment", "question", "ack"], "two": ["welcome", "state", "segment", "question", "error"]}
    # One object (and so one frame) per message, shared by its recipients.
    assert one.pushes[0][0] is two.pushes[0][2] is host.pushes[0][1]
    assert one.pushes[0][1] is two.pushes[0][3] and one.pushes[0][1] is not host.pushes[0][2]


def test_the_spliced_reveal_is_the_message_encoded_whole_and_shared_by_equal_results() -> None:
    room = Room()
    players = [FakeClient("player", i) for i in (1, 2, 3, 4)]
    screen = FakeClient("screen")
    for client in (*players, screen):
        room.add(client)
    results = {1: {"answered": True, "correct": True, "points": 10, "score": 20, "rank": 1},
               2: {"answered": True, "correct": False, "points": 0, "score": 0, "rank": 2, "名": "甲"},
               3: {"answered": True, "correct": True, "points": 10, "score": 20, "rank": 1}}
    reveal = AnswerRevealed(audience="players", question=7, answer=["C"], explanation="解析",
                            distribution={"A": 1, "C": 2}, results=results)
    room.deliver([Send(reveal), Send(AnswerRevealed(audience="screen", question=7, answer=["C"], explanation="解析",
                                                    distribution={"A": 1, "C": 2}))])
    for client in players:
        (message,) = client.pushes[0]
        assert message.text == encode(reveal.message_for(client.player_id or 0))
    assert players[0].pushes[0][0] is players[2].pushes[0][0]  # the same result: one frame
    assert json.loads(players[3].pushes[0][0].text)["you"] == AnswerRevealed.NO_RESULT
    assert "you" not in json.loads(screen.pushes[0][0].text)


# --- the whole socket layer on the fast lanes ------------------------------------------------

async def test_a_game_over_quiz_serve_s_protocol_uses_both_lanes_and_sends_exactly_the_asgi_messages(
        settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live endpoint under QuizWebSocketProtocol (what ``quiz serve`` runs): every frame to a client is
    written by the raw writer, every message from a client taken by the receiver, and what the clients
    get is the protocol's usual sequence."""
    import httpx

    from quiz.accounts import issue_token, upsert_user
    from quiz.app import create_app
    from tests.live.conftest import SECRET_EXPLANATION, seed_live_bank

    lanes = {"writes": 0, "frames": 0, "receiver": 0}
    raw_write, set_receiver = QuizWebSocketProtocol.raw_write, QuizWebSocketProtocol.set_receiver

    def counting_raw(self: QuizWebSocketProtocol, data: bytes) -> bool:
        written = raw_write(self, data)
        if written:
            lanes["writes"] += 1
            lanes["frames"] += len(parse_frames(data))
        return written

    def counting_set_receiver(self: QuizWebSocketProtocol, receiver: Any) -> None:
        def counted(text: str) -> None:
            lanes["receiver"] += 1
            receiver(text)

        set_receiver(self, counted if receiver is not None else None)

    monkeypatch.setattr(QuizWebSocketProtocol, "raw_write", counting_raw)
    monkeypatch.setattr(QuizWebSocketProtocol, "set_receiver", counting_set_receiver)
    app = create_app(settings)
    app.state.db.migrate()
    bank_id, ids = seed_live_bank(app)
    with app.state.db.write() as session:
        user, _ = upsert_user(session, username="host", password="secret123", name="主持人", role="host", unit="",
                              now_ms=0, overwrite=True)
        token = issue_token(session, user, app.state.clock.now_ms(), 1)

    async def until(ws: Any, kind: str, seen: list[str]) -> dict[str, Any]:
        while True:
            text = await asyncio.wait_for(ws.recv(), 10)
            seen.append(text)
            message = json.loads(text)
            if message["type"] == kind:
                return dict(message)

    async with serving(app, lifespan="on", ws_per_message_deflate=settings.ws_per_message_deflate) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            created = await http.post("/api/live", json={"title": "快车道", "bank_id": bank_id, "segments": [
                {"kind": "all", "question_ids": ids[:1], "time_limit_s": 60, "points": 10}]})
            assert created.status_code == 201, created.text
        game = created.json()
        base = f"ws://127.0.0.1:{port}/ws/live/{game['pin']}"
        seen: dict[str, list[str]] = {"host": [], "a": [], "b": []}
        async with connect(f"{base}?role=host&token={game['host_token']}") as host, \
                connect(f"{base}?role=player") as a, connect(f"{base}?role=player") as b:
            await until(host, "state", seen["host"])
            for name, ws in (("a", a), ("b", b)):
                await ws.send(json.dumps({"type": "join", "name": f"选手{name}"}))
                await until(ws, "state", seen[name])
            await host.send(json.dumps({"type": "host", "action": "start"}))
            qid = (await until(a, "question", seen["a"]))["question"]["id"]
            await a.send(json.dumps({"type": "answer", "id": "x1", "question": qid, "answer": "C"}))
            assert (await until(a, "ack", seen["a"]))["accepted"]
            await a.send("{not json")
            assert (await until(a, "error", seen["a"]))["code"] == "invalid_json"
            await b.send(json.dumps({"type": "answer", "id": "y1", "question": qid, "answer": "A"}))
            assert (await until(b, "ack", seen["b"]))["accepted"]
            await until(host, "closed", seen["host"])  # everyone answered
            await host.send(json.dumps({"type": "host", "action": "reveal"}))
            reveals = [await until(ws, "reveal", seen[name]) for name, ws in (("a", a), ("b", b))]
    kinds = {name: [json.loads(t)["type"] for t in texts] for name, texts in seen.items()}
    assert kinds["a"] == ["welcome", "state", "segment", "question", "ack", "error", "closed", "reveal"]
    assert kinds["b"][:4] == ["welcome", "state", "segment", "question"] and kinds["b"][-1] == "reveal"
    assert [r["you"]["correct"] for r in reveals] == [True, False]
    assert not any(SECRET_EXPLANATION in t for t in seen["a"][:-1] + seen["b"][:-1])  # nothing before reveal
    assert lanes["frames"] >= sum(len(texts) for texts in seen.values())  # every frame on the fast lane
    # welcome + state: one write each; a segment's title card and its question are separate bursts
    assert lanes["writes"] <= lanes["frames"] - 3
    # 2 joins, 1 start, 3 answers (one malformed), 1 reveal; a join sent at once after the handshake may
    # arrive before its socket has registered the receiver, and then comes through the queue.
    assert 5 <= lanes["receiver"] <= 7
