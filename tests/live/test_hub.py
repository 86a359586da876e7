"""The fan-out seam: the in-memory backend and how a URL picks a backend."""

from __future__ import annotations

from typing import Any

import pytest

from live.hub import MemoryBackend, backend_for, channel


async def test_memory_backend_delivers_to_the_channels_listeners_in_order() -> None:
    hub = MemoryBackend()
    await hub.connect()
    got: list[tuple[str, Any]] = []
    stop_a = hub.subscribe(channel(1), lambda m: got.append(("a", m)))
    hub.subscribe(channel(1), lambda m: got.append(("b", m)))
    hub.subscribe(channel(2), lambda m: got.append(("other game", m)))
    await hub.publish(channel(1), [1, 2])
    assert got == [("a", [1, 2]), ("b", [1, 2])]
    stop_a()
    await hub.publish(channel(1), "x")
    assert got[-1] == ("b", "x") and len(got) == 3
    await hub.disconnect()
    await hub.publish(channel(2), "after")
    assert len(got) == 3


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    hub = MemoryBackend()
    got: list[Any] = []

    def broken(message: Any) -> None:
        raise RuntimeError("boom")

    hub.subscribe("c", broken)
    hub.subscribe("c", got.append)
    await hub.publish("c", 7)
    assert got == [7]


def test_backend_is_chosen_by_url() -> None:
    assert isinstance(backend_for(None), MemoryBackend)
    assert isinstance(backend_for("memory://"), MemoryBackend)
    assert isinstance(backend_for("redis://127.0.0.1:6379/0"), MemoryBackend)  # until the Redis backend lands
    with pytest.raises(ValueError):
        backend_for("kafka://somewhere")
