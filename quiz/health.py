"""``GET /healthz`` and ``GET /readyz`` (CONTRACT §0), for load balancers and process supervisors.

``/healthz`` answers 200 as long as the process serves HTTP at all (a liveness probe: restart me when
it stops answering). ``/readyz`` answers 200 only when the database, and Redis when ``QUIZ_REDIS_URL``
is set, answer within a second each; otherwise 503, naming the check that failed (a readiness
probe: send me no traffic now). Neither needs a login, and neither says more than "ok" or the kind
of failure: no URL, host name or message from the driver reaches an anonymous caller.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from quiz.i18n import register, t

CHECK_TIMEOUT_S = 1.0
NO_STORE = {"Cache-Control": "no-store"}

register("zh", {"not_ready": "服务暂不可用：{checks} 无法访问"})
register("en", {"not_ready": "Not ready: {checks} unreachable"})


def _database_answers(db: Any) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def check_database(app: Any) -> None:
    # In a thread of its own (not the shared limiter's): a saturated pool must not make a healthy
    # database look dead, and a hung connect must not hold one of the request threads.
    await asyncio.wait_for(anyio.to_thread.run_sync(_database_answers, app.state.db, abandon_on_cancel=True,
                                                    limiter=anyio.CapacityLimiter(1)), CHECK_TIMEOUT_S)


async def check_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S)
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_S)
    finally:
        await client.aclose()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> Response:
    app = request.app
    checks: dict[str, Any] = {"database": check_database(app)}
    if app.state.settings.redis_url:
        checks["redis"] = check_redis(app.state.settings.redis_url)
    outcomes = await asyncio.gather(*checks.values(), return_exceptions=True)
    results = {name: "ok" if outcome is None else f"error: {type(outcome).__name__}"
               for name, outcome in zip(checks, outcomes, strict=True)}
    failed = [name for name, result in results.items() if result != "ok"]
    if not failed:
        return JSONResponse({"status": "ok", "checks": results}, headers=NO_STORE)
    message = t("not_ready", checks=", ".join(failed))
    return JSONResponse({"error": {"code": "not_ready", "message": message,
                                   "details": [{"check": name, "result": results[name]} for name in results]}},
                        status_code=503, headers=NO_STORE)


routes = [
    Route("/healthz", healthz, methods=["GET"], include_in_schema=False),
    Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
]
