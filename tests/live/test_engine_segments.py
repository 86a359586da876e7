"""The live engine's team segments: buzzer (order, fouls, re-buzz, no buzz), risk (pick order, values,
decline, turn) and tiebreak (exactly the tied teams, places settled). Plain functions, a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from live.engine import Game, GameConfig, Phase, QuestionSnapshot, SegmentConfig, TeamConfig
from live.messages import (
    AnswerAcked,
    AnswerJudged,
    AnswerRevealed,
    Buzz,
    Buzzed,
    BuzzOpened,
    Command,
    Error,
    Event,
    HostAction,
    Join,
    PlayerAnswered,
    QuestionShown,
    ScoreChanged,
    SegmentStarted,
    SubmitAnswer,
    Tick,
    TiebreakUpdated,
    TurnChanged,
)

OPTIONS = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]


def single(qid: int, answer: str = "A") -> QuestionSnapshot:
    return QuestionSnapshot(qid, "single", f"第{qid}题", OPTIONS, [answer], f"解析{qid}")


def roster(teams: int = 3, seats: int = 3) -> list[TeamConfig]:
    """Team t has users t*100 + seat; the user id doubles as the player id."""
    return [TeamConfig(t, f"第{t}队", f"单位{t}", [t * 100 + s for s in range(seats)]) for t in range(1, teams + 1)]


class Play:
    """A game and every event it emitted, driven by a fake clock."""

    def __init__(self, segment: SegmentConfig, teams: list[TeamConfig] | None = None, **scores: int) -> None:
        # No title cards here (tests/live/test_engine_fairness.py has them): each segment starts at its question.
        self.game = Game(GameConfig("测试赛", 0, True, roster() if teams is None else teams, [segment], card_ms=0))
        self.events: list[Event] = []
        for team in self.game.config.teams:
            for user in team.seats:
                assert isinstance(user, int)
                self.do(Join(user, f"选手{user}", user_id=user), 0)
        for name, delta in scores.items():  # starting standings, e.g. t1=50
            self.host(0, "adjust", team_id=int(name[1:]), delta=delta, reason="前几轮得分")

    def do(self, command: Command, now: int) -> list[Event]:
        events = self.game.handle(command, now)
        self.events += events
        return events

    def host(self, now: int, action: str, **params: Any) -> list[Event]:
        return self.do(HostAction(action, params), now)

    def qid(self) -> int:
        assert self.game.current is not None
        return self.game.current.question.id

    def buzz(self, now: int, player: int) -> list[Event]:
        return self.do(Buzz(player, self.qid()), now)

    def answer(self, now: int, player: int | str, answer: Any) -> AnswerAcked:
        event = self.do(SubmitAnswer(player, f"{player}-{now}", self.qid(), answer), now)[0]
        assert isinstance(event, AnswerAcked)
        return event

    def phase(self) -> Phase:
        return self.game.phase

    def scores(self) -> dict[int, Any]:
        return {t: team.score for t, team in self.game.teams.items()}


def only(events: list[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def error_code(events: list[Event]) -> str | None:
    errors = only(events, Error)
    return errors[0].code if errors else None


def buzzer(**options: Any) -> SegmentConfig:
    settings: dict[str, Any] = {"questions": [single(1), single(2)], "buzz_window_s": 5, "time_limit_s": 10,
                                "points": 20, "wrong_points": -10}
    return SegmentConfig("buzzer", **{**settings, **options})


# --- buzzer -------------------------------------------------------------------------


def test_first_buzz_by_arrival_wins_and_answers_on_the_device() -> None:
    play = Play(buzzer())
    play.host(0, "start")
    opened = only(play.host(1000, "open_buzz"), BuzzOpened)[0]
    assert (opened.deadline_ms, opened.team_ids) == (6000, [1, 2, 3])
    first = only(play.buzz(1500, 200), Buzzed)[0]
    assert first.to_message() == {"type": "buzzed", "question": 1, "team_id": 2, "player_id": 200, "order": 1,
                                  "foul": False, "deadline_ms": 11500, "now_ms": 1500}
    assert only(play.buzz(1501, 100), Buzzed)[0].order == 2
    assert error_code(play.buzz(1502, 201)) == "already_buzzed"
    assert play.phase() is Phase.ANSWERING
    assert play.answer(1600, 100, "A").reason == "not_your_turn"
    assert play.answer(2000, 201, "A").accepted  # any member of the winning team answers
    assert play.phase() is Phase.CLOSED
    assert [(e.team_id, e.player_id, e.delta, e.reason) for e in play.game.ledger] == [(2, 201, 20, "correct")]
    assert next(e for e in play.events if isinstance(e, ScoreChanged)).to_message()["reason_text"] == "答对"
    reveal = next(e for e in play.host(3000, "reveal") if isinstance(e, AnswerRevealed) and e.audience == "players")
    assert reveal.message_for(200)["you"].items() >= {"answered": True, "correct": True, "points": 20}.items()
    assert reveal.message_for(100)["you"]["points"] == 0
    # each team player's own total, the team's total and the team's rank
    assert {k: reveal.message_for(201)["you"][k] for k in ("score", "team_score", "rank")} == {
        "score": 20, "team_score": 20, "rank": 1}
    assert reveal.message_for(100)["you"]["rank"] == 2 and reveal.message_for(100)["you"]["team_score"] == 0


def test_a_team_segments_reveal_announces_each_teams_verdict() -> None:
    # 抢答: a wrong oral answer, then a right one on a phone; the screen's reveal names both, in that order.
    play = Play(buzzer(rebuzz_after_wrong=True))
    play.host(0, "start")
    play.host(1000, "open_buzz")
    play.buzz(1100, 100)
    play.host(1200, "judge", team_id=1, correct=False)
    play.buzz(1300, 300)
    play.answer(1400, 300, "A")
    reveals = [e for e in play.host(2000, "reveal") if isinstance(e, AnswerRevealed)]
    verdicts = [{"team_id": 1, "answered": True, "correct": False, "points": -10},
                {"team_id": 3, "answered": True, "correct": True, "points": 20}]
    assert all(e.to_message()["team_results"] == verdicts for e in reveals)
    assert play.game.snapshot("screen")["team_results"] == verdicts  # a screen that reconnects sees them too
    # 必答: the phone's answer graded by the reveal itself (no judgement before it).
    turn = Play(SegmentConfig("required", questions=[single(1)], points=10, wrong_points=-5))
    turn.host(0, "start")
    turn.answer(100, 100, "B")
    reveal = next(e for e in turn.host(200, "reveal") if isinstance(e, AnswerRevealed) and e.audience == "screen")
    assert reveal.to_message()["team_results"] == [{"team_id": 1, "answered": True, "correct": False, "points": -5}]


def test_a_buzz_before_open_buzz_is_a_foul_that_deducts() -> None:
    play = Play(buzzer(foul_points=-15))
    play.host(0, "start")
    events = play.buzz(500, 100)
    assert [e.type for e in events] == ["buzzed", "score"] and only(events, Buzzed)[0].foul is True
    assert error_code(play.buzz(600, 101)) == "already_fouled"
    assert [(e.team_id, e.delta, e.reason) for e in play.game.ledger] == [(1, -15, "foul")]
    play.host(1000, "open_buzz")
    assert only(play.buzz(1100, 101), Buzzed)[0].order == 1  # deducting does not cost the turn


def test_a_foul_under_lose_turn_keeps_the_team_out_of_that_question() -> None:
    play = Play(buzzer(foul_policy="lose_turn"))
    play.host(0, "start")
    assert only(play.buzz(500, 100), Buzzed)[0].foul
    assert play.game.ledger == []
    assert only(play.host(1000, "open_buzz"), BuzzOpened)[0].team_ids == [2, 3]
    assert error_code(play.buzz(1100, 101)) == "cannot_buzz"
    assert only(play.buzz(1200, 300), Buzzed)[0].team_id == 3


@pytest.mark.parametrize("rebuzz", [True, False])
def test_after_a_wrong_answer_only_the_other_teams_may_buzz_again(rebuzz: bool) -> None:
    play = Play(buzzer(rebuzz_after_wrong=rebuzz))
    play.host(0, "start")
    play.host(1000, "open_buzz")
    play.buzz(1100, 100)
    events = play.do(SubmitAnswer(100, "w", 1, "B"), 1200)
    assert only(events, AnswerJudged)[0].correct is False
    assert play.scores()[1] == -10
    if not rebuzz:
        assert play.phase() is Phase.CLOSED
        return
    assert only(events, BuzzOpened)[0].team_ids == [2, 3] and play.phase() is Phase.BUZZING
    assert error_code(play.buzz(1300, 101)) == "cannot_buzz"
    play.buzz(1400, 300)
    assert error_code(play.host(1500, "judge", team_id=2, correct=True)) == "not_answering_team"
    play.host(1600, "judge", team_id=3, correct=True)  # an oral answer, judged by the host
    assert play.scores() == {1: -10, 2: 0, 3: 20} and play.phase() is Phase.CLOSED


def test_no_answer_in_time_scores_the_timeout_delta() -> None:
    play = Play(buzzer(timeout_points=-7))
    play.host(0, "start")
    play.host(1000, "open_buzz")
    play.buzz(1100, 200)
    assert play.do(Tick(), 11100) == []
    judged = only(play.do(Tick(), 11101), AnswerJudged)[0]
    assert judged.timeout and play.scores()[2] == -7


def test_no_buzz_voids_the_question() -> None:
    play = Play(buzzer(no_buzz="void"))
    play.host(0, "start")
    play.host(1000, "open_buzz")
    assert [e.type for e in play.do(Tick(), 6001)] == ["closed"]
    play.host(7000, "reveal")
    assert play.game.ledger == [] and play.scores() == {1: 0, 2: 0, 3: 0}


def test_no_buzz_hands_the_question_to_the_audience() -> None:
    play = Play(buzzer(no_buzz="audience"), teams=roster(2, 1))
    play.do(Join("g1", "观众甲"), 0)
    play.do(Join("g2", "观众乙"), 0)
    play.host(0, "start")
    assert error_code(play.do(Buzz("g1", 1), 100)) == "not_in_team"
    assert play.answer(200, "g1", "A").reason == "not_your_turn"  # not before the buzzers had their go
    play.host(1000, "open_buzz")
    shown = only(play.do(Tick(), 6001), QuestionShown)
    assert shown and all(e.audience_only and e.deadline_ms == 16001 for e in shown)
    assert play.answer(7000, 100, "A").reason == "not_your_turn"
    assert play.answer(7000, "g1", "A").accepted and play.answer(8000, "g2", "B").accepted
    play.do(Tick(), 16002)
    reveal = next(e for e in play.host(17000, "reveal") if isinstance(e, AnswerRevealed) and e.audience == "players")
    assert reveal.message_for("g1")["you"].items() >= {"answered": True, "correct": True, "points": 20}.items()
    assert play.scores() == {1: 0, 2: 0}  # the teams get nothing; the audience's points are its own entries
    assert [(e.team_id, e.player_id, e.delta, e.reason) for e in play.game.ledger] == [
        (None, "g1", 20, "correct"), (None, "g2", -10, "wrong")]
    assert play.game.leaderboard()["players"][0]["player_id"] == "g1"


def test_a_short_answer_waits_for_the_host() -> None:
    short = QuestionSnapshot(1, "short", "简述", [], ["为人民服务"], "")
    play = Play(buzzer(questions=[short]), teams=roster(2, 1))
    play.host(0, "start")
    play.host(1, "open_buzz")
    play.buzz(2, 100)
    assert play.answer(3, 100, "全心全意为人民服务").accepted
    assert play.do(Tick(), 100000) == [] and play.phase() is Phase.ANSWERING
    assert error_code(play.host(4, "close")) == "not_judged"
    play.host(5, "judge", team_id=1, correct=True)
    assert play.scores() == {1: 20, 2: 0}


def test_short_answers_for_everyone_go_to_the_host_alone_who_judges_each() -> None:
    short = QuestionSnapshot(1, "short", "简述党的根本宗旨", [], ["全心全意为人民服务"], "解析")
    play = Play(SegmentConfig("all", questions=[short], points=10, time_limit_s=30), teams=roster(2, 2))
    play.host(0, "start")
    events = play.do(SubmitAnswer(100, "a", 1, "全心全意为人民服务"), 1000)
    shown = only(events, PlayerAnswered)
    assert [(e.audience, e.player_id, e.name, e.team_id, e.answer) for e in shown] == [
        ("host", 100, "选手100", 1, ["全心全意为人民服务"])]  # only the host sees it before the reveal
    play.do(SubmitAnswer(200, "b", 1, "为人民币服务"), 2000)
    state = play.game.snapshot("host")  # a host who reconnects finds what is still to judge
    assert [(a["player_id"], a["answer"], a["correct"]) for a in state["short_answers"]] == [
        (100, ["全心全意为人民服务"], None), (200, ["为人民币服务"], None)]
    assert "short_answers" not in play.game.snapshot("screen") and "short_answers" not in play.game.snapshot(
        "player", player_id=100)
    play.host(3000, "close")
    play.host(3100, "judge", player_id=100, correct=True)
    play.host(3200, "judge", player_id=200, correct=False)
    assert [a["correct"] for a in play.game.snapshot("host")["short_answers"]] == [True, False]
    for bad in ({"player_id": 101, "correct": True}, {"correct": True}, {"player_id": [100], "correct": True},
                {"player_id": "nobody", "correct": False}):  # no answer, no id, not an id, unknown
        assert error_code(play.host(3300, "judge", **bad)) == "nothing_to_judge"
    assert error_code(play.host(3300, "judge", player_id=100, correct="yes")) == "invalid_params"
    assert [a["correct"] for a in play.game.snapshot("host")["short_answers"]] == [True, False]  # unchanged
    reveal = next(e for e in play.host(4000, "reveal") if isinstance(e, AnswerRevealed) and e.audience == "players")
    assert reveal.message_for(100)["you"]["correct"] is True and reveal.message_for(200)["you"]["correct"] is False
    assert play.scores()[1] > 0 and play.scores()[2] == 0


# --- risk ---------------------------------------------------------------------------


def risk(**options: Any) -> SegmentConfig:
    settings: dict[str, Any] = {"questions": [single(i) for i in range(1, 7)], "time_limit_s": 30,
                                "risk_values": [10, 20, 30]}
    return SegmentConfig("risk", **{**settings, **options})


@pytest.mark.parametrize(("order", "expected"), [("score_asc", [2, 3, 1]), ("score_desc", [1, 3, 2]),
                                                 ("seat", [1, 2, 3])])
def test_risk_teams_pick_in_the_configured_order(order: str, expected: list[int]) -> None:
    play = Play(risk(pick_order=order), roster(3, 1), t1=30, t2=10, t3=20)
    events = play.host(0, "start")
    assert only(events, SegmentStarted)[0].order == expected
    assert play.phase() is Phase.PICKING  # not "leaderboard": the console says a team is picking
    assert only(events, TurnChanged)[0].team_id == expected[0] == play.game.snapshot("host")["turn_team_id"]
    for i, team in enumerate(expected):
        play.host(i * 1000, "risk", team_id=team, points=10)
        play.do(Tick(), i * 1000 + 30001)
        reveal = play.host(i * 1000 + 30002, "reveal")
        # The reveal stays up: the next team is asked for its pick only at the host's next action.
        assert not only(reveal, TurnChanged) and play.phase() is Phase.REVEALED
        if i + 1 < len(expected):
            turn = play.host(i * 1000 + 30003, "next")
            assert [e.type for e in turn] == ["turn"] and turn[0].team_id == expected[i + 1]
            assert play.phase() is Phase.PICKING
            assert error_code(play.host(i * 1000 + 30004, "next")) == "risk_pick_expected"


def test_risk_values_once_each_decline_and_wrong_team() -> None:
    play = Play(risk(rounds=2, allow_decline=True, pick_order="seat"), roster(3, 1))
    play.host(0, "start")
    before = json.dumps(play.game.snapshot("host"), default=str)
    assert error_code(play.host(1, "risk", team_id=2, points=10)) == "not_on_turn"
    assert error_code(play.host(1, "risk", team_id=1, points=15)) == "invalid_risk_value"
    assert error_code(play.host(1, "next")) == "risk_pick_expected"
    assert json.dumps(play.game.snapshot("host"), default=str) == before
    shown = only(play.host(2, "risk", team_id=1, points=20), QuestionShown)[0]
    assert (shown.team_id, shown.points) == (1, 20)
    assert play.answer(3, 200, "A").reason == "not_your_turn"
    play.answer(4, 100, "A")
    play.host(5, "reveal")
    assert [e.type for e in play.host(6, "risk", team_id=2, points=0)] == ["risk_pick", "turn"]
    play.host(7, "risk", team_id=3, points=30)
    play.answer(8, 300, "B")
    play.host(9, "reveal")
    assert error_code(play.host(10, "risk", team_id=1, points=20)) == "risk_value_used"
    play.host(11, "risk", team_id=1, points=10)
    play.do(Tick(), 11 + 30001)
    play.host(30013, "reveal")
    assert play.scores() == {1: 20 - 10, 2: 0, 3: -30}
    assert [e.reason for e in play.game.ledger] == ["correct", "wrong", "timeout"]
    assert play.game.snapshot("host")["risk"]["values_left"][0] == {"team_id": 1, "values": [30]}


def test_risk_decline_needs_allow_decline() -> None:
    play = Play(risk(), roster(2, 1))
    play.host(0, "start")
    assert error_code(play.host(1, "risk", team_id=1, points=0)) == "decline_not_allowed"


# --- tiebreak -----------------------------------------------------------------------


def tiebreak(**options: Any) -> SegmentConfig:
    settings: dict[str, Any] = {"questions": [single(i) for i in range(1, 4)], "buzz_window_s": 5,
                                "time_limit_s": 10}
    return SegmentConfig("tiebreak", **{**settings, **options})


def test_tiebreak_is_played_by_exactly_the_teams_tied_across_a_cut() -> None:
    play = Play(tiebreak(places_that_matter=[2]), roster(4, 1), t1=50, t2=30, t3=30, t4=10)
    board = play.game.leaderboard()["teams"]
    assert [(r["team_id"], r["rank"], r["tied"]) for r in board] == [(1, 1, False), (2, 2, True), (3, 2, True),
                                                                     (4, 4, False)]
    started = only(play.host(0, "start"), SegmentStarted)[0]
    assert started.team_ids == [2, 3]
    play.host(1000, "open_buzz")
    assert error_code(play.buzz(1100, 100)) == "cannot_buzz"
    assert error_code(play.buzz(1100, 400)) == "cannot_buzz"
    play.buzz(1200, 300)
    events = play.do(SubmitAnswer(300, "x", 1, "A"), 1300)
    update = only(events, TiebreakUpdated)[0]
    assert update.resolved and update.groups[0]["team_ids"] == [3, 2]
    assert play.game.ledger[-1].reason == "前几轮得分"  # a tiebreak settles places, not points
    board = play.game.leaderboard()["teams"]
    assert [(r["team_id"], r["rank"], r["tied"]) for r in board] == [(1, 1, False), (3, 2, False), (2, 3, False),
                                                                     (4, 4, False)]
    play.host(2000, "reveal")
    assert error_code(play.host(3000, "next")) == "no_more_questions"


def test_a_wrong_tiebreak_answer_drops_the_team_and_the_rest_buzz_again() -> None:
    play = Play(tiebreak(places_that_matter=[1]), roster(4, 1), t1=30, t2=30, t3=30, t4=10)
    play.host(0, "start")
    play.host(1000, "open_buzz")
    play.buzz(1100, 100)
    events = play.do(SubmitAnswer(100, "x", 1, "C"), 1200)
    assert only(events, BuzzOpened)[0].team_ids == [2, 3]
    play.buzz(1300, 200)
    play.host(1400, "judge", team_id=2, correct=False)
    assert play.phase() is Phase.CLOSED  # one team left: it takes first place
    board = play.game.leaderboard()["teams"]
    assert [(r["team_id"], r["rank"]) for r in board] == [(3, 1), (2, 2), (1, 3), (4, 4)]
    assert not any(r["tied"] for r in board)


def test_a_tie_that_decides_nothing_is_not_played() -> None:
    play = Play(tiebreak(places_that_matter=[2]), roster(4, 1), t1=50, t2=50, t3=30, t4=10)
    assert error_code(play.host(0, "start")) == "no_more_questions"
    assert play.phase() is Phase.LOBBY


def test_finished_carries_each_teams_prize_and_a_tie_across_a_boundary_gets_none() -> None:
    teams = [TeamConfig(t, f"第{t}队", "", [t * 100]) for t in range(1, 6)]
    config = GameConfig("决赛", 0, False, teams, card_ms=0, segments=[SegmentConfig.from_dict(
        {"kind": "required", "questions": [single(1)]})], prizes=[{"name": "一等奖", "count": 1},
                                                                 {"name": "二等奖", "count": 2}])
    game = Game(GameConfig.from_dict(json.loads(json.dumps(config.to_dict()))))  # prizes survive the log
    for team_id, delta in ((1, 50), (2, 40), (3, 30), (4, 30)):
        game.handle(HostAction("adjust", {"team_id": team_id, "delta": delta, "reason": "得分"}), 0)
    finished = game.handle(HostAction("finish", {}), 1)[0].to_message()
    assert finished["type"] == "finished" and finished["prizes"] == config.prizes
    assert [(t["team_id"], t["rank"], t["prize"]) for t in finished["teams"]] == [
        (1, 1, "一等奖"), (2, 2, "二等奖"), (3, 3, None), (4, 3, None), (5, 5, None)]  # 3 and 4 tie across the boundary
    assert game.snapshot("screen")["leaderboard"]["teams"][0]["prize"] == "一等奖"
    open_game = Game(GameConfig("开放赛", 0, True, [], [SegmentConfig.from_dict({"kind": "all", "questions": [single(1)]})],
                                 card_ms=0))
    plain = open_game.handle(HostAction("finish", {}), 1)[0].to_message()
    assert plain["prizes"] is None and "prize" not in str(plain["teams"])


def test_reason_texts_are_chinese() -> None:
    from live.messages import reason_text

    assert [reason_text(r) for r in ("correct", "wrong", "timeout", "foul", "reverse")] == [
        "答对", "答错", "超时", "抢答犯规", "撤销"]
    assert reason_text("补记第3题") == "主持人调整：补记第3题"
