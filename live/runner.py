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
from live.engine import Game
from live.hub import Backend, backend_for, channel
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
from live.room import Attach, Client, Op, Reply, Room, Send
from quiz import gcpolicy

log = logging.getLogger("quiz.live")

MAX_BURST = 4096  # items handled before a burst is stored: bounds the wait of the first ack
MAX_QUEUE = 100_000  # a game refuses more than this many waiting items ("busy")
CHECKPOINT_EVERY_S = 5.0  # SQLite: how often the log is checkpointed in the background ...
CHECKPOINT_QUIET_S = 0.3  # ... in a moment when no game has had a burst for this long ...
CHECKPOINT_LATEST_S = 30.0  # ... or at the latest this long after the last one (a game that never pauses)
COUNTS_EVERY_S = 0.5  # the host's live counts are pushed at most this often per game
GATHER_S = 0.002  # in a steady trickle of items, wait this long for more before a burst (see Runner.run)
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


@dataclass
class Burst:
    ops: list[Op] = field(default_factory=list)
    records: list[store.LogRecord] = field(default_factory=list)
    players: list[store.PlayerRecord] = field(default_factory=list)
    answers: set[tuple[Any, str]] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)  # for QUIZ_LIVE_TRACE
    cpu_started: float = field(default_factory=time.thread_time)

    def clients(self) -> list[Client]:
        """Every connection this burst answers (told when the burst cannot be stored)."""
        found: dict[Client, None] = {}
        for op in self.ops:
            client = op.sender if isinstance(op, Send) else op.client
            if client is not None:
                found[client] = None
        return list(found)


def error_message(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


class Runner:
    """The single writer of one game."""

    def __init__(self, manager: LiveManager, loaded: store.LoadedGame) -> None:
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
        self.room = Room()
        self.connections = 0  # sockets open on this game, attached or not yet
        self.queue: deque[Item] = deque()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._counts_sent: dict[str, int] = self.game.counts()  # snapshots carry them; push changes only
        self._counts_at = float("-inf")
        self._counts_timer: asyncio.TimerHandle | None = None
        self._unsubscribe = manager.hub.subscribe(channel(self.game_id), self.room.deliver)

    # --- outside interface ---

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"live-game-{self.game_id}")
        self._schedule_tick()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._counts_timer is not None:
            self._counts_timer.cancel()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        self._unsubscribe()

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
                await asyncio.sleep(GATHER_S)
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
            burst = Burst()
            # A question replaced in this burst (`next`) is freed after the burst went out: at 10,000
            # players its answers take ~3 ms to deallocate, which would delay the new question.
            replaced = self.game.current  # noqa: F841 (held on purpose)
            self._tick(burst)
            for _ in range(min(len(self.queue), MAX_BURST)):
                item = self.queue.popleft()
                try:
                    self._handle(item, burst)
                except Exception:
                    log.exception("live: game %s: cannot handle %s", self.game_id, item.kind)
                    burst.ops.append(Reply(item.client, error_message("server_error", "服务器出错，请重试")))
            counts = self._counts_op()
            if counts is not None:
                burst.ops.append(counts)
            if burst.ops or burst.records:
                await self._store_and_publish(burst)
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
                                                       finished_ms))
            except Exception:
                log.exception("live: game %s: cannot store a burst; rebuilding from the log", self.game_id)
                await self._rebuild()
                message = error_message("store_failed", "服务器暂时无法保存，请重试")
                await self.manager.hub.publish(channel(self.game_id), [Reply(c, message) for c in burst.clients()])
                return
            self.status = status
        self.logged_answers.update(burst.answers)
        t_pub = time.perf_counter()
        await self.manager.hub.publish(channel(self.game_id), burst.ops)
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

    def _attach_player(self, client: Client, player_id: int, resume: str | None, now: int, burst: Burst) -> None:
        player = self.game.player(player_id)
        if player is None:
            burst.ops.append(Reply(client, error_message("not_joined", "请先加入比赛")))
            return
        client.player_id = player_id
        client.team_id = player.get("team_id")
        burst.ops.append(Attach(client, [self._welcome(client, player, now, resume),
                                         self.game.snapshot("player", player_id, now)]))

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
    return any(runner.connections and runner.status != "finished"
               for manager in tuple(_MANAGERS) for runner in manager.runners.values())


# Every connection, player, answer and acknowledgement lives as long as its game; the app's garbage
# collection policy (quiz.gcpolicy) freezes them once a second, so collections do not look at them.
# Its periodic full collection looks at everything: with 10,000 players a pause of about a second,
# so never while a game is in progress.
gcpolicy.defer_full_collection_while(game_in_progress)


class LiveManager:
    """The live games of this process: loads runners on demand, restores unfinished ones at start-up."""

    def __init__(self, db: Any, clock: Any, redis_url: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.hub: Backend = backend_for(redis_url)
        self.runners: dict[int, Runner] = {}
        self.pins: dict[str, int] = {}
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-store")
        self._locks: dict[str, asyncio.Lock] = {}
        self._checkpointer: asyncio.Task[None] | None = None
        self.checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-checkpoint")
        self.sqlite_log: store.SqliteLog | None = None
        self.last_burst = float("-inf")  # loop time of any game's last burst

    async def start(self) -> None:
        _MANAGERS.add(self)
        await self.hub.connect()
        self.sqlite_log = store.SqliteLog.for_database(self.db)
        if getattr(self.db, "is_sqlite", False):
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoints())
        ids = await asyncio.get_running_loop().run_in_executor(None, store.unfinished_game_ids, self.db)
        for game_id in ids:
            try:
                await self.by_id(game_id)
            except Exception:
                log.exception("live: cannot restore game %s", game_id)

    async def stop(self) -> None:
        _MANAGERS.discard(self)
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
        for runner in list(self.runners.values()):
            await runner.stop()
        self.runners.clear()
        self.pins.clear()
        await self.hub.disconnect()
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

    async def by_pin(self, pin: str) -> Runner | None:
        """The running game with this PIN, rebuilt from the database if needed."""
        game_id = self.pins.get(pin)
        if game_id is not None and game_id in self.runners:
            return self.runners[game_id]
        if not (len(pin) == store.PIN_DIGITS and pin.isdigit()):
            return None
        row = await asyncio.get_running_loop().run_in_executor(None, lambda: store.find_game(self.db, pin=pin))
        return await self.by_id(row.id) if row is not None and row.id is not None else None

    async def by_id(self, game_id: int) -> Runner | None:
        runner = self.runners.get(game_id)
        if runner is not None:
            return runner
        lock = self._locks.setdefault(str(game_id), asyncio.Lock())
        async with lock:
            runner = self.runners.get(game_id)
            if runner is not None:
                return runner
            loaded = await asyncio.get_running_loop().run_in_executor(None, store.load_game, self.db, game_id)
            if loaded is None:
                return None
            runner = Runner(self, loaded)
            self.runners[game_id] = runner
            self.pins[runner.pin] = game_id
            runner.start()
            return runner

    async def unload(self, game_id: int) -> None:
        """Forget a game's runner (a finished game nobody watches): memory goes back, the log stays."""
        runner = self.runners.pop(game_id, None)
        if runner is not None:
            self.pins.pop(runner.pin, None)
            await runner.stop()
