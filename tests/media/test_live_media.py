"""A live game carries a question's media to the phones and the screen (never the answer), and its
stored configuration keeps them (a game replays with the pictures it was given)."""

from __future__ import annotations

from live.segments import QuestionSnapshot

PICTURE = {"kind": "image", "url": "/media/" + "b" * 32 + ".jpg", "alt": "", "width": 1200, "height": 800}
OPTION = {"kind": "image", "url": "/media/" + "c" * 32 + ".png", "alt": "", "width": 40, "height": 30}


def test_public_question_has_media_and_no_answer() -> None:
    snapshot = QuestionSnapshot.from_dict({
        "id": 7, "type": "single", "stem": "图中是哪里？", "media": [PICTURE],
        "options": [{"key": "A", "text": "", "media": OPTION}, {"key": "B", "text": "井冈山"}],
        "answer": ["A"], "explanation": "嘉兴南湖"})
    public = snapshot.public()
    assert public["media"] == [PICTURE]
    assert public["options"][0]["media"] == OPTION and "media" not in public["options"][1]
    assert "answer" not in public and "explanation" not in public
    assert snapshot.for_host()["answer"] == ["A"]


def test_a_text_question_is_unchanged() -> None:
    public = QuestionSnapshot.from_dict({"id": 1, "type": "judge", "stem": "对吗？", "answer": [True]}).public()
    assert "media" not in public


def test_game_config_round_trip_keeps_media() -> None:
    from live.engine import GameConfig

    config = GameConfig.from_dict({"title": "看图识史", "segments": [{"kind": "all", "questions": [
        {"id": 7, "type": "judge", "stem": "图为遵义会议会址。", "media": [PICTURE], "answer": [True]}]}]})
    again = GameConfig.from_dict(config.to_dict())
    assert again.segments[0].questions[0].media == [PICTURE]


def test_the_host_plays_the_song_on_the_screen_and_phones_hear_nothing(api, client) -> None:
    """Over the real socket: the host's `media` reaches the screen and the console, no phone; a screen that
    connects again learns from its `state` that the song is playing."""
    from tests.live.conftest import Frames
    from tests.live.test_ws import connect, host_do, join, opening
    from tests.media.helpers import mp3, upload
    from tests.media.test_question_media import new_bank

    bank_id = new_bank(api)
    song = upload(api, mp3(), "song.mp3").json()["url"]
    question = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json={
        "type": "single", "stem": "请听歌曲片段，这首歌的名字是？", "media": [{"url": song, "alt": "歌曲片段"}],
        "options": [{"key": "A", "text": "《南泥湾》"}, {"key": "B", "text": "《东方红》"}], "answer": ["B"]}).json()
    game = api("POST", "/api/live", as_="host", json={"title": "听音辨曲", "bank_id": bank_id, "segments": [
        {"kind": "all", "question_ids": [question["id"]], "time_limit_s": 30}]}).json()
    pin = game["pin"]
    with connect(client, pin, "host", game["host_token"]) as h, connect(client, pin, "screen") as s, \
            connect(client, pin) as p:
        host, screen, phone = Frames(h, "host"), Frames(s, "screen"), Frames(p, "phone")
        opening(host), opening(screen)
        join(phone, "小王")
        host_do(host, "start")  # past the segment's title card: the question is up
        host.send({"type": "host", "action": "media", "play": True})
        told = host.until("media")[-1]
        assert (told["question"], told["playing"]) == (question["id"], True)
        assert screen.until("media")[-1]["playing"] is True
        assert "media" not in [m["type"] for m in phone.sync()]
        phone.send({"type": "host", "action": "media", "play": False})
        assert phone.until("error")[-1]["code"] == "not_host"
    with connect(client, pin, "screen") as s2:
        state = opening(Frames(s2, "screen2"))
        assert state["media"] == {"question": question["id"], "playing": True}
        assert state["question"]["media"][0]["url"] == song and "answer" not in state["question"]

