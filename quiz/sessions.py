"""Who a login token belongs to: cached in each process, and forgotten in every process at once.

A candidate in a test saves an answer every 20-60 s, so each request looking its token up in the
database cost a third of the server's CPU in a test window: each process keeps what it read of a token
for ``TRUST_S``. A logout, a password or role change and a deactivation must nevertheless end those
sessions on every worker within a second (CONTRACT §2). With ``QUIZ_REDIS_URL`` set, every such change
is appended to a Redis *stream* that every process reads (``XREAD BLOCK``).

Why a stream, and not plain pub/sub or a generation counter read on every hit:
- pub/sub drops what is published while a subscriber reconnects, and nobody notices: a stale login would
  then live on for the whole ``TRUST_S``;
- a per-user generation counter read from Redis on every cache hit is exact, but it is a network round
  trip on the event loop for each of the thousands of saves a second the cache exists to make cheap;
- a stream keeps its entries: a reader that was away reads on from the last id it saw, so nothing is
  missed. And the reader is trusted only while it hears from Redis: ``XREAD`` returns at least every
  ``POLL_S`` even when nothing happened, and a cache hit counts only if the last return is younger than
  ``FRESH_S``. A process cut off from Redis therefore stops answering from its cache within a second
  and asks the database, which is always right (the tokens of a changed user are deleted there).
  After any interruption the cache is cleared, since the stream may have been trimmed meanwhile.

Without Redis there is one process, and forgetting is local, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

log = logging.getLogger("quiz.sessions")

TRUST_S = 120.0  # how long a process answers for a token from what it read (when nothing says otherwise)
MAX_ENTRIES = 200_000
POLL_S = 0.4  # the longest an XREAD waits for news before it returns empty
FRESH_S = 1.0  # a cache hit counts only if Redis was heard from this recently
STREAM_MAXLEN = 10_000


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCache:
    """digest → (read at, user or None, token's expiry), with an index by user for forgetting one user.

    ``epoch`` counts invalidations: a reader that started before one must not store what it read
    (it may have read the row just before the change was committed)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Any, int]] = {}
        self._by_user: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self.epoch = 0

    def get(self, digest: str) -> tuple[float, Any, int] | None:
        return self._entries.get(digest)

    def put(self, digest: str, user: Any, expires_ms: int, epoch: int) -> None:
        with self._lock:
            if epoch != self.epoch:
                return
            if len(self._entries) > MAX_ENTRIES:
                self._entries.clear()
                self._by_user.clear()
            self._entries[digest] = (time.monotonic(), user, expires_ms)
            if user is not None and user.id is not None:
                self._by_user.setdefault(user.id, set()).add(digest)

    def forget(self, kind: str, value: str) -> None:
        """``("token", digest)``, ``("user", id)`` or ``("all", "")``."""
        with self._lock:
            self.epoch += 1
            if kind == "token":
                self._entries.pop(value, None)
            elif kind == "user":
                for digest in self._by_user.pop(int(value), set()):
                    self._entries.pop(digest, None)
            else:
                self._entries.clear()
                self._by_user.clear()


class SessionBus:
    """One app's token cache and, with Redis, the stream that carries every forgetting to every process."""

    def __init__(self, redis_url: str | None, namespace: str) -> None:
        self.cache = TokenCache()
        self.redis_url = redis_url
        self.stream = f"quiz:{namespace}:sessions"
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._heard = 0.0  # monotonic time the reader last heard from Redis

    def fresh(self) -> bool:
        """May the cache answer now? Always without Redis; with it, only while the reader hears from Redis."""
        return self.redis_url is None or time.monotonic() - self._heard < FRESH_S

    def _client(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    def forget(self, kind: str, value: str | int = "") -> None:
        """Forget here at once, and tell every other process (they forget within milliseconds)."""
        self.cache.forget(kind, str(value))
        if self.redis_url is None:
            return
        try:
            self._client().xadd(self.stream, {"kind": kind, "value": str(value)}, maxlen=STREAM_MAXLEN,
                                approximate=True)
        except Exception:  # the others stop trusting their caches within FRESH_S when Redis is away
            log.exception("could not publish a session invalidation")

    # --- the reader (one task per app, started at start-up) ---------------------------------------

    def start(self) -> None:
        if self.redis_url is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._read(), name="session-invalidations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._redis is not None:
            with contextlib.suppress(Exception):
                self._redis.close()
            self._redis = None

    async def _read(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.redis_url, socket_timeout=POLL_S + 2, socket_connect_timeout=2)
            try:
                newest = await client.xrevrange(self.stream, count=1)
                last = newest[0][0] if newest else b"0-0"
                # Whatever was cached before this (re)connection may have been invalidated meanwhile.
                self.cache.forget("all", "")
                self._heard = time.monotonic()
                while True:
                    batches = await client.xread({self.stream: last}, count=1000, block=int(POLL_S * 1000))
                    for _, entries in batches:
                        for entry_id, fields in entries:
                            last = entry_id
                            self.cache.forget(fields[b"kind"].decode(), fields[b"value"].decode())
                    self._heard = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("session invalidations from Redis interrupted (%s); retrying", exc.__class__.__name__)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()


_BUSES: dict[int, SessionBus] = {}
_BUSES_LOCK = threading.Lock()


def bus_for_engine(engine: Any, redis_url: str | None = None, namespace: str = "") -> SessionBus:
    """The bus of this database engine (one per app); made local when nobody registered one."""
    bus = _BUSES.get(id(engine))
    if bus is None:
        with _BUSES_LOCK:
            bus = _BUSES.setdefault(id(engine), SessionBus(redis_url, namespace or "local"))
    return bus


def namespace(db: Any) -> str:
    """A name for this deployment's keys in Redis, from its database: two deployments (or test runs)
    sharing one Redis never meet, and every worker of one deployment shares them."""
    return hashlib.sha256(db.url.encode()).hexdigest()[:12]


def register(db: Any, redis_url: str | None) -> SessionBus:
    """Give ``db`` a bus of its own (at start-up, and in the command line before it changes users)."""
    bus = SessionBus(redis_url, namespace(db))
    with _BUSES_LOCK:
        _BUSES[id(db.engine)] = bus
    return bus


def unregister(db: Any) -> None:
    with _BUSES_LOCK:
        _BUSES.pop(id(db.engine), None)


def after_commit(session: Session, action: Callable[[SessionBus], None]) -> None:
    """Run ``action(bus)`` once this session's transaction is committed.

    Forgetting before the commit would let another request re-read and re-cache the old row."""
    bus = bus_for_engine(session.get_bind())
    pending: list[Callable[[SessionBus], None]] | None = session.info.get("quiz_after_commit")
    if pending is None:
        pending = session.info["quiz_after_commit"] = []

        def run(_session: Session) -> None:
            actions = session.info.pop("quiz_after_commit", [])
            for act in actions:
                act(bus)

        event.listen(session, "after_commit", run, once=True)
    pending.append(action)
