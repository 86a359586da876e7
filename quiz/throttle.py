"""Counting failures and requests per key, shared by every worker when Redis is there.

Two small tools on one backend:
- a **failure counter with a growing delay** (``Throttle.failed`` / ``retry_after_s``): a key's first
  ``allowance`` failures are free, then each failure makes the next attempt wait ``delay_ms``, doubling
  with every further failure up to ``max_delay_ms``; a key is forgotten ``memory_ms`` after its last
  failure (or on success). Logins and PIN guesses use it.
- a **rate counter** (``Throttle.count``): hits of a key in the current fixed window (guests per address).

``MemoryBackend`` is for one process; ``RedisBackend`` makes the counts the same on every worker, so five
failures spread over two workers count as five. Keys are namespaced by the caller (``"login:pair:…"``).
Both are safe to call from threads; the Redis one does a single round trip (a Lua script) per call.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("quiz.throttle")


@dataclass(frozen=True)
class Policy:
    allowance: int  # failures before any delay
    delay_ms: int  # the first delay; doubled by each further failure
    max_delay_ms: int
    memory_ms: int  # how long after its last failure a key is remembered

    def delay_after(self, failures: int) -> int:
        """The wait after the ``failures``-th failure (0 while within the allowance)."""
        if failures < self.allowance:
            return 0
        return min(self.max_delay_ms, self.delay_ms * 2 ** min(failures - self.allowance, 30))


class Backend(Protocol):
    def fail(self, key: str, policy: Policy, now_ms: int) -> int:
        """Count one failure of ``key``; returns the time (ms) until which it is blocked (0: not)."""

    def blocked_until(self, keys: list[str], now_ms: int) -> int:
        """The latest time any of ``keys`` is blocked until (0: none)."""

    def clear(self, keys: list[str]) -> None: ...

    def hit(self, key: str, window_ms: int, now_ms: int) -> int:
        """Count one hit in the current window of ``key``; returns the window's count, this one included."""

    def mark(self, key: str, ttl_ms: int, now_ms: int) -> None: ...

    def marked(self, key: str, now_ms: int) -> bool: ...


class MemoryBackend:
    """One process's counts. Entries past their memory are pruned once the table grows large."""

    MAX_ENTRIES = 100_000

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, int, int]] = {}  # key -> (count, blocked until, forget at)
        self._hits: dict[str, tuple[int, int]] = {}  # key -> (window start, count)
        self._marks: dict[str, int] = {}  # key -> until
        self._lock = threading.Lock()

    def _prune(self, now_ms: int) -> None:
        if len(self._failures) > self.MAX_ENTRIES:
            self._failures = {k: v for k, v in self._failures.items() if v[2] > now_ms}
        if len(self._hits) > self.MAX_ENTRIES:
            self._hits.clear()
        if len(self._marks) > self.MAX_ENTRIES:
            self._marks = {k: v for k, v in self._marks.items() if v > now_ms}

    def fail(self, key: str, policy: Policy, now_ms: int) -> int:
        with self._lock:
            self._prune(now_ms)
            count, _, forget_at = self._failures.get(key, (0, 0, 0))
            count = count + 1 if forget_at > now_ms else 1
            delay = policy.delay_after(count)
            until = now_ms + delay if delay else 0
            self._failures[key] = (count, until, now_ms + max(policy.memory_ms, delay))
            return until

    def blocked_until(self, keys: list[str], now_ms: int) -> int:
        with self._lock:
            return max((self._failures[k][1] for k in keys if k in self._failures), default=0)

    def clear(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def hit(self, key: str, window_ms: int, now_ms: int) -> int:
        start = now_ms - now_ms % window_ms
        with self._lock:
            self._prune(now_ms)
            window, count = self._hits.get(key, (start, 0))
            count = count + 1 if window == start else 1
            self._hits[key] = (start, count)
            return count

    def mark(self, key: str, ttl_ms: int, now_ms: int) -> None:
        with self._lock:
            self._prune(now_ms)
            self._marks[key] = now_ms + ttl_ms

    def marked(self, key: str, now_ms: int) -> bool:
        with self._lock:
            return self._marks.get(key, 0) > now_ms


# KEYS[1]: the failure hash; ARGV: now, allowance, delay, max delay, memory (all ms).
# The count restarts when the previous failure was forgotten (the hash expired).
_FAIL = """
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local now, allowance, delay, maxd, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5])
local wait = 0
if n >= allowance then
  wait = delay * math.pow(2, math.min(n - allowance, 30))
  if wait > maxd then wait = maxd end
end
local untilms = 0
if wait > 0 then untilms = now + wait end
redis.call('HSET', KEYS[1], 'until', untilms)
redis.call('PEXPIRE', KEYS[1], math.max(memory, wait))
return untilms
"""

# KEYS[1]: the window's counter; ARGV[1]: the window (ms).
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisBackend:
    """Counts kept in Redis under ``prefix``, so every worker sees the same. Times come from the caller's
    clock (the server's), expiries from Redis's.

    If Redis cannot be reached, nothing is blocked: a Redis outage must not lock everybody out of logging in
    or a hall out of a game. Calls are synchronous and some are made on the event loop (a guest's join, a PIN
    lookup): a round trip to a reachable Redis is a fraction of a millisecond, but one that does not answer
    would hold the loop for the whole timeout on every call. So a failed call opens a breaker: for
    ``PAUSE_S`` every call answers at once as if nothing were counted, then one call tries again. An outage
    costs the loop one short timeout every few seconds and logs one line, not one traceback per login."""

    TIMEOUT_S = 0.25  # a Redis on the same machine or network answers in well under a millisecond
    PAUSE_S = 5.0

    def __init__(self, url: str, prefix: str, clock: Any = time.monotonic) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=self.TIMEOUT_S,
                                                socket_connect_timeout=self.TIMEOUT_S)
        self._prefix = prefix
        self._fail = self._redis.register_script(_FAIL)
        self._hit = self._redis.register_script(_HIT)
        self._clock = clock
        self._paused_until = 0.0

    def _key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def _call(self, what: str, run: Any, fallback: Any) -> Any:
        """``run()``'s value, or ``fallback`` while Redis is away (the breaker open, or this call failing)."""
        if self._clock() < self._paused_until:
            return fallback
        try:
            return run()
        except Exception as error:
            if self._clock() >= self._paused_until:
                log.warning("throttle: Redis unavailable (%s: %s); not counting for %.0f s",
                            what, type(error).__name__, self.PAUSE_S)
            self._paused_until = self._clock() + self.PAUSE_S
            return fallback

    def fail(self, key: str, policy: Policy, now_ms: int) -> int:
        args = [now_ms, policy.allowance, policy.delay_ms, policy.max_delay_ms, policy.memory_ms]
        return int(self._call("fail", lambda: self._fail(keys=[self._key("f:" + key)], args=args), 0))

    def blocked_until(self, keys: list[str], now_ms: int) -> int:
        if not keys:
            return 0

        def run() -> int:
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.hget(self._key("f:" + key), "until")
            return max((int(v) for v in pipe.execute() if v), default=0)

        return int(self._call("blocked_until", run, 0))

    def clear(self, keys: list[str]) -> None:
        self._call("clear", lambda: self._redis.delete(*[self._key("f:" + k) for k in keys]), None)

    def hit(self, key: str, window_ms: int, now_ms: int) -> int:
        start = now_ms - now_ms % window_ms
        return int(self._call("hit", lambda: self._hit(keys=[self._key(f"h:{key}:{start}")], args=[window_ms]), 0))

    def mark(self, key: str, ttl_ms: int, now_ms: int) -> None:
        self._call("mark", lambda: self._redis.set(self._key("m:" + key), 1, px=ttl_ms), None)

    def marked(self, key: str, now_ms: int) -> bool:
        return bool(self._call("marked", lambda: self._redis.exists(self._key("m:" + key)), False))

    def close(self) -> None:
        self._redis.close()


class Throttle:
    """The policy-level view over a backend, in seconds for people and ``Retry-After``."""

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend: Backend = backend or MemoryBackend()

    def retry_after_s(self, keys: list[str], now_ms: int) -> int:
        """Whole seconds until every key in ``keys`` is free (0: go ahead)."""
        wait = self.backend.blocked_until(keys, now_ms) - now_ms
        return max(1, (wait + 999) // 1000) if wait > 0 else 0

    def failed(self, keyed: list[tuple[str, Policy]], now_ms: int) -> None:
        for key, policy in keyed:
            self.backend.fail(key, policy, now_ms)

    def succeeded(self, keys: list[str]) -> None:
        self.backend.clear(keys)

    def count(self, key: str, window_ms: int, now_ms: int) -> int:
        return self.backend.hit(key, window_ms, now_ms)


def backend_for(redis_url: str | None, namespace: str) -> Backend:
    """Redis when configured (shared by every worker), else this process's memory."""
    return RedisBackend(redis_url, f"quiz:{namespace}:throttle:") if redis_url else MemoryBackend()
