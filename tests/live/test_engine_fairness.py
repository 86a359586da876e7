"""CONTRACT §7's fairness rules in the engine: no clock runs under a title card, a reveal stays up
until the host's next action, judged-aloud answers have a time (fair ties), guest names are unique,
the host may kick a guest; and the host's state tells no small lies. Explicit `now_ms` throughout."""

from __future__ import annotations

import json
from typing import Any

from live.engine import Game, GameConfig, Phase, QuestionSnapshot, SegmentConfig, TeamConfig
from live.messages import (
    AnswerAcked,
    Buzz,
    Command,
    Error,
    Event,
    HostAction,
    Join,
    LeaderboardShown,
    QuestionShown,
    SegmentStarted,
    SubmitAnswer,
    Tick,
    TurnChanged,
    command_from_dict,
    command_to_dict,
)

OPTIONS = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
CARD = 2000


def single(qid: int, answer: str = "A") -> QuestionSnapshot:
    return QuestionSnapshot(qid, "single", f"第{qid}题", OPTIONS, [answer], f"解析{qid}")


def teams(count: int, seats: int = 1) -> list[TeamConfig]:
    return [TeamConfig(t, f"第{t}队", "", [t * 100 + s for s in range(seats)]) for t in range(1, count + 1)]


class Play:
    def __init__(self, *segments: SegmentConfig, roster: list[TeamConfig] | None = None, card_ms: int = CARD,
                 **config: Any) -> None:
        self.config = GameConfig("公平赛", 0, roster is None, roster or [], list(segments), card_ms=card_ms, **config)
        self.game = Game(self.config)
        self.log: list[tuple[Command, int]] = []
        for team in self.config.teams:
            for user in team.seats:
                assert isinstance(user, int)
                self.do(Join(user, f"选手{user}", user_id=user), 0)

    def do(self, command: Command, now: int) -> list[Event]:
        self.log.append((command, now))
        return self.game.handle(command, now)

    def host(self, now: int, action: str, **params: Any) -> list[Event]:
        return self.do(HostAction(action, params), now)

    def answer(self, now: int, player: int | str, value: Any, qid: int | None = None) -> AnswerAcked:
        if qid is None:
            assert self.game.current is not None
            qid = self.game.current.question.id
        events = self.do(SubmitAnswer(player, f"{player}-{qid}-{now}", qid, value), now)
        return next(e for e in events if isinstance(e, AnswerAcked))

    @property
    def phase(self) -> Phase:
        return self.game.phase


def only(events: list[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def code(events: list[Event]) -> str | None:
    return events[0].code if len(events) == 1 and isinstance(events[0], Error) else None


# --- item 3: no clock runs unseen -------------------------------------------------------------

def test_the_question_and_its_deadline_come_after_the_title_card() -> None:
    play = Play(SegmentConfig("all", "全员答题", [single(1), single(2)], time_limit_s=20))
    play.do(Join("g1", "小明"), 0)
    started = play.host(1000, "start")
    assert [e.type for e in started] == ["segment"]  # the card alone: no question, no clock
    card = started[0]
    assert isinstance(card, SegmentStarted) and (card.card_ms, card.card_until_ms) == (CARD, 3000)
    assert play.phase is Phase.CARD and play.game.wake_ms() == 3000
    assert play.game.snapshot("screen")["card_until_ms"] == 3000
    assert play.game.snapshot("player", "g1")["question"] is None  # nothing to read or answer yet
    assert play.answer(1500, "g1", "A", qid=1).reason == "closed"  # an answer before the question: refused
    assert code(play.host(1600, "next")) == "card_showing"
    assert code(play.host(1600, "pause")) == "card_showing"
    assert play.do(Tick(), 2999) == []  # the card is still up
    shown = only(play.do(Tick(), 3002), QuestionShown)
    assert {e.audience for e in shown} == {"players", "screen", "host"}
    assert shown[0].deadline_ms == 3002 + 20_000 and shown[0].now_ms == 3002  # counted from the question shown
    assert play.game.wake_ms() == 23_002
    assert play.answer(3100, "g1", "A").accepted
    # The next question of the same segment has no card; it opens at once.
    play.do(Tick(), 23_003)
    play.host(23_010, "reveal")
    assert only(play.host(23_020, "next"), QuestionShown)[0].deadline_ms == 43_020


def test_a_new_segment_has_its_card_and_a_risk_segment_asks_its_first_pick_after_it() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1)], time_limit_s=10),
                SegmentConfig("risk", "风险题", [single(2), single(3)], time_limit_s=10), roster=teams(2))
    play.host(0, "start")
    play.do(Tick(), CARD)
    play.answer(CARD + 5, 100, "A")
    play.host(CARD + 10, "reveal")
    moved = play.host(CARD + 20, "next")
    assert [e.type for e in moved] == ["segment"] and play.phase is Phase.CARD
    assert code(play.host(CARD + 30, "risk", team_id=1, points=10)) == "card_showing"
    after = play.do(Tick(), 2 * CARD + 20)
    assert [type(e) for e in after] == [LeaderboardShown, TurnChanged]
    assert play.phase is Phase.PICKING  # not "leaderboard": the console says a team is picking
    assert play.game.snapshot("host")["phase"] == "picking"


def test_games_stored_before_title_cards_replay_without_them() -> None:
    config = GameConfig("旧比赛", 0, True, [], [SegmentConfig("all", "", [single(1)], time_limit_s=10)])
    stored = config.to_dict()
    del stored["card_ms"], stored["rules"]  # a configuration written before these fields existed
    old = Game(GameConfig.from_dict(json.loads(json.dumps(stored))))
    assert (old.config.card_ms, old.config.rules) == (0, 1)
    assert only(old.handle(HostAction("start", {}), 0), QuestionShown)[0].deadline_ms == 10_000
    fresh = GameConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert (fresh.card_ms, fresh.rules) == (CARD, 2)  # a new game keeps its card through the log


# --- item 2: every reveal is seen ---------------------------------------------------------------

def test_a_risk_reveal_stays_until_the_hosts_next_action() -> None:
    play = Play(SegmentConfig("risk", "风险题", [single(1), single(2), single(3)], time_limit_s=10,
                              pick_order="seat"), roster=teams(3), card_ms=0)
    play.host(0, "start")
    play.host(10, "risk", team_id=1, points=10)
    play.answer(20, 100, "A")
    reveal = play.host(30, "reveal")
    assert [e.type for e in reveal if e.audience == "screen" or e.audience == "all"] == ["reveal", "score"]
    assert play.phase is Phase.REVEALED  # the screen keeps the reveal: no turn, no card
    turn = play.host(40, "next")  # the host moves on: now the next team is asked
    assert [e.type for e in turn] == ["turn"] and turn[0].team_id == 2 and play.phase is Phase.PICKING
    assert code(play.host(45, "next")) == "risk_pick_expected"
    play.host(50, "risk", team_id=2, points=20)
    play.answer(60, 200, "B")
    play.host(70, "reveal")
    # The host may also pick at once from the reveal: that is its next action.
    assert [e.type for e in play.host(80, "risk", team_id=3, points=30)][:2] == ["risk_pick", "question"]


def replayed(play: Play) -> Game:
    """A fresh game fed the JSON command log, as crash recovery does."""
    game = Game(GameConfig.from_dict(json.loads(json.dumps(play.config.to_dict()))))
    for command, now in play.log:
        game.handle(command_from_dict(json.loads(json.dumps(command_to_dict(command)))), now)
    return game


def test_a_game_with_cards_picks_and_judgements_replays_the_same() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1), single(2)], time_limit_s=10),
                SegmentConfig("risk", "风险题", [single(3), single(4)], time_limit_s=10), roster=teams(2))
    play.host(0, "start")
    play.do(Tick(), CARD + 1)
    play.host(CARD + 3001, "judge", team_id=1, correct=True)
    play.host(CARD + 3002, "reveal")
    play.host(CARD + 3003, "next")
    play.answer(CARD + 4000, 200, "A")
    play.host(CARD + 4001, "reveal")
    play.host(CARD + 4002, "next")
    play.do(Tick(), 2 * CARD + 4002)
    play.host(2 * CARD + 4003, "risk", team_id=1, points=20)
    play.do(Tick(), 2 * CARD + 20_000)
    play.host(2 * CARD + 20_001, "reveal")
    again = replayed(play)
    assert json.dumps(again.snapshot("host"), default=str) == json.dumps(play.game.snapshot("host"), default=str)
    assert again.ledger == play.game.ledger and again.leaderboard() == play.game.leaderboard()


# --- item 4: fair ties ---------------------------------------------------------------------------

def test_after_a_required_round_a_team_judged_aloud_ranks_by_its_real_time() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1), single(2), single(3)], time_limit_s=20),
                roster=teams(3), card_ms=0)
    play.host(0, "start")  # team 1's question, shown at 0
    play.host(4000, "judge", team_id=1, correct=True)  # answered aloud, judged 4 s after it was shown
    play.host(4001, "reveal")
    play.host(10_000, "next")  # team 2's question
    play.answer(14_000, 200, "A")  # on the phone, also 4 s
    play.host(14_001, "reveal")
    play.host(20_000, "next")  # team 3's question, with a pause of 30 s that does not count
    play.host(21_000, "pause")
    play.host(51_000, "resume")
    play.host(54_000, "judge", team_id=3, correct=True)  # 4 s of clock, 34 s of wall time
    play.host(54_001, "reveal")
    board = {t["team_id"]: t for t in play.game.leaderboard()["teams"]}
    assert {t: (row["score"], row["time_ms"]) for t, row in board.items()} == {
        1: (10, 4000), 2: (10, 4000), 3: (10, 4000)}
    assert {row["rank"] for row in board.values()} == {1} and all(row["tied"] for row in board.values())


def test_a_slower_judged_team_ranks_below_a_faster_phone_team_and_equal_times_tie() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1), single(2), single(3)], time_limit_s=20),
                roster=teams(3), card_ms=0)
    play.host(0, "start")
    play.host(9000, "judge", team_id=1, correct=True)  # aloud, 9 s: before the fix it counted as 0 s
    play.host(9001, "reveal")
    play.host(10_000, "next")
    play.answer(13_000, 200, "A")  # phone, 3 s
    play.host(13_001, "reveal")
    play.host(20_000, "next")
    play.answer(23_000, 300, "A")  # phone, 3 s
    play.host(23_001, "reveal")
    ranked = [(t["team_id"], t["rank"], t["tied"], t["time_ms"]) for t in play.game.leaderboard()["teams"]]
    assert ranked == [(2, 1, True, 3000), (3, 1, True, 3000), (1, 3, False, 9000)]


def test_a_timeout_and_a_buzz_judged_aloud_have_their_times() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1)], time_limit_s=10), roster=teams(2), card_ms=0)
    play.host(0, "start")
    play.do(Tick(), 10_001)  # team 1 never answers: it used the whole countdown, not 0 s
    play.host(10_002, "reveal")
    assert play.game.teams[1].time_ms == 10_000
    buzz = Play(SegmentConfig("buzzer", "抢答题", [single(2)], time_limit_s=10), roster=teams(2), card_ms=0)
    buzz.host(0, "start")
    buzz.host(1000, "open_buzz")
    buzz.do(Buzz(200, 2), 2500)  # team 2 buzzes 2.5 s after the question was shown
    buzz.host(6000, "judge", team_id=2, correct=True)  # and answers aloud
    assert (buzz.game.teams[2].time_ms, buzz.game.players[200].time_ms) == (2500, 2500)
    assert buzz.game.leaderboard()["teams"][0]["time_ms"] == 2500


def test_old_games_keep_their_old_times_on_replay() -> None:
    play = Play(SegmentConfig("required", "必答题", [single(1)], time_limit_s=20), roster=teams(1), card_ms=0,
                rules=1)
    play.host(0, "start")
    play.host(4000, "judge", team_id=1, correct=True)
    play.host(4001, "reveal")
    assert play.game.teams[1].time_ms == 0  # as it was played and exported before the rule


# --- item 5: names and removal ---------------------------------------------------------------------

def test_a_guest_name_already_in_the_game_is_refused_after_trimming_and_folding() -> None:
    play = Play(SegmentConfig("all", "", [single(1)]), card_ms=0)
    assert play.do(Join(1, "小明"), 0)[0].type == "joined"
    for same in ("小明", " 小明 ", "小明\u3000"):
        assert code(play.do(Join(2, same), 1)) == "name_taken"
    play.do(Join(3, "Ｌｉ Ｌｅｉ"), 2)  # full-width
    assert code(play.do(Join(4, "li lei"), 3)) == "name_taken"
    assert code(play.do(Join(5, "LI LEI"), 3)) == "name_taken"
    assert play.do(Join(6, "小明2"), 4)[0].type == "joined"
    assert [p["name"] for p in play.game.leaderboard()["players"]] == ["小明", "Ｌｉ Ｌｅｉ", "小明2"]


def test_accounts_may_share_a_name_but_a_guest_may_not_take_theirs() -> None:
    play = Play(SegmentConfig("all", "", [single(1)]), card_ms=0)
    assert play.do(Join(1, "张伟", user_id=501), 0)[0].type == "joined"
    assert play.do(Join(2, "张伟", user_id=502), 0)[0].type == "joined"  # two real people called 张伟
    assert code(play.do(Join(3, "张伟"), 1)) == "name_taken"


def test_the_host_kicks_a_guest_off_the_boards_and_its_name_stays_out() -> None:
    play = Play(SegmentConfig("all", "", [single(1), single(2)], time_limit_s=20), card_ms=0)
    for pid, name in ((1, "小明"), (2, "捣乱的"), (3, "小红")):
        play.do(Join(pid, name), 0)
    play.host(10, "start")
    play.answer(20, 2, "A")
    assert play.game.counts()["answered"] == 1
    kicked = play.host(30, "kick", player_id=2)
    assert [(e.type, e.audience) for e in kicked] == [("kicked", "player:2"), ("kicked", "host"), ("kicked", "screen")]
    assert kicked[0].to_message() == {"type": "kicked", "player_id": 2, "name": "捣乱的", "count": 2}
    assert play.game.player(2) is None  # a resume with its token finds nobody
    assert play.game.counts() == {"joined": 2, "answered": 0, "buzzes": 0}
    assert [p["player_id"] for p in play.game.leaderboard()["players"]] == [1, 3]
    assert code(play.do(SubmitAnswer(2, "again", 1, "A"), 40)) == "not_joined"
    assert code(play.do(Join(9, " 捣乱的 "), 50)) == "name_taken"  # the name cannot come back
    assert code(play.do(Join(2, "别的名字"), 50)) == "kicked"  # nor the player
    assert code(play.host(60, "kick", player_id=2)) == "unknown_player"
    play.answer(70, 1, "A")
    play.answer(71, 3, "B")
    reveal = play.do(Tick(), 20_011) + play.host(20_020, "reveal")
    assert play.game.current is not None and sorted(play.game.current.results) == [1, 3]
    assert reveal and json.dumps(replayed(play).snapshot("host"), default=str) == json.dumps(
        play.game.snapshot("host"), default=str)


def test_only_guests_can_be_kicked() -> None:
    play = Play(SegmentConfig("all", "", [single(1)]), roster=teams(1), card_ms=0)
    assert code(play.host(0, "kick", player_id=100)) == "cannot_kick"
    assert play.game.player(100) is not None


# --- item 8: the host's state tells the truth -------------------------------------------------------

def test_next_is_refused_after_the_last_question_and_the_host_state_says_so() -> None:
    play = Play(SegmentConfig("all", "", [single(1), single(2)], time_limit_s=10), card_ms=0)
    play.do(Join("g", "小明"), 0)
    first = only(play.host(0, "start"), QuestionShown)
    assert not first[0].last_question
    assert play.game.snapshot("host")["can_next"] is False  # the question is open
    play.answer(10, "g", "A")
    play.host(20, "reveal")
    host = play.game.snapshot("host")
    assert (host["can_next"], host["last_question"], host["answer_private"]) == (True, False, False)
    last = only(play.host(30, "next"), QuestionShown)
    assert all(e.last_question for e in last)
    assert play.game.snapshot("host")["answer_private"] is True  # the answer is the host's alone until the reveal
    play.answer(40, "g", "B")
    play.host(50, "reveal")
    host = play.game.snapshot("host")
    assert (host["can_next"], host["last_question"]) == (False, True)
    assert code(play.host(60, "next")) == "no_more_questions"


def test_needs_judgement_only_when_the_host_must_judge() -> None:
    play = Play(SegmentConfig("required", "", [single(1), single(2)], time_limit_s=10), roster=teams(2), card_ms=0)
    play.host(0, "start")
    assert play.game.snapshot("host")["needs_judgement"] is True  # nothing on the phone yet: judge aloud
    play.answer(10, 100, "A")  # a choice on the phone: the reveal grades it by itself
    assert play.game.snapshot("host")["needs_judgement"] is False
    play.host(20, "reveal")
    assert play.game.snapshot("host")["needs_judgement"] is False


def test_a_risk_pick_is_not_reported_as_the_leaderboard_and_next_waits_for_the_pick() -> None:
    play = Play(SegmentConfig("risk", "", [single(1), single(2)], time_limit_s=10), roster=teams(2), card_ms=0)
    play.host(0, "start")
    host = play.game.snapshot("host")
    assert (host["phase"], host["turn_team_id"], host["can_next"]) == ("picking", 1, False)


def test_an_open_games_ledger_lists_every_players_points() -> None:
    play = Play(SegmentConfig("all", "", [single(1)], time_limit_s=10, points=10, wrong_points=-5), card_ms=0)
    for pid, name in (("a", "甲"), ("b", "乙"), ("c", "丙")):
        play.do(Join(pid, name), 0)
    play.host(0, "start")
    play.answer(10, "a", "A")
    play.answer(20, "b", "B")
    play.do(Tick(), 10_001)
    play.host(10_002, "reveal")
    assert [(e.team_id, e.player_id, e.delta, e.reason) for e in play.game.ledger] == [
        (None, "a", 10, "correct"), (None, "b", -5, "wrong")]
    # The host corrects a guest's points, and may reverse it: entries of their own, never edits.
    changed = play.host(10_003, "adjust", player_id="c", delta=3, reason="现场补分")
    assert changed[0].to_message()["team_id"] is None and changed[0].to_message()["total"] == 3
    play.host(10_004, "reverse", entry_id=1)
    assert {p["player_id"]: p["score"] for p in play.game.leaderboard()["players"]} == {"c": 3, "a": 0, "b": -5}
    assert [e.reverses for e in play.game.ledger] == [None, None, None, 1]


def test_who_played_is_who_answered_or_buzzed_not_who_only_joined() -> None:
    play = Play(SegmentConfig("all", "", [single(1), single(2)], time_limit_s=20), card_ms=0)
    for pid, name in ((1, "答了"), (2, "只进来"), (3, "答晚了")):
        play.do(Join(pid, name), 0)
    play.host(10, "start")
    play.answer(20, 1, "A")
    play.answer(21, 1, "B")  # a second answer to the same question is refused: still one
    play.answer(30_000, 3, "A")  # after the deadline: not accepted
    assert [play.game.players[p].acted for p in (1, 2, 3)] == [1, 0, 0]
