"""The thin layer between Starlette and the app's logic.

``@api(role=...)`` turns a plain synchronous function ``fn(ctx)`` into an endpoint:
the caller is authenticated first (from the token cache, or in a thread on a miss) and
their role checked, and only then is the body read (with the upload limit), so nobody
unknown makes the server buffer anything; ``fn`` runs in a worker thread and the result
is returned as JSON. An ``async def fn(ctx)`` runs on the event loop instead, for the
few hot paths that never block (a test's autosave): the login comes from the token
cache when it can, and only a cache miss takes a thread. Pages use ``@page``. Request
bodies are validated with pydantic models via ``ctx.parse(Model)``, which raises the
contract's 422 with every field error.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.templating import Jinja2Templates

from quiz.errors import AppError, BadRequest, Forbidden, Invalid, NotLoggedIn, TooLarge, UnsupportedMediaType
from quiz.i18n import MESSAGES, t
from quiz.models import User, role_rank

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.globals["t"] = t
templates.env.globals["MESSAGES"] = MESSAGES

M = TypeVar("M", bound=BaseModel)

# Ids are INTEGER columns (32 bits on PostgreSQL): a larger number from a client can name nothing,
# and handing it to the database would fail there (OverflowError on SQLite, DataError on PostgreSQL).
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id in a request body: ``bank_id: Id`` (422 when not a positive 32-bit integer)."""
MAX_OFFSET = 1_000_000_000

_PYDANTIC_ZH = {
    "missing": "必填",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "too_short": "数量过少",
    "too_long": "数量过多",
    "extra_forbidden": "不允许的字段",
    "model_type": "应为对象",
    "value_error": "取值不正确",
}


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSONResponse encoded with orjson (UTF-8 as is, compact; ints as dict keys allowed)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        reason = _PYDANTIC_ZH.get(err.get("type", ""), err.get("msg", ""))
        if err.get("type") == "value_error" and err.get("ctx", {}).get("error"):
            reason = str(err["ctx"]["error"])
        details.append({"field": loc, "message": t("validation_error", field=loc, reason=reason)})
    return details


@dataclass
class Ctx:
    """What a handler gets: the request, its parsed body, the user, and the app's services."""

    request: Request
    body: Any = None
    form: dict[str, Any] = field(default_factory=dict)
    user: User | None = None

    @property
    def app(self) -> Any:
        return self.request.app

    @property
    def db(self) -> Any:
        return self.request.app.state.db

    @property
    def settings(self) -> Any:
        return self.request.app.state.settings

    def now_ms(self) -> int:
        return int(self.request.app.state.clock.now_ms())

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.request.path_params)

    @property
    def query(self) -> Any:
        return self.request.query_params

    def path_int(self, name: str) -> int:
        """An id from the path; 404 when it is not one that can exist."""
        try:
            value = int(self.request.path_params[name])
        except (KeyError, ValueError):
            value = 0
        if not 1 <= value <= MAX_ID:
            from quiz.errors import NotFound
            raise NotFound()
        return value

    def query_int(self, name: str, low: int = 1, high: int = MAX_ID) -> int | None:
        """An integer query parameter (None when absent or empty); 422 when not an integer in [low, high]."""
        raw = (self.query.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise Invalid(t("query_int", name=name, low=low, high=high), code="invalid",
                          details=[{"field": name, "message": t("query_int", name=name, low=low, high=high)}])
        return value

    def parse(self, model: type[M], data: Any = None) -> M:
        """Validate the JSON body (or ``data``) into ``model``; 422 with every field error."""
        raw = self.body if data is None else data
        if raw is None and data is None and self.form:
            raise UnsupportedMediaType()  # a form sent where JSON is expected
        if not isinstance(raw, dict):
            raise BadRequest(t("invalid_json"), code="invalid_json")
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            details = validation_details(exc)
            raise Invalid(details[0]["message"] if details else None, details=details) from None

    def page_args(self, default: int = 50, maximum: int = 500) -> tuple[int, int]:
        try:
            limit = int(self.query.get("limit", default))
            offset = int(self.query.get("offset", 0))
        except ValueError:
            raise BadRequest("limit 和 offset 必须是整数") from None
        return max(1, min(limit, maximum)), max(0, min(offset, MAX_OFFSET))

    def require(self, role: str) -> User:
        if self.user is None:
            raise NotLoggedIn()
        if role_rank(self.user.role) < role_rank(role):
            raise Forbidden()
        return self.user

    def upload(self, name: str = "file") -> tuple[str, bytes]:
        value = self.form.get(name)
        if not isinstance(value, tuple):
            raise BadRequest(t("no_file"), code="no_file")
        return value


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` before it is read whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit=round(limit / 1024 / 1024, 1))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit=round(limit / 1024 / 1024, 1))
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette re-reads the cached body for form parsing
    return body


JSON_TYPE = "application/json"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")  # read as a form; ctx.parse refuses it (415)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_input(request: Request, settings: Any) -> tuple[Any, dict[str, Any]]:
    """The raw JSON body or the form, read only now that the caller is known to be allowed (CONTRACT §0).

    A JSON body must say ``application/json``: a ``text/plain`` one is what another site's form can
    send without asking first, so it is refused (415), never parsed.
    """
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return None, {}
    ctype = media_type(request)
    raw = await read_limited_body(request, settings.max_upload_bytes)
    if ctype in FORM_TYPES:
        try:
            form = await request.form(max_files=5, max_fields=100, max_part_size=settings.max_upload_bytes)
        except Exception as exc:  # a broken multipart body is the client's fault
            raise BadRequest(f"表单无法解析：{exc}") from None
        values: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                values[key] = (value.filename or "", await value.read())
            else:
                values[key] = value
        await form.close()
        return None, values
    if not raw.strip():
        return None, {}
    if ctype != JSON_TYPE and not ctype.endswith("+json"):
        raise UnsupportedMediaType()
    return raw, {}


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


MAX_TEXT_CHARS = 20_000
"""The longest string any JSON body may hold (a stem, an explanation); fields have their own, smaller limits."""
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _check_texts(value: Any, path: str = "") -> None:
    """Text people type holds no control characters but tab and newline (CR LF and CR count as newline:
    clients differ) and no lone surrogates, and no string is longer than MAX_TEXT_CHARS: 422 naming the
    field. Checked once here, for every JSON body, so no model, store or export ever sees such text."""
    if isinstance(value, str):
        reason = None
        if len(value) > MAX_TEXT_CHARS:
            reason = t("text_too_long", limit=MAX_TEXT_CHARS)
        elif _FORBIDDEN_TEXT.search(value.replace("\r", "")):
            reason = t("text_control_chars")
        if reason:
            field_name = path or "body"
            message = t("validation_error", field=field_name, reason=reason)
            raise Invalid(message, details=[{"field": field_name, "message": message}])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(key, path or "body")
            _check_texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_texts(item, f"{path}.{index}" if path else str(index))


def parse_json_body(raw: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no lone surrogates, bounded nesting; else 400 invalid_json.

    Anything accepted here can be stored and sent back (a lone surrogate or a NaN cannot be encoded
    on the way out, which would turn a client's mistake into a 500).
    """
    try:
        text = raw.decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        if _SURROGATE_ESCAPE.search(raw.decode("utf-8", "replace")):
            # a lone surrogate is not bad JSON but bad text: 422 naming the field, like a control character
            _check_texts(json.loads(raw.decode("utf-8-sig", "replace")))
        raise BadRequest(t("invalid_json"), code="invalid_json") from None
    _check_texts(value)
    return value


def request_token(request: Request) -> str | None:
    """The Bearer token, else the session cookie."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get("quiz_session")


def authenticate(request: Request) -> User | None:
    """The user of the Bearer token or the session cookie, if it is valid."""
    from quiz.accounts import user_for_token

    token = request_token(request)
    if not token:
        return None
    return user_for_token(request.app.state.db, token, request.app.state.clock.now_ms())


async def authenticate_async(request: Request) -> User | None:
    """`authenticate` from the event loop: from the token cache when it knows, else in a thread."""
    from quiz.accounts import cached_user

    token = request_token(request)
    if not token:
        return None
    known, user = cached_user(request.app.state.db, token, request.app.state.clock.now_ms())
    return user if known else await run_in_threadpool(authenticate, request)


def api(role: str | None = "member", status: int = 200, *,
        public: bool | None = None) -> Callable[[Callable[[Ctx], Any]], Callable[[Request], Any]]:
    """Decorate ``fn(ctx) -> dict | list | Response`` as a JSON endpoint needing ``role`` (None: anyone).

    ``public`` says what the OpenAPI description declares (``security: []``); by default an endpoint
    without a role is public. ``public=False`` marks one that checks a token itself (a host token)."""

    def decorate(fn: Callable[[Ctx], Any]) -> Callable[[Request], Any]:
        on_loop = inspect.iscoroutinefunction(fn)

        async def endpoint(request: Request) -> Response:
            # Who is asking, then whether they may, and only then the body: an anonymous or unauthorised
            # upload is refused before a byte of it is buffered (issue 9, item 3).
            ctx = Ctx(request=request)
            ctx.user = await authenticate_async(request)
            if role is not None:
                ctx.require(role)
            raw, ctx.form = await _read_input(request, request.app.state.settings)

            def run() -> Any:
                if raw is not None:
                    ctx.body = parse_json_body(raw)
                return fn(ctx)

            if on_loop:
                if raw is not None:
                    ctx.body = parse_json_body(raw)
                result = await fn(ctx)  # type: ignore[misc]
            else:
                result = await run_in_threadpool(run)
            if isinstance(result, Response):
                return result
            return JSONResponse(result, status_code=status)

        endpoint.__name__ = fn.__name__
        endpoint.__doc__ = fn.__doc__
        endpoint.required_role = role  # type: ignore[attr-defined]  # for the OpenAPI description and tests
        endpoint.public = role is None if public is None else public  # type: ignore[attr-defined]
        return endpoint

    return decorate


def page(template: str, role: str | None = None) -> Callable[[Callable[[Ctx], Any]], Callable[[Request], Any]]:
    """Decorate ``fn(ctx) -> dict`` (template context) as an HTML page; members not logged in go to ``/``."""

    def decorate(fn: Callable[[Ctx], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request=request)

            def run() -> Any:
                ctx.user = authenticate(request)
                if role is not None:
                    if ctx.user is None:
                        from starlette.responses import RedirectResponse
                        return RedirectResponse(f"/?next={request.url.path}", status_code=303)
                    ctx.require(role)
                return fn(ctx)

            result = await run_in_threadpool(run)
            if isinstance(result, Response):
                return result
            context = {"user": ctx.user.public() if ctx.user else None, **(result or {})}
            return templates.TemplateResponse(request, template, context)

        endpoint.__name__ = fn.__name__
        return endpoint

    return decorate


def render_error(request: Request, status: int, message: str) -> Response:
    try:
        return templates.TemplateResponse(request, "error.html", {"status": status, "message": message, "user": None},
                                          status_code=status)
    except Exception:  # the error page itself must never fail
        return HTMLResponse(f"<h1>{status}</h1><p>{message}</p>", status_code=status)


__all__ = ["AppError", "Ctx", "JSONResponse", "api", "page", "render_error", "templates"]
