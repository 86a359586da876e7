"""Failover: two ``quiz serve`` workers on PostgreSQL + Redis, players split between them, the game's owner
killed with SIGKILL mid-question; how long until the first player resumed on the survivor has its `state`.

    .venv/bin/python bench/failover.py [--runs 5] [--players 200]

Needs PostgreSQL at QUIZ_TEST_POSTGRES_URL and Redis at QUIZ_TEST_REDIS_URL (the test suite's defaults).
Prints each run and the median (docs/benchmarks.md, "Several workers").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import connect  # noqa: E402

from tests.conftest import POSTGRES_URL, REDIS_URL  # noqa: E402
from tests.live.test_cluster import Worker, answer, create_game, join, owner_of  # noqa: E402
from tests.live.test_recovery import Setup, receive  # noqa: E402


def fresh_database(n: int) -> str:
    import os

    import psycopg
    import redis
    from sqlalchemy.engine import make_url

    from quiz.db import normalise_url

    base = make_url(normalise_url(POSTGRES_URL))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"quiz_failover_{os.getpid()}_{n}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    return base.set(database=name).render_as_string(hide_password=False)


async def one_run(n: int, players_n: int, folder: Path) -> float:
    url = fresh_database(n)
    setup = Setup(url)
    workers = [Worker(url, REDIS_URL, folder / f"{n}a.log"), Worker(url, REDIS_URL, folder / f"{n}b.log")]
    try:
        game = await create_game(workers[0], setup)
        pin = game["pin"]
        host = await connect(f"{workers[0].ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        owner = owner_of(workers, game["id"])
        survivor = workers[1] if owner is workers[0] else workers[0]
        players = await asyncio.gather(*(join(workers[i % 2], pin, f"p{i}") for i in range(players_n)))
        await host.send(json.dumps({"type": "host", "action": "start"}))
        questions = await asyncio.gather(*(receive(ws, "question") for ws, _, _ in players))
        qid = questions[0]["question"]["id"]
        await asyncio.gather(*(answer(ws, qid, f"a{i}", "A") for i, (ws, _, _) in enumerate(players)))
        killed = time.monotonic()
        owner.kill()
        ws = await connect(f"{survivor.ws}/ws/live/{pin}?role=player&token={players[0][1]}")
        await receive(ws, "state")
        took = time.monotonic() - killed
        await ws.close()
        return took
    finally:
        for worker in workers:
            worker.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--players", type=int, default=200)
    args = parser.parse_args()
    took = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.runs):
            took.append(await one_run(n, args.players, Path(folder)))
            print(f"run {n + 1}: {took[-1] * 1000:.0f} ms from SIGKILL to the first resumed player's state", flush=True)
    print(f"median {statistics.median(took) * 1000:.0f} ms over {args.runs} runs, {args.players} players")


if __name__ == "__main__":
    asyncio.run(main())
