"""The room's delivery: audiences, the big screen first, and the per-player reveal's fast lanes
(each must give exactly what the plain encoder gives)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from live.messages import AnswerRevealed, QuestionClosed
from live.room import Outgoing, Room, Send, encode, encode_you
from live.scoring import Player, rank, rank_players
from live.wsproto import text_frame


class FakeClient:
    def __init__(self, role: str, player_id: Any = None, team_id: int | None = None, log: list[Any] | None = None):
        self.role, self.player_id, self.team_id, self.closed = role, player_id, team_id, False
        self.got: list[Outgoing] = []
        self.log = log if log is not None else []

    def push(self, messages: list[Outgoing]) -> None:
        self.got += messages
        self.log.append(self)


def texts(client: FakeClient) -> list[dict[str, Any]]:
    return [json.loads(m.text) for m in client.got]


def test_the_big_screen_gets_every_burst_first_and_each_audience_only_its_own() -> None:
    order: list[Any] = []
    room = Room()
    players = [FakeClient("player", f"g{i}", log=order) for i in range(5)]
    host, screen = FakeClient("host", log=order), FakeClient("screen", log=order)
    for client in (*players, host, screen):  # the screen joined last
        room.add(client)
    body = {"question": 7, "answer": ["B"], "explanation": "解析", "distribution": {"A": 1, "B": 4}}
    results = {f"g{i}": {"answered": True, "correct": i % 2 == 0, "points": 10 * (i % 2 == 0), "score": 10,
                         "rank": i + 1} for i in range(4)}  # g4 never answered
    room.deliver([Send(AnswerRevealed(audience="players", results=results, **body)),
                  Send(AnswerRevealed(audience="screen", **body)), Send(AnswerRevealed(audience="host", **body)),
                  Send(QuestionClosed(audience="all", question=7, answered=4))])
    assert order[0] is screen and order[-1] is host
    assert [m["type"] for m in texts(screen)] == ["reveal", "closed"] and "you" not in texts(screen)[0]
    assert [m["type"] for m in texts(host)] == ["reveal", "closed"] and "you" not in texts(host)[0]
    for i, player in enumerate(players):
        reveal, closed = texts(player)
        assert closed["type"] == "closed"
        assert reveal == {"type": "reveal", **body, "you": results.get(f"g{i}", AnswerRevealed.NO_RESULT)}
        frame = player.got[0].frame
        assert frame == text_frame(player.got[0].text.encode())  # the spliced frame is a valid frame of its text


@pytest.mark.parametrize("you", [
    {"answered": True, "correct": True, "points": 10, "score": 30, "rank": 1},
    {"answered": False, "correct": False, "points": -5, "score": -5, "rank": 9999},
    {"answered": True, "correct": True, "points": 7.5, "score": 17.5, "rank": 2},  # speed bonus: floats
    {"answered": True, "correct": False, "points": 0, "score": 0, "rank": None},
    {"answered": True, "correct": True, "points": 10, "score": 30, "team_score": 90, "rank": 3},
    {"answered": False, "correct": False, "points": 0},
    {"answered": 1, "correct": True, "points": 10, "score": 30, "rank": 1},  # not a bool: the encoder decides
])
def test_encode_you_is_the_encoder_for_every_shape(you: dict[str, Any]) -> None:
    assert encode_you(you) == encode(you)


def test_spliced_messages_are_the_same_text_and_frame_at_every_length() -> None:
    for size in (10, 120, 125, 126, 127, 300, 65530, 65536, 70000):
        head, tail = ("题" * (size // 3)).encode(), b'{"x":1}}'
        message = Outgoing.spliced(head, tail)
        assert message.text == (head + tail).decode()
        assert message.frame == text_frame(head + tail)


def test_rank_players_equals_the_general_ranking() -> None:
    rng = random.Random(5)
    players = [Player(f"g{i}", f"选手{i}", None, None, None, i) for i in range(3000)]
    for player in players:
        player.score = rng.choice([0, 10, 20, 7.5, 30])
        player.time_ms = rng.choice([0, 1500, 2000, rng.randrange(100000)])
    general = rank(players, key=lambda p: (-p.score, p.time_ms))
    fast = rank_players(players)
    assert [(place, tied) for place, tied, _ in fast] == [(place, tied) for place, tied, _ in general]
    assert [(p.score, p.time_ms) for _, _, p in fast] == [(p.score, p.time_ms) for _, _, p in general]
    assert rank_players([]) == []
