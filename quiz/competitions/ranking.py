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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from live.prizes import prize_bands, prize_name  # the one prize-band rule, shared with the live board

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


# --- groups --------------------------------------------------------------------------------

@dataclass
class GroupPlaced:
    """A team's place in its group (``group_rank``), next to its place across the round."""

    group: str
    group_rank: int
    group_position: int
    tied: bool
    tiebreak: bool


@dataclass
class GroupedRanking:
    overall: Ranking  # rank, position and prizes across the whole round
    places: dict[int, GroupPlaced]
    advanced: dict[int, bool | None]  # None: undecided (an unsettled tie at a cut)
    ties: list[Tie]
    order: list[int]  # team ids by group (in the groups' order) then group position
    groups_of: dict[int, str] = field(default_factory=dict)


def rank_grouped(entries: Iterable[Entry], groups: Sequence[tuple[str, Sequence[int]]], *,
                 advance: dict[str, Any] | None = None, prizes: Sequence[dict[str, Any]] = (),
                 tiebreaks: Sequence[Sequence[Sequence[int]]] = ()) -> GroupedRanking:
    """Rank a round played in groups: each group on its own (ties decided within the group),
    the round as a whole for ``rank`` and prizes; advancement by ``top_per_group`` (the first N
    of each group) plus ``best_of_rest`` (the best M of everyone else, by score then time), or by
    the round-wide ``top``/``min_score``. A tie that decides either cut is reported and blocks."""
    entries = list(entries)
    by_id = {e.team_id: e for e in entries}
    per_group = int(advance["top_per_group"]) if advance and advance.get("top_per_group") else None
    rest_count = int(advance.get("best_of_rest") or 0) if advance and per_group else 0
    overall = rank_teams(entries, advance=None if per_group else advance, prizes=prizes, tiebreaks=tiebreaks)
    places: dict[int, GroupPlaced] = {}
    advanced: dict[int, bool | None] = {p.team_id: p.advanced for p in overall.teams}
    ties = [tie for tie in overall.ties]
    order: list[int] = []
    groups_of: dict[int, str] = {}
    rest: list[Entry] = []
    rest_blocked = False
    for name, team_ids in groups:
        members = [by_id[tid] for tid in team_ids if tid in by_id]
        local = rank_teams(members, advance={"top": per_group} if per_group else None, tiebreaks=tiebreaks)
        for p in local.teams:
            places[p.team_id] = GroupPlaced(name, p.rank, p.position, p.tied, p.tiebreak)
            order.append(p.team_id)
            groups_of[p.team_id] = name
            if per_group:
                advanced[p.team_id] = p.advanced
                if p.advanced is False:
                    rest.append(by_id[p.team_id])
                elif p.advanced is None:
                    rest_blocked = True
        for tie in local.ties:
            tie.reasons = [f"{name}{reason}" for reason in tie.reasons]
            ties.append(tie)
    if per_group and rest_count:
        if rest_blocked:  # who the runners-up are depends on the unsettled tie: nobody of the rest is decided yet
            for entry in rest:
                advanced[entry.team_id] = None
        else:
            extra = rank_teams(rest, advance={"top": rest_count}, tiebreaks=tiebreaks)
            for p in extra.teams:
                advanced[p.team_id] = p.advanced
            for tie in extra.ties:
                tie.reasons = [f"其余队伍中{reason.replace('前 ', '成绩最好的 ')}" for reason in tie.reasons]
                ties.append(tie)
    return GroupedRanking(overall, places, advanced, ties, order, groups_of)


def snake_groups(ranked_team_ids: Sequence[int], count: int) -> list[list[int]]:
    """Deal teams, best first, into ``count`` groups as 1, 2, …, n, n, …, 2, 1, 1, 2 …: equally strong groups."""
    groups: list[list[int]] = [[] for _ in range(count)]
    for i, team_id in enumerate(ranked_team_ids):
        lap, j = divmod(i, count)
        groups[j if lap % 2 == 0 else count - 1 - j].append(team_id)
    return groups


def random_groups(team_ids: Sequence[int], count: int, seed: int) -> list[list[int]]:
    """Shuffle the teams (sorted by id first, so a seed always deals the same) and deal them in turn."""
    import random

    shuffled = sorted(team_ids)
    random.Random(seed).shuffle(shuffled)
    groups: list[list[int]] = [[] for _ in range(count)]
    for i, team_id in enumerate(shuffled):
        groups[i % count].append(team_id)
    return groups


def dealing_order(groups: Sequence[Sequence[int]], seeding: str) -> list[tuple[int, int]]:
    """The ``(group index, team id)`` of each card in the order the draw dealt them (what the big screen's
    ceremony shows one by one): `snake_groups`' laps back and forth, `random_groups`' turns; a group set
    by hand is shown group by group."""
    count = len(groups)
    cards: list[tuple[int, int, int]] = []
    for g, team_ids in enumerate(groups):
        for position, team_id in enumerate(team_ids):
            if seeding == "snake":
                turn = position * count + (g if position % 2 == 0 else count - 1 - g)
            elif seeding == "random":
                turn = position * count + g
            else:
                turn = g * 10_000 + position
            cards.append((turn, g, team_id))
    return [(g, team_id) for _, g, team_id in sorted(cards)]


GROUP_NUMERALS = "一二三四五六七八九十"


def group_name(index: int) -> str:
    """0 → 第一组, 9 → 第十组, 10 → 第11组."""
    return f"第{GROUP_NUMERALS[index]}组" if index < len(GROUP_NUMERALS) else f"第{index + 1}组"
