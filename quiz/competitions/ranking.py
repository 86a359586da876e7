"""Ranking rules (CONTRACT §6), as pure functions, and the interface to the live layer's scores.

The rules, in order:
1. A higher score ranks first; on equal scores, less total answer time ranks first.
2. Teams still equal (score and time) form a *tie group*. The newest recorded tie-break whose
   teams include the whole group orders it; otherwise they share a rank ("1, 2, 2, 4") and are
   marked ``tied``.
3. Advancement: ``{"top": N}`` takes positions 1..N; a tie group running across position N
   decides who advances and blocks advancing until a tie-break settles it. ``{"min_score": S}``
   takes every team scoring at least S (equal scores cannot straddle a score line).
4. Prizes are bands of positions in the order of the prizes list (2 一等奖 → positions 1–2, then
   3 二等奖 → 3–5, …). A tie group running across a band boundary gets no prize until settled.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ADVANCE = "advance"
PRIZE = "prize"


@dataclass(frozen=True)
class Entry:
    """A team's result in a round: its score and total answer time."""

    team_id: int
    score: float
    time_ms: int
    absent: bool = False  # no result at all: ranks after every team that took part with the same score


@dataclass
class Placed:
    """A team's place in the ranking."""

    team_id: int
    score: float
    time_ms: int
    position: int  # 1-based place in the order (distinct for every team)
    rank: int  # shared by the teams of an unsettled tie
    tied: bool = False
    tiebreak: bool = False  # ordered by a recorded tie-break
    advanced: bool | None = None  # None: undecided (an unsettled tie at the cut)
    prize: str | None = None


@dataclass
class Tie:
    """A tie that decides advancement or a prize and has not been settled."""

    team_ids: list[int]
    rank: int
    last_position: int
    score: float
    time_ms: int
    decides: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"team_ids": self.team_ids, "rank": self.rank, "positions": [self.rank, self.last_position],
                "score": number(self.score), "time_ms": self.time_ms, "decides": self.decides,
                "message": "；".join(self.reasons)}


@dataclass
class Ranking:
    teams: list[Placed]
    ties: list[Tie]


def number(value: float) -> float | int:
    """A score for JSON and spreadsheets: 2 decimals, and an int when it is whole."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def score_key(value: float) -> float:
    # Sums and averages of float points must compare equal when they are equal to the hundredth.
    return round(float(value), 4)


def _apply_tiebreaks(group: list[Entry], tiebreaks: Sequence[Sequence[Sequence[int]]]) -> list[list[Entry]] | None:
    """Order a tie group by the newest tie-break covering all of it; None when none does."""
    members = {e.team_id for e in group}
    for places in reversed(tiebreaks):
        where = {team_id: i for i, place in enumerate(places) for team_id in place}
        if members <= where.keys():
            ordered: dict[int, list[Entry]] = {}
            for entry in sorted(group, key=lambda e: (where[e.team_id], e.team_id)):
                ordered.setdefault(where[entry.team_id], []).append(entry)
            return list(ordered.values())
    return None


def order_groups(entries: Iterable[Entry], tiebreaks: Sequence[Sequence[Sequence[int]]] = ()
                 ) -> list[tuple[list[Entry], bool]]:
    """Entries in ranking order as groups sharing a place, each with "settled by a tie-break"."""
    ordered = sorted(entries, key=lambda e: (-score_key(e.score), e.absent, e.time_ms, e.team_id))
    raw: list[list[Entry]] = []
    for entry in ordered:
        last = raw[-1][0] if raw else None
        if (last is not None and score_key(last.score) == score_key(entry.score) and last.time_ms == entry.time_ms
                and last.absent == entry.absent):
            raw[-1].append(entry)
        else:
            raw.append([entry])
    groups: list[tuple[list[Entry], bool]] = []
    for group in raw:
        split = _apply_tiebreaks(group, tiebreaks) if len(group) > 1 else None
        if split is None:
            groups.append((group, False))
        else:
            groups.extend((part, True) for part in split)
    return groups


def raw_tie_groups(entries: Iterable[Entry]) -> list[list[int]]:
    """Groups of teams equal in score and time (before any tie-break), each of two or more."""
    return [[e.team_id for e in group] for group, _ in order_groups(entries) if len(group) > 1]


# The prize-band rule is the live engine's too: one definition, in live/ (live/ never imports quiz/).
from live.prizes import prize_bands, prize_name  # noqa: E402


def rank_teams(entries: Iterable[Entry], *, advance: dict[str, Any] | None = None,
               prizes: Sequence[dict[str, Any]] = (), tiebreaks: Sequence[Sequence[Sequence[int]]] = ()) -> Ranking:
    """Rank teams, decide who advances and who wins which prize, and report the ties that block either."""
    bands = prize_bands(prizes)
    top = int(advance["top"]) if advance and advance.get("top") is not None else None
    min_score = float(advance["min_score"]) if advance and advance.get("min_score") is not None else None
    placed: list[Placed] = []
    ties: list[Tie] = []
    position = 1
    for group, settled in order_groups(entries, tiebreaks):
        first, last = position, position + len(group) - 1
        tie = Tie([e.team_id for e in group], first, last, group[0].score, group[0].time_ms)
        if top is not None:
            advanced: bool | None = last <= top if (last <= top or first > top) else None
            if advanced is None:
                tie.decides.append(ADVANCE)
                tie.reasons.append(f"第 {first}–{last} 名并列，跨越晋级线（前 {top} 名晋级）")
        elif min_score is not None:
            advanced = score_key(group[0].score) >= score_key(min_score)
        else:
            advanced = False
        prize_first, prize_last = prize_name(bands, first), prize_name(bands, last)
        prize = prize_first if prize_first == prize_last else None
        if prize_first != prize_last:
            tie.decides.append(PRIZE)
            tie.reasons.append(f"第 {first}–{last} 名并列，跨越{prize_first or '无奖'}与{prize_last or '无奖'}的分界")
        for entry in group:
            placed.append(Placed(entry.team_id, entry.score, entry.time_ms, position, first, tied=len(group) > 1,
                                 tiebreak=settled, advanced=advanced, prize=prize))
            position += 1
        if tie.decides:
            ties.append(tie)
    return Ranking(placed, ties)


def rank_players(rows: Iterable[tuple[int, float, int]]) -> list[tuple[int, int, bool]]:
    """``(user_id, score, time_ms)`` → ``(user_id, rank, tied)`` by the same score-then-time rule."""
    ordered = sorted(rows, key=lambda r: (-score_key(r[1]), r[2], r[0]))
    result: list[tuple[int, int, bool]] = []
    for i, (user_id, score, time_ms) in enumerate(ordered):
        same_before = i > 0 and (score_key(ordered[i - 1][1]), ordered[i - 1][2]) == (score_key(score), time_ms)
        same_after = i + 1 < len(ordered) and (score_key(ordered[i + 1][1]), ordered[i + 1][2]) == (
            score_key(score), time_ms)
        rank = result[-1][1] if same_before else i + 1
        result.append((user_id, rank, same_before or same_after))
    return result


def team_score(member_scores: Sequence[float], member_count: int, how: str) -> float:
    """``sum`` of the members' scores, or their ``average`` over every member of the team
    (a member who did not take part counts 0 and still counts in the denominator)."""
    total = float(sum(member_scores))
    if how == "average":
        return total / member_count if member_count else 0.0
    return total


# --- the live layer ---------------------------------------------------------------------------

def _live_function(name: str) -> Any:
    try:
        module = importlib.import_module("live.store")
    except ModuleNotFoundError as exc:
        if exc.name and "live.store".startswith(exc.name):
            return None
        raise
    return getattr(module, name, None)


def _pair(value: Any) -> tuple[float, int]:
    if isinstance(value, dict):
        return float(value.get("score") or 0), int(value.get("time_ms") or 0)
    if isinstance(value, (tuple, list)):
        return float(value[0] or 0), int(value[1] or 0) if len(value) > 1 else 0
    return float(value or 0), 0


def live_round_scores(session: Any, round_id: int) -> dict[int, tuple[float, int]]:
    """Team scores of the live game bound to a round: ``{team_id: (score, time_ms)}``.

    Asks ``live.store.round_team_scores(session, round_id)`` when the live layer provides it
    (values may be ``(score, time_ms)`` or ``{"score", "time_ms"}``); ``{}`` otherwise.
    """
    fn = _live_function("round_team_scores")
    if fn is None:
        return {}
    return {int(team_id): _pair(value) for team_id, value in (fn(session, round_id) or {}).items()}


def live_player_scores(session: Any, round_id: int) -> dict[int, tuple[float, int]]:
    """Players' scores in the live game of a round, ``{user_id: (score, time_ms)}``, when
    ``live.store.round_player_scores(session, round_id)`` exists; ``{}`` otherwise."""
    fn = _live_function("round_player_scores")
    if fn is None:
        return {}
    return {int(user_id): _pair(value) for user_id, value in (fn(session, round_id) or {}).items()}
