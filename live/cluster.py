"""Several worker processes serving one game: commands travel to its owner, stored bursts come back.

Exactly one worker owns a game (`live.lease`) and runs its `Runner`; any worker may hold the game's
sockets. Two Redis streams per game connect them:

    live:in:<game>    what clients of the other workers sent (join, answer, buzz, host, ping ...),
                      read by the owner only and handled in its bursts like its own clients' items;
    live:out:<game>   every stored burst, as the owner handled it: each worker delivers it to its own
                      connections by audience (`Room.deliver`), in order, once.

Why streams and not pub/sub: an entry stays until trimmed, so a worker that was slow or briefly cut
off reads on from its last id and misses nothing, in the owner's order; and a worker that takes a game
over knows from the last burst's ``in`` which of the waiting commands the dead owner had handled.

Why the output and not the input is replicated: a burst carries what the engine decided (events by
audience, each player's `you` in a reveal), so a follower needs no copy of the game and can never
disagree with the owner; a worker that takes over rebuilds the game from the log, which is what a
restart does anyway. The price is a reveal's results table on the wire (about 60 bytes a player).

A connection is named on the wire by ``[worker, connection]``; the owner sees another worker's
connection as a `RemoteClient`, which it never pushes to: what it answers goes out in the burst.

When Redis goes away for a moment (a restart, a network blip), nothing is dropped: the items a worker
forwards and the bursts an owner publishes wait in order and are sent again until Redis answers
(`RETRY_FOR_S`). A write whose reply was lost may have been applied, so every entry carries its
sender's running number ``n`` and readers skip one they have seen (an answer twice is harmless, a
``next`` twice would skip a question).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from live.messages import AnswerRevealed, Error, Event
from live.room import Attach, Client, Op, Outgoing, Reply, Resync, Send

log = logging.getLogger("quiz.live")

IN_MAXLEN = 200_000  # commands kept per game (approximately: Redis trims whole nodes)
OUT_MAXLEN = 20_000  # bursts kept per game
READ_BLOCK_MS = 1000
READ_COUNT = 5000
FORWARD_GATHER_S = 0.005  # a trickle of answers goes to the owner a few at a time, not one command each
RETRY_FOR_S = 60.0  # how long forwarded items and bursts wait for Redis to come back before they are given up
RETRY_MAX_DELAY_S = 0.5


def in_key(game_id: int) -> str:
    return f"live:in:{game_id}"


def out_key(game_id: int) -> str:
    return f"live:out:{game_id}"


def new_worker_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


class RemoteClient:
    """Another worker's connection, as the owner's runner sees it: who it is, and where it lives."""

    __slots__ = ("worker", "conn_id", "role", "player_id", "team_id", "user_id", "user_name", "closed")

    remote = True

    def __init__(self, worker: str, conn_id: int, role: str) -> None:
        self.worker, self.conn_id, self.role = worker, conn_id, role
        self.player_id: int | None = None
        self.team_id: int | None = None
        self.user_id: int | None = None
        self.user_name = ""
        self.closed = False

    def push(self, messages: list[Outgoing]) -> None:  # its own worker delivers
        pass


@dataclass(slots=True)
class Relayed:
    """An engine event as it arrived from the owner: the room delivers it like the event itself."""

    audience: str
    message: dict[str, Any]
    results: dict[int, dict[str, Any]] | None = None
    error: bool = False

    @property
    def type(self) -> str:
        return str(self.message.get("type", ""))

    def to_message(self) -> dict[str, Any]:
        return self.message


# --- the wire -------------------------------------------------------------------------------

def _ref(client: Client | None, worker: str) -> list[Any] | None:
    if client is None:
        return None
    if isinstance(client, RemoteClient):
        return [client.worker, client.conn_id]
    return [worker, getattr(client, "conn_id", 0)]


def encode_ops(ops: list[Op], worker: str) -> list[Any]:
    """A burst's operations as JSON-ready lists (see the module's docstring for who reads them)."""
    wire: list[Any] = []
    for op in ops:
        if isinstance(op, Send):
            event: Event | Relayed = op.event
            results = None
            if isinstance(event, AnswerRevealed) and event.results is not None:
                results = {str(k): v for k, v in event.results.items()}
            elif isinstance(event, Relayed) and event.results is not None:
                results = {str(k): v for k, v in event.results.items()}
            is_error = isinstance(event, Error) or (isinstance(event, Relayed) and event.error)
            wire.append(["s", event.audience, event.to_message(), results, _ref(op.sender, worker), is_error])
        elif isinstance(op, Attach):
            wire.append(["a", _ref(op.client, worker), op.messages, op.player_id, op.team_id])
        elif isinstance(op, Reply):
            wire.append(["r", _ref(op.client, worker), op.message])
        elif isinstance(op, Resync):
            wire.append(["x"])
    return wire


def decode_ops(wire: list[Any], worker: str, local: Callable[[int], Client | None]) -> list[Op]:
    """The operations of a burst for this worker's room: references to its own connections become the
    connections (``local(conn_id)``); what is addressed to another worker's connection is left out."""
    ops: list[Op] = []

    def mine(ref: list[Any] | None) -> Client | None:
        if ref is None or ref[0] != worker:
            return None
        return local(int(ref[1]))

    for entry in wire:
        kind = entry[0]
        if kind == "s":
            _, audience, message, results, sender_ref, is_error = entry
            sender = mine(sender_ref)
            if is_error and sender is None:
                continue
            decoded = {int(k): v for k, v in results.items()} if results is not None else None
            ops.append(Send(Relayed(audience, message, decoded, bool(is_error)), sender))  # type: ignore[arg-type]
        elif kind == "a":
            client = mine(entry[1])
            if client is not None:
                ops.append(Attach(client, entry[2], entry[3], entry[4]))
        elif kind == "r":
            client = mine(entry[1])
            if client is not None:
                ops.append(Reply(client, entry[2]))
        elif kind == "x":
            ops.append(Resync())
    return ops


def encode_item(kind: str, client: Any, data: dict[str, Any]) -> dict[str, Any]:
    """A client's item for the owner's in-stream: what it asked and who it is on its worker."""
    return {"c": client.conn_id, "role": client.role, "k": kind, "d": data, "p": client.player_id,
            "t": client.team_id, "u": client.user_id, "n": client.user_name}


def position(entry_id: str, index: int) -> str:
    """Where an item is in the in-stream: its entry (one per worker and loop turn) and its place in it."""
    return f"{entry_id}/{index}"


# --- Redis ----------------------------------------------------------------------------------

def _items(entry: Any) -> list[tuple[str, str, dict[str, Any]]]:
    entry_id, fields = entry
    ident, worker = entry_id.decode(), fields[b"w"].decode()
    return [(position(ident, i), worker, item) for i, item in enumerate(json.loads(fields[b"j"]))]


class SeenNumbers:
    """The running numbers read so far, per sender: an entry written twice (a retry whose first reply was
    lost) is skipped the second time. Entries of one sender arrive in its order, so the last number is enough."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def first_time(self, sender: str, number: Any) -> bool:
        if not isinstance(number, int):
            return True  # (an entry of a version without numbers)
        if number <= self.last.get(sender, 0):
            return False
        self.last[sender] = number
        return True


def _is_redis_down(exc: BaseException) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, TimeoutError))


def quiet_or_logged(exc: BaseException, message: str, *args: Any) -> None:
    """Redis away for a moment is expected (a restart, a blip) and retried: one line; anything else in full."""
    if _is_redis_down(exc):
        log.warning(message + " (Redis: %s); retrying", *args, exc.__class__.__name__)
    else:
        log.error(message, *args, exc_info=exc)


class Outbound:
    """One game's stored bursts on their way to the other workers: in the owner's order, each once, held
    and sent again while Redis is away (the runner never waits for Redis)."""

    def __init__(self, cluster: RedisCluster, game_id: int, published: Callable[[str], None]) -> None:
        self.cluster, self.game_id, self.published = cluster, game_id, published
        self.waiting: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, body: str) -> None:
        self.waiting.append(body)
        self._idle.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send(), name=f"live-out-{self.game_id}")

    async def drained(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) until every burst put here is in Redis."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)

    async def _send(self) -> None:
        delay, since = 0.0, None
        while self.waiting:
            try:
                entry = await self.cluster.redis.xadd(out_key(self.game_id), {"b": self.waiting[0]},
                                                      maxlen=OUT_MAXLEN, approximate=True)
            except Exception as exc:
                since = since or time.monotonic()
                if not _is_redis_down(exc) or time.monotonic() - since > RETRY_FOR_S:
                    log.error("live: game %s: %d bursts could not reach the other workers (%s); their clients "
                              "refresh their state when they reconnect", self.game_id, len(self.waiting), exc)
                    self.waiting.clear()
                    break
                if delay == 0.0:
                    log.warning("live: game %s: Redis is away (%s); bursts wait for it", self.game_id,
                                exc.__class__.__name__)
                delay = min(RETRY_MAX_DELAY_S, max(0.05, delay * 2))
                await asyncio.sleep(delay)
                continue
            if delay:
                log.warning("live: game %s: Redis is back; %d bursts sent", self.game_id, len(self.waiting))
            delay, since = 0.0, None
            self.waiting.pop(0)
            self.published(str(entry.decode() if isinstance(entry, bytes) else entry))
        self._idle.set()


class RedisCluster:
    """This worker's side of the streams: forwards its clients' items, reads the bursts and items it
    needs, publishes the bursts of the games it owns."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self.url = url
        self.worker = new_worker_id()
        self.redis = aioredis.from_url(url)
        self._outbox: dict[int, list[dict[str, Any]]] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._numbers = iter(range(1, 1 << 62))  # this worker's running number for each entry it writes
        self.outbound: dict[int, Outbound] = {}

    async def connect(self) -> None:
        await self.redis.ping()

    async def disconnect(self) -> None:
        for outbound in list(self.outbound.values()):
            await outbound.drained(2.0)  # a worker shutting down sends what it stored first
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    # --- to the owner ---

    def forward(self, game_id: int, kind: str, client: Any, data: dict[str, Any]) -> None:
        """Send an item to the game's owner. The items of one loop turn travel as ONE stream entry per game
        (thousands of answers in a second: one Redis command and one JSON text each turn, not each item)."""
        self._outbox.setdefault(game_id, []).append(encode_item(kind, client, data))
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(FORWARD_GATHER_S)
            retry: list[tuple[int, str, int]] = []  # entries sent but not known stored: sent again, same numbers
            delay, since = 0.0, None
            while self._outbox or retry:
                outbox, self._outbox = self._outbox, {}
                entries = retry + [(game_id, json.dumps(items, ensure_ascii=False), next(self._numbers))
                                   for game_id, items in outbox.items()]
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for game_id, body, number in entries:
                            pipe.xadd(in_key(game_id), {"w": self.worker, "n": number, "j": body},
                                      maxlen=IN_MAXLEN, approximate=True)
                        await pipe.execute()
                except Exception as exc:
                    since = since or time.monotonic()
                    if not _is_redis_down(exc) or time.monotonic() - since > RETRY_FOR_S:
                        log.error("live: %d forwarded entries could not reach the owners (%s)", len(entries), exc)
                        retry, delay, since = [], 0.0, None
                        continue
                    if delay == 0.0:
                        log.warning("live: Redis is away (%s); forwarded items wait for it", exc.__class__.__name__)
                    delay = min(RETRY_MAX_DELAY_S, max(0.05, delay * 2))
                    retry = entries  # before whatever comes in meanwhile, in their order
                    await asyncio.sleep(delay)
                    continue
                if delay:
                    log.warning("live: Redis is back; forwarded items sent")
                retry, delay, since = [], 0.0, None
        except Exception:
            log.exception("live: cannot forward to the owner")
        finally:
            self._flushing = None
            if self._outbox:  # came in after the loop's last look
                self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def read_items(self, game_id: int, after: str, block_ms: int = READ_BLOCK_MS,
                         seen: SeenNumbers | None = None) -> tuple[list[tuple[str, str, dict[str, Any]]], str]:
        """The owner: items of the entries after ``after`` as ``(position, worker, item)``, and the last
        entry read (to read on from); with ``seen``, an entry written twice is read once."""
        found = await self.redis.xread({in_key(game_id): after}, count=READ_COUNT, block=block_ms)
        items: list[tuple[str, str, dict[str, Any]]] = []
        last = after
        for _key, entries in found or ():
            for entry in entries:
                last = entry[0].decode()
                fields = entry[1]
                number = fields.get(b"n")
                if seen is None or seen.first_time(fields[b"w"].decode(), int(number) if number else None):
                    items += _items(entry)
        return items, last

    async def read_entry(self, game_id: int, entry_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """The items of one entry (a new owner going on in the middle of one)."""
        return [item for entry in await self.redis.xrange(in_key(game_id), entry_id, entry_id) for item in _items(entry)]

    # --- from the owner ---

    def publish(self, game_id: int, wire: list[Any], in_id: str | None, status: str,
                published: Callable[[str], None]) -> None:
        """Send a stored burst to the other workers, after every earlier one of the game (`Outbound`);
        ``published(entry_id)`` once it is in Redis."""
        body = json.dumps({"w": self.worker, "n": next(self._numbers), "in": in_id, "st": status, "ops": wire},
                          ensure_ascii=False)
        outbound = self.outbound.get(game_id)
        if outbound is None:
            outbound = self.outbound[game_id] = Outbound(self, game_id, published)
        outbound.published = published
        outbound.put(body)

    async def drained(self, game_id: int, timeout_s: float = 5.0) -> None:
        """Wait until the game's bursts are all in Redis (a worker giving the game up)."""
        outbound = self.outbound.get(game_id)
        if outbound is not None:
            await outbound.drained(timeout_s)

    async def read_bursts(self, game_id: int, after: str, block_ms: int = READ_BLOCK_MS
                          ) -> list[tuple[str, dict[str, Any]]]:
        found = await self.redis.xread({out_key(game_id): after}, count=READ_COUNT, block=block_ms)
        return [(entry_id.decode(), json.loads(fields[b"b"])) for _key, entries in found or () for entry_id, fields in entries]

    async def last_burst(self, game_id: int) -> tuple[str, dict[str, Any]] | None:
        """The newest burst of a game (where a new owner goes on from), if any."""
        found = await self.redis.xrevrange(out_key(game_id), count=1)
        if not found:
            return None
        entry_id, fields = found[0]
        return entry_id.decode(), json.loads(fields[b"b"])

    async def last_id(self, game_id: int) -> str:
        last = await self.last_burst(game_id)
        return last[0] if last is not None else "0"

    async def ask(self, game_id: int, data: dict[str, Any], timeout_s: float = 3.0) -> Any:
        """A read answered by the owner (a state or the ledger): the answer comes back on a list of
        our own, so no socket is needed."""
        reply_key = f"live:reply:{uuid.uuid4().hex}"
        fake = RemoteClient(self.worker, 0, "api")
        self.forward(game_id, "read", fake, {"reply": reply_key, **data})
        found = await self.redis.blpop([reply_key], timeout=timeout_s)
        if found is None:
            raise TimeoutError("the game's owner did not answer")
        return json.loads(found[1])

    async def answer(self, reply_key: str, value: Any) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.rpush(reply_key, json.dumps(value, ensure_ascii=False))
            pipe.expire(reply_key, 30)
            await pipe.execute()
