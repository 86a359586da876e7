"""Several workers, one game: two real ``quiz serve`` processes on one PostgreSQL database and one Redis.

Players, host and screen are split between the workers; whatever worker a socket lands on, it gets
every question and reveal (with its own result), its answers are acknowledged once and counted once,
and the game goes on when its owner is killed with SIGKILL mid-question (CONTRACT §1, issue 8)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live.test_recovery import Setup, free_port, receive

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
_COUNTER = itertools.count()


@pytest.fixture
def cluster_urls(postgres_url: str, redis_url: str) -> Iterator[tuple[str, str]]:
    """A PostgreSQL database and a Redis database of this test's own."""
    import psycopg
    import redis
    from sqlalchemy.engine import make_url

    from quiz.db import normalise_url

    base = make_url(normalise_url(postgres_url))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"quiz_cluster_{os.getpid()}_{next(_COUNTER)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()
    yield base.set(database=name).render_as_string(hide_password=False), redis_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    redis.Redis.from_url(redis_url).flushdb()


class Worker:
    """One ``quiz serve`` process."""

    def __init__(self, database_url: str, redis_url: str, log: Path, workers: int = 1) -> None:
        self.database_url, self.redis_url, self.log, self.workers = database_url, redis_url, log, workers
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        env = {**os.environ, "QUIZ_DATABASE_URL": self.database_url, "QUIZ_REDIS_URL": self.redis_url,
               "QUIZ_SECRET_KEY": "cluster-test"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "quiz.cli", "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=self.log.parent)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.http}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


async def create_game(worker: Worker, setup: Setup, questions: int = 2) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=worker.http, headers={"Authorization": f"Bearer {setup.token}"}) as http:
        created = await http.post("/api/live", json={"title": "两个进程", "bank_id": setup.bank_id, "segments": [
            {"kind": "all", "question_ids": setup.ids[:questions], "time_limit_s": 120, "points": 10}]})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def join(worker: Worker, pin: str, name: str) -> tuple[ClientConnection, str, int]:
    ws = await connect(f"{worker.ws}/ws/live/{pin}?role=player")
    await ws.send(json.dumps({"type": "join", "name": name}))
    welcome = await receive(ws, "welcome")
    await receive(ws, "state")
    return ws, welcome["resume"], welcome["player"]["id"]


async def answer(ws: ClientConnection, qid: int, client_id: str, value: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "answer", "id": client_id, "question": qid, "answer": value}))
    return await receive(ws, "ack")


async def first_question(game: dict[str, Any], host_on: Worker, workers: list[Worker], count: int
                         ) -> tuple[ClientConnection, list[tuple[ClientConnection, str, int]], int]:
    """The host's console on ``host_on``, ``count`` players spread over ``workers``, the game started:
    (host, players, the first question's id) once every phone has the question."""
    pin = game["pin"]
    host = await connect(f"{host_on.ws}/ws/live/{pin}?role=host&token={game['host_token']}")
    await receive(host, "state")
    players = [await join(workers[i % len(workers)], pin, f"选手{i}") for i in range(count)]
    await host.send(json.dumps({"type": "host", "action": "start"}))
    qid = 0
    for ws, _, _ in players:
        qid = (await receive(ws, "question"))["question"]["id"]
    return host, players, qid


def owner_of(workers: list[Worker], game_id: int) -> Worker:
    """The worker holding the game's advisory lock (its PostgreSQL session's client port is the worker's)."""
    import psycopg

    from live.lease import LOCK_CLASS

    url = workers[0].database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                           "WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s AND l.granted",
                           (LOCK_CLASS, game_id)).fetchone()
    assert row is not None, "nobody owns the game"
    # Which process has that client port open: ask the kernel through /proc.
    for worker in workers:
        assert worker.process is not None
        if _has_local_port(worker.process.pid, int(row[0])):
            return worker
    raise AssertionError("the lock's holder is none of the workers")


def _has_local_port(pid: int, port: int) -> bool:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[9] in inodes:
                return True
    return False


async def test_two_workers_serve_one_game_as_one(cluster_urls: tuple[str, str], tmp_path: Path) -> None:
    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    a = Worker(database_url, redis_url, tmp_path / "a.log")
    b = Worker(database_url, redis_url, tmp_path / "b.log")
    try:
        game = await create_game(a, setup)
        pin = game["pin"]
        host = await connect(f"{a.ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        screen = await connect(f"{b.ws}/ws/live/{pin}?role=screen")
        await receive(screen, "state")
        players = [await join([a, b][i % 2], pin, f"选手{i}") for i in range(6)]
        assert len({p[2] for p in players}) == 6  # one authoritative game hands out the player ids
        await host.send(json.dumps({"type": "host", "action": "start"}))
        questions = [await receive(ws, "question") for ws, _, _ in players]
        qid = questions[0]["question"]["id"]
        assert {q["question"]["id"] for q in questions} == {qid}
        assert len({q["deadline_ms"] for q in questions}) == 1
        assert (await receive(screen, "question"))["question"]["id"] == qid

        right = questions[0]["question"]
        acks = [await answer(ws, qid, f"a{i}", "A") for i, (ws, _, _) in enumerate(players[:4])]
        assert all(ack["accepted"] for ack in acks)
        again = await answer(players[1][0], qid, "a1", "A")  # a repeat on the other worker: the same ack, counted once
        assert again["accepted"]

        # A player moves to the other worker with its resume token: the same player, with its answer.
        ws0, resume0, id0 = players[0]
        await ws0.close()
        moved = await connect(f"{b.ws}/ws/live/{pin}?role=player&token={resume0}")
        welcome = await receive(moved, "welcome")
        state = await receive(moved, "state")
        assert welcome["player"]["id"] == id0 and state["you"]["answered"] is True
        players[0] = (moved, resume0, id0)

        for worker in (a, b):
            async with httpx.AsyncClient(base_url=worker.http,
                                         headers={"Authorization": f"Bearer {game['host_token']}"}) as http:
                shown = (await http.get(f"/api/live/{game['id']}/state?as=host")).json()
                ledger = (await http.get(f"/api/live/{game['id']}/ledger")).json()
            assert shown["phase"] == "question" and shown["counts"]["answered"] == 4, shown
            assert shown["question"]["id"] == qid and ledger["total"] == 0

        await host.send(json.dumps({"type": "host", "action": "close"}))
        closed = await receive(host, "closed")
        assert closed["answered"] == 4
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        reveal = await receive(host, "reveal")
        assert sum(reveal["distribution"].values()) == 4
        for i, (ws, _, _) in enumerate(players):
            mine = await receive(ws, "reveal")
            assert mine["you"]["answered"] is (i < 4)
        assert "answer" not in right  # the answer reached no player before the reveal
        await receive(screen, "reveal")
        await host.send(json.dumps({"type": "host", "action": "leaderboard"}))
        board = await receive(screen, "leaderboard")
        assert board is not None
        for ws in [host, screen, *(p[0] for p in players)]:
            await ws.close()
    finally:
        a.stop()
        b.stop()


async def test_the_owner_killed_mid_question_the_survivor_goes_on(cluster_urls: tuple[str, str],
                                                                   tmp_path: Path) -> None:
    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    workers = [Worker(database_url, redis_url, tmp_path / "a.log"), Worker(database_url, redis_url, tmp_path / "b.log")]
    try:
        game = await create_game(workers[0], setup)
        pin = game["pin"]
        host = await connect(f"{workers[0].ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        owner = owner_of(workers, game["id"])
        survivor = workers[1] if owner is workers[0] else workers[0]
        players = [await join(workers[i % 2], pin, f"选手{i}") for i in range(6)]
        await host.send(json.dumps({"type": "host", "action": "start"}))
        question = None
        for ws, _, _ in players:
            question = await receive(ws, "question")
        assert question is not None
        qid, deadline = question["question"]["id"], question["deadline_ms"]
        answers = {i: "ABCD"[i % 4] for i in range(4)}
        for i, value in answers.items():
            assert (await answer(players[i][0], qid, f"a{i}", value))["accepted"]

        killed_at = time.monotonic()
        owner.kill()
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
        for i, (_, token, player_id) in enumerate(players):
            ws = await connect(f"{survivor.ws}/ws/live/{pin}?role=player&token={token}")
            welcome = await receive(ws, "welcome")
            state = await receive(ws, "state")
            if i == 0:
                took = time.monotonic() - killed_at
                assert took < 3, f"failover took {took:.2f} s"
            assert welcome["player"]["id"] == player_id
            assert state["phase"] == "question" and state["question"]["id"] == qid and state["deadline_ms"] == deadline
            assert state["you"]["answered"] is (i in answers)
            players[i] = (ws, token, player_id)
        assert (await answer(players[5][0], qid, "a5", "B"))["accepted"]  # new answers are taken
        host = await connect(f"{survivor.ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        state = await receive(host, "state")
        assert state["counts"]["answered"] == len(answers) + 1
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == len(answers) + 1
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        reveal = await receive(host, "reveal")
        assert sum(reveal["distribution"].values()) == len(answers) + 1

        owner.start()  # the killed worker, restarted, serves the game again
        async with connect(f"{owner.ws}/ws/live/{pin}?role=player&token={players[2][1]}") as ws:
            await receive(ws, "welcome")
            state = await receive(ws, "state")
            assert state["phase"] == "revealed"
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
    finally:
        for worker in workers:
            worker.stop()


async def test_serve_with_two_workers_on_one_port(cluster_urls: tuple[str, str], tmp_path: Path) -> None:
    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    server = Worker(database_url, redis_url, tmp_path / "w.log", workers=2)
    try:
        game = await create_game(server, setup, questions=1)
        pin = game["pin"]
        host = await connect(f"{server.ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        players = [await join(server, pin, f"选手{i}") for i in range(8)]  # the kernel spreads them over both
        await host.send(json.dumps({"type": "host", "action": "start"}))
        qid = None
        for ws, _, _ in players:
            qid = (await receive(ws, "question"))["question"]["id"]
        for i, (ws, _, _) in enumerate(players):
            assert (await answer(ws, qid, f"x{i}", "A"))["accepted"]
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == len(players)
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        for ws, _, _ in players:
            assert (await receive(ws, "reveal"))["you"]["answered"] is True
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
        await asyncio.sleep(0)
    finally:
        server.stop()


async def test_a_killed_non_owner_loses_nothing_its_players_resume_on_the_owner(cluster_urls: tuple[str, str],
                                                                                tmp_path: Path) -> None:
    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    workers = [Worker(database_url, redis_url, tmp_path / "a.log"), Worker(database_url, redis_url, tmp_path / "b.log")]
    try:
        game = await create_game(workers[0], setup)
        pin = game["pin"]
        host = await connect(f"{workers[0].ws}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        owner = owner_of(workers, game["id"])
        other = workers[1] if owner is workers[0] else workers[0]
        players = [await join(other, pin, f"选手{i}") for i in range(4)]
        await host.send(json.dumps({"type": "host", "action": "start"}))
        qid = None
        for ws, _, _ in players:
            qid = (await receive(ws, "question"))["question"]["id"]
        for i in range(3):
            assert (await answer(players[i][0], qid, f"a{i}", "A"))["accepted"]
        other.kill()
        for i, (_, token, player_id) in enumerate(players):
            ws = await connect(f"{owner.ws}/ws/live/{pin}?role=player&token={token}")
            assert (await receive(ws, "welcome"))["player"]["id"] == player_id
            assert (await receive(ws, "state"))["you"]["answered"] is (i < 3)
            players[i] = (ws, token, player_id)
        assert (await answer(players[3][0], qid, "a3", "A"))["accepted"]
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == 4
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
    finally:
        for worker in workers:
            worker.stop()


async def test_an_owner_that_loses_its_lease_stops_answering_and_the_other_takes_over(
        cluster_urls: tuple[str, str], tmp_path: Path) -> None:
    """Not killed, only cut off from its lock (its lease session ended by the database): it must notice and
    stop serving the game; a new ownership (on either worker) goes on with everything acknowledged."""
    import psycopg

    from live.lease import LOCK_CLASS

    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    workers = [Worker(database_url, redis_url, tmp_path / "a.log"), Worker(database_url, redis_url, tmp_path / "b.log")]
    try:
        game = await create_game(workers[0], setup)
        host, players, qid = await first_question(game, workers[1], workers, 4)
        assert (await answer(players[0][0], qid, "a0", "A"))["accepted"]
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND classid = %s AND objid = %s", (LOCK_CLASS, game["id"]))
        def epoch() -> int:
            with psycopg.connect(url) as conn:
                return int(conn.execute("SELECT owner_epoch FROM live_game WHERE id = %s", (game["id"],)).fetchone()[0])

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (epoch() < 2 or owner_of_or_none(workers, game["id"]) is None):
            await asyncio.sleep(0.1)
        # Taken again, by a new ownership (whichever worker got the free lock first): the old one is fenced off.
        assert epoch() >= 2 and owner_of_or_none(workers, game["id"]) is not None
        # Everyone carries on where they are, on either worker: the new owner answers for the game. (How soon is
        # not what this test is about — the killed owner's test times the failover: on CI, beside the PostgreSQL
        # pass and the browsers, the rebuild once took ~10 s here, so the first ack may take longer than usual.)
        for i, (ws, _, _) in enumerate(players[1:], start=1):
            await ws.send(json.dumps({"type": "answer", "id": f"a{i}", "question": qid, "answer": "A"}))
            assert (await receive(ws, "ack", timeout_s=30))["accepted"]
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == 4
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
    finally:
        for worker in workers:
            worker.stop()


def owner_of_or_none(workers: list[Worker], game_id: int) -> Worker | None:
    try:
        return owner_of(workers, game_id)
    except AssertionError:
        return None



class PrivateRedis:
    """A redis-server of the test's own (no persistence), to stop and start again mid-game."""

    def __init__(self, workdir: Path) -> None:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            from tests.conftest import skip_or_fail

            skip_or_fail("redis-server is not installed")
        self.binary, self.workdir, self.port = str(binary), workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)


async def test_redis_going_away_for_a_moment_loses_nothing(cluster_urls: tuple[str, str], tmp_path: Path) -> None:
    """Redis killed in the middle of a question and started again a second later, empty (no persistence):
    answers sent to either worker meanwhile are acknowledged once and counted, and every phone on both
    workers gets the reveal with its own result (issue 8 item 7: what happens when Redis goes away)."""
    database_url, _ = cluster_urls
    redis_server = PrivateRedis(tmp_path)
    redis_url = redis_server.url
    setup = Setup(database_url)
    workers = [Worker(database_url, redis_url, tmp_path / "a.log"), Worker(database_url, redis_url, tmp_path / "b.log")]
    try:
        game = await create_game(workers[0], setup)
        host, players, qid = await first_question(game, workers[0], workers, 6)
        assert (await answer(players[0][0], qid, "a0", "A"))["accepted"]
        assert (await answer(players[1][0], qid, "a1", "A"))["accepted"]

        redis_server.kill()
        for i in range(2, 6):  # sent while Redis is away: to the owner and to the other worker
            await players[i][0].send(json.dumps({"type": "answer", "id": f"a{i}", "question": qid, "answer": "B"}))
        await asyncio.sleep(1.0)
        redis_server.start()
        for i in range(2, 6):
            assert (await receive(players[i][0], "ack"))["accepted"]
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == 6
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        reveal = await receive(host, "reveal")
        assert sum(reveal["distribution"].values()) == 6
        for ws, _, _ in players:
            assert (await receive(ws, "reveal"))["you"]["answered"] is True
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
    finally:
        for worker in workers:
            worker.stop()
        redis_server.kill()


async def test_postgresql_connections_cut_mid_question_lose_nothing(cluster_urls: tuple[str, str],
                                                                    tmp_path: Path) -> None:
    """Every session of both workers ended by the database at once (as a PostgreSQL restart or failover does to
    its clients), leases included: the game is owned again, answers sent to either worker are acknowledged
    and counted once, and everyone gets the reveal (issue 8 item 7: what happens when PostgreSQL goes away)."""
    import psycopg

    database_url, redis_url = cluster_urls
    setup = Setup(database_url)
    workers = [Worker(database_url, redis_url, tmp_path / "a.log"), Worker(database_url, redis_url, tmp_path / "b.log")]
    try:
        game = await create_game(workers[0], setup)
        host, players, qid = await first_question(game, workers[1], workers, 6)
        assert (await answer(players[0][0], qid, "a0", "A"))["accepted"]

        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            ended = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
        assert ended is not None and ended[0] >= 2  # at least both workers' leases
        for i in range(1, 6):
            assert (await answer(players[i][0], qid, f"a{i}", "B"))["accepted"]
        await host.send(json.dumps({"type": "host", "action": "close"}))
        assert (await receive(host, "closed"))["answered"] == 6
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        assert sum((await receive(host, "reveal"))["distribution"].values()) == 6
        for ws, _, _ in players:
            assert (await receive(ws, "reveal"))["you"]["answered"] is True
        for ws in [host, *(p[0] for p in players)]:
            await ws.close()
    finally:
        for worker in workers:
            worker.stop()
