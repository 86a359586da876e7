"""Grading, speed bonus, ranking, and keeping scores.

Pure helpers (normalising, parsing and grading answers, speed points, ranking
with ties), the records that hold scores (players, teams, answers, ledger
entries), and `Settlement`, mixed into `live.engine.Game`: how each kind of
question scores at `reveal`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from live.messages import Event, PlayerId, ScoreChanged
from live.prizes import prize_bands, prize_name

if TYPE_CHECKING:
    from live.segments import GameConfig, QuestionRun, SegmentConfig, TeamConfig

QUESTION_TYPES = ("single", "multiple", "judge", "fill", "short")
MAX_BLANK_CHARS = 200
MAX_SHORT_CHARS = 2000

Score = int | float
Row = TypeVar("Row")


def normalise_text(text: str) -> str:
    """Full-width to half-width (NFKC), all whitespace dropped, case folded: "嘉兴 南湖" == "嘉兴南湖"."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def tidy(value: Score) -> Score:
    """Round to 2 decimals and drop a `.0`, so averages stay readable and sums stay exact."""
    if isinstance(value, int):
        return value
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def speed_points(points: int, elapsed_ms: int, limit_ms: int) -> int:
    """A right answer's points with speed bonus: `points` at once, falling linearly to half at the deadline.

    Integer arithmetic keeps replays exact; an odd `points` ends at ceil(points / 2).
    """
    if limit_ms <= 0:
        return points
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    return points - (points * elapsed) // (2 * limit_ms)


def reason_for(correct: bool, answered: bool) -> str:
    """The ledger reason of an automatic entry."""
    return "correct" if correct else "wrong" if answered else "timeout"


def seconds_to_ms(seconds: float) -> int:
    return int(round(seconds * 1000))


class AnswerKey:
    """Everything needed to check one question's answers in O(1): parse, grade, count."""

    __slots__ = ("type", "keys", "blanks", "_answer", "_accepted")

    def __init__(self, qtype: str, options: Sequence[dict[str, Any]], answer: Sequence[Any]) -> None:
        self.type = qtype
        self.keys: tuple[str, ...] = tuple(str(o["key"]) for o in options)
        self.blanks = len(answer) if qtype == "fill" else 0
        self._answer: Any = None
        self._accepted: list[set[str]] = []
        if qtype in ("single", "multiple"):
            self._answer = frozenset(str(k) for k in answer)
        elif qtype == "judge":
            self._answer = bool(answer[0]) if answer else None
        elif qtype == "fill":
            self._accepted = [{normalise_text(str(a)) for a in blank} for blank in answer]

    def parse(self, raw: Any) -> list[Any] | None:
        """The answer in canonical list form, or None when it is malformed for the type."""
        t = self.type
        if t == "single":
            key = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
            return [key] if isinstance(key, str) and key in self.keys else None
        if t == "multiple":
            if isinstance(raw, str):
                raw = list(raw)
            if not isinstance(raw, list) or not raw or len(raw) > len(self.keys):
                return None
            if not all(isinstance(k, str) and k in self.keys for k in raw) or len(set(raw)) != len(raw):
                return None
            return [k for k in self.keys if k in raw]
        if t == "judge":
            value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
            return [value] if isinstance(value, bool) else None
        if t == "fill":
            if isinstance(raw, str) and self.blanks == 1:
                raw = [raw]
            if not isinstance(raw, list) or len(raw) != self.blanks:
                return None
            if not all(isinstance(b, str) and len(b) <= MAX_BLANK_CHARS for b in raw):
                return None
            return [b.strip() for b in raw]
        if t == "short":
            text = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_SHORT_CHARS:
                return None
            return [text.strip()]
        return None

    def grade(self, value: list[Any]) -> bool | None:
        """Right or wrong for a parsed answer; None for `short` (the host judges)."""
        t = self.type
        if t in ("single", "multiple"):
            return bool(frozenset(value) == self._answer)
        if t == "judge":
            return bool(value[0] is self._answer)
        if t == "fill":
            return all(normalise_text(v) in ok for v, ok in zip(value, self._accepted, strict=True))
        return None

    def empty_distribution(self) -> dict[str, int]:
        """Zero counts: per option key, "true"/"false" for judge, correct/wrong otherwise."""
        if self.type in ("single", "multiple"):
            return dict.fromkeys(self.keys, 0)
        if self.type == "judge":
            return {"true": 0, "false": 0}
        return {"correct": 0, "wrong": 0}

    def count(self, distribution: dict[str, int], value: list[Any], correct: bool | None) -> None:
        """Add one accepted answer to the running distribution (O(options))."""
        if self.type in ("single", "multiple"):
            for k in value:
                distribution[k] += 1
        elif self.type == "judge":
            distribution["true" if value[0] else "false"] += 1
        elif correct is not None:
            distribution["correct" if correct else "wrong"] += 1


def validate_question_answer(qtype: str, options: Sequence[dict[str, Any]], answer: Sequence[Any]) -> str | None:
    """Why a question snapshot's own answer is unusable, or None when it is fine."""
    if qtype not in QUESTION_TYPES:
        return f"unknown type {qtype!r}"
    keys = [str(o.get("key")) for o in options]
    if qtype in ("single", "multiple"):
        if len(keys) < 2 or len(set(keys)) != len(keys):
            return "needs 2 or more options with distinct keys"
        if not answer or any(str(k) not in keys for k in answer) or (qtype == "single" and len(answer) != 1):
            return "answer must name option keys"
    elif qtype == "judge":
        if len(answer) != 1 or not isinstance(answer[0], bool):
            return "judge answer must be [true] or [false]"
    elif qtype == "fill":
        if not answer or not all(isinstance(b, list) and b for b in answer):
            return "fill answer must be one list of accepted strings per blank"
    return None


def rank(rows: Iterable[Row], key: Callable[[Row], Any]) -> list[tuple[int, bool, Row]]:
    """Competition ranking (1, 1, 3): `(rank, tied, row)` sorted by `key`; equal keys share a rank."""
    keyed = sorted([(key(r), r) for r in rows], key=itemgetter(0))  # each key computed once (10,000 players)
    return _places([r for _, r in keyed], [k for k, _ in keyed])


_BY_TIME, _BY_SCORE = attrgetter("time_ms"), attrgetter("score")


def rank_players(players: Iterable[Any]) -> list[tuple[int, bool, Any]]:
    """`rank` of players by score (high first), then less answer time: the same result as
    ``rank(players, key=lambda p: (-p.score, p.time_ms))`` in half the time (two stable sorts on
    C-level keys; the reveal ranks 10,000 players)."""
    ordered = sorted(players, key=_BY_TIME)
    ordered.sort(key=_BY_SCORE, reverse=True)  # stable: equal scores keep the time order
    return _places(ordered, [(p.score, p.time_ms) for p in ordered])


def _places(ordered: list[Row], keys: list[Any]) -> list[tuple[int, bool, Row]]:
    """`(rank, tied, row)` for rows already in order, `keys[i]` deciding ties between neighbours."""
    count = len(ordered)
    result: list[tuple[int, bool, Row]] = []
    place = 0
    for i, row in enumerate(ordered):
        same_as_before = i > 0 and keys[i - 1] == keys[i]
        if not same_as_before:
            place = i + 1
        result.append((place, same_as_before or (i + 1 < count and keys[i + 1] == keys[i]), row))
    return result


def with_prizes(teams: list[dict[str, Any]], prizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranked team rows (best first) with ``prize``: prizes are bands of positions in the order of the list
    (2 一等奖 → positions 1–2, then 3 二等奖 → 3–5, …); a tied group across a band boundary gets none.
    The bands are `live.prizes`', which the competition ranking uses too, so both always agree."""
    bands = prize_bands(prizes)
    rows, i = [], 0
    while i < len(teams):
        j = i
        while j + 1 < len(teams) and teams[j + 1]["rank"] == teams[i]["rank"]:
            j += 1
        first, last = prize_name(bands, i + 1), prize_name(bands, j + 1)
        name = first if first == last else None
        rows += [{**row, "prize": name} for row in teams[i:j + 1]]
        i = j + 1
    return rows


@dataclass(slots=True)
class Player:
    """A joined player: a team member (`team_id`) or an audience player (`team_id` None)."""

    id: PlayerId
    name: str
    team_id: int | None
    user_id: int | None
    seat: int | None
    order: int
    score: Score = 0
    time_ms: int = 0
    acted: int = 0  # answers and buzzes accepted: who "played" a round did at least one (CONTRACT §6)

    def public(self) -> dict[str, Any]:
        """The `player` object of `welcome` and `joined`."""
        return {"id": self.id, "name": self.name, "team_id": self.team_id}


@dataclass(slots=True)
class Team:
    """A playing team: its running score, answer time and members in seat order."""

    config: TeamConfig
    score: Score
    time_ms: int = 0
    members: list[PlayerId] = field(default_factory=list)
    by_seat: dict[int, PlayerId] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.config.id

    def seat_count(self) -> int:
        """Seats in the roster, or members joined for an open team (at least 1: it divides averages)."""
        return len(self.config.seats) or len(self.members) or 1

    def seat_player(self, seat: int) -> PlayerId | None:
        """The player in `seat` (0-based), or None when that seat has not joined."""
        if self.config.seats:
            return self.by_seat.get(seat)
        return self.members[seat] if seat < len(self.members) else None


@dataclass(slots=True)
class AnswerRecord:
    """One accepted answer; `correct` is None until a host judges a `short` answer."""

    player_id: PlayerId
    team_id: int | None
    value: list[Any]
    at_ms: int
    elapsed_ms: int
    correct: bool | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One score change, never edited: a correction or a reversal is a new entry. `team_id` None: a guest's
    own points in an open game (`player_id` says whose)."""

    id: int
    team_id: int | None
    player_id: PlayerId | None
    delta: Score
    reason: str
    question_id: int | None
    by: str
    at_ms: int
    reverses: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrong_delta(config: SegmentConfig, value: int) -> int:
    """A wrong answer's signed delta: `wrong_points`, or −value in `risk` when unset."""
    if config.wrong_points is not None:
        return config.wrong_points
    return -value if config.kind == "risk" else 0


def timeout_delta(config: SegmentConfig, value: int) -> int:
    """No answer in time: `timeout_points`; unset, −value in `risk`, the wrong delta in `buzzer`."""
    if config.timeout_points is not None:
        return config.timeout_points
    if config.kind in ("risk", "buzzer"):
        return wrong_delta(config, value)
    return 0


class Settlement:
    """How each kind scores at `reveal`; mixed into `live.engine.Game`."""

    if TYPE_CHECKING:  # provided by live.engine.Game
        players: dict[PlayerId, Player]
        teams: dict[int, Team]
        _score_version: int

        def _record(self, team_id: int, player_id: PlayerId | None, delta: Score, reason: str,
                    question_id: int | None, by: str, now: int, reverses: int | None = None) -> LedgerEntry: ...
        def _score(self, team_id: int, player_id: PlayerId | None, delta: Score, reason: str,
                   question_id: int | None, by: str, now: int, reverses: int | None = None) -> list[Event]: ...
        def _add_time(self, team_id: int, player_id: PlayerId | None, elapsed: int) -> None: ...
        def _record_guest(self, player: Player, delta: Score, reason: str, question_id: int | None, now: int,
                          by: str = "auto", reverses: int | None = None) -> LedgerEntry: ...
        config: GameConfig

    def _settle_all(self, run: QuestionRun, results: dict[PlayerId, dict[str, Any]], now: int) -> list[Event]:
        """Score everyone-answers: O(players). Team members go to the ledger, the audience to its own board."""
        cfg = run.config
        limit = seconds_to_ms(cfg.time_limit_s)
        wrong, timeout = wrong_delta(cfg, run.points), timeout_delta(cfg, run.points)
        playing = dict.fromkeys(run.segment.team_ids)
        average = cfg.team_score == "average"
        sums: dict[int, Score] = {}
        for player in self.players.values():
            answer = run.answers.get(player.id)
            correct = bool(answer and answer.correct)
            points: Score = timeout
            if answer is not None:
                points = (speed_points(run.points, answer.elapsed_ms, limit) if cfg.speed_bonus
                          else run.points) if correct else wrong
            results[player.id] = {"answered": answer is not None, "correct": correct, "points": points}
            team_id = player.team_id if player.team_id in playing else None
            if team_id is not None and not average:
                if points:  # sum: each member's points are a ledger entry of their own
                    self._record(team_id, player.id, points, reason_for(correct, answer is not None),
                                 run.question.id, "auto", now)
                    sums[team_id] = sums.get(team_id, 0) + points
                continue
            if points:  # the audience's own board, or a member's own points under `average`
                if team_id is None and player.team_id is None and self.config.rules >= 2:
                    self._record_guest(player, points, reason_for(correct, answer is not None), run.question.id, now)
                else:
                    player.score = tidy(player.score + points)
                    self._score_version += 1
            if team_id is not None:
                sums[team_id] = sums.get(team_id, 0) + points
        events: list[Event] = []
        for team_id in run.segment.team_ids:
            delta = sums.get(team_id, 0)
            if average:
                delta = tidy(delta / self.teams[team_id].seat_count())
                if delta:
                    self._record(team_id, None, delta, "average", run.question.id, "auto", now)
            if delta:
                events.append(ScoreChanged(audience="all", team_id=team_id, player_id=None, delta=tidy(delta),
                                           total=self.teams[team_id].score, reason="answers"))
        return events

    def _settle_turn(self, run: QuestionRun, results: dict[PlayerId, dict[str, Any]], now: int) -> list[Event]:
        """Score the team on turn (required, risk) unless the host already judged it."""
        assert run.team_id is not None
        answer = run.team_answer
        events: list[Event] = []
        if answer is None and run.judged is None and not run.timed and self.config.rules >= 2:
            # No answer at all: the team used the whole countdown (or the time until the host closed it).
            run.timed = True
            self._add_time(run.team_id, run.player_id, run.elapsed(run.closed_at if run.closed_at is not None else now))
        if run.judged is not None:
            correct, points = run.judged, run.judged_points
        else:
            correct = bool(answer and answer.correct)
            if answer is None:
                points = timeout_delta(run.config, run.points)
            else:
                points = run.points if correct else wrong_delta(run.config, run.points)
            if points:
                events = self._score(run.team_id, answer.player_id if answer else run.player_id, points,
                                     reason_for(correct, answer is not None), run.question.id, "auto", now)
        result = {"answered": answer is not None or run.judged is not None, "correct": correct, "points": points}
        run.team_results[run.team_id] = result
        for player_id in self.teams[run.team_id].members:
            results[player_id] = result
        return events

    def _settle_buzz(self, run: QuestionRun, results: dict[PlayerId, dict[str, Any]], now: int) -> list[Event]:
        """Buzzer teams scored when judged; here only their results and the audience's own points."""
        for team_id, result in run.team_results.items():
            for player_id in self.teams[team_id].members:
                results[player_id] = result
        if run.audience_mode:
            cfg, limit = run.config, seconds_to_ms(run.config.time_limit_s)
            for player_id, answer in run.answers.items():
                player = self.players[player_id]
                if player.team_id is not None:
                    continue
                correct = bool(answer.correct)
                points = (speed_points(run.points, answer.elapsed_ms, limit) if cfg.speed_bonus
                          else run.points) if correct else wrong_delta(cfg, run.points)
                if points and self.config.rules >= 2:
                    self._record_guest(player, points, reason_for(correct, True), run.question.id, now)
                else:
                    player.score = tidy(player.score + points)
                    self._score_version += 1
                results[player_id] = {"answered": True, "correct": correct, "points": points}
        return []
