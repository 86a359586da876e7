"""Small media files made in memory for the media tests."""

from __future__ import annotations

import io

from PIL import Image


def png(width: int = 40, height: int = 30, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 40, height: int = 30, color: str = "blue", exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    image.save(out, "JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def mp4(size: int = 5000) -> bytes:
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return head + bytes(range(256)) * (size // 256)


def mp3(size: int = 3000) -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * (size // 4)


def upload(api, data: bytes, name: str, as_: str = "org"):
    return api("POST", "/api/media", as_=as_, files={"file": (name, data, "application/octet-stream")})
