"""A picture question as practice and a test show it: media on the stem and the options, never the key;
a paper keeps the picture it was given when the question is edited later."""

from __future__ import annotations

from typing import Any

from tests.exams.conftest import exam_body
from tests.media.helpers import png, upload
from tests.media.test_question_media import new_bank, picture_question


def test_practice_shows_the_stem_and_option_pictures(api: Any) -> None:
    bank_id = new_bank(api)
    question, stem_url, option_url = picture_question(api, bank_id)
    started = api("POST", "/api/practice", as_="alice", json={"bank_id": bank_id, "mode": "sequential", "count": 5})
    assert started.status_code == 201, started.text
    shown = started.json()["question"]
    assert shown["media"][0]["url"] == stem_url and "answer" not in shown
    assert shown["options"][0]["media"]["url"] == option_url


def test_an_exam_paper_keeps_its_picture_after_an_edit(api: Any, clock: Any, monkeypatch: Any) -> None:
    from quiz.exams import service

    monkeypatch.setattr(service, "BANK_CHECK_S", 0.0)
    bank_id = new_bank(api)
    question, stem_url, option_url = picture_question(api, bank_id)
    exam = api("POST", "/api/exams", as_="org", json=exam_body(
        bank_id, clock.now_ms(), rules=[{"type": "single", "count": 1, "points": 1}], pass_score=1,
        max_attempts=2, shuffle_options=True)).json()
    paper = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert paper.status_code in (200, 201), paper.text
    (item,) = paper.json()["questions"]
    assert item["media"][0]["url"] == stem_url and "answer" not in item
    assert option_url in [o.get("media", {}).get("url") for o in item["options"]]
    other = upload(api, png(90, 90, "black"), "new.png").json()["url"]
    assert api("PUT", f"/api/questions/{question['id']}", as_="org",
               json={"media": [{"url": other, "alt": ""}]}).status_code == 200
    again = api("GET", f"/api/attempts/{paper.json()['id']}", as_="alice")
    assert again.status_code == 200, again.text
    assert again.json()["questions"][0]["media"][0]["url"] == stem_url
    bob = api("POST", f"/api/exams/{exam['id']}/attempts", as_="bob").json()
    assert bob["questions"][0]["media"][0]["url"] == other


def test_a_game_keeps_its_picture_when_the_question_is_edited_after(api: Any, app: Any, users: Any) -> None:
    from sqlmodel import select

    from live.engine import GameConfig
    from live.store import LiveGame

    bank_id = new_bank(api)
    question, stem_url, option_url = picture_question(api, bank_id)
    created = api("POST", "/api/live", as_="host", json={"title": "看图识史", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [question["id"]], "time_limit_s": 20, "points": 10}]})
    assert created.status_code in (200, 201), created.text
    other = upload(api, png(70, 70, "pink"), "new.png").json()["url"]
    assert api("PUT", f"/api/questions/{question['id']}", as_="org",
               json={"media": [{"url": other, "alt": ""}]}).status_code == 200
    with app.state.db.read() as session:
        game = session.exec(select(LiveGame).where(LiveGame.pin == created.json()["pin"])).one()
    (played,) = GameConfig.from_dict(game.config).segments[0].questions
    assert played.media[0]["url"] == stem_url
    assert played.public()["options"][0]["media"]["url"] == option_url


def test_practice_next_question_carries_its_media(api: Any) -> None:
    bank_id = new_bank(api)
    picture_question(api, bank_id)
    photo = upload(api, png(50, 50, "cyan"), "p.png").json()["url"]
    api("POST", f"/api/banks/{bank_id}/questions", as_="org", json={
        "type": "judge", "stem": "第二题：图为遵义会议会址。", "answer": [True], "media": [{"url": photo, "alt": "会址"}]})
    started = api("POST", "/api/practice", as_="alice", json={"bank_id": bank_id, "mode": "sequential", "count": 2}).json()
    reply = api("POST", f"/api/practice/{started['id']}/answers", as_="alice",
                json={"question_id": started["question"]["id"], "answer": ["A"]}).json()
    assert reply["next"]["media"][0]["url"] == photo and reply["next"]["media"][0]["alt"] == "会址"
