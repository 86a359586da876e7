"""Pictures, sound and video in questions (CONTRACT §3): checking what comes in, storing it once by content.

Storage is a database table (``media_file``), not the file system: the same code works on SQLite and
PostgreSQL, every worker process (and every machine) sees a file the moment its transaction commits,
``quiz backup`` / ``quiz restore`` copy the media with the questions in one consistent snapshot, and a
file is written in the same transaction as the question that names it, so an import that fails leaves
nothing behind. Files are small (``QUIZ_MAX_MEDIA_MB``, 10 MiB by default) and served with
``Cache-Control: immutable``, so each client fetches a file once.

A file's name is the hash of the bytes stored (``<sha256, 32 hex>.<ext>``): the same bytes twice are
one row, and the name says nothing of the question or its answer. Images are decoded with Pillow
(never trusted from the name or the header), turned upright by their EXIF orientation and written
again without metadata (no GPS position leaves the organiser's phone); a photo wider than
``VARIANT_WIDTH`` also gets a smaller copy for phones, stored as a row of its own (``variant_of``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, Session, SQLModel, select

MAX_PIXELS_SIDE = 8000
VARIANT_WIDTH = 720
VARIANT_FROM_WIDTH = 960  # an image at most this wide is sent as it is
URL_PREFIX = "/media/"
KINDS = ("image", "audio", "video")

IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"),
                 "WEBP": ("webp", "image/webp")}
MIME_BY_EXT = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
               "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "mp4": "video/mp4", "webm": "video/webm"}


class MediaFile(SQLModel, table=True):
    """One stored file; ``name`` is ``<content hash>.<ext>``; a phone variant names its original."""

    __tablename__ = "media_file"

    name: str = Field(primary_key=True, max_length=48)
    kind: str = Field(max_length=8)
    mime: str = Field(max_length=40)
    width: int | None = None
    height: int | None = None
    size: int = 0  # bytes
    variant_of: str | None = Field(default=None, max_length=48, index=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_ms: int = 0

    def ref(self) -> dict[str, Any]:
        """The contract's media object (without ``alt``)."""
        return {"kind": self.kind, "url": URL_PREFIX + self.name, "width": self.width, "height": self.height}


class MediaError(Exception):
    """A file that is refused: ``status`` 413 (too many bytes or pixels), 415 (a type not listed, SVG)
    or 422 (broken); ``code`` and a Chinese ``message`` naming the file."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Checked:
    """A file that passed the checks: the bytes to store, what they are, and an optional phone copy."""

    data: bytes
    kind: str
    ext: str
    mime: str
    width: int | None = None
    height: int | None = None
    variant: Checked | None = None

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()[:32]}.{self.ext}"


def _av_type(data: bytes) -> tuple[str, str] | None:
    """(kind, ext) of a sound or video file by its container signature, or None."""
    head = data[:64]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return ("audio", "m4a") if brand in (b"M4A ", b"M4B ") else ("video", "mp4")
    if head.startswith(b"OggS"):
        return "audio", "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "webm"
    if head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "mp3"
    return None


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") or b"<svg" in head or b"<html" in head or b"<script" in head


def check(data: bytes, filename: str, max_bytes: int) -> Checked:
    """Decide what ``data`` is from its content and check it; raises MediaError naming ``filename``."""
    name = filename or "文件"
    if len(data) > max_bytes:
        raise MediaError(413, "media_too_large",
                         f"文件“{name}”过大（{len(data) / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB）")
    if not data:
        raise MediaError(422, "media_broken", f"文件“{name}”是空的")
    av = _av_type(data)
    if av is not None:
        kind, ext = av
        return Checked(data=data, kind=kind, ext=ext, mime=MIME_BY_EXT[ext])
    if _looks_like_markup(data):
        raise MediaError(415, "media_type_refused",
                         f"文件“{name}”是 SVG 或 HTML 等文本格式，不能作为图片（可能含脚本）：请转为 PNG 或 JPEG")
    return _check_image(data, name)


def _check_image(data: bytes, name: str) -> Checked:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except UnidentifiedImageError:
        raise MediaError(415, "media_type_refused",
                         f"文件“{name}”的类型不受支持：图片请用 PNG、JPEG、GIF、WebP，音频 MP3、M4A、OGG，"
                         "视频 MP4、WebM") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(413, "media_too_many_pixels", f"图片“{name}”像素过多（上限 {MAX_PIXELS_SIDE}×{MAX_PIXELS_SIDE}）") from None
    except Exception:
        raise MediaError(422, "media_broken", f"文件“{name}”已损坏，无法读取") from None
    width, height = image.size
    if width > MAX_PIXELS_SIDE or height > MAX_PIXELS_SIDE:
        raise MediaError(413, "media_too_many_pixels",
                         f"图片“{name}”为 {width}×{height} 像素，超过上限 {MAX_PIXELS_SIDE}×{MAX_PIXELS_SIDE}")
    # A phone's multi-picture JPEG (MPO) is a JPEG with a second, hidden frame: its first frame is the photo.
    fmt = "JPEG" if image.format == "MPO" else (image.format or "")
    if fmt not in IMAGE_FORMATS:
        raise MediaError(415, "media_type_refused", f"文件“{name}”的图片格式不受支持：请用 PNG、JPEG、GIF 或 WebP")
    ext, mime = IMAGE_FORMATS[fmt]
    try:
        animated = image.format != "MPO" and bool(getattr(image, "is_animated", False))
        if animated:
            # Every frame is decoded (a truncated animation fails here); the bytes are kept as they are.
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                image.load()
            return Checked(data=data, kind="image", ext=ext, mime=mime, width=width, height=height)
        image.load()
        upright = ImageOps.exif_transpose(image) or image
        stored = _encode(upright, fmt)
        variant = _phone_copy(upright) if upright.width > VARIANT_FROM_WIDTH else None
    except MediaError:
        raise
    except Exception:  # truncated or corrupt pixel data, or pixels no encoder takes
        raise MediaError(422, "media_broken", f"图片“{name}”已损坏或不完整，无法读取") from None
    return Checked(data=stored, kind="image", ext=ext, mime=mime, width=upright.width, height=upright.height,
                   variant=variant)


def _encode(image: Any, fmt: str) -> bytes:
    """The pixels again, without EXIF, XMP, ICC text or comments (nothing of where or by what it was taken)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    elif fmt == "GIF":
        image.save(out, "GIF")
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _phone_copy(image: Any) -> Checked:
    """A ``VARIANT_WIDTH``-wide copy: JPEG, or WebP when the picture has transparency."""
    height = max(1, round(image.height * VARIANT_WIDTH / image.width))
    small = image.resize((VARIANT_WIDTH, height))
    out = io.BytesIO()
    if small.mode in ("RGBA", "LA", "PA") or "transparency" in small.info:
        small.convert("RGBA").save(out, "WEBP", quality=80)
        ext = "webp"
    else:
        small.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
        ext = "jpg"
    return Checked(data=out.getvalue(), kind="image", ext=ext, mime=MIME_BY_EXT[ext], width=VARIANT_WIDTH,
                   height=height)


def store(session: Session, checked: Checked, now_ms: int, original: bytes | None = None) -> MediaFile:
    """Store a checked file (and its phone copy) unless the same bytes are already there.

    ``original``: the bytes as uploaded. When they are a file this store wrote (an exported file
    imported again), that file is the answer: a JPEG encoded twice would not be the same bytes."""
    if original is not None:
        same = session.get(MediaFile, f"{hashlib.sha256(original).hexdigest()[:32]}.{checked.ext}")
        if same is not None and same.variant_of is None:
            return same
    row = session.get(MediaFile, checked.name)
    if row is None:
        row = MediaFile(name=checked.name, kind=checked.kind, mime=checked.mime, width=checked.width,
                        height=checked.height, size=len(checked.data), data=checked.data, created_ms=now_ms)
        session.add(row)
        if checked.variant is not None:
            v = checked.variant
            # Named by its original too: two pictures may have the same small copy (two black squares).
            vname = f"{hashlib.sha256(checked.name.encode() + v.data).hexdigest()[:32]}.{v.ext}"
            session.add(MediaFile(name=vname, kind=v.kind, mime=v.mime, width=v.width, height=v.height,
                                  size=len(v.data), data=v.data, variant_of=checked.name, created_ms=now_ms))
        session.flush()
    return row


def variants(session: Session, name: str) -> list[dict[str, Any]]:
    rows = session.exec(select(MediaFile.name, MediaFile.width, MediaFile.height)
                        .where(MediaFile.variant_of == name).order_by(MediaFile.width)).all()
    return [{"url": URL_PREFIX + n, "width": w, "height": h} for n, w, h in rows]


def media_ref(session: Session, row: MediaFile, alt: str = "") -> dict[str, Any]:
    """The media object a question keeps: kind, url, alt, size and phone variants (a frozen copy)."""
    ref = {**row.ref(), "alt": alt}
    found = variants(session, row.name)
    if found:
        ref["variants"] = found
    return ref


def name_from_url(url: str) -> str | None:
    """``/media/<name>`` (or a bare name) → the name, when it can be one of ours."""
    name = url[len(URL_PREFIX):] if url.startswith(URL_PREFIX) else url
    stem, _, ext = name.partition(".")
    if len(stem) == 32 and all(c in "0123456789abcdef" for c in stem) and ext in MIME_BY_EXT:
        return name
    return None


def resolve_refs(session: Session, media: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Media objects sent by a client (``{"url", "alt"}``) → the stored objects; and the urls not found."""
    resolved: list[dict[str, Any]] = []
    missing: list[str] = []
    for item in media:
        url = str(item.get("url", ""))
        name = name_from_url(url)
        row = session.get(MediaFile, name) if name else None
        if row is None or row.variant_of is not None:
            missing.append(url)
            continue
        resolved.append(media_ref(session, row, str(item.get("alt") or "")))
    return resolved, missing


# --- questions that name media: imports and the question API --------------------------------------

_configured_max_bytes: int | None = None


def configure(max_bytes: int) -> None:
    """The app's ``QUIZ_MAX_MEDIA_MB`` (set at start-up); the CLI reads the environment."""
    global _configured_max_bytes
    _configured_max_bytes = max_bytes


def max_bytes() -> int:
    if _configured_max_bytes is not None:
        return _configured_max_bytes
    import os

    return int(float(os.environ.get("QUIZ_MAX_MEDIA_MB") or 10) * 1024 * 1024)


class MediaRefError(Exception):
    """Media named by a question that this server does not hold: ``errors`` as import row errors."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__(errors[0].message if errors else "")
        self.errors = errors


def _entries(question: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """(field label, media entry, setter) for the stem's and the options' media of a QuestionData."""
    found: list[tuple[str, dict[str, Any], Any]] = []
    for index, entry in enumerate(question.media):
        found.append(("图片", entry, lambda ref, i=index: question.media.__setitem__(i, ref)))
    for option in question.options:
        entry = option.get("media")
        if isinstance(entry, dict):
            found.append((f"选项{option['key']}图片", entry, lambda ref, o=option: o.__setitem__("media", ref)))
    return found


def check_files(result: Any) -> None:
    """Check every file the questions of a parse result name (missing or refused: a row error); the
    checked files go to ``result.checked``. Runs before any write transaction (decoding takes time)."""
    from question_bank.formats.common import RowError

    limit = max_bytes()
    refused: dict[str, MediaError] = {}
    for question in result.questions:
        for label, entry, _ in _entries(question):
            file = entry.get("file")
            if not file:
                continue
            if file not in result.files:
                result.errors.append(RowError(question.row, label, f"找不到文件“{file}”：压缩包中没有这个文件"))
                continue
            if file not in result.checked and file not in refused:
                try:
                    result.checked[file] = check(result.files[file], file, limit)
                except MediaError as exc:
                    refused[file] = exc
            if file in refused:
                result.errors.append(RowError(question.row, label, refused[file].message))
    if result.errors:
        result.error_count = max(result.error_count, len(result.errors))


def _url_errors(session: Session, result: Any, store_files: bool, now_ms: int) -> list[Any]:
    from question_bank.formats.common import RowError

    errors: list[Any] = []
    for question in result.questions:
        for label, entry, put in _entries(question):
            alt = str(entry.get("alt") or "")
            if entry.get("file"):
                if store_files:
                    stored = store(session, result.checked[entry["file"]], now_ms, result.files[entry["file"]])
                    put(media_ref(session, stored, alt))
                continue
            refs, missing = resolve_refs(session, [entry])
            if missing:
                errors.append(RowError(question.row, label, f"找不到媒体“{missing[0]}”：请先上传该文件"))
            elif store_files:
                put(refs[0])
    return errors


def verify_urls(session: Session, result: Any) -> None:
    """A dry run: raise MediaRefError for media urls this server does not hold."""
    errors = _url_errors(session, result, False, 0)
    if errors:
        raise MediaRefError(errors)


def attach(session: Session, result: Any, now_ms: int) -> None:
    """Store the checked files and turn every media entry into its stored object (kind, url, size,
    variants); raise MediaRefError (the caller's transaction then writes nothing) for unknown urls."""
    errors = _url_errors(session, result, True, now_ms)
    if errors:
        raise MediaRefError(errors)


def export_zip(session: Session, questions: list[Any]) -> bytes:
    """``format=zip``: ``questions.json`` naming its media by file, and the files; imports again as is."""
    import copy
    import json
    import zipfile

    files: dict[str, bytes] = {}
    items = []
    for question in questions:
        q = copy.deepcopy(question)
        for _, entry, put in _entries(q):
            name = name_from_url(str(entry.get("url", "")))
            row = session.get(MediaFile, name) if name else None
            if row is None:
                continue
            files[row.name] = row.data
            put({"file": row.name, "alt": entry.get("alt", "")})
        items.append(q.to_dict())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("questions.json", json.dumps({"questions": items}, ensure_ascii=False, indent=2))
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)  # pictures are compressed already
    return out.getvalue()


def image_files(session: Session, questions: list[Any]) -> dict[str, bytes]:
    """The stored bytes of every picture the questions show, by url (for an xlsx export)."""
    files: dict[str, bytes] = {}
    for question in questions:
        for _, entry, _ in _entries(question):
            url = str(entry.get("url", ""))
            name = name_from_url(url)
            if name and url not in files and entry.get("kind", "image") == "image":
                row = session.get(MediaFile, name)
                if row is not None:
                    files[url] = row.data
    return files
