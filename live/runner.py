"""One writer per game: an asyncio task owns the `Game` and handles its commands in bursts.

The socket layer submits what clients send (`Item`s) to the game's queue. The runner drains
the queue in bursts: it handles each command at the server clock (``app.state.clock``), keeps
the commands that changed the state, stores them in ONE transaction, and only then publishes
the burst (acks, events, welcomes) through the hub. So nothing is ever acknowledged that is not
stored, and a crash loses only what nobody was told about. (The transaction runs in a worker
thread; on SQLite, when the write lock is free, on the loop's own connection instead — see
`live.store.SqliteLog` for why.)

Deadlines need no client: the runner wakes at the next ``deadline_ms`` and handles a `Tick`
(logged when it changed something). After a restart a game is rebuilt by replaying its log,
lazily on the first connection and, at start-up, for every unfinished game.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from live import store
from live.cluster import RedisCluster, RemoteClient, SeenNumbers, decode_ops, encode_ops, quiet_or_logged
from live.engine import Game
from live.lease import Leases, MemoryLeases, PgLeases, RedisLeases
from live.messages import (
    Buzz,
    Command,
    CountsUpdated,
    Error,
    Event,
    HostAction,
    Join,
    SubmitAnswer,
    Tick,
)
from live.room import Attach, Client, Op, Reply, Resync, Room, Send
from quiz import gcpolicy

log = logging.getLogger("quiz.live")

MAX_BURST = 4096  # items handled before a burst is stored: bounds the wait of the first ack
MAX_QUEUE = 100_000  # a game refuses more than this many waiting items ("busy")
CHECKPOINT_EVERY_S = 5.0  # SQLite: how often the log is checkpointed in the background ...
CHECKPOINT_QUIET_S = 0.3  # ... in a moment when no game has had a burst for this long ...
CHECKPOINT_LATEST_S = 30.0  # ... or at the latest this long after the last one (a game that never pauses)
COUNTS_EVERY_S = 0.5  # the host's live counts are pushed at most this often per game
GATHER_S = 0.002  # in a steady trickle of items, wait this long for more before a burst (see Runner.run)
GATHER_CLUSTER_S = 0.010  # ... with several workers: each burst costs a PostgreSQL commit and a hop through Redis
GATHER_BELOW = 64  # ... unless this many are waiting already
TRICKLE_GAP_S = 0.02  # items that come this soon after the last burst are a trickle

# QUIZ_LIVE_TRACE=1 logs every burst (size, store and delivery times) and every slow garbage
# collection: what bench/live_load.py's --keep leaves in the server log for a closer look.
TRACE = os.environ.get("QUIZ_LIVE_TRACE") == "1"


def _trace_gc() -> None:
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif (took := time.perf_counter() - started[0]) > 0.005:
            # (Not gc.get_freeze_count(): it walks every frozen object, 160 ms at 10,000 players.)
            log.warning("%.3f gc gen%s %.1fms collected=%s", time.monotonic(), info.get("generation"), took * 1000,
                        info.get("collected"))

    gc.callbacks.append(callback)


if TRACE:
    _trace_gc()


@dataclass(slots=True)
class Item:
    """Something a client asked: ``kind`` is join, resume, attach, answer, buzz, host or ping."""

    kind: str
    client: Client
    data: dict[str, Any] = field(default_factory=dict)
    in_id: str | None = None  # its entry in the game's in-stream, when another worker forwarded it


@dataclass
class Burst:
    ops: list[Op] = field(default_factory=list)
    records: list[store.LogRecord] = field(default_factory=list)
    players: list[store.PlayerRecord] = field(default_factory=list)
    answers: set[tuple[Any, str]] = field(default_factory=set)
    in_id: str | None = None  # the last forwarded item handled (a new owner goes on after it)
    items: list[Item] = field(default_factory=list)  # what it handled (handed on whole if it is fenced off)
    started: float = field(default_factory=time.perf_counter)  # for QUIZ_LIVE_TRACE
    cpu_started: float = field(default_factory=time.thread_time)

    def clients(self) -> list[Client]:
        """Every connection this burst answers (told when the burst cannot be stored)."""
        found: dict[Client, None] = {}
        for op in self.ops:
            client = op.sender if isinstance(op, Send) else getattr(op, "client", None)
            if client is not None:
                found[client] = None
        return list(found)


def error_message(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


class Runner:
    """The single writer of one game."""

    def __init__(self, manager: LiveManager, loaded: store.LoadedGame, venue: Venue | None = None,
                 epoch: int | None = None) -> None:
        row = loaded.row
        assert row.id is not None
        self.manager = manager
        self.game_id: int = row.id
        self.pin = row.pin
        self.title = row.title
        self.host_hash = row.host_token_hash
        self.created_by = row.created_by
        self.round_id = row.round_id
        self.status = row.status
        self.game: Game = loaded.game
        self.seq = row.seq
        self.resume = loaded.resume
        self.users = loaded.users
        self.next_player_id = loaded.next_player_id
        self.logged_answers = loaded.logged_answers
        self.venue = venue if venue is not None else Venue(manager, row)
        self.room = self.venue.room
        self.epoch = epoch  # the fencing token of this ownership (several workers; None: one process)
        self.in_id: str | None = None  # the last forwarded item this owner's bursts handled
        self.fenced = False
        # Stopping (this worker lost the game, or shuts down): no new burst starts, and the one being stored is
        # let finish (`idle`), so that what it stored is also acknowledged. Cancelled mid-store, its answers could
        # be in the log with their acks never sent.
        self.stopping = False
        self.idle = asyncio.Event()
        self.idle.set()
        self.queue: deque[Item] = deque()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._counts_sent: dict[str, int] = self.game.counts()  # snapshots carry them; push changes only
        self._counts_at = float("-inf")
        self._counts_timer: asyncio.TimerHandle | None = None

    @property
    def connections(self) -> int:
        return self.venue.connections

    # --- outside interface ---

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"live-game-{self.game_id}")
        self._schedule_tick()

    async def stop(self, finish_within_s: float = 5.0) -> None:
        self.stopping = True
        if self._timer is not None:
            self._timer.cancel()
        if self._counts_timer is not None:
            self._counts_timer.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), finish_within_s)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    def submit(self, item: Item) -> bool:
        """Queue an item for the writer; False when the game is overloaded."""
        if len(self.queue) >= MAX_QUEUE:
            return False
        self.queue.append(item)
        self.wake.set()
        return True

    def now_ms(self) -> int:
        return int(self.manager.clock.now_ms())

    # --- the writer ---

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_burst = float("-inf")
        while True:
            await self.wake.wait()
            if len(self.queue) < GATHER_BELOW and loop.time() - last_burst < TRICKLE_GAP_S:
                # Answers spread over a countdown come one by one: without waiting, each would be a
                # burst of its own, with its own commit (~40 µs) and wake-up. A moment's wait stores
                # several in one transaction, for at most GATHER_S more on their acks.
                await asyncio.sleep(GATHER_CLUSTER_S if self.manager.cluster is not None else GATHER_S)
            self.wake.clear()
            try:
                await self._bursts()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad burst end the game's writer
                log.exception("live: game %s: burst failed", self.game_id)
            last_burst = self.manager.last_burst = loop.time()

    async def _bursts(self) -> None:
        while True:
            if self.stopping:
                return
            burst = Burst()
            # A question replaced in this burst (`next`) is freed after the burst went out: at 10,000
            # players its answers take ~3 ms to deallocate, which would delay the new question.
            replaced = self.game.current  # noqa: F841 (held on purpose)
            self._tick(burst)
            for _ in range(min(len(self.queue), MAX_BURST)):
                item = self.queue.popleft()
                if item.in_id is not None:
                    burst.in_id = item.in_id
                burst.items.append(item)
                try:
                    self._handle(item, burst)
                except Exception:
                    log.exception("live: game %s: cannot handle %s", self.game_id, item.kind)
                    burst.ops.append(Reply(item.client, error_message("server_error", "服务器出错，请重试")))
            counts = self._counts_op()
            if counts is not None:
                burst.ops.append(counts)
            if burst.ops or burst.records or burst.in_id:
                self.idle.clear()
                try:
                    await self._store_and_publish(burst)
                finally:
                    self.idle.set()
            if self.fenced:
                return
            self._schedule_tick()
            if not self.queue:
                return

    async def _store_and_publish(self, burst: Burst) -> None:
        status = store.status_of(self.game)
        new_status = status if status != self.status else None
        finished_ms = self.now_ms() if new_status == "finished" else None
        t_store = time.perf_counter()
        if burst.records or burst.players or new_status:
            try:
                await self.manager.store(store.prepare(self.game_id, burst.records, burst.players, new_status,
                                                       finished_ms, self.epoch))
            except store.Fenced:
                # Another worker took the game over: this copy must never answer for it again. Nobody was
                # told anything of this burst, so what it handled goes back to the queue: `demote` hands
                # this worker's own clients' items to the new owner (forwarded ones wait in the stream).
                log.warning("live: game %s: another worker owns it now; this one follows", self.game_id)
                self.fenced = True
                self.queue.extendleft(reversed(burst.items))
                asyncio.get_running_loop().create_task(self.manager.demote(self.game_id))
                return
            except Exception:
                log.exception("live: game %s: cannot store a burst; rebuilding from the log", self.game_id)
                await self._rebuild()
                message = error_message("store_failed", "服务器暂时无法保存，请重试")
                await self.manager.publish(self, [Reply(c, message) for c in burst.clients()], burst.in_id)
                return
            self.status = status
        self.logged_answers.update(burst.answers)
        t_pub = time.perf_counter()
        await self.manager.publish(self, burst.ops, burst.in_id)
        if TRACE:
            log.warning("%.3f burst ops=%d records=%d handle=%.1fms store=%.1fms deliver=%.1fms cpu=%.1fms", t_store,
                        len(burst.ops), len(burst.records), (t_store - burst.started) * 1000,
                        (t_pub - t_store) * 1000, (time.perf_counter() - t_pub) * 1000,
                        (time.thread_time() - burst.cpu_started) * 1000)

    async def _rebuild(self) -> None:
        loaded = await asyncio.get_running_loop().run_in_executor(None, store.load_game, self.manager.db, self.game_id)
        if loaded is None:
            return
        self.game, self.seq, self.resume, self.users = loaded.game, loaded.row.seq, loaded.resume, loaded.users
        self.next_player_id, self.logged_answers = loaded.next_player_id, loaded.logged_answers

    def _log(self, burst: Burst, command: Command, now: int) -> None:
        self.seq += 1
        burst.records.append(store.LogRecord(self.seq, now, command))

    def _events(self, burst: Burst, events: list[Event], sender: Client | None) -> None:
        for event in events:
            burst.ops.append(Send(event, sender))

    # --- the host's live counts ---

    def _counts_op(self) -> Send | None:
        """`counts` for the host when answers or buzzes came in, at most every COUNTS_EVERY_S (else a timer
        sends them a little later)."""
        counts = self.game.counts()
        if counts == self._counts_sent:
            return None
        if not counts["answered"] and not counts["buzzes"]:
            # Joins already reach the host as `joined {count}`, and a new question starts from zero.
            self._counts_sent = counts
            return None
        loop = asyncio.get_running_loop()
        wait = self._counts_at + COUNTS_EVERY_S - loop.time()
        if wait > 0:
            if self._counts_timer is None:
                self._counts_timer = loop.call_later(wait, self._counts_due)
            return None
        self._counts_sent, self._counts_at = counts, loop.time()
        return Send(CountsUpdated(audience="host", counts=counts))

    def _counts_due(self) -> None:
        self._counts_timer = None
        self.wake.set()

    # --- deadlines ---

    def _deadline(self) -> int | None:
        return self.game.wake_ms()  # a question's deadline, or the end of a segment's title card (ENGINE)

    def _tick(self, burst: Burst) -> None:
        deadline = self._deadline()
        if deadline is None:
            return
        now = self.now_ms()
        if now <= deadline:
            return
        events = self.game.handle(Tick(), now)
        if events:
            self._log(burst, Tick(), now)
            self._events(burst, events, None)

    def _schedule_tick(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._deadline()
        if deadline is None:
            return
        delay = max(0.0, (deadline - self.now_ms()) / 1000) + 0.002
        self._timer = asyncio.get_running_loop().call_later(delay, self.wake.set)

    # --- items ---

    def _handle(self, item: Item, burst: Burst) -> None:
        client, data = item.client, item.data
        now = self.now_ms()
        kind = item.kind
        if kind == "ping":
            burst.ops.append(Reply(client, {"type": "pong", "now_ms": now, **({"t": data["t"]} if "t" in data else {})}))
            return
        if kind == "attach":
            burst.ops.append(Attach(client, [self._welcome(client, None, now), self.game.snapshot(client.role, None, now)]))
            return
        if kind == "open":
            self._open(client, data.get("token"), now, burst)
            return
        if kind == "reattach":  # a new owner took over: a fresh state for a connection that stayed
            if client.role == "player":
                if client.player_id is not None:
                    self._attach_player(client, client.player_id, None, now, burst)
            else:
                burst.ops.append(Attach(client, [self._welcome(client, None, now),
                                                 self.game.snapshot(client.role, None, now)]))
            return
        if kind == "read":
            self.manager.answer_read(self, data, now)
            return
        if kind == "resume":
            self._attach_player(client, data["player_id"], data.get("token"), now, burst)
            return
        if kind == "join":
            self._join(client, data, now, burst)
            return
        if client.player_id is None and kind in ("answer", "buzz"):
            burst.ops.append(Send(Error(audience="", code="not_joined", message="请先加入比赛"), client))
            return
        command: Command
        if kind == "answer":
            assert client.player_id is not None
            command = SubmitAnswer(client.player_id, data["id"], data["question"], data["answer"])
        elif kind == "buzz":
            assert client.player_id is not None
            command = Buzz(client.player_id, data["question"])
        elif kind == "host":
            command = HostAction(data["action"], data["params"])
        else:
            raise ValueError(kind)
        events = self.game.handle(command, now)
        refused = len(events) == 1 and isinstance(events[0], Error)
        if isinstance(command, SubmitAnswer):
            key = (command.player_id, command.client_id)
            ack = events[0]
            if getattr(ack, "accepted", False) and key not in self.logged_answers and key not in burst.answers:
                burst.answers.add(key)
                self._log(burst, command, now)
        elif events and not refused:
            self._log(burst, command, now)
        self._events(burst, events, client)

    def _welcome(self, client: Client, player: dict[str, Any] | None, now: int, resume: str | None = None
                 ) -> dict[str, Any]:
        return {"type": "welcome", "role": client.role, "player": player, "resume": resume, "now_ms": now,
                "game": {"id": self.game_id, "pin": self.pin, "title": self.title}}

    def _open(self, client: Client, token: str | None, now: int, burst: Burst) -> None:
        """A player's connection opened with a token: its resume token (the same player at once), or
        a user's token (that user's player again, if they joined already: a new resume token)."""
        if token:
            player_id = self.resume.get(store.digest(token))
            if player_id is not None:
                self._attach_player(client, player_id, token, now, burst)
            else:
                burst.ops.append(Reply(client, error_message("invalid_token", "登录信息已失效，请重新加入")))
            return
        user_id = getattr(client, "user_id", None)
        if user_id is not None and user_id in self.users:
            self._join(client, {}, now, burst)

    def _attach_player(self, client: Client, player_id: int, resume: str | None, now: int, burst: Burst) -> None:
        # The connection becomes this player when the burst is delivered, after it was stored (`Room.deliver`).
        player = self.game.player(player_id)
        if player is None:
            burst.ops.append(Reply(client, error_message("not_joined", "请先加入比赛")))
            return
        burst.ops.append(Attach(client, [self._welcome(client, player, now, resume),
                                         self.game.snapshot("player", player_id, now)],
                                player_id, player.get("team_id")))

    def _join(self, client: Client, data: dict[str, Any], now: int, burst: Burst) -> None:
        user_id: int | None = getattr(client, "user_id", None)
        known = client.player_id if client.player_id is not None else (
            self.users.get(user_id) if user_id is not None else None)
        if known is not None:
            # The same person again (a second tab, a lost resume token): same player, a new resume token.
            token = store.new_token()
            digest = store.digest(token)
            self.resume[digest] = known
            burst.players.append(store.PlayerRecord(known, "", None, user_id, digest, now, update=True))
            self._attach_player(client, known, token, now, burst)
            return
        player_id = self.next_player_id
        name = data.get("name") or getattr(client, "user_name", "") or ""
        command = Join(player_id, name, data.get("team_id"), user_id)
        events = self.game.handle(command, now)
        if any(isinstance(e, Error) for e in events):
            self._events(burst, events, client)
            return
        self.next_player_id += 1
        token = store.new_token()
        digest = store.digest(token)
        self.resume[digest] = player_id
        if user_id is not None:
            self.users[user_id] = player_id
        self._log(burst, command, now)
        player = self.game.player(player_id) or {}
        burst.players.append(store.PlayerRecord(player_id, name, player.get("team_id"), user_id, digest, now))
        self._events(burst, events, client)
        self._attach_player(client, player_id, token, now, burst)


_MANAGERS: weakref.WeakSet[LiveManager] = weakref.WeakSet()  # started, not yet stopped


def game_in_progress() -> bool:
    """Whether this process serves a game that people are connected to and that is not over."""
    return any(venue.connections and venue.status != "finished"
               for manager in tuple(_MANAGERS) for venue in manager.venues.values())


# Every connection, player, answer and acknowledgement lives as long as its game; the app's garbage
# collection policy (quiz.gcpolicy) freezes them once a second, so collections do not look at them.
# Its periodic full collection looks at everything: with 10,000 players a pause of about a second,
# so never while a game is in progress.
gcpolicy.defer_full_collection_while(game_in_progress)

WATCH_EVERY_S = 0.5  # several workers: how often leases are checked and orphaned games taken over


class Venue:
    """A game as this worker serves it: its connections here (the room), and either its runner (this
    worker owns the game) or, with several workers, the reader of the owner's bursts."""

    def __init__(self, manager: LiveManager, row: store.LiveGame) -> None:
        assert row.id is not None
        self.manager = manager
        self.game_id: int = row.id
        self.pin, self.title = row.pin, row.title
        self.host_hash, self.created_by = row.host_token_hash, row.created_by
        self.status = row.status
        self.room = Room()
        self.room.on_resync = self._resync
        self.connections = 0  # sockets open on this game here, attached or not yet
        self.conns: dict[int, Client] = {}  # by connection id: what the owner's bursts name
        self.last_out = "0"  # the last burst delivered here (several workers)
        self._seen = SeenNumbers()
        self._reader: asyncio.Task[None] | None = None

    @property
    def runner(self) -> Runner | None:
        return self.manager.runners.get(self.game_id)

    @property
    def queue(self) -> deque[Item]:
        runner = self.runner
        return runner.queue if runner is not None else deque()

    def submit(self, item: Item) -> bool:
        """Hand an item to the game's owner: this worker's runner, or over Redis to another worker."""
        runner = self.runner
        if runner is not None and not runner.fenced:
            return runner.submit(item)
        cluster = self.manager.cluster
        if cluster is None:
            return False
        cluster.forward(self.game_id, item.kind, item.client, item.data)
        return True

    def connected(self, client: Any) -> None:
        self.connections += 1
        self.conns[client.conn_id] = client

    def disconnected(self, client: Any) -> None:
        self.connections -= 1
        self.conns.pop(client.conn_id, None)
        self.room.remove(client)
        cluster = self.manager.cluster
        if cluster is not None and self.runner is None:
            cluster.forward(self.game_id, "leave", client, {})

    def _resync(self) -> None:
        for client in list(self.conns.values()):
            if not client.closed:
                self.submit(Item("reattach", client))

    # --- following another worker's game ---

    def follow(self) -> None:
        if self._reader is None and self.manager.cluster is not None:
            self._reader = asyncio.get_running_loop().create_task(self._read(), name=f"live-follow-{self.game_id}")

    async def unfollow(self) -> None:
        """Stop reading bursts, after delivering every one already published (a worker taking over)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        await self.catch_up(block_ms=None)

    async def catch_up(self, block_ms: int | None) -> None:
        cluster = self.manager.cluster
        assert cluster is not None
        while True:
            bursts = await cluster.read_bursts(self.game_id, self.last_out, block_ms)
            for entry_id, body in bursts:
                self.last_out = entry_id
                if not self._seen.first_time(str(body.get("w")), body.get("n")):
                    continue  # a burst written twice (its first reply lost while Redis went away)
                self.status = body.get("st") or self.status
                self.room.deliver(decode_ops(body["ops"], cluster.worker, self.conns.get))
            if block_ms is not None or not bursts:
                return

    async def _read(self) -> None:
        while True:
            try:
                await self.catch_up(block_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                quiet_or_logged(exc, "live: game %s: cannot read the owner's bursts", self.game_id)
                await asyncio.sleep(0.5)


class LiveManager:
    """The live games of this process: loads runners on demand, restores unfinished ones at start-up;
    with Redis, one of several workers (see `live.cluster` and `live.lease`)."""

    def __init__(self, db: Any, clock: Any, redis_url: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.cluster = RedisCluster(redis_url) if redis_url and redis_url.startswith(("redis://", "rediss://")) else None
        self.leases: Leases = MemoryLeases()
        if self.cluster is not None:
            is_sqlite = getattr(db, "is_sqlite", True)
            self.leases = RedisLeases(self.cluster.redis, self.cluster.worker) if is_sqlite else PgLeases(db.url)
        self.runners: dict[int, Runner] = {}  # the games this worker owns
        self.venues: dict[int, Venue] = {}  # the games this worker serves connections of
        self.pins: dict[str, int] = {}
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-store")
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._in_readers: dict[int, asyncio.Task[None]] = {}
        self.checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-checkpoint")
        self.sqlite_log: store.SqliteLog | None = None
        self.last_burst = float("-inf")  # loop time of any game's last burst

    @property
    def clustered(self) -> bool:
        return self.cluster is not None

    async def start(self) -> None:
        _MANAGERS.add(self)
        loop = asyncio.get_running_loop()
        if self.cluster is not None:
            await self.cluster.connect()
            await self.leases.start()
            self._tasks.append(loop.create_task(self._watch(), name="live-watch"))
        self.sqlite_log = store.SqliteLog.for_database(self.db)
        if getattr(self.db, "is_sqlite", False):
            self._tasks.append(loop.create_task(self._checkpoints()))
        if self.cluster is not None:
            return  # games are taken where their connections come (spread over the workers), or when orphaned
        ids = await loop.run_in_executor(None, store.unfinished_game_ids, self.db)
        for game_id in ids:
            try:
                await self.by_id(game_id)
            except Exception:
                log.exception("live: cannot restore game %s", game_id)

    async def stop(self) -> None:
        _MANAGERS.discard(self)
        for task in self._tasks + list(self._in_readers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._in_readers.clear()
        for venue in list(self.venues.values()):
            if venue._reader is not None:
                venue._reader.cancel()
        for runner in list(self.runners.values()):
            await runner.stop()
            await self.leases.release(runner.game_id)
        self.runners.clear()
        self.venues.clear()
        self.pins.clear()
        if self.cluster is not None:
            await self.leases.stop()
            await self.cluster.disconnect()
        self.writer.shutdown(wait=True)
        self.checkpointer.shutdown(wait=True)
        if self.sqlite_log is not None:
            self.sqlite_log.close()

    async def store(self, batch: store.Batch) -> None:
        """Store a burst's batch in one transaction: at once on SQLite when the write lock is free,
        else (or on another database) in the writer thread."""
        if self.sqlite_log is not None and self.sqlite_log.write_now(batch):
            return
        await asyncio.get_running_loop().run_in_executor(self.writer, store.write, self.db, batch)

    async def publish(self, runner: Runner, ops: list[Op], in_id: str | None) -> None:
        """A stored burst: to this worker's connections at once, and to the other workers' through Redis."""
        venue = runner.venue
        venue.status = runner.status
        if self.cluster is not None and (ops or in_id):
            if in_id is not None:
                runner.in_id = in_id
            def published(entry_id: str, venue: Venue = venue) -> None:
                venue.last_out = entry_id

            # In order after the game's earlier bursts, and held while Redis is away (`live.cluster.Outbound`).
            self.cluster.publish(runner.game_id, encode_ops(ops, self.cluster.worker), runner.in_id, runner.status,
                                 published)
            # The other workers first: one turn of the loop puts the burst's XADD on Redis's socket, so that they
            # deliver to their phones while this worker delivers to its own (a question to 10,000 sockets takes
            # this one ~0.1 s of writes; after it, every follower's phones waited that long as well).
            await asyncio.sleep(0)
        if ops:
            venue.room.deliver(ops)

    async def _checkpoints(self) -> None:
        """SQLite: checkpoint the log in the background (the game writers never wait for the disk)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            # A checkpoint copies megabytes and waits for the disk (50-200 ms after a 10,000-answer
            # question): while a game is busy it would compete with the fan-out for the cores, so it
            # waits for a lull (there is one after every question's answers).
            due = loop.time() + CHECKPOINT_LATEST_S
            while loop.time() - self.last_burst < CHECKPOINT_QUIET_S and loop.time() < due:
                await asyncio.sleep(CHECKPOINT_QUIET_S / 3)
            try:
                started = time.perf_counter()
                await loop.run_in_executor(self.checkpointer, self.db.checkpoint)
                if TRACE:
                    log.warning("%.3f checkpoint %.1fms", started, (time.perf_counter() - started) * 1000)
            except Exception:
                log.exception("live: checkpoint failed")

    # --- finding a game ---

    async def venue_by_pin(self, pin: str) -> Venue | None:
        """The game with this PIN as this worker serves it (owned or followed), None if there is none."""
        game_id = self.pins.get(pin)
        if game_id is not None and game_id in self.venues:
            return self.venues[game_id]
        if not (len(pin) == store.PIN_DIGITS and pin.isdigit()):
            return None
        row = await asyncio.get_running_loop().run_in_executor(None, lambda: store.find_game(self.db, pin=pin))
        return await self.venue_by_id(row.id) if row is not None and row.id is not None else None

    async def venue_by_id(self, game_id: int) -> Venue | None:
        venue = self.venues.get(game_id)
        if venue is not None:
            return venue
        lock = self._locks.setdefault(game_id, asyncio.Lock())
        async with lock:
            venue = self.venues.get(game_id)
            if venue is not None:
                return venue
            row = await asyncio.get_running_loop().run_in_executor(None, lambda: store.find_game(self.db, game_id=game_id))
            if row is None:
                return None
            venue = Venue(self, row)
            if self.cluster is not None:
                venue.last_out = await self.cluster.last_id(game_id)
            if not await self._take(venue):
                venue.follow()
            self.venues[game_id] = venue
            self.pins[venue.pin] = game_id
            return venue

    async def by_pin(self, pin: str) -> Runner | None:
        """The game with this PIN, if this worker owns it (one process: always)."""
        venue = await self.venue_by_pin(pin)
        return venue.runner if venue is not None else None

    async def by_id(self, game_id: int) -> Runner | None:
        venue = await self.venue_by_id(game_id)
        return venue.runner if venue is not None else None

    # --- owning a game ---

    async def _take(self, venue: Venue) -> bool:
        """Become the game's owner if nobody is: raise its epoch, rebuild it from the log, run it."""
        game_id = venue.game_id
        if not await self.leases.acquire(game_id):
            return False
        loop = asyncio.get_running_loop()
        epoch = None
        in_id: str | None = None
        takeover = False
        try:
            if self.cluster is not None:
                epoch = await loop.run_in_executor(None, store.take_over, self.db, game_id)
                if game_id in self.venues:
                    await venue.unfollow()  # every burst the last owner published, delivered here
                last = await self.cluster.last_burst(game_id)
                if last is not None:
                    takeover = True
                    venue.last_out, in_id = last[0], last[1].get("in")
            loaded = await loop.run_in_executor(None, store.load_game, self.db, game_id)
        except BaseException:
            await self.leases.release(game_id)
            raise
        if loaded is None:
            await self.leases.release(game_id)
            return False
        runner = Runner(self, loaded, venue, epoch)
        runner.in_id = in_id
        venue.status = runner.status
        self.runners[game_id] = runner
        runner.start()
        if self.cluster is not None:
            self._in_readers[game_id] = loop.create_task(self._read_items(runner, in_id or "0"),
                                                         name=f"live-in-{game_id}")
            if takeover:
                log.warning("live: game %s taken over by worker %s (epoch %s)", game_id, self.cluster.worker, epoch)
                await self.publish(runner, [Resync()], None)
        return True

    async def demote(self, game_id: int) -> None:
        """This worker lost the game (its lease, or a newer owner's epoch): stop its runner and follow."""
        runner = self.runners.pop(game_id, None)
        reader = self._in_readers.pop(game_id, None)
        if reader is not None:
            reader.cancel()
        waiting: list[Item] = []
        if runner is not None:
            await runner.stop()
            # What this worker's own clients sent and nobody answered yet goes to the new owner (forwarded
            # items are still in the stream: the new owner reads them after the last burst published).
            waiting = [item for item in runner.queue if item.in_id is None and not getattr(item.client, "remote", False)]
            runner.queue.clear()
        await self.leases.release(game_id)
        if self.cluster is not None:
            await self.cluster.drained(game_id)  # what it stored reaches the others (and is not read back here)
        venue = self.venues.get(game_id)
        if venue is not None:
            venue.follow()
            for item in waiting:
                venue.submit(item)

    async def _read_items(self, runner: Runner, after: str) -> None:
        """The owner: the items other workers forwarded, into the runner's queue in their order."""
        cluster = self.cluster
        assert cluster is not None
        remotes: dict[tuple[str, int], RemoteClient] = {}
        seen = SeenNumbers()
        pending: list[tuple[str, str, dict[str, Any]]] = []
        if "/" in after:  # the last owner stopped in the middle of an entry: the rest of it first
            entry_id, _, done = after.partition("/")
            pending = [i for i in await cluster.read_entry(runner.game_id, entry_id)
                       if int(i[0].rpartition("/")[2]) > int(done)]
            after = entry_id
        while True:
            if pending:
                items, pending = pending, []
            else:
                try:
                    items, after = await cluster.read_items(runner.game_id, after, seen=seen)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    quiet_or_logged(exc, "live: game %s: cannot read forwarded items", runner.game_id)
                    await asyncio.sleep(0.5)
                    continue
            for where, worker, data in items:
                key = (worker, int(data["c"]))
                if worker == cluster.worker and data["k"] != "read":
                    # Sent here while another worker owned the game (this one took it over since).
                    mine = runner.venue.conns.get(key[1])
                    if mine is not None and data["k"] != "leave" and not mine.closed:
                        runner.submit(Item(data["k"], mine, data.get("d") or {}, where))
                    continue
                if data["k"] == "leave":
                    gone = remotes.pop(key, None)
                    if gone is not None:
                        gone.closed = True
                    continue
                client = remotes.get(key)
                if client is None:
                    client = RemoteClient(worker, key[1], data["role"])
                    if data["role"] != "api":
                        remotes[key] = client
                client.player_id, client.team_id = data.get("p"), data.get("t")
                client.user_id, client.user_name = data.get("u"), data.get("n") or ""
                if not runner.submit(Item(data["k"], client, data.get("d") or {}, where)):
                    log.warning("live: game %s: queue full, a forwarded item was dropped", runner.game_id)

    async def _watch(self) -> None:
        """Several workers: give up games whose lease was lost; take games whose owner is gone."""
        while True:
            await asyncio.sleep(WATCH_EVERY_S)
            try:
                await self.leases.alive()
                for game_id in [g for g in self.runners if not self.leases.holds(g)]:
                    log.warning("live: game %s: lease lost", game_id)
                    await self.demote(game_id)
                for venue in list(self.venues.values()):
                    if venue.runner is None and venue.connections and venue.status != "finished":
                        lock = self._locks.setdefault(venue.game_id, asyncio.Lock())
                        async with lock:
                            if venue.runner is None:
                                await self._take(venue)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live: watch failed")

    # --- reads for the API ---

    async def read(self, game_id: int, what: str, role: str = "screen") -> Any:
        """``state`` (the snapshot for ``role``) or ``ledger`` of a game, from its owner; None: no such game."""
        venue = await self.venue_by_id(game_id)
        if venue is None:
            return None
        runner = venue.runner
        if runner is not None:
            result = read_game(runner, what, role, runner.now_ms())
        else:
            assert self.cluster is not None
            result = await self.cluster.ask(game_id, {"what": what, "role": role})
        if venue.status == "finished" and not venue.connections and not venue.queue:
            await self.unload(game_id)
        return result

    def answer_read(self, runner: Runner, data: dict[str, Any], now: int) -> None:
        cluster = self.cluster
        if cluster is None or not isinstance(data.get("reply"), str):
            return
        value = read_game(runner, str(data.get("what")), str(data.get("role") or "screen"), now)
        asyncio.get_running_loop().create_task(cluster.answer(data["reply"], value))

    async def unload(self, game_id: int) -> None:
        """Forget a game (finished, nobody watches): memory goes back, the log stays, the lease is freed."""
        venue = self.venues.pop(game_id, None)
        if venue is not None:
            self.pins.pop(venue.pin, None)
            if venue._reader is not None:
                venue._reader.cancel()
        reader = self._in_readers.pop(game_id, None)
        if reader is not None:
            reader.cancel()
        runner = self.runners.pop(game_id, None)
        if runner is not None:
            await runner.stop()
            await self.leases.release(game_id)


def read_game(runner: Runner, what: str, role: str, now: int) -> Any:
    """What the API reads of a game, as JSON: its ``state`` snapshot for a role, or its ``ledger``."""
    game = runner.game
    if what == "ledger":
        guests = {str(e.player_id): game.players[e.player_id].name for e in game.ledger
                  if e.team_id is None and e.player_id in game.players}  # an open game's players, by name
        return {"entries": [e.to_dict() for e in game.ledger],
                "names": {str(team.id): team.config.name for team in game.teams.values()}, "players": guests}
    return game.snapshot(role if role in ("screen", "host") else "screen", None, now)
