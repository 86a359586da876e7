"""Who owns a game: one worker at a time runs its engine, and a worker that lost it cannot write.

On PostgreSQL the lease is a session advisory lock, ``pg_try_advisory_lock(LOCK_CLASS, game_id)``,
held on a connection of its own: it needs no renewal, and when the owner dies (SIGKILL included) the
kernel closes its socket, the server ends the session and the lock is free at once, so another worker
takes the game within one retry. Without PostgreSQL (several workers on SQLite) a Redis key with an
expiry does it (`RedisLeases`, renewed every second). With one process there is nothing to decide
(`MemoryLeases`).

A lease is not enough on its own: a worker that lost it without noticing (paused, cut off) could
still write. Every taking-over therefore raises the game's ``owner_epoch`` in the database, and the
owner's every burst is stored only ``WHERE owner_epoch = <its epoch>`` (`live.store.prepare`): a
stale owner's burst fails whole, it stops serving the game, and its clients hear the new owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

log = logging.getLogger("quiz.live")

LOCK_CLASS = 72_001  # the first key of our advisory locks (the second is the game's id)
REDIS_LEASE_MS = 3000
REDIS_RENEW_S = 1.0


class Leases(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def acquire(self, game_id: int) -> bool:
        """Take the game if nobody holds it (True also when this worker holds it already)."""
        ...

    async def release(self, game_id: int) -> None: ...

    async def alive(self) -> bool:
        """Check that this worker's leases still hold (its lock session, its renewals); False if some were lost."""
        ...

    def holds(self, game_id: int) -> bool:
        """Whether this worker holds the game's lease, as of the last check."""
        ...


class MemoryLeases:
    """One process: it owns every game."""

    clustered = False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def acquire(self, game_id: int) -> bool:
        return True

    async def release(self, game_id: int) -> None:
        pass

    async def alive(self) -> bool:
        return True

    def holds(self, game_id: int) -> bool:
        return True


class PgLeases:
    """Advisory locks on a PostgreSQL connection of their own (see the module's docstring)."""

    clustered = True

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn: Any = None
        self.held: set[int] = set()
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-lease")

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)

    def _connect(self) -> None:
        import psycopg

        self.conn = psycopg.connect(self.dsn, autocommit=True)

    async def start(self) -> None:
        await self._run(self._connect)

    async def stop(self) -> None:
        def close() -> None:
            if self.conn is not None:
                with contextlib.suppress(Exception):
                    self.conn.close()

        await self._run(close)
        self.thread.shutdown(wait=False)

    def _try(self, game_id: int) -> bool:
        if game_id in self.held:
            return True
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, game_id)).fetchone()
        if row and row[0]:
            self.held.add(game_id)
            return True
        return False

    async def acquire(self, game_id: int) -> bool:
        return bool(await self._run(self._try, game_id))

    def _unlock(self, game_id: int) -> None:
        if game_id in self.held:
            self.held.discard(game_id)
            with contextlib.suppress(Exception):
                self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, game_id))

    async def release(self, game_id: int) -> None:
        await self._run(self._unlock, game_id)

    def _ping(self) -> bool:
        try:
            self.conn.execute("SELECT 1").fetchone()
            return True
        except Exception:
            self.held.clear()  # the session is gone, and its locks with it
            with contextlib.suppress(Exception):
                self._connect()
            return False

    async def alive(self) -> bool:
        return bool(await self._run(self._ping))

    def holds(self, game_id: int) -> bool:
        return game_id in self.held


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLeases:
    """A key per game with an expiry, renewed every second while this worker lives (no PostgreSQL)."""

    clustered = True

    def __init__(self, redis: Any, worker: str) -> None:
        self.redis, self.worker = redis, worker
        self.held: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._lost = False

    async def start(self) -> None:
        self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._renewer
        for game_id in list(self.held):
            await self.release(game_id)

    async def acquire(self, game_id: int) -> bool:
        if game_id in self.held:
            return True
        if await self.redis.set(f"live:lease:{game_id}", self.worker, nx=True, px=REDIS_LEASE_MS):
            self.held.add(game_id)
            return True
        return False

    async def release(self, game_id: int) -> None:
        self.held.discard(game_id)
        with contextlib.suppress(Exception):
            await self.redis.eval(_RELEASE, 1, f"live:lease:{game_id}", self.worker)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(REDIS_RENEW_S)
            for game_id in list(self.held):
                try:
                    kept = await self.redis.eval(_RENEW, 1, f"live:lease:{game_id}", self.worker, REDIS_LEASE_MS)
                except Exception:
                    kept = 0
                if not kept:
                    self.held.discard(game_id)
                    self._lost = True

    async def alive(self) -> bool:
        lost, self._lost = self._lost, False
        return not lost

    def holds(self, game_id: int) -> bool:
        return game_id in self.held
