"""Guests joining a live game from one address, as a hall behind one NAT does and as a script would (not run in CI).

    .venv/bin/python bench/guest_joins.py --start --guests 1000                # a fresh `quiz serve`, a hall of 1,000
    .venv/bin/python bench/guest_joins.py --start --guests 5000                # a script: where the bound stops it
    .venv/bin/python bench/guest_joins.py --start --guests 600 --rate 10       # a hall arriving over a minute
    .venv/bin/python bench/guest_joins.py --start --workers 2 --guests 3000    # two workers (PostgreSQL + Redis)
    .venv/bin/python bench/guest_joins.py --url http://127.0.0.1:8000 --pin 123456 --guests 300   # a running server

Each guest opens ``/ws/live/{pin}?role=player`` from this machine (one address), sends ``join`` with a name of
its own and waits for ``welcome`` or ``error``; its socket stays open to the end, as a phone in the hall does.
``--concurrency`` joins are in flight at once (a hall's phones do not wait for each other), ``--rate`` paces the
joins per second (0: as fast as the server answers). Reported: how many got in, how many were refused and with
which code (``too_many_guests`` with its ``retry_after_s``), the guest at which the first refusal came, the wall
time, joins answered per second and the join latency (p50/p99, from the socket's opening to its answer).

``--start`` runs ``quiz serve`` on a fresh SQLite file with a host and a game (``bench/live_load.py``'s set-up),
so every run begins with empty counters; with ``--workers N`` it runs N of them on a fresh PostgreSQL database
(QUIZ_TEST_POSTGRES_URL's server) and the Redis database ``--redis`` (emptied first: give it one of its own), and
the guests take turns among the workers, as behind a load balancer; against a running server a second run within the same minute meets the
guests the first one already counted (the windows are fixed: a minute, an hour).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402


async def one_guest(url: str, name: str) -> tuple[str, float, ClientConnection | None, dict[str, Any]]:
    """(outcome, seconds, the open socket or None, the answer): outcome is ``welcome`` or the error's code."""
    started = time.perf_counter()
    try:
        ws = await connect(url, ping_interval=None, max_queue=None, open_timeout=30)
    except Exception as exc:
        return f"connect failed ({exc.__class__.__name__})", time.perf_counter() - started, None, {}
    try:
        await ws.send(json.dumps({"type": "join", "name": name}, ensure_ascii=False))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message.get("type") == "welcome":
                return "welcome", time.perf_counter() - started, ws, message
            if message.get("type") == "error":
                return str(message.get("code")), time.perf_counter() - started, ws, message
    except Exception as exc:
        await ws.close()
        return f"no answer ({exc.__class__.__name__})", time.perf_counter() - started, None, {}


async def run(urls: list[str], guests: int, concurrency: int, rate: float) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    results: list[tuple[int, str, float, dict[str, Any]]] = []
    sockets: list[ClientConnection] = []
    started = time.perf_counter()

    async def guest(i: int) -> None:
        if rate > 0:
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        async with gate:
            outcome, seconds, ws, message = await one_guest(urls[i % len(urls)], f"观众{i + 1:05d}")
        results.append((i, outcome, seconds, message))
        if ws is not None:
            sockets.append(ws)

    await asyncio.gather(*(guest(i) for i in range(guests)))
    wall = time.perf_counter() - started
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    outcomes = Counter(outcome for _, outcome, _, _ in results)
    refused = sorted((i, m) for i, outcome, _, m in results if outcome != "welcome")
    latencies = sorted(seconds * 1000 for _, _, seconds, _ in results)
    return {
        "guests": guests, "workers": len(urls), "concurrency": concurrency, "rate": rate, "outcomes": dict(outcomes),
        "got_in": outcomes.get("welcome", 0), "first_refused": refused[0][0] + 1 if refused else None,
        "retry_after_s": refused[0][1].get("retry_after_s") if refused else None,
        "message": refused[0][1].get("message") if refused else None,
        "wall_s": wall, "per_s": guests / wall if wall else float("nan"),
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
    }


def report(r: dict[str, Any]) -> str:
    pace = f"{r['rate']:g}/s" if r["rate"] else "as fast as answered"
    workers = f", {r['workers']} workers" if r["workers"] > 1 else ""
    lines = [f"{r['guests']} guests from one address (concurrency {r['concurrency']}, {pace}{workers}): "
             f"{r['got_in']} got in, in {r['wall_s']:.2f} s ({r['per_s']:.0f} joins answered/s); "
             f"latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms",
             "  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))]
    if r["first_refused"]:
        lines.append(f"  first refusal at guest {r['first_refused']}: retry_after_s={r['retry_after_s']}, "
                     f"message: {r['message']}")
    return "\n".join(lines)


def drop_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50, help="joins in flight at once")
    parser.add_argument("--rate", type=float, default=0.0, help="joins started per second (0: no pacing)")
    parser.add_argument("--start", action="store_true", help="run a fresh `quiz serve` (SQLite) with a game")
    parser.add_argument("--workers", type=int, default=1, help="with --start: workers on PostgreSQL + Redis")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="with --workers: a Redis database to empty")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (without --start)")
    parser.add_argument("--pin", help="the game's PIN on the running server (without --start)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    from live_load import Ours, fresh_postgres_database, raise_nofile

    raise_nofile()
    server, database = None, None
    with tempfile.TemporaryDirectory(prefix="guest-joins-") as tmp:
        if args.start and args.workers > 1:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
            database = fresh_postgres_database()
            server = Ours(questions=3, time_limit_s=20, deflate=False, ws_impl="quiz", workdir=Path(tmp),
                          database_url=database, redis_url=args.redis, workers=args.workers)
            urls = [f"{base}?role=player" for base in server.bases]
        elif args.start:
            server = Ours(questions=3, time_limit_s=20, deflate=False, ws_impl="quiz", workdir=Path(tmp))
            urls = [server.player_url]
        else:
            if not args.pin:
                parser.error("--pin is needed with a running server (or --start)")
            base = args.url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
            urls = [f"{base}/ws/live/{args.pin}?role=player"]
        try:
            result = asyncio.run(run(urls, args.guests, args.concurrency, args.rate))
        finally:
            if server is not None:
                server.stop()
            if database is not None:
                drop_database(database)
    print(report(result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
