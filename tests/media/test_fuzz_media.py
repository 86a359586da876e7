"""Any bytes given as a media file are stored or refused with the contract's error: never an exception
other than MediaError (which the endpoints render as 413/415/422)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from question_bank import media

FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _valid(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, fmt)
    return out.getvalue()


HEADS = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"ID3",
         b"\x00\x00\x00\x18ftypisom", b"OggS", b"\x1a\x45\xdf\xa3", b"<svg", b"\xef\xbb\xbf<html>"]


@FUZZ
@given(head=st.sampled_from(HEADS), body=st.binary(max_size=600))
def test_any_bytes_are_checked_or_refused(head: bytes, body: bytes) -> None:
    try:
        checked = media.check(head + body, "f", 1 << 20)
    except media.MediaError as exc:
        assert exc.status in (413, 415, 422) and "“f”" in exc.message
    else:
        assert checked.kind in media.KINDS and checked.data


@FUZZ
@given(fmt=st.sampled_from(["PNG", "JPEG", "GIF", "WEBP"]), cut=st.integers(0, 400), flip=st.integers(0, 400))
def test_damaged_real_images_are_refused_or_readable(fmt: str, cut: int, flip: int) -> None:
    data = bytearray(_valid(fmt))
    if flip < len(data):
        data[flip] ^= 0xFF
    data = data[: max(1, len(data) - cut)]
    try:
        checked = media.check(bytes(data), "f", 1 << 20)
    except media.MediaError as exc:
        assert exc.status in (413, 415, 422)
    else:
        assert checked.kind == "image" and checked.width and checked.height
