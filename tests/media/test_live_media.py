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
