"""`/ws/live/{pin}`: the only code that touches a WebSocket (CONTRACT §7).

A connection names its ``role`` (player, screen, host) and may bring a ``token`` (a user's
token, the game's host token, or a player's resume token; the session cookie works too). Each
client message is parsed and validated into an `Item` for the game's runner; anything malformed
gets an ``error`` and the connection goes on. What the runner publishes comes back through
`WsClient.push`: a bounded, non-blocking send queue, so one slow phone never holds up a burst
(a client that falls too far behind is dropped, and resumes by reconnecting with its token).

The endpoint is a raw ASGI app. Under `live.wsproto.QuizWebSocketProtocol` (what ``quiz serve``
runs) frames built once per message go straight to each transport; elsewhere a send that does
not have to wait is completed at once, inside the fan-out loop, without a task per message
(`WsClient.push`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

from starlette.requests import HTTPConnection
from starlette.routing import WebSocketRoute

from live import store
from live.room import Outgoing, encode
from live.runner import Item, LiveManager, Venue
from live.wsproto import ON_TEXT, RAW_WRITE, RawWrite, SetReceiver
from question_bank.formats.rules import UNTYPEABLE  # CONTRACT §0: no control characters, no lone surrogates
from quiz.i18n import register
from quiz.throttle import Policy

log = logging.getLogger("quiz.live")

ROLES = ("player", "screen", "host")
MAX_MESSAGE_CHARS = 16_384
MAX_FRAME_BYTES = 4 * MAX_MESSAGE_CHARS  # (UTF-8: up to 4 bytes a character) `quiz serve` refuses longer frames
MAX_NAME_CHARS = 40
SEND_BACKLOG = 256  # frames waiting for one slow client before it is dropped
CLOSE_NOT_FOUND, CLOSE_FORBIDDEN, CLOSE_BAD_REQUEST, CLOSE_TOO_SLOW, CLOSE_TOO_MANY = 4404, 4403, 4400, 4408, 4429

TEXTS = {
    "live_invalid_json": "消息不是有效的 JSON 对象",
    "live_unknown_type": "未知的消息类型",
    "live_invalid_message": "消息字段不正确",
    "live_too_large": "消息过长",
    "live_not_host": "只有主持人可以执行此操作",
    "live_not_player": "只有选手可以执行此操作",
    "live_game_not_found": "没有这场比赛，请检查比赛码",
    "live_bad_role": "角色必须是 player、screen 或 host",
    "live_forbidden": "主持令牌不正确",
    "live_invalid_token": "登录信息已失效，请重新加入",
    "live_name_required": "请输入昵称",
    "live_busy": "服务器繁忙，请稍后重试",
    "live_cross_site": "请从本站页面连接",
    "live_too_many_guesses": "比赛码错误次数过多，请稍后再试",
    "live_too_many_guests": "同一网络加入的游客过多，请 {seconds} 秒后再试（登录账号加入不受此限）",
}
register("zh", TEXTS)

Send = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


def error(code: str, text_key: str | None = None) -> str:
    return encode({"type": "error", "code": code, "message": TEXTS.get(text_key or f"live_{code}", code)})


class _Continue:
    """Await the rest of a coroutine that was started by hand and had to wait (see `WsClient.push`)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self.coro, self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # a cancellation or error is passed on into the coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


class WsClient:
    """One connection: who it is, and its bounded send queue."""

    __slots__ = ("_send", "_raw", "role", "player_id", "team_id", "user_id", "user_name", "closed", "dropped",
                 "_busy", "_backlog", "_writer", "task", "conn_id", "guests", "__weakref__")

    _next_id = 0

    def __init__(self, send: Send, role: str, raw: RawWrite | None = None) -> None:
        WsClient._next_id += 1
        self.conn_id = WsClient._next_id  # how the game's owner names this connection (several workers)
        self._send = send
        self._raw = raw  # live.wsproto's fast writer, when the server offers it
        self.role = role
        self.player_id: int | None = None
        self.team_id: int | None = None
        self.user_id: int | None = None
        self.user_name = ""
        self.closed = False
        self.dropped = False
        self._busy = False
        self._backlog: deque[Outgoing] = deque()
        self._writer: asyncio.Future[None] | None = None
        self.task: asyncio.Task[Any] | None = None
        self.guests: GuestBound | None = None  # a player without a login: its address's guest counter

    def push_text(self, text: str) -> None:
        """Send one message of this connection's own (an error, a refusal)."""
        self.push([Outgoing(text)])

    def push(self, messages: list[Outgoing]) -> None:
        """Send these messages now if the socket takes them without waiting, else queue them (bounded)."""
        if self.closed or not messages:
            return
        if self._busy:
            if len(self._backlog) + len(messages) > SEND_BACKLOG:
                self.drop()
            else:
                self._backlog.extend(messages)
            return
        # The fast lane: the frames, built once for all recipients, in one write (one system call).
        raw = self._raw
        if raw is not None and raw(messages[0].frame if len(messages) == 1 else b"".join(m.frame for m in messages)):
            return
        # Through ASGI: run each send coroutine by hand; it almost always completes at once (the
        # transport buffers the frame), which spares a task per message and per client. If one has
        # to wait (the client reads slowly), a task finishes it and the rest queue up behind.
        for i, message in enumerate(messages):
            coro = self._send({"type": "websocket.send", "text": message.text})
            try:
                first = coro.send(None)
            except StopIteration:
                continue
            except Exception:
                self.closed = True
                return
            self._busy = True
            self._backlog.extend(messages[i + 1:])
            self._writer = asyncio.ensure_future(self._finish(coro, first))
            return

    async def _finish(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        try:
            await _Continue(coro, first)
            while self._backlog and not self.closed:
                await self._send({"type": "websocket.send", "text": self._backlog.popleft().text})
        except Exception:
            self.closed = True
        finally:
            self._busy = False
            self._backlog.clear()
            self._writer = None

    def close_after_send(self, code: int) -> None:
        """Close the connection with ``code`` once what was pushed so far is sent (a kicked player)."""
        asyncio.get_running_loop().create_task(self._close(code))

    async def _close(self, code: int) -> None:
        writer = self._writer
        if writer is not None:
            with contextlib.suppress(Exception):
                await writer
        self.closed = True
        with contextlib.suppress(Exception):
            await self._send({"type": "websocket.close", "code": code})

    def drop(self) -> None:
        """Too far behind: stop sending and end the connection (the client reconnects and resumes)."""
        self.closed = self.dropped = True
        self._backlog.clear()
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()


def parse_item(raw: str | None, client: WsClient) -> Item | str:
    """A client message as an `Item` for the runner, or the text of an ``error`` to send back."""
    if raw is None:
        return error("invalid_json")
    if len(raw) > MAX_MESSAGE_CHARS:
        return error("too_large")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return error("invalid_json")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return error("invalid_json")
    if "\\" in raw and _untypeable(message):
        # Only an escape can bring such a character in (a raw one is not valid JSON text); refused here, at
        # the edge, it never reaches the game's log, which could not store it.
        return error("invalid_message")
    kind = message["type"]
    if kind == "ping":
        t = message.get("t")
        return Item("ping", client, {"t": t} if isinstance(t, (int, float, str)) and not isinstance(t, bool) else {})
    if kind == "host":
        if client.role != "host":
            return error("not_host")
        action = message.get("action")
        if not isinstance(action, str) or not action:
            return error("invalid_message")  # an unknown action is the engine's to refuse
        params = {k: v for k, v in message.items() if k not in ("type", "action", "params")}
        if isinstance(message.get("params"), dict):
            params.update(message["params"])
        return Item("host", client, {"action": action, "params": params})
    if kind not in ("join", "answer", "buzz"):
        return error("unknown_type")
    if client.role != "player":
        return error("not_player")
    if kind == "join":
        name = message.get("name", "")
        team_id = message.get("team_id")
        if not isinstance(name, str) or (team_id is not None and not _is_int(team_id)):
            return error("invalid_message")
        name = " ".join(name.split())[:MAX_NAME_CHARS]
        if not name and client.user_id is None:
            return error("name_required")
        return Item("join", client, {"name": name, "team_id": team_id})
    question = message.get("question")
    if not _is_int(question):
        return error("invalid_message")
    if kind == "buzz":
        return Item("buzz", client, {"question": question})
    client_id = message.get("id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or "answer" not in message:
        return error("invalid_message")
    return Item("answer", client, {"id": client_id, "question": question, "answer": message["answer"]})


class PinGuesser:
    """Wrong PINs from one address (CONTRACT §0, issue 9): the first ten are free, then each makes the
    next lookup of an unknown PIN wait, 1 s doubling to a minute; shared by every worker through the app's
    throttle. PINs of the games this worker serves are known without a lookup, so the phones of a hall
    behind one address are not held up by its one mistyping member."""

    POLICY = Policy(allowance=10, delay_ms=1000, max_delay_ms=60_000, memory_ms=600_000)

    def __init__(self, throttle: Any, address: str, now_ms: int) -> None:
        self.throttle, self.key, self.now_ms = throttle, f"pin:{address}", now_ms

    def retry_after_s(self) -> int:
        return int(self.throttle.retry_after_s([self.key], self.now_ms))

    def blocked(self) -> bool:
        return self.retry_after_s() > 0

    def wrong(self) -> None:
        self.throttle.failed([(self.key, self.POLICY)], self.now_ms)


def pin_guesser(app: Any, scope: dict[str, Any], known: bool) -> PinGuesser | None:
    """The guess counter of this request's address, unless its PIN is one this worker knows."""
    throttle = getattr(app.state, "throttle", None)
    if known or throttle is None:
        return None
    address = (scope.get("client") or ("unknown",))[0]
    return PinGuesser(throttle, str(address), int(app.state.clock.now_ms()))


class GuestBound:
    """New guests from one address (issue 9): at most 1,000 a minute and 3,000 an hour, shared by every worker
    through the app's throttle, then ``error too_many_guests`` with the seconds until the window ends.

    A hall's phones all share one NAT address, so the bound is the hall, not a phone: 63 teams of 3 and a few
    hundred of audience join within a minute or two; measured, 1,000 guests from one address got in within
    2–3.2 s on one worker (`bench/guest_joins.py`, docs/benchmarks.md "Guests from one address"), so the bound
    is never what a hall waits for. A script stops at the minute's thousand, a few seconds in, and makes no more
    than three halls' worth an hour. Only joins that make a new player count: a
    logged-in user (the team players) and a resume (a reconnecting phone, with its token) never do; a refused
    join (a name taken) does, as does a join on a connection whose resume token was not accepted."""

    LIMITS = ((60_000, 1_000), (3_600_000, 3_000))  # (window in ms, new guests in it): the settings' defaults

    __slots__ = ("throttle", "clock", "key", "limits")

    def __init__(self, throttle: Any, clock: Any, address: str,
                 limits: tuple[tuple[int, int], ...] = LIMITS) -> None:
        self.throttle, self.clock, self.key, self.limits = throttle, clock, f"guests:{address}", limits

    def retry_after_s(self) -> int:
        """Count one guest's join: 0 to let it in, else the whole seconds until the window that refuses it ends
        (a refused join still counts in the refusing window, never in a longer one)."""
        now = int(self.clock.now_ms())
        for window, limit in self.limits:
            if self.throttle.count(f"{self.key}:{window}", window, now) > limit:
                return max(1, (window - now % window + 999) // 1000)
        return 0


def too_many_guests(seconds: int) -> str:
    return encode({"type": "error", "code": "too_many_guests", "retry_after_s": seconds,
                   "message": TEXTS["live_too_many_guests"].format(seconds=seconds)})


def guest_bound(app: Any, scope: dict[str, Any], client: WsClient) -> GuestBound | None:
    """The guest counter of a player connection without a login (None for users, hosts and screens)."""
    throttle = getattr(app.state, "throttle", None)
    if throttle is None or client.role != "player" or client.user_id is not None:
        return None
    address = (scope.get("client") or ("unknown",))[0]
    settings = app.state.settings
    minute = getattr(settings, "guest_joins_per_minute", GuestBound.LIMITS[0][1])
    hour = getattr(settings, "guest_joins_per_hour", GuestBound.LIMITS[1][1])
    return GuestBound(throttle, app.state.clock, str(address), ((60_000, minute), (3_600_000, hour)))


def _untypeable(value: Any) -> bool:
    if isinstance(value, str):
        return UNTYPEABLE.search(value.replace("\r", "")) is not None  # (CR counts as a newline)
    if isinstance(value, dict):
        return any(_untypeable(k) or _untypeable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_untypeable(v) for v in value)
    return False


def _take(raw: str | None, venue: Venue, client: WsClient) -> None:
    """One message from the client: to the game's owner, or an ``error`` straight back."""
    item = parse_item(raw, client)
    if isinstance(item, str):
        client.push_text(item)
    elif item.kind == "join" and client.guests is not None and client.player_id is None and (
            wait := client.guests.retry_after_s()):
        client.push_text(too_many_guests(wait))  # (counted here, at the edge: the game never sees it)
    elif not venue.submit(item):
        client.push_text(error("busy"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53


async def _user(app: Any, token: str) -> Any:
    from quiz.accounts import user_for_token

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, user_for_token, app.state.db, token, app.state.clock.now_ms())


async def _may_host(app: Any, venue: Venue, token: str | None) -> bool:
    if not token:
        return False
    if store.digest(token) == venue.host_hash:
        return True
    from quiz.models import role_rank

    user = await _user(app, token)
    return user is not None and (user.id == venue.created_by or role_rank(user.role) >= role_rank("organizer"))


USER_TOKEN_CHARS = 43  # `quiz.accounts` issues token_urlsafe(32); a player's resume token is token_urlsafe(24)


async def _opening(app: Any, venue: Venue, client: WsClient, token: str | None) -> Item | str | None:
    """What a new connection gets first: attach (host, screen), open (a player with a token: its resume
    token, or a user's, which the game's owner checks), or nothing yet."""
    if client.role == "host":
        return Item("attach", client) if await _may_host(app, venue, token) else error("forbidden")
    if client.role == "screen" or not token:
        return Item("attach", client) if client.role == "screen" else None
    if len(token) != USER_TOKEN_CHARS:
        return Item("open", client, {"token": token})  # (a resume token: no database lookup)
    user = await _user(app, token)
    if user is None:
        return error("invalid_token")
    client.user_id, client.user_name = user.id, user.name or user.username
    return Item("open", client, {})  # the same person back: same player, a new resume token


class LiveSocket:
    """The ASGI endpoint of ``/ws/live/{pin}``."""

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        conn = HTTPConnection(scope)
        app = scope["app"]
        manager: LiveManager = app.state.live
        role = conn.query_params.get("role", "player")
        extensions = scope.get("extensions") or {}
        client = WsClient(send, role, extensions.get(RAW_WRITE))
        if role not in ROLES:
            await self._refuse(send, error("bad_role"), CLOSE_BAD_REQUEST)
            return
        pin = str(scope.get("path_params", {}).get("pin", ""))
        guesser = pin_guesser(app, scope, known=pin in manager.pins)
        if guesser is not None and guesser.blocked():
            await self._refuse(send, error("too_many_guesses"), CLOSE_TOO_MANY)
            return
        venue = await manager.venue_by_pin(pin)
        if venue is None:
            if guesser is not None:
                guesser.wrong()
            await self._refuse(send, error("game_not_found"), CLOSE_NOT_FOUND)
            return
        token = conn.query_params.get("token")
        if not token and conn.cookies.get("quiz_session"):
            # The session cookie goes with any page's upgrade: only our own pages may use it (CONTRACT §0).
            from quiz.security import is_cross_site

            if is_cross_site(conn.headers, scheme="https" if scope.get("scheme") == "wss" else "http",
                             base_url=getattr(app.state.settings, "base_url", None)):
                await self._refuse(send, error("cross_site"), CLOSE_FORBIDDEN)
                return
            token = conn.cookies.get("quiz_session")
        venue.connected(client)
        client.task = asyncio.current_task()
        try:
            first = await _opening(app, venue, client, token)
            client.guests = guest_bound(app, scope, client)
            if isinstance(first, str):
                if client.role == "host":
                    await self._refuse(send, first, CLOSE_FORBIDDEN)
                    return
                client.push_text(first)
            elif first is not None:
                venue.submit(first)
            await self._receive_loop(receive, venue, client, extensions.get(ON_TEXT))
        except asyncio.CancelledError:
            if not client.dropped:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            client.closed = True
            venue.disconnected(client)
            if venue.status == "finished" and not venue.connections and not venue.queue:
                await manager.unload(venue.game_id)  # the log keeps it; a later visit replays it

    async def _receive_loop(self, receive: Callable[[], Awaitable[dict[str, Any]]], venue: Venue,
                            client: WsClient, set_receiver: SetReceiver | None) -> None:
        """Take the client's messages until it leaves: handed over by the protocol as they arrive when it
        offers that (live.wsproto), else (and for whatever it leaves in the queue) through ``receive()``."""
        if set_receiver is not None:
            set_receiver(lambda raw: None if client.dropped else _take(raw, venue, client))
        try:
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    return
                raw = message.get("text")
                if raw is None and message.get("bytes") is not None:
                    try:
                        raw = message["bytes"].decode("utf-8")
                    except UnicodeDecodeError:
                        raw = None
                _take(raw, venue, client)
        finally:
            if set_receiver is not None:
                set_receiver(None)

    async def _refuse(self, send: Send, text: str, code: int) -> None:
        try:
            await send({"type": "websocket.send", "text": text})
            await send({"type": "websocket.close", "code": code})
        except Exception:  # the client is already gone
            pass


async def startup(app: Any) -> None:
    """Start the live games of this process (restoring every unfinished one from its log)."""
    manager = LiveManager(app.state.db, app.state.clock, app.state.settings.redis_url)
    app.state.live = manager
    await manager.start()


async def shutdown(app: Any) -> None:
    manager: LiveManager | None = getattr(app.state, "live", None)
    if manager is not None:
        await manager.stop()


routes = [WebSocketRoute("/ws/live/{pin}", LiveSocket())]
