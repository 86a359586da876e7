"""GET /media/{name}: immutable caching, ETag/304, Range on video, content type and nosniff, phone copies."""

from __future__ import annotations

from tests.media.helpers import mp4, png, upload
from tests.media.test_upload import jpeg


def test_cache_headers_etag_and_304(api, client):
    url = upload(api, png(), "a.png").json()["url"]
    response = client.get(url)  # no login needed
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_range_on_a_video(api, client):
    data = mp4(5000)
    url = upload(api, data, "clip.mp4").json()["url"]
    whole = client.get(url)
    assert whole.headers["accept-ranges"] == "bytes" and whole.content == data
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert part.headers["content-type"] == "video/mp4"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data) + 5}-"}).status_code == 416


def test_phone_variant_is_smaller(api, client):
    body = upload(api, jpeg(2400, 1600, "orange"), "wide.jpg").json()
    original = client.get(body["url"]).content
    small = client.get(body["variants"][0]["url"])
    assert small.status_code == 200 and len(small.content) < len(original)
    by_width = client.get(body["url"] + "?w=720")
    assert by_width.content == small.content


def test_unknown_names_are_404(client):
    assert client.get("/media/" + "0" * 32 + ".png").status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/question-17-answer.png").status_code == 404
