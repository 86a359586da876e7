"""Commands the live engine accepts and events it emits (CONTRACT §7).

Commands are imperative, frozen and serialisable (`command_to_dict` /
`command_from_dict`), so the socket layer can log them and crash recovery can
replay them. Events carry an `audience` and render the exact server→client
JSON with `to_message()`.

Audiences:
    ``all``          every connection of the game (players, screen, host)
    ``players``      every player connection
    ``screen``       the big screen(s)
    ``host``         the host console(s)
    ``team:<id>``    the players of one team
    ``player:<id>``  one player

Only `AnswerRevealed` for ``players`` differs per player: send each player
`event.message_for(player_id)`. Every event implements `message_for`, so the
socket layer may call it for every player connection and `to_message()` for
screen and host connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

PlayerId = int | str
"""Player ids are chosen by the socket layer (contract ids are integers)."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # answer acknowledgements (ack.reason)
        "late": "已超过答题时间",
        "duplicate": "本题已经作答",
        "not_your_turn": "还没有轮到你作答",
        "closed": "当前不能作答",
        "invalid": "答案格式不正确",
        # player errors
        "not_joined": "请先加入比赛",
        "guests_not_allowed": "本场比赛不允许游客加入",
        "already_joined": "该账号已在比赛中",
        "unknown_team": "没有这支队伍",
        "not_in_team": "你不是这支队伍的队员",
        "no_buzzer": "当前不是抢答题",
        "cannot_buzz": "你的队伍本题不能抢答",
        "already_buzzed": "你的队伍已经抢答",
        "already_fouled": "你的队伍已经犯规",
        "paused": "比赛已暂停",
        "name_taken": "这个名字已经有人使用，请换一个名字",
        "kicked": "你已被主持人移出本场比赛",
        # host errors
        "unknown_action": "未知的主持操作",
        "invalid_params": "操作参数不正确",
        "already_started": "比赛已经开始",
        "not_started": "比赛尚未开始",
        "finished": "比赛已经结束",
        "question_open": "当前题目尚未结束",
        "not_revealed": "请先公布答案",
        "already_revealed": "答案已经公布",
        "no_open_question": "当前没有进行中的题目",
        "no_more_questions": "没有更多题目，请结束比赛",
        "not_buzzer": "本题不是抢答题",
        "cannot_open_buzz": "现在不能开启抢答",
        "no_eligible_teams": "没有可以抢答的队伍",
        "nothing_to_judge": "当前没有需要评判的答案",
        "not_answering_team": "这支队伍不在答题",
        "already_judged": "本题已经评判",
        "not_judged": "还有答案等待评判",
        "not_risk_segment": "当前不是风险题环节",
        "risk_pick_expected": "请先为当前队伍选择风险分值",
        "not_on_turn": "还没有轮到这支队伍",
        "no_turns_left": "所有队伍都已选题",
        "invalid_risk_value": "没有这个风险分值",
        "risk_value_used": "这支队伍已经选过这个分值",
        "decline_not_allowed": "本环节不允许放弃",
        "reason_required": "调整分数必须填写原因",
        "unknown_player": "没有这名选手",
        "unknown_entry": "没有这条计分记录",
        "already_reversed": "这条记录已经撤销",
        "cannot_reverse": "撤销记录不能再撤销",
        "cannot_pause": "现在没有计时，不能暂停",
        "not_paused": "比赛没有暂停",
        "card_showing": "大屏正在展示环节标题，请稍候",
        "cannot_kick": "只能移出游客",
        "no_media": "本题没有声音或视频",
        # ledger / `score` reasons (reason_text); any other reason is the host's own words for an `adjust`
        "reason_correct": "答对",
        "reason_wrong": "答错",
        "reason_timeout": "超时",
        "reason_foul": "抢答犯规",
        "reason_answers": "全员答题得分",
        "reason_average": "队员平均分",
        "reason_reverse": "撤销",
        "reason_adjust": "主持人调整：{reason}",
    },
}

REASON_CODES = ("correct", "wrong", "timeout", "foul", "answers", "average", "reverse")

class Phase(StrEnum):
    """The game's phase, as sent in `state.phase`."""

    LOBBY = "lobby"
    CARD = "card"  # a segment's title card is on the big screen; no clock runs
    QUESTION = "question"
    BUZZING = "buzzing"
    ANSWERING = "answering"
    CLOSED = "closed"
    REVEALED = "revealed"
    LEADERBOARD = "leaderboard"
    PICKING = "picking"  # risk: the team on turn picks its value (the host records it)
    PAUSED = "paused"
    FINISHED = "finished"


LIVE = (Phase.QUESTION, Phase.BUZZING, Phase.ANSWERING)
"""Phases with a question open (answers or buzzes possible)."""

HOST_ACTIONS = (
    "start", "next", "open_buzz", "close", "reveal", "judge", "risk",
    "adjust", "reverse", "kick", "leaderboard", "pause", "resume", "finish",
)
ACK_REASONS = ("late", "duplicate", "not_your_turn", "closed", "invalid")


def message_text(code: str, lang: str = "zh") -> str:
    """The human text for an error or ack code, falling back to Chinese."""
    return MESSAGES.get(lang, {}).get(code) or MESSAGES["zh"].get(code, code)


def reason_text(reason: str, lang: str = "zh") -> str:
    """A ledger reason in words: 答对, 答错, 超时, 抢答犯规, 撤销…; a host's adjustment as 主持人调整：<reason>."""
    if reason in REASON_CODES:
        return message_text(f"reason_{reason}", lang)
    return message_text("reason_adjust", lang).replace("{reason}", reason)


class Rejected(Exception):
    """A command refused without any change of state; becomes an `Error` event."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- commands (client → engine) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    """A player enters the game; a seated `user_id` plays for its team, else `team_id` picks an open team."""

    player_id: PlayerId
    name: str
    team_id: int | None = None
    user_id: int | None = None
    kind: ClassVar[str] = "join"


@dataclass(frozen=True, slots=True)
class SubmitAnswer:
    """A player's answer to the current question; `client_id` makes retries idempotent."""

    player_id: PlayerId
    client_id: str
    question_id: int
    answer: Any
    kind: ClassVar[str] = "answer"


@dataclass(frozen=True, slots=True)
class Buzz:
    """A player presses the buzzer for their team."""

    player_id: PlayerId
    question_id: int
    kind: ClassVar[str] = "buzz"


@dataclass(frozen=True, slots=True)
class HostAction:
    """A host action of CONTRACT §7 (`action` in `HOST_ACTIONS`) with its parameters."""

    action: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "host"


@dataclass(frozen=True, slots=True)
class Tick:
    """The driver's periodic nudge: closes whatever deadline has passed at `now_ms`."""

    kind: ClassVar[str] = "tick"


Command = Join | SubmitAnswer | Buzz | HostAction | Tick
_COMMANDS: dict[str, type[Any]] = {c.kind: c for c in (Join, SubmitAnswer, Buzz, HostAction, Tick)}


def command_to_dict(command: Command) -> dict[str, Any]:
    """A JSON-ready dict for the command log: `{"command": kind, **fields}`."""
    return {"command": command.kind, **{f.name: getattr(command, f.name) for f in fields(command)}}


def command_from_dict(data: dict[str, Any]) -> Command:
    """The inverse of `command_to_dict`; raises `ValueError` on an unknown kind."""
    data = dict(data)
    cls = _COMMANDS.get(data.pop("command", ""))
    if cls is None:
        raise ValueError("unknown command")
    return cls(**data)  # type: ignore[no-any-return]


# --- events (engine → audiences) --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something the engine tells one audience; `to_message()` is the JSON to send."""

    audience: str
    type: ClassVar[str] = ""

    def to_message(self) -> dict[str, Any]:
        """The server→client message: `type` plus every field but `audience`."""
        message: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            if f.name != "audience":
                message[f.name] = getattr(self, f.name)
        return message

    def message_for(self, player_id: PlayerId) -> dict[str, Any]:
        """The message as one player should get it (the same for all but `reveal`)."""
        return self.to_message()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerJoined(Event):
    """A player joined (to host and screen only: 10,000 joins must not fan out to players)."""

    type: ClassVar[str] = "joined"
    player: dict[str, Any]
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CountsUpdated(Event):
    """`counts` to the host: `{joined, answered, buzzes}` (sent by the runner after a burst, throttled)."""

    type: ClassVar[str] = "counts"
    counts: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentStarted(Event):
    """A new segment begins: its teams, and for `risk` the pick order, for `tiebreak` the tied groups.

    The big screen shows the segment's title card for exactly `card_ms` (until `card_until_ms`, server
    clock); the engine puts up the first question (or the first risk turn) only after it, so no
    countdown runs while the hall reads the card. `card_ms` 0: no card (games stored before cards).
    """

    type: ClassVar[str] = "segment"
    segment: dict[str, Any]
    team_ids: list[int]
    order: list[int] | None = None
    groups: list[dict[str, Any]] | None = None
    card_ms: int = 0
    card_until_ms: int | None = None
    now_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionShown(Event):
    """`question`: public to players/screen; the host's copy carries `answer` and `explanation`."""

    type: ClassVar[str] = "question"
    question: dict[str, Any]
    index: int
    count: int
    segment: dict[str, Any]
    points: int
    deadline_ms: int | None
    now_ms: int
    team_id: int | None = None
    player_id: PlayerId | None = None
    team_ids: list[int] | None = None
    audience_only: bool = False
    last_question: bool = False  # no question of the game comes after this one (as things stand)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerAcked(Event):
    """`ack` to the sender; the same object is returned again for a repeated client id."""

    type: ClassVar[str] = "ack"
    id: str
    question: int
    accepted: bool
    reason: str | None
    at_ms: int
    # The accepted answer as stored (the same form as `state`'s `you.answer`), so that the same account on a
    # second phone, which hears this ack too, shows 你的答案 without asking for a `state`; None when refused.
    # Not named `answer`: before the reveal no frame to a player carries a field of that name (the key's).
    submitted: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerAnswered(Event):
    """A player's `short` answer in an everyone-answers question, to the host alone, to judge it."""

    type: ClassVar[str] = "player_answered"
    question: int
    player_id: PlayerId
    name: str
    team_id: int | None
    answer: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamAnswered(Event):
    """A team's answer was taken (team segments): teammates stop answering; the host sees it."""

    type: ClassVar[str] = "team_answered"
    question: int
    team_id: int
    player_id: PlayerId
    answer: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class BuzzOpened(Event):
    """`buzz_open`: buzzing is armed until `deadline_ms` for `team_ids`."""

    type: ClassVar[str] = "buzz_open"
    question: int
    deadline_ms: int
    now_ms: int
    team_ids: list[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Buzzed(Event):
    """`buzzed`: `order` 1 won and answers until `deadline_ms`; a foul has order 0."""

    type: ClassVar[str] = "buzzed"
    question: int
    team_id: int
    player_id: PlayerId
    order: int
    foul: bool
    deadline_ms: int | None = None
    now_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerJudged(Event):
    """A team's answer was judged at once (buzzer, oral, tiebreak): right or wrong, never the answer."""

    type: ClassVar[str] = "judged"
    question: int
    team_id: int | None
    player_id: PlayerId | None
    correct: bool
    timeout: bool
    points: int | float


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionClosed(Event):
    """`closed`: no more answers; `answered` counts the accepted ones."""

    type: ClassVar[str] = "closed"
    question: int
    answered: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRevealed(Event):
    """`reveal`. For audience ``players`` `results` maps player id → `you`; use `message_for`."""

    type: ClassVar[str] = "reveal"
    question: int
    answer: list[Any]
    explanation: str
    distribution: dict[str, int]
    results: dict[PlayerId, dict[str, Any]] | None = None
    # A team segment's verdicts, announced to everyone (the big screen shows them beside the answer):
    # ``[{team_id, answered, correct, points}]`` in the order they were judged; None in everyone-answers.
    team_results: list[dict[str, Any]] | None = None

    NO_RESULT: ClassVar[dict[str, Any]] = {"answered": False, "correct": False, "points": 0}

    def to_message(self) -> dict[str, Any]:
        """The public reveal (screen, host), without `you` and without the per-player table."""
        message = {
            "type": "reveal", "question": self.question, "answer": self.answer,
            "explanation": self.explanation, "distribution": self.distribution,
        }
        if self.team_results is not None:
            message["team_results"] = self.team_results
        return message

    def message_for(self, player_id: PlayerId) -> dict[str, Any]:
        """The reveal with this player's own `you` `{answered, correct, points}`."""
        message = self.to_message()
        results = self.results or {}
        message["you"] = results.get(player_id, self.NO_RESULT)
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreChanged(Event):
    """`score`: a team's total moved by `delta` (one ledger entry, or a reveal's sum per team)."""

    type: ClassVar[str] = "score"
    team_id: int | None  # None: a guest's own points (open games), see `player_id`
    player_id: PlayerId | None
    delta: int | float
    total: int | float
    reason: str
    entry_id: int | None = None

    def to_message(self) -> dict[str, Any]:
        """The `score` message, with `reason_text`: the reason in words (答对, 超时, 主持人调整：…)."""
        message = Event.to_message(self)
        message["reason_text"] = reason_text(self.reason)
        return message

    def message_for(self, player_id: PlayerId) -> dict[str, Any]:
        return self.to_message()


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskPicked(Event):
    """The team on turn picked a risk value (or declined with 0)."""

    type: ClassVar[str] = "risk_pick"
    team_id: int
    points: int
    declined: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnChanged(Event):
    """The team now on turn to pick in a `risk` segment (`team_id` None: all turns used)."""

    type: ClassVar[str] = "turn"
    team_id: int | None
    values_left: list[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class TiebreakUpdated(Event):
    """A tiebreak group changed: `groups` as `[{team_ids (order so far), first_place, resolved}]`."""

    type: ClassVar[str] = "tiebreak"
    groups: list[dict[str, Any]]
    resolved: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerKicked(Event):
    """The host removed a guest (`kick`): gone from boards and counts, its name kept out of the game.

    Sent to ``player:<id>`` (the socket layer answers `error kicked`, closes with 4409 and refuses that
    player's resume token from now on) and to host and screen (`count`: players left)."""

    type: ClassVar[str] = "kicked"
    player_id: PlayerId
    name: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderboardShown(Event):
    """`leaderboard`: ranked teams and the top players."""

    type: ClassVar[str] = "leaderboard"
    teams: list[dict[str, Any]]
    players: list[dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class GameFinished(Event):
    """`finished`: the final leaderboard."""

    type: ClassVar[str] = "finished"
    teams: list[dict[str, Any]]
    players: list[dict[str, Any]]
    prizes: list[dict[str, Any]] | None = None  # the round's prizes; then each team row has its `prize`


@dataclass(frozen=True, slots=True, kw_only=True)
class GamePaused(Event):
    """The countdown is frozen with `remaining_ms` left."""

    type: ClassVar[str] = "paused"
    remaining_ms: int | None
    now_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GameResumed(Event):
    """The countdown runs again: `phase` restored, `deadline_ms` pushed by the pause."""

    type: ClassVar[str] = "resumed"
    phase: str
    deadline_ms: int | None
    now_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaControl(Event):
    """The host starts or pauses the question's sound or video; it plays on the big screen only."""

    type: ClassVar[str] = "media"
    question: int
    playing: bool
    now_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Error(Event):
    """`error` to the sender of a refused command; nothing changed."""

    type: ClassVar[str] = "error"
    code: str
    message: str
