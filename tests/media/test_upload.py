"""POST /api/media: what a file is comes from its content; refused files name the file and write nothing."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select

from question_bank.media import MediaFile
from tests.media.helpers import jpeg, mp3, mp4, png, upload


def media_count(app) -> int:
    with app.state.db.read() as session:
        return len(session.exec(select(MediaFile.name)).all())


def test_png_renamed_jpg_is_a_png_and_the_same_bytes_are_one_file(api, app):
    first = upload(api, png(), "photo.jpg")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["kind"] == "image" and body["url"].endswith(".png")
    assert (body["width"], body["height"]) == (40, 30)
    assert body["bytes"] > 0
    again = upload(api, png(), "other-name.png")
    assert again.json()["url"] == body["url"]
    assert media_count(app) == 1
    # the name carries nothing of the file name
    assert "photo" not in body["url"]


def test_members_may_not_upload(api, app):
    assert upload(api, png(), "a.png", as_="alice").status_code == 403
    assert media_count(app) == 0


def test_refused_files_name_the_file_and_write_nothing(api, app):
    html = upload(api, b"<!doctype html><script>alert(1)</script>", "evil.png")
    assert html.status_code == 415 and "evil.png" in html.json()["error"]["message"]
    svg = upload(api, b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "map.svg")
    assert svg.status_code == 415 and svg.json()["error"]["code"] == "media_type_refused"
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    huge = upload(api, out.getvalue(), "huge.png")
    assert huge.status_code == 413 and "huge.png" in huge.json()["error"]["message"]
    whole = jpeg(400, 300)
    broken = upload(api, whole[: len(whole) // 2], "cut.jpg")
    assert broken.status_code == 422 and "cut.jpg" in broken.json()["error"]["message"]
    text = upload(api, b"just some text, not a picture", "notes.gif")
    assert text.status_code == 415
    assert media_count(app) == 0


def test_a_file_over_the_media_limit_is_413(api, app, monkeypatch):
    from question_bank import media

    monkeypatch.setattr(media, "_configured_max_bytes", 4000)
    big = upload(api, mp4(8000), "clip.mp4")
    assert big.status_code == 413 and "clip.mp4" in big.json()["error"]["message"]
    assert media_count(app) == 0


def test_exif_orientation_applied_and_metadata_stripped(api, app):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    exif[0x010F] = "CameraMaker"
    response = upload(api, jpeg(60, 20, exif=exif.tobytes()), "phone.jpg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (20, 60)
    stored = api("GET", body["url"]).content
    assert b"CameraMaker" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_audio_and_video_by_signature(api):
    song = upload(api, mp3(), "song.bin")
    assert song.status_code == 201 and song.json()["kind"] == "audio" and song.json()["url"].endswith(".mp3")
    clip = upload(api, mp4(), "clip.dat")
    assert clip.status_code == 201 and clip.json()["kind"] == "video" and clip.json()["url"].endswith(".mp4")


def test_large_photo_gets_a_phone_variant(api):
    body = upload(api, jpeg(2000, 1500, "green"), "big.jpg").json()
    assert body["variants"][0]["width"] == 720 and body["variants"][0]["height"] == 540


def test_unusual_images_are_stored_or_refused_never_a_500(api):
    import random

    rng = random.Random(7)
    samples = {}
    for mode in ("RGBA", "P", "L", "CMYK", "I;16", "1", "LA"):
        out = io.BytesIO()
        image = Image.new(mode, (1100, 700))
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        image.save(out, fmt)
        samples[f"{mode}.{fmt.lower()}"] = out.getvalue()
    animated = io.BytesIO()
    frames = [Image.new("P", (30, 30), i) for i in range(3)]
    frames[0].save(animated, "GIF", save_all=True, append_images=frames[1:])
    samples["anim.gif"] = animated.getvalue()
    webp = io.BytesIO()
    Image.new("RGB", (1200, 800), "white").save(webp, "WEBP")
    samples["photo.webp"] = webp.getvalue()
    whole = png(300, 200)
    samples["noise.png"] = whole[:40] + bytes(rng.randrange(256) for _ in range(400))
    for name, data in samples.items():
        response = upload(api, data, name)
        assert response.status_code in (201, 413, 415, 422), (name, response.status_code, response.text)
        if response.status_code == 201 and response.json()["kind"] == "image" and response.json()["width"] > 960:
            assert response.json()["variants"], name
    assert upload(api, samples["anim.gif"], "anim.gif").json()["url"].endswith(".gif")
