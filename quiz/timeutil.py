"""Time: the server's clock (replaceable in tests) and conversions for JSON and exports.

Internally every instant is an integer of epoch milliseconds: exact, the same on SQLite
and PostgreSQL, and what the live protocol sends as ``deadline_ms``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


class Clock:
    """The server's clock. Tests pass a ``FakeClock`` to ``create_app``."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FakeClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self.value = start_ms

    def now_ms(self) -> int:
        return self.value

    def advance(self, ms: int) -> None:
        self.value += ms


def to_iso(ms: int | None, tz: str = "Asia/Shanghai") -> str | None:
    """Epoch milliseconds to ISO 8601 with the time zone's offset."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).isoformat(timespec="seconds")


def parse_iso(value: str, tz: str = "Asia/Shanghai") -> int:
    """ISO 8601 (a naive one is read in ``tz``) to epoch milliseconds. Raises ValueError."""
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return int(parsed.astimezone(UTC).timestamp() * 1000)


def to_local_text(ms: int | None, tz: str = "Asia/Shanghai") -> str:
    """For spreadsheets: ``2026-11-25 18:30:05`` in the configured zone."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
