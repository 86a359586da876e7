"""The live engine's common flow: answers and acks, everyone/required segments, pause, ledger,
illegal actions, no answer leaks, replay determinism, speed. No socket, no database, a fake clock."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from live.engine import ConfigError, Game, GameConfig, Phase, QuestionSnapshot, SegmentConfig, TeamConfig
from live.messages import (
    AnswerAcked,
    AnswerRevealed,
    Buzz,
    Command,
    Error,
    Event,
    GamePaused,
    HostAction,
    Join,
    QuestionShown,
    ScoreChanged,
    SubmitAnswer,
    Tick,
    command_from_dict,
    command_to_dict,
)
from live.scoring import speed_points

OPTIONS = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]


def single(qid: int, answer: str = "A") -> QuestionSnapshot:
    return QuestionSnapshot(qid, "single", f"第{qid}题", OPTIONS, [answer], f"解析{qid}")


def roster(teams: int = 3, seats: int = 3) -> list[TeamConfig]:
    """Team t has users t*100 + seat; the tests use the user id as the player id."""
    return [TeamConfig(t, f"第{t}队", f"单位{t}", [t * 100 + s for s in range(seats)]) for t in range(1, teams + 1)]


class Play:
    """A game with its command log and every event, driven by a fake clock."""

    def __init__(self, *segments: SegmentConfig, teams: list[TeamConfig] | None = None, open: bool = True,
                 base_score: int = 0, card_ms: int = 0) -> None:
        # No title cards unless a test is about them: the flow under test starts at the question.
        self.config = GameConfig("测试赛", base_score, open, roster() if teams is None else teams, list(segments),
                                 card_ms=card_ms)
        self.game = Game(self.config)
        self.log: list[tuple[Command, int]] = []
        self.events: list[Event] = []

    def do(self, command: Command, now: int) -> list[Event]:
        self.log.append((command, now))
        events = self.game.handle(command, now)
        self.events += events
        return events

    def host(self, now: int, action: str, **params: Any) -> list[Event]:
        return self.do(HostAction(action, params), now)

    def join_teams(self, now: int = 0) -> None:
        for team in self.config.teams:
            for user in team.seats:
                assert isinstance(user, int)
                self.do(Join(user, f"选手{user}", user_id=user), now)

    def qid(self) -> int:
        assert self.game.current is not None
        return self.game.current.question.id

    def answer(self, now: int, player: int | str, answer: Any, cid: str | None = None) -> AnswerAcked:
        qid = self.qid()
        events = self.do(SubmitAnswer(player, cid or f"{player}-{qid}-{now}", qid, answer), now)
        assert isinstance(events[0], AnswerAcked)
        return events[0]

    def buzz(self, now: int, player: int) -> list[Event]:
        return self.do(Buzz(player, self.qid()), now)


def only(events: list[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def error_code(events: list[Event]) -> str | None:
    errors = only(events, Error)
    return errors[0].code if errors else None


def you(events: list[Event], player: int | str) -> dict[str, Any]:
    reveal = next(e for e in events if isinstance(e, AnswerRevealed) and e.audience == "players")
    result: dict[str, Any] = reveal.message_for(player)["you"]
    return result


# --- everyone answers ---------------------------------------------------------------


def test_speed_bonus_runs_from_full_points_at_open_to_half_at_the_deadline() -> None:
    play = Play(SegmentConfig("all", questions=[single(1)], time_limit_s=20, points=10, speed_bonus=True), teams=[])
    for guest in "abcde":
        play.do(Join(guest, guest), 0)
    play.host(1000, "start")  # deadline 21000
    assert play.answer(1000, "a", "A").accepted
    assert play.answer(21000, "b", ["A"]).accepted  # exactly at the deadline still counts
    assert play.answer(11000, "c", "A").accepted
    assert play.answer(2000, "d", "B").accepted
    late = play.answer(21001, "e", "A")
    assert (late.accepted, late.reason) == (False, "late")
    play.do(Tick(), 21001)
    events = play.host(22000, "reveal")
    points = {p: you(events, p)["points"] for p in "abcde"}
    assert points == {"a": 10, "b": 5, "c": 8, "d": 0, "e": 0}
    assert you(events, "e")["answered"] is False
    assert all(5 <= speed_points(10, t, 20000) <= 10 for t in range(-5, 25000, 250))
    assert speed_points(5, 20000, 20000) == 3 and speed_points(5, 0, 20000) == 5
    assert {p["player_id"]: p["score"] for p in play.game.leaderboard()["players"]}["a"] == 10


@pytest.mark.parametrize(("mode", "totals", "entries"), [
    ("sum", {1: 20, 2: 10, 3: 0}, [(1, 100, 10), (1, 101, 10), (2, 200, 10)]),
    ("average", {1: 6.67, 2: 3.33, 3: 0}, [(1, None, 6.67), (2, None, 3.33)]),
])
def test_team_score_is_the_sum_or_the_average_over_seats(mode: str, totals: dict[int, float],
                                                         entries: list[tuple[int, Any, float]]) -> None:
    play = Play(SegmentConfig("all", questions=[single(1)], team_score=mode))
    play.join_teams()
    play.host(0, "start")
    for player, answer in [(100, "A"), (101, "A"), (102, "B"), (200, "A"), (201, "C")]:
        assert play.answer(500, player, answer).accepted
    play.do(Tick(), 20001)
    events = play.host(21000, "reveal")
    assert {t: team.score for t, team in play.game.teams.items()} == totals
    assert [(e.team_id, e.player_id, e.delta) for e in play.game.ledger] == entries
    assert {(e.team_id, e.total) for e in only(events, ScoreChanged)} == {(1, totals[1]), (2, totals[2])}
    assert play.game.players[101].score == 10 and play.game.players[102].score == 0


def test_timeout_points_hit_team_players_who_did_not_answer() -> None:
    play = Play(SegmentConfig("all", questions=[single(1)], wrong_points=-5, timeout_points=-2), teams=roster(1, 3))
    play.join_teams()
    play.host(0, "start")
    play.answer(100, 100, "A")
    play.answer(100, 101, "D")
    play.do(Tick(), 20001)
    events = play.host(20002, "reveal")
    assert [(e.player_id, e.delta, e.reason) for e in play.game.ledger] == [
        (100, 10, "correct"), (101, -5, "wrong"), (102, -2, "timeout")]
    assert you(events, 102).items() >= {"answered": False, "correct": False, "points": -2}.items()


def test_everyone_answered_closes_early_and_reveal_counts_each_option() -> None:
    play = Play(SegmentConfig("all", questions=[single(1)]), teams=[])
    for guest in "abc":
        play.do(Join(guest, guest), 0)
    play.host(0, "start")
    for guest, answer in [("a", "A"), ("b", "B"), ("c", "A")]:
        play.answer(10, guest, answer)
    assert play.game.phase is Phase.CLOSED
    reveal = play.host(20, "reveal")[0].to_message()
    assert reveal == {"type": "reveal", "question": 1, "answer": ["A"], "explanation": "解析1",
                      "distribution": {"A": 2, "B": 1, "C": 0, "D": 0}}


def test_fill_grading_ignores_spaces_and_full_width_and_judge_counts_true_false() -> None:
    fill = QuestionSnapshot(1, "fill", "一大最后一天在____召开", [], [["嘉兴南湖", "南湖"], ["ABC"]], "")
    judge = QuestionSnapshot(2, "judge", "对吗", [], [True], "")
    play = Play(SegmentConfig("all", questions=[fill, judge]), teams=[])
    for guest in "abcd":
        play.do(Join(guest, guest), 0)
    play.host(0, "start")
    play.answer(1, "a", ["嘉兴 南湖", "ａｂｃ"])
    play.answer(1, "b", ["南 湖", "ＡＢＣ "])
    play.answer(1, "c", ["嘉兴", "abc"])
    assert play.answer(1, "d", ["嘉兴南湖"]).reason == "invalid"  # one blank short
    play.host(2, "close")
    events = play.host(3, "reveal")
    assert [you(events, g)["correct"] for g in "abc"] == [True, True, False]
    assert events[0].to_message()["distribution"] == {"correct": 2, "wrong": 1}
    play.host(4, "next")
    play.answer(5, "a", True)
    play.answer(5, "b", [False])
    assert play.answer(5, "c", "true").reason == "invalid"
    play.host(6, "close")
    assert play.host(7, "reveal")[0].to_message()["distribution"] == {"true": 1, "false": 1}


# --- acks ---------------------------------------------------------------------------


def test_acks_duplicate_idempotent_late_closed_invalid() -> None:
    play = Play(SegmentConfig("all", questions=[single(1), single(2)], time_limit_s=10), teams=[])
    for guest in "abc":
        play.do(Join(guest, guest), 0)
    early = play.do(SubmitAnswer("a", "early", 1, "A"), 0)[0]
    assert isinstance(early, AnswerAcked) and early.reason == "closed"
    play.host(0, "start")
    first = play.answer(100, "a", "A", cid="x1")
    again = play.do(SubmitAnswer("a", "x1", 1, "B"), 900)
    assert again == [first] and first.to_message() == {
        "type": "ack", "id": "x1", "question": 1, "accepted": True, "reason": None, "at_ms": 100, "submitted": ["A"]}
    assert play.answer(200, "a", "B", cid="x2").reason == "duplicate"
    assert play.answer(200, "c", "Z").to_message()["submitted"] is None  # a refused answer is not echoed
    assert play.answer(200, "b", "E").reason == "invalid"
    assert play.answer(200, "b", ["A", "B"]).reason == "invalid"
    assert play.do(SubmitAnswer("b", "old", 99, "A"), 300)[0].reason == "closed"  # type: ignore[attr-defined]
    assert play.answer(10001, "b", "A").reason == "late"
    play.do(Tick(), 10001)
    assert play.answer(10002, "c", "A").reason == "late"
    assert error_code(play.do(SubmitAnswer("nobody", "z", 1, "A"), 10003)) == "not_joined"
    assert play.game.current is not None and play.game.current.answered == 1


def test_required_by_team_goes_round_the_teams_and_only_the_team_on_turn_answers() -> None:
    play = Play(SegmentConfig("required", questions=[single(i) for i in range(1, 5)], time_limit_s=30,
                              timeout_points=-3))
    play.join_teams()
    play.do(Join("g", "观众"), 0)
    shown = only(play.host(0, "start"), QuestionShown)
    assert shown[0].team_id == 1 and shown[0].to_message()["team_id"] == 1
    assert play.answer(10, 200, "A").reason == "not_your_turn"
    assert play.answer(10, "g", "A").reason == "not_your_turn"
    assert play.answer(20, 101, "A").accepted
    assert play.game.phase is Phase.CLOSED  # the team's one answer is in
    assert play.answer(21, 100, "B").reason == "closed"
    play.host(30, "reveal")
    assert [(e.team_id, e.player_id, e.delta) for e in play.game.ledger] == [(1, 101, 10)]
    turns = []
    for now in (1000, 50000, 100000):
        events = play.host(now, "next")
        turns.append(only(events, QuestionShown)[0].team_id)
        assert play.game.snapshot("screen")["turn_team_id"] == turns[-1]
        play.do(Tick(), now + 30001)
        play.host(now + 30002, "reveal")
    assert turns == [2, 3, 1]
    assert [(e.team_id, e.delta, e.reason) for e in play.game.ledger[1:]] == [
        (2, -3, "timeout"), (3, -3, "timeout"), (1, -3, "timeout")]


def test_required_by_seat_takes_each_teams_players_in_seat_order() -> None:
    play = Play(SegmentConfig("required", answerer="seat", questions=[single(i) for i in range(1, 5)]),
                teams=roster(2, 2))
    play.join_teams()
    seen = []
    for i in range(4):
        events = play.host(i * 1000, "start" if i == 0 else "next")
        shown = only(events, QuestionShown)[0]
        seen.append((shown.team_id, shown.player_id))
        teammate = {100: 101, 101: 100, 200: 201, 201: 200}[shown.player_id]
        assert play.answer(i * 1000 + 1, teammate, "A").reason == "not_your_turn"
        assert play.answer(i * 1000 + 2, shown.player_id, "A").accepted
        play.host(i * 1000 + 3, "reveal")
    assert seen == [(1, 100), (2, 200), (1, 101), (2, 201)]


def test_host_judges_an_oral_answer_at_once() -> None:
    play = Play(SegmentConfig("required", questions=[single(1)], wrong_points=-5), teams=roster(2, 1))
    play.join_teams()
    play.host(0, "start")
    assert error_code(play.host(1, "judge", team_id=2, correct=True)) == "not_answering_team"
    events = play.host(2, "judge", team_id=1, correct=False)
    assert [e.type for e in events] == ["judged", "score", "closed"]
    assert error_code(play.host(3, "judge", team_id=1, correct=True)) == "already_judged"
    play.host(4, "reveal")
    assert play.game.teams[1].score == -5 and len(play.game.ledger) == 1


# --- pause, ledger, illegal moves ---------------------------------------------------


def test_pause_freezes_the_countdown_and_resume_pushes_the_deadline() -> None:
    play = Play(SegmentConfig("all", questions=[single(1)], time_limit_s=20, speed_bonus=True), teams=[])
    for guest in "abc":
        play.do(Join(guest, guest), 0)
    play.host(0, "start")
    paused = play.host(5000, "pause")
    assert isinstance(paused[0], GamePaused) and paused[0].remaining_ms == 15000
    assert play.game.snapshot("screen", now_ms=6000)["remaining_ms"] == 15000
    assert play.answer(6000, "a", "A").reason == "closed"
    assert play.do(Tick(), 30000) == []
    assert error_code(play.host(30000, "next")) == "paused"
    resumed = play.host(65000, "resume")[0].to_message()
    assert resumed == {"type": "resumed", "phase": "question", "deadline_ms": 80000, "now_ms": 65000}
    assert play.answer(75000, "b", "A").accepted  # 15 s of answering time, the pause not counted
    assert play.answer(80001, "c", "A").reason == "late"
    play.do(Tick(), 80001)
    assert you(play.host(80002, "reveal"), "b")["points"] == 10 - (10 * 15000) // 40000


def test_adjust_and_reverse_are_new_ledger_entries() -> None:
    play = Play(SegmentConfig("required", questions=[single(1)]), teams=roster(2, 1))
    play.join_teams()
    assert error_code(play.host(0, "adjust", team_id=1, delta=5)) == "reason_required"
    assert error_code(play.host(0, "adjust", team_id=9, delta=5, reason="x")) == "unknown_team"
    assert error_code(play.host(0, "adjust", team_id=1, delta=True, reason="x")) == "invalid_params"
    play.host(0, "adjust", team_id=1, delta=5, reason="补录初赛加分", player_id=100)
    play.host(1, "start")
    play.host(2, "judge", team_id=1, correct=True)
    before = list(play.game.ledger)
    events = play.host(3, "reverse", entry_id=2)
    score = only(events, ScoreChanged)[0]
    assert (score.delta, score.total, score.reason, score.entry_id) == (-10, 5, "reverse", 3)
    assert play.game.ledger[:2] == before and play.game.ledger[2].reverses == 2
    assert [e.to_dict()["delta"] for e in play.game.ledger] == [5, 10, -10]
    assert play.game.ledger[0].reason == "补录初赛加分" and play.game.ledger[0].by == "host"
    assert error_code(play.host(4, "reverse", entry_id=2)) == "already_reversed"
    assert error_code(play.host(4, "reverse", entry_id=3)) == "cannot_reverse"
    assert error_code(play.host(4, "reverse", entry_id=9)) == "unknown_entry"
    assert play.game.teams[1].score == 5 and play.game.players[100].score == 5


def frozen(play: Play) -> str:
    game = play.game
    views = [game.snapshot(role, pid, now_ms=0) for role, pid in [("host", None), ("screen", None), ("player", 100)]]
    return json.dumps([views, [e.to_dict() for e in game.ledger], game.leaderboard(), game.segment is None],
                      sort_keys=True, default=str)


ILLEGAL: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "lobby": [("next", {}, "not_started"), ("reveal", {}, "no_open_question"), ("close", {}, "no_open_question"),
              ("open_buzz", {}, "no_open_question"), ("judge", {"team_id": 1, "correct": True}, "nothing_to_judge"),
              ("risk", {"team_id": 1, "points": 10}, "not_risk_segment"), ("resume", {}, "not_paused"),
              ("pause", {}, "cannot_pause"), ("leaderboard", {}, "not_started"), ("explode", {}, "unknown_action"),
              ("reverse", {"entry_id": 1}, "unknown_entry")],
    "question": [("start", {}, "already_started"), ("next", {}, "question_open"), ("reveal", {}, "question_open"),
                 ("open_buzz", {}, "not_buzzer"), ("finish", {}, "question_open"),
                 ("leaderboard", {}, "question_open"), ("adjust", {"team_id": 1, "delta": "x", "reason": "r"},
                                                        "invalid_params"),
                 ("judge", {"team_id": 1, "correct": "yes"}, "invalid_params"), ("resume", {}, "not_paused")],
    "closed": [("next", {}, "not_revealed"), ("finish", {}, "not_revealed"), ("close", {}, "no_open_question"),
               ("pause", {}, "cannot_pause"), ("leaderboard", {}, "not_revealed")],
    "revealed": [("reveal", {}, "already_revealed"), ("close", {}, "no_open_question"),
                 ("judge", {"team_id": 1, "correct": True}, "nothing_to_judge")],
    "paused": [("next", {}, "paused"), ("reveal", {}, "paused"), ("pause", {}, "paused"), ("finish", {}, "paused")],
    "finished": [("start", {}, "finished"), ("next", {}, "finished"), ("leaderboard", {}, "finished")],
}


@pytest.mark.parametrize("state", list(ILLEGAL))
def test_illegal_host_actions_answer_an_error_and_change_nothing(state: str) -> None:
    play = Play(SegmentConfig("all", questions=[single(1), single(2)]), teams=roster(2, 1))
    play.join_teams()
    steps = {"lobby": [], "question": ["start"], "closed": ["start", "close"],
             "revealed": ["start", "close", "reveal"], "paused": ["start", "pause"],
             "finished": ["start", "close", "reveal", "finish"]}[state]
    for i, action in enumerate(steps):
        assert error_code(play.host(i, action)) is None
    for action, params, code in ILLEGAL[state]:
        before = frozen(play)
        events = play.host(100, action, **params)
        assert len(events) == 1 and isinstance(events[0], Error) and events[0].audience == "host"
        assert (action, events[0].code) == (action, code)
        assert events[0].message  # Chinese text for the console
        assert frozen(play) == before


# --- a whole game: no leaks, replay -------------------------------------------------


def full_game() -> Play:
    """Every kind once, with guests, fouls, a wrong buzz, a pause, a risk pick and a correction."""
    fill = QuestionSnapshot(4, "fill", "填空", [], [["上海"]], "解析4")
    judge = QuestionSnapshot(3, "judge", "判断", [], [False], "解析3")
    play = Play(
        SegmentConfig("all", title="全员答题", questions=[single(1)], speed_bonus=True),
        SegmentConfig("required", title="必答题", questions=[single(2, "B"), judge, fill], time_limit_s=30),
        SegmentConfig("buzzer", title="抢答题", questions=[single(5), single(6, "C")], buzz_window_s=5,
                      time_limit_s=10, wrong_points=-10, rebuzz_after_wrong=True, no_buzz="audience"),
        SegmentConfig("risk", title="风险题", questions=[single(7), single(8), single(9)], pick_order="score_asc"),
        SegmentConfig("tiebreak", title="加赛", questions=[single(10), single(11)], places_that_matter=[1]),
        teams=roster(3, 2))
    play.join_teams()
    play.do(Join("g1", "观众甲"), 0)
    play.do(Join("g2", "观众乙"), 0)
    t = 1000
    play.host(t, "start")
    players: list[int | str] = [100, 101, 200, "g1", 300]
    for i, player in enumerate(players):
        play.answer(t + 500 * i, player, "A" if i % 2 == 0 else "B")
    play.host(t + 3000, "pause")
    play.host(t + 9000, "resume")
    play.do(Tick(), t + 40000)
    play.host(t + 41000, "reveal")
    t = 100000
    play.host(t, "next")
    play.answer(t + 1000, 100, "B")
    play.host(t + 2000, "reveal")
    play.host(t + 3000, "next")
    play.answer(t + 4000, 201, True)
    play.host(t + 5000, "reveal")
    play.host(t + 6000, "next")
    play.answer(t + 7000, 300, ["上 海"])
    play.host(t + 8000, "reveal")
    t = 200000
    play.host(t, "next")
    play.buzz(t + 100, 101)  # foul
    play.host(t + 1000, "open_buzz")
    play.buzz(t + 1200, 200)
    play.buzz(t + 1201, 300)
    play.answer(t + 2000, 201, "B")  # wrong: the others may buzz again
    play.buzz(t + 2500, 300)
    play.host(t + 3000, "judge", team_id=3, correct=True)
    play.host(t + 4000, "reveal")
    play.host(t + 5000, "next")
    play.host(t + 6000, "open_buzz")
    play.do(Tick(), t + 11001)  # nobody buzzed: the audience plays it
    play.answer(t + 12000, "g2", "C")
    play.do(Tick(), t + 30000)
    play.host(t + 31000, "reveal")
    t = 300000
    play.host(t, "next")
    for k in range(3):
        team = play.game.snapshot("host")["turn_team_id"]
        play.host(t + k * 10000, "risk", team_id=team, points=[10, 20, 30][k])
        play.answer(t + k * 10000 + 500, team * 100, "A" if k != 1 else "D")
        play.host(t + k * 10000 + 1000, "reveal")
    play.host(t + 40000, "adjust", team_id=2, delta=-3, reason="违规提示")
    play.host(t + 41000, "leaderboard")
    play.host(t + 42000, "next")
    play.host(t + 50000, "finish")
    return play


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_the_answer_never_reaches_players_or_screen_before_reveal() -> None:
    play = full_game()
    assert play.game.phase is Phase.FINISHED
    revealed: set[int] = set()
    for event in play.events:
        message = event.to_message()
        if message["type"] == "reveal":
            revealed.add(message["question"])
            continue
        if event.audience == "host" or message["type"] == "team_answered":
            continue  # the host sees everything; a team sees its own submitted answer
        assert not keys_in(message) & {"answer", "explanation"}, message
        assert not keys_in(event.message_for("g1")) & {"answer", "explanation"}
    assert revealed == {1, 2, 3, 4, 5, 6, 7, 8, 9}


def test_player_and_screen_snapshots_hide_the_answer_until_reveal() -> None:
    play = Play(SegmentConfig("buzzer", questions=[single(1)]), teams=roster(2, 1))
    play.join_teams()
    play.host(0, "start")
    play.host(1, "open_buzz")
    play.buzz(2, 100)
    for role, pid in [("screen", None), ("player", 100), ("player", 200)]:
        state = play.game.snapshot(role, pid)
        own = state.pop("you", None)  # `you.answer` is the player's own answer, not the key
        assert not keys_in(state) & {"answer", "explanation"}
        assert own is None or own["answer"] is None
    host = play.game.snapshot("host")
    assert host["answer"] == ["A"] and host["question"]["answer"] == ["A"] and host["counts"]["buzzes"] == 1
    play.answer(3, 100, "A")
    play.host(4, "reveal")
    assert play.game.snapshot("player", 200)["question"]["answer"] == ["A"]
    assert play.game.snapshot("player", 100)["you"]["result"].items() >= {"answered": True, "correct": True, "points": 10}.items()


def test_replaying_the_command_log_gives_the_same_game() -> None:
    play = full_game()
    config = GameConfig.from_dict(json.loads(json.dumps(play.config.to_dict(), ensure_ascii=False)))
    assert config == play.config
    replay = Game(config)
    events: list[Event] = []
    for command, now in play.log:
        events += replay.handle(command_from_dict(json.loads(json.dumps(command_to_dict(command)))), now)
    assert [(e.audience, e.to_message()) for e in events] == [(e.audience, e.to_message()) for e in play.events]
    assert replay.ledger == play.game.ledger
    assert replay.leaderboard() == play.game.leaderboard()
    for role, pid in [("host", None), ("screen", None), *[("player", p) for p in play.game.players]]:
        assert replay.snapshot(role, pid, now_ms=1) == play.game.snapshot(role, pid, now_ms=1)


def fingerprint(play: Play) -> str:
    blob = json.dumps([[(e.audience, e.to_message()) for e in play.events], [e.to_dict() for e in play.game.ledger],
                       play.game.snapshot("host", now_ms=1)], ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def test_a_fresh_process_with_another_hash_seed_plays_the_same_game() -> None:
    # Recovery replays in a new process, where str hashes (and so any set order) differ.
    here = Path(__file__).resolve().parent
    code = "import test_engine as t; print(t.fingerprint(t.full_game()))"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join([str(here), str(here.parents[1])])}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == fingerprint(full_game())


def test_config_validation_names_the_problems() -> None:
    bad = SegmentConfig("buzzer", questions=[QuestionSnapshot(1, "single", "?", OPTIONS, ["Z"])], foul_policy="x")
    with pytest.raises(ConfigError) as raised:
        Game(GameConfig("x", teams=[], segments=[bad, SegmentConfig("mystery")]))
    message = str(raised.value)
    assert "foul_policy" in message and "question 1" in message and "mystery" in message and "needs teams" in message
    with pytest.raises(ConfigError):
        SegmentConfig.from_dict({"kind": "all", "speedbonus": True})


def test_joining_seats_users_in_their_team_and_keeps_guests_out_of_closed_games() -> None:
    closed = Play(SegmentConfig("all", questions=[single(1)]), teams=roster(2, 2), open=False)
    assert error_code(closed.do(Join("g", "游客"), 0)) == "guests_not_allowed"
    joined = closed.do(Join(201, "张三", user_id=201), 0)
    assert [e.audience for e in joined] == ["host", "screen"]
    assert closed.game.player(201) == {"id": 201, "name": "张三", "team_id": 2}
    assert error_code(closed.do(Join(999, "李四", user_id=201), 0)) == "already_joined"
    assert closed.do(Join(7, "王五", user_id=7), 0) and closed.game.player(7) == {"id": 7, "name": "王五", "team_id": None}
    kahoot = Play(SegmentConfig("all", questions=[single(1)]), teams=[TeamConfig(1, "红队"), TeamConfig(2, "蓝队", seats=[5])])
    kahoot.do(Join("a", "a", team_id=1), 0)
    assert kahoot.game.player("a") == {"id": "a", "name": "a", "team_id": 1}
    assert error_code(kahoot.do(Join("b", "b", team_id=2), 0)) == "not_in_team"
    assert error_code(kahoot.do(Join("c", "c", team_id=3), 0)) == "unknown_team"


# --- speed --------------------------------------------------------------------------


def test_ten_thousand_answers_are_handled_fast() -> None:
    play = Game(GameConfig("大型", segments=[SegmentConfig("all", questions=[single(1)], speed_bonus=True)],
                           card_ms=0))
    players = 10_000
    for i in range(players):
        play.handle(Join(i, f"观众{i}"), 0)
    play.handle(HostAction("start"), 0)
    answers = [SubmitAnswer(i, f"c{i}", 1, "ABCD"[i % 4]) for i in range(players)]
    started = time.perf_counter()
    for i, command in enumerate(answers):
        play.handle(command, i * 2000 // players)
    answering = time.perf_counter() - started
    started = time.perf_counter()
    reveal = play.handle(HostAction("reveal"), 3000)
    revealing = time.perf_counter() - started
    print(f"\n10,000 answers: {answering * 1000:.0f} ms; reveal: {revealing * 1000:.0f} ms")
    assert play.phase is Phase.REVEALED  # the last answer closed the question
    assert reveal[0].to_message()["distribution"] == {"A": 2500, "B": 2500, "C": 2500, "D": 2500}
    assert answering < 0.5 and revealing < 0.5
