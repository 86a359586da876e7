"""The autosave request without the framework's layers, when nothing about it is unusual.

In a test window nearly every request is ``PUT /api/attempts/{attempt}/answers/{question}``:
thousands a second on one process. Through Starlette each one passes the error and compression
middleware, the router's matching, a `Request`, the endpoint wrapper and a `JSONResponse`, which
together cost more CPU than the save itself. This ASGI middleware sits in front of them and
serves the common case directly: the login is in the token cache, the candidate's paper is in the
paper cache, the body is a JSON object and the answer fits the question. It then does exactly
what the endpoint (`quiz.exams.api.save_answer`) does, with the same checks and the same reply.

Anything else — no or unknown login, a paper not cached, a bad body, a refused answer, a save
the writer did not store (a submitted or overdue attempt) — is handed to the full application
with the body replayed, which answers it as always (401, 404, 422, 409 in the contract's error
shape). So the fast path never decides an error; it can only take the easy case off the stack.

For every other exam request it does one thing: a login token not cached yet (a phone's first
request after logging in) is looked up in the exam's own threads, not in the shared pool, where
the lookup queued behind the argon2 work of the other phones' logins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request

from quiz.accounts import cached_user, user_for_token
from quiz.errors import AppError
from quiz.exams import autosave, service
from quiz.models import role_rank
from quiz.web import MAX_ID, parse_json_body, request_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATH = re.compile(r"/api/attempts/([0-9]{1,10})/answers/([0-9]{1,10})")
EXAM_PATHS = ("/api/exams/", "/api/attempts/")
MAX_BODY = 64 * 1024  # a save is a few bytes; anything larger goes the long way (and its limits)
HEADERS = [(b"content-type", b"application/json")]


class AutosaveFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "PUT" else None
        if match is None:
            if scope["type"] == "http" and scope["path"].startswith(EXAM_PATHS):
                await _learn_login(scope)
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        reply = await self._save(scope, match, body) if complete else None
        if reply is None:
            await self.app(scope, _replay(body, receive, complete), send)
            return
        scope["route"] = save_route()  # the request log names it by its template, as the router would
        data = orjson.dumps(reply)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(data)).encode()), *HEADERS]})
        await send({"type": "http.response.body", "body": data})

    async def _save(self, scope: Scope, match: re.Match[str], body: bytes) -> dict[str, Any] | None:
        """The reply when the save was stored; None for anything the full application should answer."""
        attempt_id, question_id = int(match.group(1)), int(match.group(2))
        request = Request(scope)
        if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != "application/json":
            return None  # the full application answers 415 (CONTRACT §0: JSON endpoints take application/json)
        token = request_token(request)
        app = scope.get("app")
        if token is None or app is None or not (1 <= attempt_id <= MAX_ID and 1 <= question_id <= MAX_ID):
            return None
        state = app.state
        now = int(state.clock.now_ms())
        known, user = cached_user(state.db, token, now)
        if not known:
            await _learn_login(scope)
            known, user = cached_user(state.db, token, now)
        info = service.cached_paper(state.db, attempt_id) if known and user is not None else None
        if user is None or info is None or role_rank(user.role) < role_rank("member"):
            return None
        try:
            data = parse_json_body(body)
            if not isinstance(data, dict):
                return None
            save, reply = service.prepare_save(info, attempt_id, user, question_id, data.get("answer"), now)
        except AppError:
            return None
        return reply if await autosave.save_async(state.db, save) else None


_SAVE_ROUTE: list[Any] = []


def save_route() -> Any:
    """The application's own route of the save (`quiz.exams.api`), found once: what the router would have put
    in the scope, so the request log writes its template and never ``(unmatched)``."""
    if not _SAVE_ROUTE:
        from starlette.routing import Match

        from quiz.exams.api import routes

        probe = {"type": "http", "method": "PUT", "path": "/api/attempts/1/answers/1"}
        _SAVE_ROUTE.append(next(r for r in routes if r.matches(probe)[0] is Match.FULL))
    return _SAVE_ROUTE[0]


async def _learn_login(scope: Scope) -> None:
    """A candidate's first exam request after logging in (a token not cached yet): look the token up in the
    exam's own threads, so the application then finds it cached. Otherwise the lookup takes a thread of the
    shared pool, where it queued behind the logins of the other phones (argon2, ~25 ms of CPU each)."""
    app = scope.get("app")
    limiter = getattr(app.state, "exam_threads", None) if app is not None else None
    token = request_token(Request(scope)) if limiter is not None else None
    if token is None or app is None:
        return
    state = app.state
    now = int(state.clock.now_ms())
    if not cached_user(state.db, token, now)[0]:
        await anyio.to_thread.run_sync(user_for_token, state.db, token, now, limiter=limiter)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it was read whole (False: larger than ``MAX_BODY``, or a disconnect)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive, complete: bool) -> Receive:
    """A ``receive`` that gives the body read so far again, then the rest from the client."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return again
