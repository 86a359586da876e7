"""Segments: their configuration (data, not code), their runtime records, and the kinds' own rules.

`GameConfig` and friends describe a game; `SegmentRun`, `TieGroup` and
`QuestionRun` record its progress; `SegmentRules` (buzzer, risk, tiebreak,
host judgements) is mixed into `live.engine.Game`, which keeps the common flow.
Lists and dicts, never sets, keep every iteration order the same on replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from live.messages import (
    LIVE,
    AnswerJudged,
    Buzz,
    Buzzed,
    BuzzOpened,
    Event,
    Phase,
    PlayerId,
    Rejected,
    RiskPicked,
    TiebreakUpdated,
    TurnChanged,
)
from live.scoring import (
    AnswerKey,
    AnswerRecord,
    LedgerEntry,
    Player,
    Score,
    Team,
    rank,
    reason_for,
    seconds_to_ms,
    timeout_delta,
    validate_question_answer,
    wrong_delta,
)

# --- configuration ----------------------------------------------------------------

SEGMENT_KINDS = ("all", "required", "buzzer", "risk", "tiebreak")
CHOICES = {
    "team_score": ("sum", "average"),
    "answerer": ("team", "seat"),
    "foul_policy": ("deduct", "lose_turn"),
    "no_buzz": ("void", "audience"),
    "pick_order": ("score_asc", "score_desc", "seat"),
    "mode": ("sudden_death",),
}
# Contract fields resolved into `questions` before the engine sees the segment.
RESOLVED_FIELDS = ("question_ids", "rule")

TITLE_CARD_MS = 2000
"""How long the big screen shows a segment's title card; the segment's clock starts after it."""

RULES = 2
"""The engine's rules version for new games. A stored game keeps the rules it was created under, so an
old log replays exactly as it was played: 1 = before judged answers had a time and guest names had to
differ; 2 = both (CONTRACT §7 fairness rules)."""


class ConfigError(ValueError):
    """An unusable game configuration; the message lists every problem found."""


@dataclass
class QuestionSnapshot:
    """A question as the game was given it (later bank edits never change a running game)."""

    id: int
    type: str
    stem: str
    options: list[dict[str, str]] = field(default_factory=list)
    answer: list[Any] = field(default_factory=list)
    explanation: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    """The stem's pictures, sound and video (CONTRACT §3); urls are content hashes, they tell no answer."""

    def public(self) -> dict[str, Any]:
        """What players and screen see before `reveal`: never `answer` nor `explanation`."""
        public: dict[str, Any] = {
            "id": self.id, "type": self.type, "stem": self.stem,
            "options": [{"key": o["key"], "text": o.get("text", ""), **({"media": o["media"]} if o.get("media") else {})}
                        for o in self.options],
        }
        if self.media:
            public["media"] = self.media
        if self.type == "fill":
            public["blanks"] = len(self.answer)  # how many boxes to draw, not what goes in them
        return public

    def playable(self) -> bool:
        """Whether the stem carries sound or video (played on the big screen, started by the host)."""
        return any(m.get("kind") in ("audio", "video") for m in self.media)

    def for_host(self) -> dict[str, Any]:
        """The host's copy (and everyone's after `reveal`)."""
        return {**self.public(), "answer": list(self.answer), "explanation": self.explanation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionSnapshot:
        """Build from a bank question dict; extra keys (tags, difficulty, bank_id) are ignored."""
        return cls(
            id=data["id"], type=data["type"], stem=data["stem"], options=list(data.get("options") or []),
            answer=list(data.get("answer") or []), explanation=data.get("explanation") or "",
            media=list(data.get("media") or []),
        )


@dataclass
class TeamConfig:
    """A team and its roster: `seats` holds user ids (or string player refs) in seat order; empty = open team."""

    id: int
    name: str
    unit: str = ""
    seats: list[int | str] = field(default_factory=list)


@dataclass
class SegmentConfig:
    """One segment as data (CONTRACT §7), with its questions already resolved to snapshots.

    `wrong_points`/`timeout_points` None means the kind's default: 0, except `risk`
    (−value) and a buzzer timeout (the wrong delta). `rounds` is picks per team in
    `risk`; `team_ids` restricts the segment to some teams (for `tiebreak`: the tied
    group itself, else found from the standings and `places_that_matter`).
    """

    kind: str
    title: str = ""
    questions: list[QuestionSnapshot] = field(default_factory=list)
    time_limit_s: float = 20
    points: int = 10
    wrong_points: int | None = None
    timeout_points: int | None = None
    speed_bonus: bool = False
    team_score: str = "sum"
    answerer: str = "team"
    buzz_window_s: float = 10
    foul_points: int = -10
    foul_policy: str = "deduct"
    rebuzz_after_wrong: bool = False
    no_buzz: str = "void"
    risk_values: list[int] = field(default_factory=lambda: [10, 20, 30])
    pick_order: str = "seat"
    allow_decline: bool = False
    risk_once: bool = True
    rounds: int = 1
    mode: str = "sudden_death"
    places_that_matter: list[int] | None = None
    team_ids: list[int] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(k for k in data if k not in known and k not in RESOLVED_FIELDS)
        if unknown:
            raise ConfigError(f"unknown segment fields: {', '.join(unknown)}")
        values = {k: v for k, v in data.items() if k in known}
        values["questions"] = [
            q if isinstance(q, QuestionSnapshot) else QuestionSnapshot.from_dict(q) for q in data.get("questions", [])
        ]
        return cls(**values)


@dataclass
class GameConfig:
    """Everything a game needs; `to_dict`/`from_dict` round-trip through JSON."""

    title: str = ""
    base_score: int = 0
    open: bool = True
    teams: list[TeamConfig] = field(default_factory=list)
    segments: list[SegmentConfig] = field(default_factory=list)
    prizes: list[dict[str, Any]] = field(default_factory=list)  # the round's [{name, count}], best first
    card_ms: int = TITLE_CARD_MS  # each segment's title card; 0 = none
    rules: int = RULES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GameConfig:
        return cls(
            title=data.get("title", ""), base_score=data.get("base_score", 0), open=data.get("open", True),
            teams=[TeamConfig(**t) for t in data.get("teams", [])],
            segments=[SegmentConfig.from_dict(s) for s in data.get("segments", [])],
            prizes=[dict(p) for p in data.get("prizes") or []],
            # A configuration stored before these fields existed is an old game: no cards, old rules.
            card_ms=int(data.get("card_ms", 0)), rules=int(data.get("rules", 1)),
        )

    def validate(self) -> None:
        """Raise `ConfigError` naming every problem (kinds, choices, answers, ids, teams)."""
        problems: list[str] = []
        team_ids = [t.id for t in self.teams]
        if len(set(team_ids)) != len(team_ids):
            problems.append("team ids must be unique")
        refs = [ref for t in self.teams for ref in t.seats]
        if len(set(refs)) != len(refs):
            problems.append("a seat appears in two places")
        question_ids: list[int] = []
        for i, seg in enumerate(self.segments, 1):
            where = f"segment {i}"
            if seg.kind not in SEGMENT_KINDS:
                problems.append(f"{where}: unknown kind {seg.kind!r}")
            for name, allowed in CHOICES.items():
                if getattr(seg, name) not in allowed:
                    problems.append(f"{where}: {name} must be one of {', '.join(allowed)}")
            if seg.time_limit_s < 0 or seg.buzz_window_s <= 0:
                problems.append(f"{where}: time_limit_s must be >= 0 and buzz_window_s > 0")
            if seg.kind != "all" and seg.kind != "tiebreak" and not self.teams:
                problems.append(f"{where}: a {seg.kind} segment needs teams")
            if seg.kind == "risk" and (not seg.risk_values or any(v <= 0 for v in seg.risk_values)):
                problems.append(f"{where}: risk_values must be positive")
            if seg.team_ids and any(t not in team_ids for t in seg.team_ids):
                problems.append(f"{where}: team_ids names an unknown team")
            for q in seg.questions:
                question_ids.append(q.id)
                problem = validate_question_answer(q.type, q.options, q.answer)
                if problem:
                    problems.append(f"{where}: question {q.id}: {problem}")
        if self.card_ms < 0:
            problems.append("card_ms must be >= 0")
        if len(set(question_ids)) != len(question_ids):
            problems.append("a question appears twice in the game")
        if problems:
            raise ConfigError("; ".join(problems))


# --- runtime ----------------------------------------------------------------------

BUZZ_KINDS = ("buzzer", "tiebreak")
TURN_KINDS = ("required", "risk")


@dataclass(slots=True)
class TieGroup:
    """Teams tied at places `first_place`..`first_place + len - 1`, settled by sudden death."""

    team_ids: list[int]
    first_place: int
    cuts: list[int] | None
    winners: list[int] = field(default_factory=list)
    losers: list[int] = field(default_factory=list)

    def remaining(self) -> list[int]:
        return [t for t in self.team_ids if t not in self.winners and t not in self.losers]

    def resolved(self) -> bool:
        """Settled when one team is left, or when no cut that matters still runs through the rest."""
        left = self.remaining()
        if len(left) <= 1:
            return True
        if self.cuts is None:
            return False
        low = self.first_place + len(self.winners)
        high = low + len(left) - 1
        return not any(low <= cut < high for cut in self.cuts)

    def order(self) -> list[int]:
        """Winners in winning order, then the unsettled rest, then the dropped (last dropped higher)."""
        return [*self.winners, *self.remaining(), *reversed(self.losers)]

    def positions(self) -> dict[int, int]:
        """Sort position inside the group; unsettled teams share one position (still tied)."""
        positions = {t: i for i, t in enumerate(self.winners)}
        shared = len(self.winners)
        for t in self.remaining():
            positions[t] = shared
        for i, t in enumerate(reversed(self.losers)):
            positions[t] = shared + len(self.remaining()) + i
        return positions

    def to_dict(self) -> dict[str, Any]:
        return {
            "team_ids": self.order(), "first_place": self.first_place, "winners": list(self.winners),
            "losers": list(self.losers), "remaining": self.remaining(), "resolved": self.resolved(),
        }


@dataclass(slots=True)
class SegmentRun:
    """Progress through one segment: next question, risk turns and used values, tie groups."""

    index: int
    config: SegmentConfig
    team_ids: list[int]
    cursor: int = 0
    schedule: list[int] = field(default_factory=list)
    turn: int = 0
    used: dict[int, list[int]] = field(default_factory=dict)
    groups: list[TieGroup] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.config.kind

    def info(self) -> dict[str, Any]:
        """The `segment` object of messages (`index` is 1-based)."""
        return {"kind": self.config.kind, "title": self.config.title, "index": self.index + 1}

    def values_left(self, team_id: int) -> list[int]:
        used = self.used.get(team_id, [])
        if not self.config.risk_once:
            return list(self.config.risk_values)
        return [v for v in self.config.risk_values if v not in used]

    def _turn_index(self) -> int | None:
        # A team that has used every value has nothing to pick: its turns pass silently.
        for i in range(self.turn, len(self.schedule)):
            if self.values_left(self.schedule[i]):
                return i
        return None

    def turn_team(self) -> int | None:
        """The team on turn to pick a risk value, or None when the turns are used up."""
        i = self._turn_index()
        return None if i is None else self.schedule[i]

    def pass_turn(self) -> None:
        i = self._turn_index()
        self.turn = len(self.schedule) if i is None else i + 1

    def current_group(self) -> TieGroup | None:
        return next((g for g in self.groups if not g.resolved()), None)

    def has_next_question(self) -> bool:
        """Whether `next` opens another question here (risk questions open by `risk`)."""
        if self.cursor >= len(self.config.questions) or self.kind == "risk":
            return False
        return self.kind != "tiebreak" or self.current_group() is not None

    def risk_turns_left(self) -> bool:
        return self.turn_team() is not None and self.cursor < len(self.config.questions)


@dataclass(slots=True)
class QuestionRun:
    """The question in play and everything answered, buzzed and judged on it."""

    segment: SegmentRun
    number: int
    question: QuestionSnapshot
    key: AnswerKey
    opened_at: int
    deadline: int | None
    points: int
    team_id: int | None = None
    player_id: PlayerId | None = None
    seat_mode: bool = False
    contenders: list[int] = field(default_factory=list)
    answers: dict[PlayerId, AnswerRecord] = field(default_factory=dict)
    answered: int = 0
    distribution: dict[str, int] = field(default_factory=dict)
    paused_ms: int = 0
    team_answer: AnswerRecord | None = None
    judged: bool | None = None
    judged_points: Score = 0
    armed: bool = False
    audience_mode: bool = False
    ever_buzzed: bool = False
    window: list[int] = field(default_factory=list)
    answering_team: int | None = None
    answering_player: PlayerId | None = None
    awaiting_judgement: bool = False
    fouled: dict[int, None] = field(default_factory=dict)
    out: dict[int, None] = field(default_factory=dict)
    team_results: dict[int, dict[str, Any]] = field(default_factory=dict)
    buzzes: int = 0
    revealed: bool = False
    results: dict[PlayerId, dict[str, Any]] = field(default_factory=dict)
    timed: bool = False  # the team on turn (required, risk) has its answer time counted
    closed_at: int | None = None
    buzz_ms: int = 0  # the answering team's time from the question shown to its buzz (pauses left out)
    media_playing: bool = False  # the stem's sound or video is playing on the big screen

    @property
    def kind(self) -> str:
        return self.segment.config.kind

    def elapsed(self, now: int) -> int:
        """Time since the question was shown, pauses left out, at most its time limit (a late judgement
        after the countdown ran out took the whole countdown, no more)."""
        elapsed = max(0, now - self.opened_at - self.paused_ms)
        limit = seconds_to_ms(self.config.time_limit_s)
        return min(elapsed, limit) if limit > 0 else elapsed

    @property
    def config(self) -> SegmentConfig:
        return self.segment.config

    def eligible(self) -> list[int]:
        """Teams that may still buzz: contenders not out by a wrong answer or a lost turn."""
        return [t for t in self.contenders if t not in self.out]


def pick_schedule(config: SegmentConfig, team_ids: Sequence[int], scores: dict[int, Score]) -> list[int]:
    """Risk turns for the whole segment: the pick order, fixed at segment start, `rounds` times."""
    order = list(team_ids)
    if config.pick_order == "score_asc":
        order.sort(key=lambda t: scores[t])
    elif config.pick_order == "score_desc":
        order.sort(key=lambda t: -scores[t])
    return order * max(1, config.rounds)


def tie_groups(config: SegmentConfig, standings: list[tuple[int, bool, int]]) -> list[TieGroup]:
    """The tied groups a tiebreak settles, from `(rank, tied, team_id)` standings at segment start.

    Explicit `team_ids` form one group; otherwise every group of teams sharing a rank, kept
    only if it straddles one of `places_that_matter` (a cut after that place) when given.
    """
    cuts = config.places_that_matter
    if config.team_ids:
        wanted = [t for _, _, t in standings if t in config.team_ids]
        places = [r for r, _, t in standings if t in config.team_ids]
        return [TieGroup(wanted, min(places), cuts)] if len(wanted) >= 2 else []
    by_rank: dict[int, list[int]] = {}
    for place, tied, team_id in standings:
        if tied:
            by_rank.setdefault(place, []).append(team_id)
    groups = [TieGroup(ids, place, cuts) for place, ids in by_rank.items() if len(ids) >= 2]
    return [g for g in groups if not g.resolved()]


def standings(rows: list[tuple[int, Score, int, int]]) -> list[tuple[int, bool, int]]:
    """Rank `(team_id, score, time_ms, tiebreak_position)` rows into `(rank, tied, team_id)`."""
    ranked = rank(rows, key=lambda r: (-r[1], r[2], r[3]))
    return [(place, tied, row[0]) for place, tied, row in ranked]


def int_param(params: dict[str, Any], name: str) -> int:
    """An integer host parameter (not a bool), or `invalid_params`."""
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected("invalid_params")
    return value


class SegmentRules:
    """Buzzer, tiebreak and risk handling and the host's judgements, mixed into `Game`."""

    if TYPE_CHECKING:  # provided by live.engine.Game
        phase: Phase
        players: dict[PlayerId, Player]
        teams: dict[int, Team]
        current: QuestionRun | None
        segment: SegmentRun | None
        _tie_positions: dict[int, int]
        _score_version: int

        def _record(self, team_id: int, player_id: PlayerId | None, delta: Score, reason: str,
                    question_id: int | None, by: str, now: int, reverses: int | None = None) -> LedgerEntry: ...
        def _score(self, team_id: int, player_id: PlayerId | None, delta: Score, reason: str,
                   question_id: int | None, by: str, now: int, reverses: int | None = None) -> list[Event]: ...
        def _close(self, run: QuestionRun) -> list[Event]: ...
        def _deadline(self, now: int, seconds: float) -> int | None: ...
        def _question_events(self, run: QuestionRun, now: int, audience_only: bool = False) -> list[Event]: ...
        def _open(self, seg: SegmentRun, index: int, now: int, **turn: Any) -> list[Event]: ...
        def _between_questions(self) -> None: ...
        config: GameConfig

    def _add_time(self, team_id: int, player_id: PlayerId | None, elapsed: int) -> None:
        """Count a team's answer time (and its answering player's): the rankings' tie rule."""
        self.teams[team_id].time_ms += elapsed
        player = self.players.get(player_id) if player_id is not None else None
        if player is not None:
            player.time_ms += elapsed
        self._score_version += 1

    # --- buzzer and tiebreak ---

    def _buzz(self, cmd: Buzz, now: int) -> list[Event]:
        player = self.players.get(cmd.player_id)
        if player is None:
            raise Rejected("not_joined")
        run = self.current
        if run is None or run.kind not in BUZZ_KINDS:
            raise Rejected("no_buzzer")
        if run.question.id != cmd.question_id:
            raise Rejected("closed")
        team_id = player.team_id
        if team_id is None:
            raise Rejected("not_in_team")
        if team_id not in run.contenders:
            raise Rejected("cannot_buzz")
        if self.phase is Phase.PAUSED:
            raise Rejected("paused")
        if self.phase is Phase.QUESTION and not run.armed and not run.audience_mode:
            return self._foul(run, player, team_id, now)
        if self.phase is Phase.BUZZING:
            if run.deadline is not None and now > run.deadline:
                raise Rejected("late")
            if team_id not in run.eligible():
                raise Rejected("cannot_buzz")
            run.window.append(team_id)
            run.buzzes += 1
            run.ever_buzzed = True
            run.answering_team, run.answering_player = team_id, player.id
            run.buzz_ms = max(0, now - run.opened_at - run.paused_ms)
            run.deadline = self._deadline(now, run.config.time_limit_s)
            self.phase = Phase.ANSWERING
            return [Buzzed(audience="all", question=run.question.id, team_id=team_id, player_id=player.id,
                           order=1, foul=False, deadline_ms=run.deadline, now_ms=now)]
        if self.phase is Phase.ANSWERING:
            # Later buzzes in the same window are shown in order but win nothing.
            if team_id in run.window:
                raise Rejected("already_buzzed")
            if team_id not in run.eligible():
                raise Rejected("cannot_buzz")
            run.window.append(team_id)
            run.buzzes += 1
            return [Buzzed(audience="all", question=run.question.id, team_id=team_id, player_id=player.id,
                           order=len(run.window), foul=False)]
        raise Rejected("closed")

    def _foul(self, run: QuestionRun, player: Player, team_id: int, now: int) -> list[Event]:
        if team_id in run.fouled:
            raise Rejected("already_fouled")
        run.fouled[team_id] = None
        run.buzzes += 1
        events: list[Event] = [Buzzed(audience="all", question=run.question.id, team_id=team_id,
                                      player_id=player.id, order=0, foul=True)]
        # A tiebreak settles places, not points: a foul there always costs the turn.
        if run.config.foul_policy == "deduct" and run.kind == "buzzer":
            if run.config.foul_points:
                events += self._score(team_id, player.id, run.config.foul_points, "foul", run.question.id, "auto", now)
        else:
            run.out[team_id] = None
        return events

    def _arm(self, run: QuestionRun, now: int) -> list[Event]:
        run.armed = True
        run.window = []
        run.answering_team = run.answering_player = run.team_answer = None
        run.deadline = now + seconds_to_ms(run.config.buzz_window_s)
        self.phase = Phase.BUZZING
        return [BuzzOpened(audience="all", question=run.question.id, deadline_ms=run.deadline, now_ms=now,
                           team_ids=run.eligible())]

    def _window_expired(self, run: QuestionRun, now: int) -> list[Event]:
        if run.kind == "buzzer" and not run.ever_buzzed and run.config.no_buzz == "audience":
            run.audience_mode = True
            run.opened_at, run.paused_ms = now, 0
            run.deadline = self._deadline(now, run.config.time_limit_s)
            self.phase = Phase.QUESTION
            return self._question_events(run, now, audience_only=True)
        return self._close(run)

    def _resolve_buzz(self, run: QuestionRun, correct: bool, *, timeout: bool, by: str, now: int) -> list[Event]:
        """Settle the answering team's turn: score it, then close, or re-arm for the others."""
        team_id = run.answering_team
        assert team_id is not None
        player_id = run.team_answer.player_id if run.team_answer else run.answering_player
        run.awaiting_judgement = False
        run.out[team_id] = None
        points: Score = 0
        if run.kind == "buzzer":
            if correct:
                points = run.points
            else:
                points = (timeout_delta if timeout else wrong_delta)(run.config, run.points)
        run.team_results[team_id] = {"answered": not timeout, "correct": correct, "points": points}
        if run.kind == "buzzer" and self.config.rules >= 2:
            # Fair ties: a buzzer team's time runs from the question shown to its buzz, judged aloud or not.
            # (Not in a tiebreak: it settles places by its own results, never by time.)
            self._add_time(team_id, player_id, run.buzz_ms)
        events: list[Event] = [AnswerJudged(audience="all", question=run.question.id, team_id=team_id,
                                            player_id=player_id, correct=correct, timeout=timeout, points=points)]
        if points:
            events += self._score(team_id, player_id, points, reason_for(correct, not timeout), run.question.id, by, now)
        done = correct
        if run.kind == "tiebreak":
            group = run.segment.current_group()
            assert group is not None
            (group.winners if correct else group.losers).append(team_id)
            self._tie_positions.update(group.positions())
            self._score_version += 1
            events.append(TiebreakUpdated(audience="all", groups=[g.to_dict() for g in run.segment.groups],
                                          resolved=run.segment.current_group() is None))
            done = correct or group.resolved()
        rebuzz = run.config.rebuzz_after_wrong or run.kind == "tiebreak"
        if not done and rebuzz and run.eligible():
            return events + self._arm(run, now)
        return events + self._close(run)

    def _open_buzz(self, params: dict[str, Any], now: int) -> list[Event]:
        run = self.current
        if run is None or self.phase not in LIVE:
            raise Rejected("no_open_question")
        if run.kind not in BUZZ_KINDS:
            raise Rejected("not_buzzer")
        if self.phase is not Phase.QUESTION or run.armed or run.audience_mode:
            raise Rejected("cannot_open_buzz")
        if not run.eligible():
            raise Rejected("no_eligible_teams")
        return self._arm(run, now)

    def _judge(self, params: dict[str, Any], now: int) -> list[Event]:
        correct = params.get("correct")
        if not isinstance(correct, bool):
            raise Rejected("invalid_params")
        run = self.current
        if run is None or self.phase not in (*LIVE, Phase.CLOSED) or run.revealed:
            raise Rejected("nothing_to_judge")
        if run.kind == "all" or (run.audience_mode and "player_id" in params):
            return self._judge_player(run, params.get("player_id"), correct)
        team_id = int_param(params, "team_id")
        if run.kind in BUZZ_KINDS:
            if self.phase is not Phase.ANSWERING:
                raise Rejected("nothing_to_judge")
            if team_id != run.answering_team:
                raise Rejected("not_answering_team")
            if run.team_answer is not None:
                run.team_answer.correct = correct
            return self._resolve_buzz(run, correct, timeout=False, by="host", now=now)
        if self.phase not in (Phase.QUESTION, Phase.CLOSED):
            raise Rejected("nothing_to_judge")
        if team_id != run.team_id:
            raise Rejected("not_answering_team")
        if run.judged is not None:
            raise Rejected("already_judged")
        run.judged = correct
        answer = run.team_answer
        if answer is not None:
            answer.correct = correct
        elif self.config.rules >= 2 and not run.timed:
            # Judged aloud: the team's time runs from the question shown to the judgement, pauses left out.
            run.timed = True
            self._add_time(team_id, run.player_id, run.elapsed(now))
        run.judged_points = run.points if correct else wrong_delta(run.config, run.points)
        player_id = answer.player_id if answer else run.player_id
        events: list[Event] = [AnswerJudged(audience="all", question=run.question.id, team_id=team_id,
                                            player_id=player_id, correct=correct, timeout=False,
                                            points=run.judged_points)]
        if run.judged_points:
            events += self._score(team_id, player_id, run.judged_points, reason_for(correct, True),
                                  run.question.id, "host", now)
        return events + (self._close(run) if self.phase is Phase.QUESTION else [])

    def _judge_player(self, run: QuestionRun, player_id: Any, correct: bool) -> list[Event]:
        """The host marks one player's `short` answer (everyone-answers segments): it scores at reveal."""
        answer = run.answers.get(player_id) if isinstance(player_id, (int, str)) else None
        if answer is None or run.key.type != "short":
            raise Rejected("nothing_to_judge")
        answer.correct = correct
        return [AnswerJudged(audience="host", question=run.question.id, team_id=answer.team_id,
                             player_id=player_id, correct=correct, timeout=False, points=0)]

    def _risk(self, params: dict[str, Any], now: int) -> list[Event]:
        seg = self.segment
        if seg is None or seg.kind != "risk":
            raise Rejected("not_risk_segment")
        self._between_questions()
        team_id, points = int_param(params, "team_id"), int_param(params, "points")
        if team_id not in self.teams:
            raise Rejected("unknown_team")
        turn = seg.turn_team()
        if turn is None or seg.cursor >= len(seg.config.questions):
            raise Rejected("no_turns_left")
        if team_id != turn:
            raise Rejected("not_on_turn")
        if points == 0 and not seg.config.allow_decline:
            raise Rejected("decline_not_allowed")
        if points != 0 and points not in seg.config.risk_values:
            raise Rejected("invalid_risk_value")
        if points != 0 and points not in seg.values_left(team_id):
            raise Rejected("risk_value_used")
        seg.pass_turn()
        picked = RiskPicked(audience="all", team_id=team_id, points=points, declined=points == 0)
        if points == 0:
            self.phase = Phase.PICKING  # the next team on turn picks now
            return [picked, self._turn_event(seg)]
        seg.used.setdefault(team_id, []).append(points)
        index = seg.cursor
        seg.cursor += 1
        return [picked, *self._open(seg, index, now, team_id=team_id, points=points)]

    def _turn_event(self, seg: SegmentRun) -> TurnChanged:
        team_id = seg.turn_team() if seg.risk_turns_left() else None
        return TurnChanged(audience="all", team_id=team_id,
                           values_left=seg.values_left(team_id) if team_id is not None else [])
