"""Media endpoints (CONTRACT §3): ``POST /api/media`` (organizer) and ``GET /media/{name}`` (anyone).

A file's name is its content hash, so a response never changes: it is cached as immutable, its
ETag is the name, and audio and video answer ``Range`` requests (a phone seeks in a song, Safari
will not play a video without them). ``?w=720`` (or any width) gives the phone copy of a large photo
when there is one — the contract's ``variants`` name those copies directly.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from question_bank import media
from quiz.errors import AppError, NotFound
from quiz.web import Ctx, api

IMMUTABLE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


async def startup(app: Any) -> None:
    media.configure(int(float(getattr(app.state.settings, "max_media_mb", 10)) * 1024 * 1024))


@api(role="organizer", status=201)
def upload_media(ctx: Ctx) -> Any:
    """Upload a picture, sound or video (checked by its content); the same bytes give the same url."""
    filename, data = ctx.upload()
    try:
        checked = media.check(data, filename, media.max_bytes())
    except media.MediaError as exc:
        raise AppError(exc.message, code=exc.code, status=exc.status,
                       details=[{"field": "file", "file": filename, "message": exc.message}]) from None
    with ctx.db.write() as session:
        row = media.store(session, checked, ctx.now_ms(), data)
        ref = media.media_ref(session, row)
    body = {key: ref[key] for key in ("url", "kind", "width", "height")}
    body["bytes"] = row.size
    if "variants" in ref:
        body["variants"] = ref["variants"]
    return body


def _load(db: Any, name: str, width: str | None) -> media.MediaFile | None:
    with db.read() as session:
        row = session.get(media.MediaFile, name)
        if row is not None and width and row.kind == "image":
            wanted = int(width) if width.isdigit() else media.VARIANT_WIDTH
            smaller = session.exec(select(media.MediaFile).where(media.MediaFile.variant_of == name)
                                   .order_by(media.MediaFile.width)).all()
            fitting = [v for v in smaller if (v.width or 0) >= wanted] or smaller[-1:]
            row = fitting[0] if fitting else row
        return row


async def serve_media(request: Request) -> Response:
    """A stored file: immutable, ETag/304, Range for audio and video, its type and nosniff."""
    name = request.path_params["name"]
    if media.name_from_url(name) is None:
        raise NotFound()
    row = await run_in_threadpool(_load, request.app.state.db, name, request.query_params.get("w"))
    if row is None:
        raise NotFound()
    etag = f'"{row.name.split(".")[0]}"'
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "X-Content-Type-Options": "nosniff",
               "Content-Disposition": "inline"}
    if row.kind != "image":
        headers["Accept-Ranges"] = "bytes"
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    data = row.data
    spec = request.headers.get("range", "")
    if spec and row.kind != "image":
        match = _RANGE.match(spec.strip())
        size = len(data)
        start, end = (match.group(1), match.group(2)) if match else ("", "")
        if match and (start or end):
            if start:
                first, last = int(start), min(int(end) if end else size - 1, size - 1)
            else:  # the last N bytes
                first, last = max(size - int(end), 0), size - 1
            if first <= last and first < size:
                headers["Content-Range"] = f"bytes {first}-{last}/{size}"
                return Response(data[first:last + 1], status_code=206, media_type=row.mime, headers=headers)
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    return Response(data, media_type=row.mime, headers=headers)


routes = [
    Route("/api/media", upload_media, methods=["POST"]),
    Route("/media/{name}", serve_media, methods=["GET", "HEAD"]),
]
