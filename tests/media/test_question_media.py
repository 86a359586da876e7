"""``media`` on a question's stem and options through the question API (CONTRACT §3)."""

from __future__ import annotations

from tests.media.helpers import jpeg, png, upload


def new_bank(api) -> int:
    return api("POST", "/api/banks", as_="org", json={"name": "看图识史"}).json()["id"]


def picture_question(api, bank_id: int) -> tuple[dict, str, str]:
    stem_url = upload(api, jpeg(1600, 1000, "gray"), "site.jpg").json()["url"]
    option_url = upload(api, png(color="yellow"), "flag.png").json()["url"]
    body = {"type": "single", "stem": "图中是哪处革命旧址？",
            "media": [{"url": stem_url, "alt": "一座两层小楼"}],
            "options": [{"key": "A", "text": "", "media": {"url": option_url, "alt": "甲"}},
                        {"key": "B", "text": "南昌"}],
            "answer": ["A"], "explanation": "", "tags": ["党史"], "difficulty": 2}
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=body)
    assert response.status_code == 201, response.text
    return response.json(), stem_url, option_url


def test_create_get_and_member_view_carry_media(api):
    bank_id = new_bank(api)
    question, stem_url, option_url = picture_question(api, bank_id)
    (stem,) = question["media"]
    assert stem["url"] == stem_url and stem["kind"] == "image" and stem["alt"] == "一座两层小楼"
    assert (stem["width"], stem["height"]) == (1600, 1000)
    assert stem["variants"][0]["width"] == 720
    assert question["options"][0]["media"]["url"] == option_url
    member = api("GET", f"/api/questions/{question['id']}", as_="alice").json()
    assert member["media"][0]["url"] == stem_url and "answer" not in member
    assert member["options"][0]["media"]["width"] == 40


def test_unknown_media_url_is_422_and_nothing_written(api):
    bank_id = new_bank(api)
    body = {"type": "judge", "stem": "图中人物是毛泽东。", "answer": [True],
            "media": [{"url": "/media/" + "a" * 32 + ".png"}]}
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "图片"
    assert api("GET", f"/api/banks/{bank_id}/questions", as_="org").json()["total"] == 0


def test_edit_keeps_the_snapshot_of_what_was_used(api, app):
    from question_bank.models import Question

    bank_id = new_bank(api)
    question, stem_url, _ = picture_question(api, bank_id)
    with app.state.db.read() as session:
        used = session.get(Question, question["id"]).snapshot()  # what a paper or a game keeps
    other = upload(api, png(80, 60, "purple"), "other.png").json()["url"]
    edited = api("PUT", f"/api/questions/{question['id']}", as_="org",
                 json={"media": [{"url": other, "alt": ""}]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["media"][0]["url"] == other and edited.json()["version"] == 2
    assert used["media"][0]["url"] == stem_url
    assert api("GET", stem_url).status_code == 200  # the old picture is still served
    removed = api("PUT", f"/api/questions/{question['id']}", as_="org", json={"media": []})
    assert "media" not in removed.json()
