"""The application: ``create_app(settings)`` builds a Starlette app; nothing connects before start-up.

Each area of the product is a module with a ``routes`` list and, optionally,
``async startup(app)`` / ``async shutdown(app)`` hooks (background tasks, the live hub).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import DataError, IntegrityError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from question_bank.formats import limits
from quiz import gcpolicy
from quiz.db import Database
from quiz.errors import (
    AppError,
    app_error_handler,
    database_error_handler,
    http_error_handler,
    import_too_large_handler,
    server_error_handler,
)
from quiz.exams.fastpath import AutosaveFastPath
from quiz.request_log import RequestLog
from quiz.security import EdgeMiddleware
from quiz.settings import Settings
from quiz.timeutil import Clock

log = logging.getLogger("quiz")

# Areas in the order their routes are matched. Optional ones load when present.
AREAS = [
    "quiz.health",
    "quiz.audit",
    "quiz.accounts",
    "question_bank.api",
    "question_bank.media_api",
    "quiz.practice",
    "quiz.exams.api",
    "quiz.competitions.api",
    "live.api",
    "live.ws",
    "live.pages",
    "quiz.pages",
]


def static_dir() -> Path:
    """``static/`` beside the packages in a checkout, or inside the package in a wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "static", here / "_static"):
        if candidate.is_dir():
            return candidate
    return here.parent / "static"


def load_areas() -> list[ModuleType]:
    modules = []
    for name in AREAS:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):
                raise
    return modules


_CONVERTER = re.compile(r"{(\w+)(?::(\w+))?}")


def _path_schema(name: str, converter: str) -> dict[str, Any]:
    """Ids are integers (CONTRACT §0), a PIN six digits: what a client may put in a path at all."""
    from quiz.web import MAX_ID

    if converter == "int" or name == "id" or name.endswith("_id"):
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if name == "pin":
        return {"type": "string", "pattern": "^[0-9]{6}$"}
    return {"type": "string"}


def openapi(routes: list[BaseRoute]) -> dict[str, Any]:
    """An OpenAPI 3 description generated from the routes: paths, path parameters, bodies, summaries."""
    paths: dict[str, Any] = {}
    error = {"description": "错误：{error: {code, message, details}}",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith("/api") or not route.include_in_schema:
            continue
        params = [{"name": name, "in": "path", "required": True, "schema": _path_schema(name, conv)}
                  for name, conv in _CONVERTER.findall(route.path)]
        public = bool(getattr(route.endpoint, "public", False))
        path = _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            doc = (route.endpoint.__doc__ or "").strip().splitlines()
            operation: dict[str, Any] = {
                "operationId": f"{method.lower()}_{route.name}",
                "summary": doc[0] if doc else route.name.replace("_", " "),
                "responses": {"200": {"description": "OK", "content": {"application/json": {}}},
                              "400": error, "401": error, "403": error, "404": error, "409": error, "422": error},
            }
            if params:
                operation["parameters"] = params
            if public:
                operation["security"] = []  # no login needed (CONTRACT §0); everything else needs one
            if method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {"required": False, "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "知识竞赛与答题平台 API", "version": "1",
                 "description": "JSON in and out under /api; errors as {error: {code, message, details}}; "
                                "auth by session cookie or Authorization: Bearer <token>."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "cookie": {"type": "apiKey", "in": "cookie", "name": "quiz_session"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "details": {"type": "array", "items": {}}}}}}},
        },
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
    }


async def favicon(request: Request) -> RedirectResponse:
    """Browsers and bookmark tools ask for /favicon.ico whatever the page links: send them to the icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301, headers={"Cache-Control": "public, max-age=86400"})


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build the app. The database is opened and migrated at start-up (lifespan), not here."""
    settings = settings or Settings.from_env()
    areas = load_areas()
    routes: list[BaseRoute] = []
    for module in areas:
        routes.extend(getattr(module, "routes", []))

    async def openapi_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(openapi(request.app.routes))

    routes.append(Route("/api/openapi.json", openapi_endpoint, methods=["GET"], include_in_schema=False))
    routes.append(Route("/favicon.ico", favicon, methods=["GET", "HEAD"], include_in_schema=False))
    routes.append(Mount("/static", app=StaticFiles(directory=str(static_dir()), check_dir=False), name="static"))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db.migrate()
        # Blocking work runs in threads. On SQLite it is CPU under the GIL (writers take turns anyway):
        # more threads only contend with the event loop for the GIL, and each hand-over may wait a
        # switch interval. PostgreSQL waits on the network, where more threads help.
        threads = settings.threads or (8 if app.state.db.is_sqlite else 40)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        started = []
        try:
            for module in areas:
                hook = getattr(module, "startup", None)
                if hook is not None:
                    await hook(app)
                    started.append(module)
            gc_task = gcpolicy.start(settings.gc_freeze_s)
            try:
                yield
            finally:
                await gcpolicy.stop(gc_task)
        finally:
            for module in reversed(started):
                hook = getattr(module, "shutdown", None)
                if hook is not None:
                    with contextlib.suppress(Exception):
                        await hook(app)
            app.state.db.dispose()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        # The autosave fast path first: a test window's thousands of saves a second skip the rest.
        middleware=[Middleware(RequestLog), Middleware(EdgeMiddleware, base_url=settings.base_url),
                    Middleware(AutosaveFastPath), Middleware(GZipMiddleware, minimum_size=2048)],
        exception_handlers={AppError: app_error_handler, HTTPException: http_error_handler,
                            limits.ImportTooLarge: import_too_large_handler,
                            DataError: database_error_handler, IntegrityError: database_error_handler,
                            Exception: server_error_handler},
    )
    app.state.settings = settings
    limits.configure(limits.ImportLimits(settings.max_unpacked_bytes, settings.max_import_rows))
    app.state.clock = clock or Clock()
    app.state.db = Database(settings.database_url)
    from quiz.accounts import LoginThrottle

    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_lock_s)
    return app
