"""Errors that carry their HTTP status and contract code, and the handlers that render them.

Anything a client sent that is wrong raises one of these; the handler turns it into
``{"error": {"code", "message", "details"}}`` for ``/api`` and a Chinese page elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from quiz.i18n import t

log = logging.getLogger("quiz")


class AppError(Exception):
    """Base of every error a client may cause."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: list[Any] | None = None, status: int | None = None, **params: object) -> None:
        if code:
            self.code = code
        if status:
            self.status = status
        self.message = message or t(self.code, **params)
        self.details = details or []
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class NotLoggedIn(AppError):
    status, code = 401, "not_logged_in"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class TooLarge(AppError):
    status, code = 413, "too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class Invalid(AppError):
    status, code = 422, "invalid"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class Unavailable(AppError):
    status, code = 503, "unavailable"


def error_response(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status, headers=headers)
    from quiz.web import render_error  # pages render errors in their own layout

    return render_error(request, status, body["error"]["message"])


async def app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers = {"Retry-After": str(exc.details[0].get("retry_after_s"))} if (
        exc.status == 429 and exc.details and isinstance(exc.details[0], dict)) else None
    return error_response(request, exc.status, exc.body(), headers)


_HTTP_CODES = {400: "bad_request", 401: "not_logged_in", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid"}


async def import_too_large_handler(request: Request, exc: Exception) -> Response:
    """An upload that unpacks to more than the limits allow (question_bank.formats.limits): 413."""
    return error_response(request, 413, TooLarge(str(exc), code="too_large").body())


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    body = {"error": {"code": code, "message": t(code, limit="?"), "details": []}}
    return error_response(request, exc.status_code, body)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"error": {"code": "internal_error", "message": t("internal_error"), "details": []}}
    return JSONResponse(body, status_code=500) if request.url.path.startswith("/api") else HTMLResponse(
        f"<h1>{t('internal_error')}</h1>", status_code=500)


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """The last line of defence for what the database refused because of what a client sent: a value
    out of a column's range (DataError → 422) or a uniqueness lost to a concurrent request
    (IntegrityError → 409). Validation should catch these first; each is logged so it gets fixed."""
    from sqlalchemy.exc import IntegrityError

    log.warning("database refused %s %s: %s", request.method, request.url.path, exc.__class__.__name__, exc_info=exc)
    status, code = (409, "conflict") if isinstance(exc, IntegrityError) else (422, "invalid")
    return error_response(request, status, {"error": {"code": code, "message": t(code), "details": []}})
