"""Fan-out between a game's writer and the connections that watch it.

A tiny backend interface in the manner of encode/broadcaster: a game's runner publishes each
stored burst on the channel ``live:<game id>``, and the room holding that game's connections in
this process listens to it. The in-memory backend hands the burst to the listeners directly
(no copy, no encoding: one process, the default). A Redis backend (several worker processes
serving one game) will encode bursts as JSON and plugs in here without touching the runner or
the socket layer; until it exists, a ``redis://`` URL falls back to memory with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("quiz.live")

Listener = Callable[[Any], None]


class Backend(Protocol):
    """What a fan-out backend does."""

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: Any) -> None: ...

    def subscribe(self, channel: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(message)`` for every message on ``channel``; returns the unsubscribe function."""
        ...


class MemoryBackend:
    """One process: a publish calls the channel's listeners at once, in subscription order."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._listeners.clear()

    async def publish(self, channel: str, message: Any) -> None:
        for listener in tuple(self._listeners.get(channel, ())):
            try:
                listener(message)
            except Exception:  # one broken listener must not stop the others
                log.exception("live: listener failed on %s", channel)

    def subscribe(self, channel: str, listener: Listener) -> Callable[[], None]:
        self._listeners.setdefault(channel, []).append(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(channel, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._listeners.pop(channel, None)

        return unsubscribe


def backend_for(url: str | None) -> Backend:
    """The backend named by a URL: none or ``memory://`` is in-memory."""
    if not url or url.startswith("memory://"):
        return MemoryBackend()
    if url.startswith(("redis://", "rediss://")):
        log.warning("live: the Redis fan-out backend is not available yet; serving live games from this process only")
        return MemoryBackend()
    raise ValueError(f"unknown fan-out backend URL: {url}")


def channel(game_id: int) -> str:
    return f"live:{game_id}"
