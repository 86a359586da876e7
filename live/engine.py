"""The live game engine: a pure, deterministic state machine (CONTRACT §7).

`Game(config).handle(command, now_ms) -> list[Event]`. No I/O, no clock, no
randomness: the same config and the same commands with the same `now_ms`
always give the same state, events and ledger, so a crashed game is rebuilt by
replaying its command log into a fresh `Game(config)`. A refused command
returns one `Error` to its sender and changes nothing.

Recovery: log each command with its `now_ms` (`command_to_dict`) and replay
the log into `Game(config)`. A command whose events are empty or a lone
`Error` changed nothing and need not be logged (idle `Tick`s, refused moves).

Scoring timeline: answers are graded when accepted (O(1)) but score at
`reveal`; a host `judge`, a buzzer answer, a foul and `adjust`/`reverse` score
at once. Every team score change is one `LedgerEntry`.

Layout: this module keeps the common flow (join, answer, open/close/reveal,
pause, ledger, views); `live.segments` holds the configuration and the
buzzer/risk/tiebreak rules (`SegmentRules`); `live.scoring` grades answers,
settles each kind at reveal (`Settlement`) and ranks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from live.messages import (
    LIVE,
    AnswerAcked,
    AnswerRevealed,
    Buzz,
    Command,
    Error,
    Event,
    GameFinished,
    GamePaused,
    GameResumed,
    HostAction,
    Join,
    LeaderboardShown,
    MediaControl,
    Phase,
    PlayerAnswered,
    PlayerId,
    PlayerJoined,
    PlayerKicked,
    QuestionClosed,
    QuestionShown,
    Rejected,
    ScoreChanged,
    SegmentStarted,
    SubmitAnswer,
    TeamAnswered,
    Tick,
    message_text,
)
from live.scoring import (
    AnswerKey,
    AnswerRecord,
    LedgerEntry,
    Player,
    Score,
    Settlement,
    Team,
    rank_players,
    seconds_to_ms,
    tidy,
    with_prizes,
)
from live.segments import (
    BUZZ_KINDS,
    TURN_KINDS,
    ConfigError,
    GameConfig,
    QuestionRun,
    QuestionSnapshot,
    SegmentConfig,
    SegmentRules,
    SegmentRun,
    TeamConfig,
    TieGroup,
    int_param,
    pick_schedule,
    standings,
    tie_groups,
)

__all__ = ["LIVE", "ConfigError", "Game", "GameConfig", "LedgerEntry", "Phase", "QuestionSnapshot",
           "SegmentConfig", "TeamConfig"]

ALLOWED_WHILE_PAUSED = ("resume", "adjust", "reverse", "kick", "media")
ALLOWED_DURING_CARD = ("adjust", "reverse", "kick")  # the card ends by itself in a moment; nothing else waits


def name_key(name: str) -> str:
    """A name as compared for `name_taken`: trimmed, full-width folded (NFKC) and case folded, so
    "小明", " 小明 " and "ＸＩＡＯ" == "xiao" are one name."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


class Game(SegmentRules, Settlement):
    """One live game driven by commands; see the module docstring."""

    def __init__(self, config: GameConfig) -> None:
        config.validate()
        self.config = config
        self.phase = Phase.LOBBY
        self.now_ms = 0
        self.players: dict[PlayerId, Player] = {}
        self.teams: dict[int, Team] = {t.id: Team(t, config.base_score) for t in config.teams}
        self.ledger: list[LedgerEntry] = []
        self.segment: SegmentRun | None = None
        self.current: QuestionRun | None = None
        self._started = False
        self._paused_from = Phase.QUESTION
        self._paused_at = 0
        self._card_until: int | None = None
        self._now = 0
        self._acks: dict[tuple[PlayerId, str], AnswerAcked] = {}
        self._reversed: dict[int, int] = {}
        self._users: dict[int, PlayerId] = {}
        self._names: dict[str, PlayerId] = {}  # name_key → who took it (kicked players keep theirs)
        self._kicked: dict[PlayerId, None] = {}
        self._joins = 0
        self._tie_positions: dict[int, int] = {}
        self._seats = {ref: (t.id, i) for t in config.teams for i, ref in enumerate(t.seats)}
        self._board_cache: tuple[int, dict[str, Any]] | None = None
        self._score_version = 0
        self._host_actions: dict[str, Callable[[dict[str, Any], int], list[Event]]] = {
            "start": self._start, "next": self._next, "open_buzz": self._open_buzz, "close": self._close_action,
            "reveal": self._reveal, "judge": self._judge, "risk": self._risk, "adjust": self._adjust,
            "reverse": self._reverse, "kick": self._kick, "leaderboard": self._leaderboard, "pause": self._pause,
            "resume": self._resume, "finish": self._finish, "media": self._media,
        }

    # --- entry point ---

    def handle(self, command: Command, now_ms: int) -> list[Event]:
        """Apply one command at server time `now_ms`; return the events to send, in order."""
        sender = "host" if isinstance(command, (HostAction, Tick)) else f"player:{command.player_id}"
        self._now = now_ms  # the time of the command being handled (`now_ms` moves only if it succeeds)
        try:
            if isinstance(command, SubmitAnswer):
                events = self._submit(command, now_ms)
            elif isinstance(command, Tick):
                events = self._tick(now_ms)
            elif isinstance(command, Buzz):
                events = self._buzz(command, now_ms)
                self.players[command.player_id].acted += 1  # (a refused buzz raised before this)
            elif isinstance(command, HostAction):
                events = self._host(command, now_ms)
            elif isinstance(command, Join):
                events = self._join(command)
            else:
                raise TypeError(f"not a command: {command!r}")
        except Rejected as rejected:
            return [Error(audience=sender, code=rejected.code, message=message_text(rejected.code))]
        self.now_ms = now_ms
        return events

    # --- players ---

    def _join(self, cmd: Join) -> list[Event]:
        if cmd.player_id in self.players:
            return []  # a repeated join (reconnect) changes nothing
        if cmd.player_id in self._kicked:
            raise Rejected("kicked")
        key = name_key(cmd.name)
        if self.config.rules >= 2 and cmd.user_id is None and key and key in self._names:
            raise Rejected("name_taken")  # a guest may not pass for a player already in the game
        seat = self._seats.get(cmd.user_id) if cmd.user_id is not None else None
        if seat is None and isinstance(cmd.player_id, str):
            seat = self._seats.get(cmd.player_id)
        if cmd.user_id is None and seat is None and not self.config.open:
            raise Rejected("guests_not_allowed")
        if cmd.user_id is not None and cmd.user_id in self._users:
            raise Rejected("already_joined")
        if seat is not None and seat[1] in self.teams[seat[0]].by_seat:
            raise Rejected("already_joined")
        team_id = seat[0] if seat else None
        if seat is None and cmd.team_id is not None:
            team = self.teams.get(cmd.team_id)
            if team is None:
                raise Rejected("unknown_team")
            if team.config.seats:
                raise Rejected("not_in_team")
            team_id = team.id
        player = Player(cmd.player_id, cmd.name, team_id, cmd.user_id, seat[1] if seat else None, self._joins)
        self._joins += 1
        self.players[player.id] = player
        if key:
            self._names.setdefault(key, player.id)
        self._score_version += 1
        if cmd.user_id is not None:
            self._users[cmd.user_id] = player.id
        if team_id is not None:
            self.teams[team_id].members.append(player.id)
            if seat is not None:
                self.teams[team_id].by_seat[seat[1]] = player.id
        public, count = player.public(), len(self.players)
        return [PlayerJoined(audience="host", player=public, count=count),
                PlayerJoined(audience="screen", player=public, count=count)]

    def _submit(self, cmd: SubmitAnswer, now: int) -> list[Event]:
        key = (cmd.player_id, cmd.client_id)
        known = self._acks.get(key)
        if known is not None:
            return [known]
        player = self.players.get(cmd.player_id)
        if player is None:
            raise Rejected("not_joined")
        run = self.current
        reason = self._refusal(run, player, cmd.question_id, now)
        value = None
        if reason is None and run is not None:
            value = run.key.parse(cmd.answer)
            reason = "invalid" if value is None else None
        ack = AnswerAcked(audience=f"player:{player.id}", id=cmd.client_id, question=cmd.question_id,
                          accepted=reason is None, reason=reason, at_ms=now,
                          submitted=value if reason is None else None)
        self._acks[key] = ack
        if reason is not None or run is None or value is None:
            return [ack]
        return [ack, *self._accept(run, player, value, now)]

    def _refusal(self, run: QuestionRun | None, player: Player, question_id: int, now: int) -> str | None:
        """Why an answer is refused (an ack reason), or None to accept it. O(1)."""
        if run is None or run.question.id != question_id or self.phase is Phase.PAUSED:
            return "closed"
        if self.phase not in (Phase.QUESTION, Phase.ANSWERING):
            if self.phase is Phase.BUZZING:
                return "not_your_turn"
            passed = run.deadline is not None and now > run.deadline
            return "late" if self.phase is Phase.CLOSED and passed else "closed"
        if run.deadline is not None and now > run.deadline:
            return "late"
        if not self._may_answer(run, player):
            return "not_your_turn"
        team_answers = run.kind in TURN_KINDS or self.phase is Phase.ANSWERING
        if (run.team_answer is not None) if team_answers else (player.id in run.answers):
            return "duplicate"
        return None

    def _may_answer(self, run: QuestionRun, player: Player) -> bool:
        if run.kind == "all":
            return True
        if run.kind in TURN_KINDS:
            return player.id == run.player_id if run.seat_mode else player.team_id == run.team_id
        if self.phase is Phase.ANSWERING:
            return player.team_id == run.answering_team
        return run.audience_mode and player.team_id is None

    def _accept(self, run: QuestionRun, player: Player, value: list[Any], now: int) -> list[Event]:
        elapsed = max(0, now - run.opened_at - run.paused_ms)
        correct = run.key.grade(value)
        record = AnswerRecord(player.id, player.team_id, value, now, elapsed, correct)
        run.answers[player.id] = record
        player.acted += 1
        run.answered += 1
        self._score_version += 1  # answer times move the standings
        run.key.count(run.distribution, value, correct)
        if run.kind == "all" or run.audience_mode:
            player.time_ms += elapsed
            if player.team_id is not None and player.team_id in run.segment.team_ids:
                self.teams[player.team_id].time_ms += elapsed
            # A short answer is judged by the host, who must see it (nobody else does before the reveal).
            shown: list[Event] = [] if correct is not None else [PlayerAnswered(
                audience="host", question=run.question.id, player_id=player.id, name=player.name,
                team_id=player.team_id, answer=value)]
            # Everyone has answered: no reason to make the hall wait for the countdown.
            return shown + (self._close(run) if run.kind == "all" and run.answered >= len(self.players) else [])
        team_id = player.team_id
        assert team_id is not None  # _may_answer lets only team members through here
        run.team_answer = record
        events: list[Event] = [
            TeamAnswered(audience=f"team:{team_id}", question=run.question.id, team_id=team_id,
                         player_id=player.id, answer=value),
            TeamAnswered(audience="host", question=run.question.id, team_id=team_id, player_id=player.id,
                         answer=value),
        ]
        if run.kind in TURN_KINDS:
            player.time_ms += elapsed
            self.teams[team_id].time_ms += elapsed
            run.timed = True
            return events + self._close(run)
        if correct is None:  # a short answer waits for the host's judgement
            run.deadline = None
            run.awaiting_judgement = True
            return events
        return events + self._resolve_buzz(run, correct, timeout=False, by="auto", now=now)

    def wake_ms(self) -> int | None:
        """When a `Tick` next changes something (the end of a title card, or a deadline); None: nothing due.
        The driver ticks just after it."""
        if self.phase is Phase.CARD:
            return self._card_until
        run = self.current
        return run.deadline if run is not None and self.phase in LIVE else None

    def _tick(self, now: int) -> list[Event]:
        if self.phase is Phase.CARD:
            return self._end_card(now) if self._card_until is not None and now >= self._card_until else []
        run = self.current
        if run is None or self.phase not in LIVE or run.deadline is None or now <= run.deadline:
            return []
        if self.phase is Phase.QUESTION:
            return self._close(run)
        if self.phase is Phase.BUZZING:
            return self._window_expired(run, now)
        return self._resolve_buzz(run, False, timeout=True, by="auto", now=now)

    # --- question flow ---

    def _deadline(self, now: int, seconds: float) -> int | None:
        return now + seconds_to_ms(seconds) if seconds > 0 else None

    def _close(self, run: QuestionRun) -> list[Event]:
        self.phase = Phase.CLOSED
        run.closed_at = self._now
        return [QuestionClosed(audience="all", question=run.question.id, answered=run.answered)]

    def _question_events(self, run: QuestionRun, now: int, audience_only: bool = False) -> list[Event]:
        common: dict[str, Any] = {
            "index": run.number, "count": len(run.config.questions), "segment": run.segment.info(),
            "points": run.points, "deadline_ms": run.deadline, "now_ms": now, "team_id": run.team_id,
            "player_id": run.player_id, "team_ids": run.contenders or None, "audience_only": audience_only,
            "last_question": self._last_question(),
        }
        public = run.question.public()
        return [QuestionShown(audience="players", question=public, **common),
                QuestionShown(audience="screen", question=public, **common),
                QuestionShown(audience="host", question=run.question.for_host(), **common)]

    def _open(self, seg: SegmentRun, index: int, now: int, **turn: Any) -> list[Event]:
        cfg = seg.config
        q = cfg.questions[index]
        key = AnswerKey(q.type, q.options, q.answer)
        deadline = None if cfg.kind in BUZZ_KINDS else self._deadline(now, cfg.time_limit_s)
        points = turn.pop("points", cfg.points)
        run = QuestionRun(seg, index + 1, q, key, now, deadline, points, distribution=key.empty_distribution(), **turn)
        self.current = run
        self.phase = Phase.QUESTION
        return self._question_events(run, now)

    def _open_next(self, seg: SegmentRun, now: int) -> list[Event]:
        index = seg.cursor
        seg.cursor += 1
        cfg = seg.config
        if cfg.kind == "required":
            team = self.teams[seg.team_ids[index % len(seg.team_ids)]]
            if cfg.answerer == "seat":
                seat = (index // len(seg.team_ids)) % team.seat_count()
                return self._open(seg, index, now, team_id=team.id, player_id=team.seat_player(seat), seat_mode=True)
            return self._open(seg, index, now, team_id=team.id)
        if cfg.kind == "tiebreak":
            group = seg.current_group()
            assert group is not None
            return self._open(seg, index, now, contenders=group.remaining())
        if cfg.kind == "buzzer":
            return self._open(seg, index, now, contenders=list(seg.team_ids))
        return self._open(seg, index, now)

    def _next_target(self) -> tuple[int | None, list[TieGroup]] | None:
        """Where `next` goes, computed without changing anything: (None, []) = next question here."""
        if self.segment is not None and self.segment.has_next_question():
            return None, []
        start = self.segment.index + 1 if self.segment else 0
        for i in range(start, len(self.config.segments)):
            cfg = self.config.segments[i]
            if not cfg.questions:
                continue
            groups = tie_groups(cfg, self._standings()) if cfg.kind == "tiebreak" else []
            if cfg.kind == "tiebreak" and not groups:
                continue  # nobody is tied where it matters: the tiebreak is not played
            return i, groups
        return None

    def _go(self, target: tuple[int | None, list[TieGroup]], now: int) -> list[Event]:
        index, groups = target
        events: list[Event] = []
        if index is not None:
            cfg = self.config.segments[index]
            team_ids = [t for t in cfg.team_ids if t in self.teams] if cfg.team_ids else list(self.teams)
            if cfg.kind == "tiebreak":
                team_ids = [t for g in groups for t in g.team_ids]
            seg = SegmentRun(index, cfg, team_ids, groups=groups)
            if cfg.kind == "risk":
                seg.schedule = pick_schedule(cfg, team_ids, {t: self.teams[t].score for t in team_ids})
            self.segment = seg
            card = self.config.card_ms
            events.append(SegmentStarted(
                audience="all", segment=seg.info(), team_ids=team_ids,
                order=seg.schedule[:len(team_ids)] if cfg.kind == "risk" else None,
                groups=[g.to_dict() for g in groups] if cfg.kind == "tiebreak" else None,
                card_ms=card, card_until_ms=now + card if card else None, now_ms=now))
            self.current = None
            if card:
                # The title card first: the question (and its clock) or the first risk turn comes at its end.
                self._card_until = now + card
                self.phase = Phase.CARD
                return events
            if cfg.kind == "risk":
                return events + self._first_pick(seg)
        assert self.segment is not None
        return events + self._open_next(self.segment, now)

    def _end_card(self, now: int) -> list[Event]:
        """The title card is down: the segment's first question is shown now, its countdown from now."""
        seg = self.segment
        assert seg is not None
        self._card_until = None
        if seg.kind == "risk":
            return self._first_pick(seg)
        return self._open_next(seg, now)

    def _first_pick(self, seg: SegmentRun) -> list[Event]:
        # Picks follow the standings, so the risk segment opens on the scoreboard, with the team on turn.
        self.phase = Phase.PICKING
        return [LeaderboardShown(audience="all", **self.leaderboard()), self._turn_event(seg)]

    # --- host actions ---

    def _host(self, cmd: HostAction, now: int) -> list[Event]:
        action = self._host_actions.get(cmd.action)
        if action is None:
            raise Rejected("unknown_action")
        if not isinstance(cmd.params, dict):
            raise Rejected("invalid_params")
        if self.phase is Phase.PAUSED and cmd.action not in ALLOWED_WHILE_PAUSED:
            raise Rejected("paused")
        if self.phase is Phase.CARD and cmd.action not in ALLOWED_DURING_CARD:
            raise Rejected("card_showing")
        return action(cmd.params, now)

    def _between_questions(self) -> None:
        """Raise unless the game is started, not finished and no question is open or unrevealed."""
        if self.phase is Phase.FINISHED:
            raise Rejected("finished")
        if not self._started:
            raise Rejected("not_started")
        if self.phase in LIVE:
            raise Rejected("question_open")
        if self.phase is Phase.CLOSED:
            raise Rejected("not_revealed")

    def _start(self, params: dict[str, Any], now: int) -> list[Event]:
        if self.phase is Phase.FINISHED:
            raise Rejected("finished")
        if self._started:
            raise Rejected("already_started")
        target = self._next_target()
        if target is None:
            raise Rejected("no_more_questions")
        self._started = True
        return self._go(target, now)

    def _next(self, params: dict[str, Any], now: int) -> list[Event]:
        self._between_questions()
        seg = self.segment
        if seg is not None and seg.kind == "risk" and seg.risk_turns_left():
            # The reveal stays up until the host moves on: only then the next team is asked for its pick.
            if self.phase is Phase.PICKING:
                raise Rejected("risk_pick_expected")
            self.phase = Phase.PICKING
            return [self._turn_event(seg)]
        target = self._next_target()
        if target is None:
            raise Rejected("no_more_questions")
        return self._go(target, now)

    def _close_action(self, params: dict[str, Any], now: int) -> list[Event]:
        run = self.current
        if run is None or self.phase not in LIVE:
            raise Rejected("no_open_question")
        if self.phase is Phase.ANSWERING:
            if run.awaiting_judgement:
                raise Rejected("not_judged")
            return self._resolve_buzz(run, False, timeout=True, by="host", now=now)
        return self._close(run)

    def _reveal(self, params: dict[str, Any], now: int) -> list[Event]:
        run = self.current
        if run is None or self.phase is not Phase.CLOSED:
            codes = {Phase.REVEALED: "already_revealed", Phase.FINISHED: "finished"}
            raise Rejected("question_open" if self.phase in LIVE else codes.get(self.phase, "no_open_question"))
        if run.kind in TURN_KINDS and run.judged is None and run.team_answer and run.team_answer.correct is None:
            raise Rejected("not_judged")
        results: dict[PlayerId, dict[str, Any]] = {}
        if run.kind == "all":
            scores = self._settle_all(run, results, now)
        elif run.kind in TURN_KINDS:
            scores = self._settle_turn(run, results, now)
        else:
            scores = self._settle_buzz(run, results, now)
        self._add_standing(results)
        if run.key.type == "short":
            right = sum(1 for a in run.answers.values() if a.correct)
            run.distribution = {"correct": right, "wrong": len(run.answers) - right}
        run.revealed, run.results = True, results
        self.phase = Phase.REVEALED
        q = run.question
        body: dict[str, Any] = {"question": q.id, "answer": list(q.answer), "explanation": q.explanation,
                                "distribution": dict(run.distribution), "team_results": self._team_results(run)}
        events: list[Event] = [AnswerRevealed(audience="players", results=results, **body),
                               AnswerRevealed(audience="screen", **body), AnswerRevealed(audience="host", **body)]
        # No turn here, even in `risk`: the reveal stays on the big screen until the host's next action.
        return events + scores

    def _adjust(self, params: dict[str, Any], now: int) -> list[Event]:
        guest = self.config.rules >= 2 and params.get("team_id") is None and "player_id" in params
        team_id = None if guest else int_param(params, "team_id")
        if team_id is not None and team_id not in self.teams:
            raise Rejected("unknown_team")
        delta = params.get("delta")
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not delta or delta != delta:
            raise Rejected("invalid_params")
        if abs(delta) == float("inf"):
            raise Rejected("invalid_params")
        reason = params.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise Rejected("reason_required")
        player_id = params.get("player_id")
        if player_id is not None and (not isinstance(player_id, (int, str)) or player_id not in self.players):
            raise Rejected("unknown_player")
        if guest and self.players[player_id].team_id is not None:
            raise Rejected("invalid_params")  # a team member's points are the team's: adjust the team
        question_id = params.get("question_id") if isinstance(params.get("question_id"), int) else None
        return self._score(team_id, player_id, tidy(delta), reason.strip(), question_id, "host", now)

    def _reverse(self, params: dict[str, Any], now: int) -> list[Event]:
        entry_id = int_param(params, "entry_id")
        if not 1 <= entry_id <= len(self.ledger):
            raise Rejected("unknown_entry")
        entry = self.ledger[entry_id - 1]
        if entry.reverses is not None:
            raise Rejected("cannot_reverse")
        if entry_id in self._reversed:
            raise Rejected("already_reversed")
        self._reversed[entry_id] = len(self.ledger) + 1
        return self._score(entry.team_id, entry.player_id, tidy(-entry.delta), "reverse", entry.question_id,
                           "host", now, reverses=entry_id)

    def _kick(self, params: dict[str, Any], now: int) -> list[Event]:
        """Remove a guest: off the boards and counts, its name kept taken; its socket is closed by the caller."""
        player_id = params.get("player_id")
        player = self.players.get(player_id) if isinstance(player_id, (int, str)) else None
        if player is None:
            raise Rejected("unknown_player")
        if player.user_id is not None:
            raise Rejected("cannot_kick")  # a member playing with an account is an organiser's matter
        del self.players[player.id]
        self._kicked[player.id] = None
        if player.team_id is not None:
            team = self.teams[player.team_id]
            team.members.remove(player.id)
            for seat, who in list(team.by_seat.items()):
                if who == player.id:
                    del team.by_seat[seat]
        run = self.current
        if run is not None and not run.revealed and run.answers.pop(player.id, None) is not None:
            run.answered -= 1
        self._score_version += 1
        count = len(self.players)
        return [PlayerKicked(audience=f"player:{player.id}", player_id=player.id, name=player.name, count=count),
                PlayerKicked(audience="host", player_id=player.id, name=player.name, count=count),
                PlayerKicked(audience="screen", player_id=player.id, name=player.name, count=count)]

    def _leaderboard(self, params: dict[str, Any], now: int) -> list[Event]:
        self._between_questions()
        self.phase = Phase.LEADERBOARD
        return [LeaderboardShown(audience="all", **self.leaderboard())]

    def _pause(self, params: dict[str, Any], now: int) -> list[Event]:
        run = self.current
        if run is None or self.phase not in LIVE:
            raise Rejected("cannot_pause")
        self._paused_from, self._paused_at = self.phase, now
        self.phase = Phase.PAUSED
        remaining = None if run.deadline is None else max(0, run.deadline - now)
        return [GamePaused(audience="all", remaining_ms=remaining, now_ms=now)]

    def _resume(self, params: dict[str, Any], now: int) -> list[Event]:
        run = self.current
        if run is None or self.phase is not Phase.PAUSED:
            raise Rejected("not_paused")
        paused = max(0, now - self._paused_at)
        if run.deadline is not None:
            run.deadline += paused  # the countdown was frozen: push the deadline by the pause
        run.paused_ms += paused
        self.phase = self._paused_from
        return [GameResumed(audience="all", phase=self.phase.value, deadline_ms=run.deadline, now_ms=now)]

    def _media(self, params: dict[str, Any], now: int) -> list[Event]:
        """Play or pause the question's sound or video on the big screen (phones never play it: a hall of
        phones playing one song out of step is noise, and the screen's speakers are the show's)."""
        run = self.current
        play = params.get("play")
        if not isinstance(play, bool):
            raise Rejected("invalid_params")
        if run is None or not run.question.playable():
            raise Rejected("no_media")
        run.media_playing = play
        return [MediaControl(audience=who, question=run.question.id, playing=play, now_ms=now)
                for who in ("screen", "host")]

    def _finish(self, params: dict[str, Any], now: int) -> list[Event]:
        if self.phase is not Phase.LOBBY:
            self._between_questions()
        self.phase = Phase.FINISHED
        return [GameFinished(audience="all", prizes=[dict(p) for p in self.config.prizes] or None,
                             **self.final_board())]

    # --- scores and views ---

    def _record(self, team_id: int, player_id: PlayerId | None, delta: Score, reason: str,
                question_id: int | None, by: str, now: int, reverses: int | None = None) -> LedgerEntry:
        entry = LedgerEntry(len(self.ledger) + 1, team_id, player_id, delta, reason, question_id, by, now, reverses)
        self.ledger.append(entry)
        team = self.teams[team_id]
        team.score = tidy(team.score + delta)
        player = self.players.get(player_id) if player_id is not None else None
        if player is not None:
            player.score = tidy(player.score + delta)
        self._score_version += 1
        return entry

    def _record_guest(self, player: Player, delta: Score, reason: str, question_id: int | None, now: int,
                      by: str = "auto", reverses: int | None = None) -> LedgerEntry:
        """A guest's own points in an open game, as a ledger entry of its own (计分记录 lists them too)."""
        entry = LedgerEntry(len(self.ledger) + 1, None, player.id, delta, reason, question_id, by, now, reverses)
        self.ledger.append(entry)
        player.score = tidy(player.score + delta)
        self._score_version += 1
        return entry

    def _score(self, team_id: int | None, player_id: PlayerId | None, delta: Score, reason: str,
               question_id: int | None, by: str, now: int, reverses: int | None = None) -> list[Event]:
        if team_id is None:  # a guest's own board (adjust or reverse)
            player = self.players.get(player_id) if player_id is not None else None
            if player is None:
                raise Rejected("unknown_player")
            entry = self._record_guest(player, delta, reason, question_id, now, by, reverses)
            return [ScoreChanged(audience="all", team_id=None, player_id=player.id, delta=delta,
                                 total=player.score, reason=reason, entry_id=entry.id)]
        entry = self._record(team_id, player_id, delta, reason, question_id, by, now, reverses)
        return [ScoreChanged(audience="all", team_id=team_id, player_id=player_id, delta=delta,
                             total=self.teams[team_id].score, reason=reason, entry_id=entry.id)]

    def _add_standing(self, results: dict[PlayerId, dict[str, Any]]) -> None:
        """Every player's reveal `you` gets `score` (own running total) and `rank` (on the player board;
        a team player's is the team's rank, with the team's total as `team_score`)."""
        team_rank = {team_id: place for place, _, team_id in self._standings()} if self.teams else {}
        solo = [p for p in self.players.values() if p.team_id is None]
        player_rank = {p.id: place for place, _, p in rank_players(solo)}
        for player in self.players.values():
            you = {**results.get(player.id, AnswerRevealed.NO_RESULT), "score": player.score}
            if player.team_id is not None:
                you.update(team_score=self.teams[player.team_id].score, rank=team_rank.get(player.team_id))
            else:
                you["rank"] = player_rank.get(player.id)
            results[player.id] = you

    def _standings(self) -> list[tuple[int, bool, int]]:
        rows = [(t.id, t.score, t.time_ms, self._tie_positions.get(t.id, 0)) for t in self.teams.values()]
        return standings(rows)

    def leaderboard(self, top: int = 10) -> dict[str, Any]:
        """Ranked teams (score, then less answer time, then tiebreak results; else tied) and the top players."""
        if self._board_cache is not None and self._board_cache[0] == self._score_version and top == 10:
            return self._board_cache[1]
        teams = []
        for place, tied, team_id in self._standings():
            team = self.teams[team_id]
            teams.append({"rank": place, "team_id": team_id, "name": team.config.name, "unit": team.config.unit,
                          "score": team.score, "time_ms": team.time_ms, "tied": tied})
        ranked = rank_players(self.players.values())[:top]
        players = [{"rank": place, "player_id": p.id, "name": p.name, "team_id": p.team_id, "score": p.score,
                    "time_ms": p.time_ms, "tied": tied} for place, tied, p in ranked]
        board: dict[str, Any] = {"teams": teams, "players": players}
        if top == 10:
            self._board_cache = (self._score_version, board)
        return board

    def counts(self) -> dict[str, int]:
        """The host console's live counts: players joined, answers and buzzes to the current question."""
        run = self.current
        return {"joined": len(self.players), "answered": run.answered if run else 0,
                "buzzes": run.buzzes if run else 0}

    def final_board(self) -> dict[str, Any]:
        """The leaderboard with each team's `prize` when the game has prizes (a round's)."""
        board = self.leaderboard()
        if not self.config.prizes:
            return board
        return {**board, "teams": with_prizes(board["teams"], self.config.prizes)}

    def player(self, player_id: PlayerId) -> dict[str, Any] | None:
        """The `welcome.player` object `{id, name, team_id}`, or None if not joined."""
        player = self.players.get(player_id)
        return player.public() if player else None

    def snapshot(self, for_role: str = "screen", player_id: PlayerId | None = None,
                 now_ms: int | None = None) -> dict[str, Any]:
        """The contract's `state` message for `player`, `screen` or `host` (the host's carries the answer)."""
        run, seg, host = self.current, self.segment, for_role == "host"
        state: dict[str, Any] = {
            "type": "state", "title": self.config.title, "phase": self.phase.value,
            "segment": seg.info() if seg else None, "question": None, "index": None, "count": None,
            "points": None, "team_id": None, "player_id": None, "team_ids": None, "audience_only": False,
            "deadline_ms": None, "remaining_ms": None,
            "now_ms": self.now_ms if now_ms is None else now_ms,
            "scores": [{"team_id": t.id, "name": t.config.name, "unit": t.config.unit, "score": t.score}
                       for t in self.teams.values()],
            "turn_team_id": self._turn_team_id(),
            "card_until_ms": self._card_until if self.phase is Phase.CARD else None,
        }
        if run is not None:
            q = run.question
            state.update(question=q.for_host() if host or run.revealed else q.public(), index=run.number,
                         count=len(run.config.questions), points=run.points, team_id=run.team_id,
                         player_id=run.player_id, team_ids=run.contenders or None, audience_only=run.audience_mode)
            if self.phase in LIVE:
                state["deadline_ms"] = run.deadline
            if self.phase is Phase.PAUSED and run.deadline is not None:
                state["remaining_ms"] = max(0, run.deadline - self._paused_at)
            if run.revealed:
                state["distribution"] = dict(run.distribution)
                team_results = self._team_results(run)
                if team_results is not None:
                    state["team_results"] = team_results
            if for_role != "player" and run.question.playable():
                state["media"] = {"question": q.id, "playing": run.media_playing}
            if run.kind in BUZZ_KINDS:
                state["buzz"] = {"armed": self.phase is Phase.BUZZING, "answering_team_id": run.answering_team,
                                 "answering_player_id": run.answering_player, "order": list(run.window),
                                 "fouls": list(run.fouled), "out": list(run.out), "eligible": run.eligible()}
            if host:
                state.update(answer=list(q.answer), explanation=q.explanation)
                if run.key.type == "short" and (run.kind == "all" or run.audience_mode):
                    state["short_answers"] = [
                        {"player_id": a.player_id, "name": self.players[a.player_id].name, "team_id": a.team_id,
                         "answer": a.value, "correct": a.correct} for a in run.answers.values()]
        if seg is not None and seg.kind == "risk":
            state["risk"] = {"order": seg.schedule[:len(seg.team_ids)],
                             "values_left": [{"team_id": t, "values": seg.values_left(t)} for t in seg.team_ids]}
        if seg is not None and seg.kind == "tiebreak":
            state["tiebreak"] = [g.to_dict() for g in seg.groups]
        if self.phase is Phase.FINISHED:
            state["leaderboard"] = {**self.final_board(), "prizes": [dict(p) for p in self.config.prizes] or None}
        elif self.phase in (Phase.LEADERBOARD, Phase.PICKING):
            state["leaderboard"] = self.leaderboard()
        if host:
            state["counts"] = self.counts()
            # What the console may offer now, so it never shows a button or a label that is not true.
            state.update(can_next=self._can_next(), last_question=self._last_question(),
                         answer_private=run is not None and not run.revealed,
                         needs_judgement=run is not None and self._needs_judgement(run))
        elif for_role == "screen":
            state["counts"] = {"joined": len(self.players)}
        if for_role == "player":
            state["you"] = self._you(run, player_id)
        return state

    @staticmethod
    def _team_results(run: QuestionRun) -> list[dict[str, Any]] | None:
        """A team segment's verdicts for the reveal, in the order judged (None in everyone-answers)."""
        if run.kind == "all":
            return None
        return [{"team_id": team_id, **result} for team_id, result in run.team_results.items()]

    def _risk_turn_pending(self) -> bool:
        seg = self.segment
        return seg is not None and seg.kind == "risk" and seg.risk_turns_left()

    def _last_question(self) -> bool:
        """No question comes after the current one (as the standings are now: a tiebreak may still come)."""
        return not self._risk_turn_pending() and self._next_target() is None

    def _can_next(self) -> bool:
        """Whether `next` would do something now (下一题 enabled)."""
        if not self._started or self.phase not in (Phase.REVEALED, Phase.LEADERBOARD, Phase.PICKING):
            return False
        if self._risk_turn_pending():
            return self.phase is not Phase.PICKING  # picking: the host records a value, not `next`
        return self._next_target() is not None

    def _needs_judgement(self, run: QuestionRun) -> bool:
        """Whether the host must judge before the reveal can grade: an oral or `short` answer. A choice
        answered on a phone grades itself at the reveal."""
        if run.revealed:
            return False
        if run.kind in TURN_KINDS:
            answer = run.team_answer
            return run.judged is None and (answer is None or answer.correct is None)
        if run.kind in BUZZ_KINDS and not run.audience_mode:
            return self.phase is Phase.ANSWERING and (run.team_answer is None or run.awaiting_judgement)
        return run.key.type == "short" and any(a.correct is None for a in run.answers.values())

    def _turn_team_id(self) -> int | None:
        seg, run = self.segment, self.current
        if seg is None:
            return None
        if run is not None and run.segment is seg and run.kind in TURN_KINDS and not run.revealed:
            return run.team_id
        if seg.kind == "risk":
            return seg.turn_team() if seg.risk_turns_left() else None
        return None

    def _you(self, run: QuestionRun | None, player_id: PlayerId | None) -> dict[str, Any] | None:
        player = self.players.get(player_id) if player_id is not None else None
        if player is None:
            return None
        you: dict[str, Any] = {**player.public(), "score": player.score, "answered": False, "answer": None,
                               "at_ms": None, "result": None}
        if run is not None:
            answer = run.answers.get(player.id)
            team_answer = run.team_answer
            if answer is None and team_answer is not None and player.team_id == team_answer.team_id:
                answer = team_answer
            if answer is not None:
                you.update(answered=True, answer=answer.value, at_ms=answer.at_ms)
            if run.revealed:
                you["result"] = run.results.get(player.id, AnswerRevealed.NO_RESULT)
        return you
