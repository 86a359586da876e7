"""One structured log line per HTTP request: method, route template, status, milliseconds, user id.

What is left out on purpose: the query string (it may carry ``?token=``), bodies (passwords),
headers and cookies (sessions), and the concrete path (a PIN or a resume token sits in some
paths): a request is logged by its route's template, ``/play/{pin}``, and a path that matched no
route as ``(unmatched)``. The user id comes from this process's token cache after the response,
so the line costs no query; a request the cache cannot name (a login, an anonymous page) has none.

The middleware is the outermost one, so even the autosave fast path is counted, under its route's
template like any other (`quiz.exams.fastpath` puts the application's route in the scope, as the
router does); with the log level above info it costs one level check a request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("quiz.request")
UNMATCHED = "(unmatched)"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path_format", None) or UNMATCHED


def _token(scope: Scope) -> str | None:
    """The Bearer token, else the session cookie, read straight from the raw headers (as quiz.web does)."""
    cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
        if name == b"cookie" and b"quiz_session=" in value:
            cookie = value.decode("latin-1")
    if cookie is None:
        return None
    from http.cookies import SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie)
    except Exception:
        return None
    morsel = jar.get("quiz_session")
    return morsel.value if morsel else None


def user_id(scope: Scope) -> int | None:
    """The id of the user whose token the request carried, if this process's cache knows it."""
    try:
        token = _token(scope)
        if not token:
            return None
        from quiz.accounts import cached_user

        state = scope["app"].state
        known, user = cached_user(state.db, token, state.clock.now_ms())
        return user.id if known and user is not None else None
    except Exception:  # the log line must never fail the request
        return None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            status = status or 500
            raise
        finally:
            fields: dict[str, Any] = {
                "method": scope["method"], "path": route_template(scope), "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1), "user_id": user_id(scope),
            }
            # A record made directly: logging's search of the call stack for a file and line (findCaller)
            # was most of the line's cost, and the file and line are always this one.
            record = log.makeRecord(log.name, logging.INFO, __file__, 0, "request", None, None, extra={"fields": fields})
            log.handle(record)
