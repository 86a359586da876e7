"""Prize bands: the one rule deciding which position wins which prize (CONTRACT §6).

Prizes are bands of positions in the order of the prizes list (2 一等奖 → positions 1–2, then
3 二等奖 → 3–5, …). Pure functions, shared by the live engine's final board and the competition
ranking (`quiz.competitions.ranking` imports them from here: live/ never imports quiz/).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def prize_bands(prizes: Sequence[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """``[{"name", "count"}]`` → ``[(first_position, last_position, name)]``."""
    bands, start = [], 1
    for prize in prizes:
        count = int(prize.get("count") or 0)
        if count > 0:
            bands.append((start, start + count - 1, str(prize.get("name") or "")))
            start += count
    return bands


def prize_name(bands: list[tuple[int, int, str]], position: int) -> str | None:
    """The prize of a ``position`` (1-based) in ``prize_bands``' bands, or None."""
    return next((name for first, last, name in bands if first <= position <= last), None)
