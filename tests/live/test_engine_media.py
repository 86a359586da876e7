"""The host plays and pauses a question's sound or video on the big screen: an engine command like any
other (stored, replayed after a crash), told to the screen and the console, never to phones."""

from __future__ import annotations

import json

from live.engine import Game, SegmentConfig
from live.messages import Error, HostAction, Join, MediaControl, command_from_dict, command_to_dict
from live.segments import QuestionSnapshot
from tests.live.test_engine import OPTIONS, Play, single

SONG = {"kind": "audio", "url": "/media/" + "d" * 32 + ".mp3", "alt": "歌曲片段"}
PICTURE = {"kind": "image", "url": "/media/" + "b" * 32 + ".jpg", "alt": "", "width": 1200, "height": 800}


def song_question(qid: int) -> QuestionSnapshot:
    return QuestionSnapshot(qid, "single", "这首歌的名字是？", OPTIONS, ["B"], "《东方红》", media=[SONG])


def started(*questions: QuestionSnapshot) -> Play:
    play = Play(SegmentConfig("all", questions=list(questions)), teams=[])
    play.do(Join("g1", "小明"), 0)
    play.host(0, "start")
    return play


def test_play_and_pause_reach_screen_and_host_only_and_the_state_remembers() -> None:
    play = started(song_question(1))
    events = play.host(1_000, "media", play=True)
    assert [(e.audience, e.playing) for e in events] == [("screen", True), ("host", True)]
    assert all(isinstance(e, MediaControl) and e.question == 1 for e in events)
    assert events[0].to_message() == {"type": "media", "question": 1, "playing": True, "now_ms": 1_000}
    game = play.game
    assert game.snapshot("screen")["media"] == {"question": 1, "playing": True}
    assert game.snapshot("host")["media"] == {"question": 1, "playing": True}
    assert "media" not in game.snapshot("player", "g1")  # phones never play it (the hall hears the screen)
    play.host(2_000, "media", play=False)
    assert game.snapshot("screen")["media"] == {"question": 1, "playing": False}


def test_pausing_the_game_still_lets_the_host_stop_the_sound() -> None:
    play = started(song_question(1))
    play.host(1_000, "media", play=True)
    play.host(1_500, "pause")
    assert [e.playing for e in play.host(1_600, "media", play=False)] == [False, False]


def test_a_question_without_sound_or_video_and_bad_params_are_refused() -> None:
    play = started(single(1), song_question(2))
    [refused] = play.host(1_000, "media", play=True)
    assert isinstance(refused, Error) and refused.code == "no_media" and refused.audience == "host"
    picture = started(QuestionSnapshot(3, "judge", "图为遵义会议会址。", [], [True], media=[PICTURE]))
    assert picture.host(1_000, "media", play=True)[0].code == "no_media"  # a picture has nothing to play
    play = started(song_question(2))
    for bad in ({"play": "yes"}, {}, {"play": 1}):
        [refused] = play.do(HostAction("media", bad), 1_000)
        assert refused.code == "invalid_params"
    assert play.game.snapshot("screen")["media"] == {"question": 2, "playing": False}


def test_a_new_question_starts_silent() -> None:
    play = started(song_question(1), song_question(2))
    play.host(1_000, "media", play=True)
    play.host(2_000, "close")
    play.host(2_100, "reveal")
    assert play.game.snapshot("screen")["media"]["playing"] is True  # the song may play on over the reveal
    play.host(3_000, "next")
    assert play.game.snapshot("screen")["media"] == {"question": 2, "playing": False}


def test_replay_gives_the_same_media_state() -> None:
    play = started(song_question(1))
    play.host(1_000, "media", play=True)
    replay = Game(play.config)
    for command, now in play.log:
        replay.handle(command_from_dict(json.loads(json.dumps(command_to_dict(command)))), now)
    assert replay.snapshot("screen", now_ms=1) == play.game.snapshot("screen", now_ms=1)
