"""Load benchmark of a live game: N players, a host and a screen, M questions (not run in CI).

    .venv/bin/python bench/live_load.py --players 1000            # ours and the reference, N = 1,000
    .venv/bin/python bench/live_load.py --players 10000 --procs 4  # the target: 10,000 in one game
    .venv/bin/python bench/live_load.py --players 20000 --servers ours cluster  # two workers (PostgreSQL + Redis) against one

For each server (ours: ``quiz serve`` on a fresh SQLite file; the reference: ``bench/ref_server.py``,
bare ``websockets`` with ``websockets.broadcast``) it connects N players from ``--procs`` client
processes (lean raw-socket clients, see `LeanPlayer`), waits until the host has seen every join, then
plays M questions. Answers follow a schedule per question, cycling through ``--schedules``:
``instant`` (each player answers as soon as the question arrives: the throughput test), ``2s``
and ``10s`` (each player answers at a uniformly random moment in that window).

Measured, on the same machine's clock: join ramp (players/s), fan-out latency (the question's
``now_ms``, when the server handled the host's command, to its arrival at each player), the
reveal's (the host sending ``reveal`` to its arrival at each player: ours is per player, with `you`),
answer → ack latency, lost answers (accepted acks minus what the reveal counted), acks per second
(accepted acks / first answer sent → last ack received), and the server's memory per connection
(RSS after all joined minus RSS before, / N), and the server's CPU time per question (user + system,
from the question's command to half a second after the reveal: the least noisy figure on a shared
machine). Our figures are also given as ratios to the reference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCHEDULES = {"instant": 0.0, "2s": 2.0, "10s": 10.0}


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wall_ms() -> float:
    return time.time_ns() / 1_000_000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_idle(seconds: float = 2.0) -> float:
    """The share of CPU time the whole machine spent idle over the next ``seconds``."""
    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values)

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(threshold: float, patience_s: float) -> float:
    """Other work on the machine distorts every latency: wait (up to ``patience_s``) until it is idle."""
    deadline = time.monotonic() + patience_s
    idle = cpu_idle()
    while idle < threshold and time.monotonic() < deadline:
        print(f"  machine busy ({idle:.0%} idle), waiting…", flush=True)
        time.sleep(10)
        idle = cpu_idle()
    return idle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the client processes --------------------------------------------------------------------

def client_process(first: int, count: int, url: str, deflate: bool, schedules: list[str], seed: int,
                   go: Any, results: Any, concurrency: int) -> None:
    raise_nofile()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    go.wait()
    results.put(runner(_clients(first, count, url, deflate, schedules, seed, concurrency)))


KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # any 16 bytes in base64: the server only echoes its digest
ZERO_MASK = b"\x00\x00\x00\x00"  # a valid masking key; XOR with zeros leaves the payload as it is


def frame(payload: bytes) -> bytes:
    """A masked client text frame (RFC 6455 §5.2)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    elif n < 65536:
        head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + ZERO_MASK + payload


class LeanPlayer(asyncio.Protocol):
    """A player over a raw asyncio protocol with hand-made WebSocket frames: so lean that 10,000 of them
    in a few processes cost far less CPU than the server they measure (the ``websockets`` client's
    per-message machinery made the load generator the bottleneck). Arrival times are taken when
    the bytes reach the process, before any parsing."""

    def __init__(self, i: int, host: str, path: str, deflate: bool, ctx: dict[str, Any]) -> None:
        self.i, self.host, self.path, self.deflate, self.ctx = i, host, path, deflate, ctx
        self.transport: Any = None
        self.buffer = bytearray()
        self.upgraded = False
        self.inflate: Any = None
        self.sent: dict[str, tuple[int, float]] = {}
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        extension = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if self.deflate else ""
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
                         f"{extension}\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.joined, self.done):
            if not future.done():
                future.set_result(None)

    def send(self, message: dict[str, Any]) -> None:
        if not self.transport.is_closing():
            self.transport.write(frame(orjson.dumps(message)))

    def data_received(self, data: bytes) -> None:
        arrived = wall_ms()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.ctx["stats"]["errors"] += 1
                self.transport.close()
                return
            if b"permessage-deflate" in head:
                import zlib

                self.inflate = zlib.decompressobj(-15)
            del buffer[:end + 4]
            self.upgraded = True
            self.send({"type": "join", "name": f"选手{self.i}"})
        while len(buffer) >= 2:
            b0, length = buffer[0], buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                return
            payload = bytes(buffer[offset:offset + length])
            del buffer[:offset + length]
            opcode = b0 & 0x0F
            if opcode == 0x9:  # ping: answer with a pong carrying the same data
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + ZERO_MASK + payload)
            elif opcode == 0x8:
                self.transport.close()
            elif opcode == 0x1:
                if b0 & 0x40 and self.inflate is not None:
                    payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
                self.on_message(orjson.loads(payload), arrived)  # 4× faster than json

    def on_message(self, message: dict[str, Any], arrived: float) -> None:
        stats, kind = self.ctx["stats"], message.get("type")
        if kind == "question":
            index = int(message["index"])
            stats["fanout"].setdefault(index, []).append(arrived - message["now_ms"])
            self.ctx["index_of"][message["question"]["id"]] = index
            window = SCHEDULES[self.ctx["schedules"][(index - 1) % len(self.ctx["schedules"])]]
            qid = message["question"]["id"]
            if window <= 0:
                self.answer(index, qid)
            else:
                asyncio.get_running_loop().call_later(self.ctx["rng"].uniform(0, window), self.answer, index, qid)
        elif kind == "ack":
            index, at = self.sent.get(message["id"], (0, arrived))
            stats["ack"].setdefault(index, []).append(arrived - at)
            if message["accepted"]:
                stats["accepted"][index] = stats["accepted"].get(index, 0) + 1
                stats["last_ack"][index] = max(stats["last_ack"].get(index, 0), arrived)
            elif message.get("reason") == "late":
                stats["late"] += 1
        elif kind == "reveal":  # the host's side knows when it asked for it: arrival times go back as they are
            stats["reveal_at"].setdefault(self.ctx["index_of"].get(message["question"], 0), []).append(arrived)
        elif kind == "welcome":
            stats["joined"] += 1
            if not self.joined.done():
                self.joined.set_result(None)
        elif kind == "finished":
            if not self.done.done():
                self.done.set_result(None)
            self.transport.close()

    def answer(self, index: int, qid: int) -> None:
        cid = f"{self.i}-{qid}"
        at = wall_ms()
        self.sent[cid] = (index, at)
        first_send = self.ctx["stats"]["first_send"]
        first_send[index] = min(first_send.get(index, at), at)
        self.send({"type": "answer", "id": cid, "question": qid, "answer": "ABCD"[self.ctx["rng"].randrange(4)]})


async def _clients(first: int, count: int, url: str, deflate: bool, schedules: list[str], seed: int,
                   concurrency: int) -> dict[str, Any]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    stats: dict[str, Any] = {"fanout": {}, "reveal_at": {}, "ack": {}, "accepted": {}, "first_send": {},
                             "last_ack": {}, "errors": 0, "joined": 0, "late": 0}
    ctx = {"stats": stats, "schedules": schedules, "rng": random.Random(seed), "index_of": {}}
    gate = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()

    async def player(i: int) -> None:
        try:
            async with gate:  # a bounded number of handshakes and joins in flight
                _, protocol = await loop.create_connection(lambda: LeanPlayer(i, f"{host}:{port}", path, deflate, ctx),
                                                           host, port)
                await asyncio.wait_for(protocol.joined, 300)
            await protocol.done
        except Exception:
            stats["errors"] += 1

    await asyncio.gather(*(player(i) for i in range(first, first + count)))
    return stats


# --- servers ---------------------------------------------------------------------------------

class Server:
    """A server under test: its process, and the URLs of its players, host and screen."""

    name = ""
    process: subprocess.Popen[bytes]
    player_url = host_url = screen_url = ""

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [self.process]

    def player_url_for(self, client_index: int) -> str:
        return self.player_url

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("server did not start")


class Ours(Server):
    name = "ours"

    def __init__(self, questions: int, time_limit_s: float, deflate: bool, ws_impl: str, workdir: Path,
                 database_url: str | None = None, redis_url: str | None = None, workers: int = 1) -> None:
        import httpx

        from quiz.accounts import issue_token, upsert_user
        from quiz.db import Database

        url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        db = Database(url)
        db.migrate()
        now = int(time.time() * 1000)
        from question_bank.models import Bank, Question

        with db.write() as session:
            user, _ = upsert_user(session, username="host", password="secret123", name="主持人", role="host",
                                  unit="", now_ms=now, overwrite=True)
            token = issue_token(session, user, now, 1)
            bank = Bank(name="基准题库", created_ms=now)
            session.add(bank)
            session.flush()
            ids = []
            for i in range(questions):
                q = Question(bank_id=bank.id or 0, type="single", stem=f"第{i + 1}题：中国共产党第一次全国代表大会在哪里召开？",
                             options=[{"key": k, "text": f"选项{k}：一个长度与真题相当的答案选项"} for k in "ABCD"],
                             answer=["C"], explanation="解析：1921年7月在上海召开，最后一天转至嘉兴南湖。")
                session.add(q)
                session.flush()
                ids.append(q.id)
        db.dispose()
        env = {**os.environ, "QUIZ_DATABASE_URL": url, "QUIZ_WS_PER_MESSAGE_DEFLATE": "1" if deflate else "0",
               "QUIZ_WS_IMPL": "" if ws_impl == "quiz" else ws_impl, "QUIZ_SECRET_KEY": "bench",
               # Every simulated phone is a guest from 127.0.0.1: a real hall of thousands comes from many
               # addresses, so the per-address guest bound (1,000 a minute) is lifted for the bench.
               "QUIZ_GUEST_JOINS_PER_MINUTE": "1000000", "QUIZ_GUEST_JOINS_PER_HOUR": "1000000"}
        if redis_url:
            env["QUIZ_REDIS_URL"] = redis_url
        self.log = (workdir / "server.log").open("wb")
        # LIVE_BENCH_SERVER="path/to/wrapper.py" runs the server through a wrapper (a profiler, say).
        command = os.environ.get("LIVE_BENCH_SERVER", "").split() or ["-m", "quiz.cli"]
        # Several workers are separate `quiz serve` processes, each on its own port (as on several machines):
        # players are spread over them by client process, the host is on the first and the screen on the last.
        self.ports = [free_port() for _ in range(workers)]
        self.servers = [subprocess.Popen([sys.executable, *command, "serve", "--port", str(port)], env=env,
                                         cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT) for port in self.ports]
        self.process = self.servers[0]
        for port, process in zip(self.ports, self.servers, strict=True):
            wait_port(port, process)
        created = httpx.post(f"http://127.0.0.1:{self.ports[0]}/api/live", headers={"Authorization": f"Bearer {token}"},
                             json={"title": "负载测试", "bank_id": bank.id, "segments": [
                                 {"kind": "all", "question_ids": ids, "time_limit_s": time_limit_s, "points": 10}]},
                             timeout=30)
        created.raise_for_status()
        game = created.json()
        self.bases = [f"ws://127.0.0.1:{port}/ws/live/{game['pin']}" for port in self.ports]
        self.player_url = f"{self.bases[0]}?role=player"
        self.host_url = f"{self.bases[0]}?role=host&token={game['host_token']}"
        self.screen_url = f"{self.bases[-1]}?role=screen"

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return self.servers

    def player_url_for(self, client_index: int) -> str:
        return f"{self.bases[client_index % len(self.bases)]}?role=player"


def fresh_postgres_database() -> str:
    """A new, empty PostgreSQL database for a cluster run (QUIZ_TEST_POSTGRES_URL's server)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from quiz.db import normalise_url

    base = make_url(normalise_url(os.environ.get("QUIZ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"quiz_bench_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


class Reference(Server):
    name = "reference"

    def __init__(self, questions: int, time_limit_s: float, deflate: bool, workdir: Path) -> None:
        port = free_port()
        args = [sys.executable, str(ROOT / "bench" / "ref_server.py"), "--port", str(port), "--questions",
                str(questions), "--time-limit", str(time_limit_s)] + (["--deflate"] if deflate else [])
        self.log = (workdir / "ref.log").open("wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(port, self.process)
        base = f"ws://127.0.0.1:{port}/"
        self.player_url, self.host_url, self.screen_url = f"{base}?role=player", f"{base}?role=host", f"{base}?role=screen"


# --- the host's side -------------------------------------------------------------------------

async def drive(server: Server, players: int, questions: int, procs: int, deflate: bool, schedules: list[str],
                concurrency: int, time_limit_s: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    compression = "deflate" if deflate else None
    host = await connect(server.host_url, compression=compression, ping_interval=None, max_queue=None)
    screen = await connect(server.screen_url, compression=compression, ping_interval=None, max_queue=None)
    screen_frames = 0

    async def drain_screen() -> None:
        nonlocal screen_frames
        async for _ in screen:
            screen_frames += 1

    screen_task = asyncio.ensure_future(drain_screen())

    async def until(kind: str, timeout: float) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(host.recv(), timeout))
            if message.get("type") == kind:
                return dict(message)

    await until("state", 30)
    await asyncio.sleep(0.5)
    rss_before = sum(rss_kib(p.pid) for p in server.processes)

    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    share = [players // procs + (1 if i < players % procs else 0) for i in range(procs)]
    workers, first = [], 0
    for i, count in enumerate(share):
        workers.append(ctx.Process(target=client_process, args=(first, count, server.player_url_for(i), deflate, schedules,
                                                                 1000 + i, go, results, concurrency)))
        first += count
    for w in workers:
        w.start()
    await asyncio.sleep(3)  # let the client processes import and reach the start line
    started = time.monotonic()
    go.set()
    joined = 0
    while joined < players:
        message = json.loads(await asyncio.wait_for(host.recv(), 300))
        if message.get("type") == "joined":
            joined = max(joined, int(message.get("count", 0)))
    join_s = time.monotonic() - started
    await asyncio.sleep(1)
    rss_after = sum(rss_kib(p.pid) for p in server.processes)

    counted: dict[int, int] = {}
    reveal_sent: dict[int, float] = {}
    cpu: dict[int, float] = {}
    for index in range(1, questions + 1):
        cpu_before = sum(cpu_s(p.pid) for p in server.processes)
        await host.send(json.dumps({"type": "host", "action": "start" if index == 1 else "next"}))
        await until("question", 60)
        window = SCHEDULES[schedules[(index - 1) % len(schedules)]]
        try:
            await until("closed", time_limit_s + window + 30)
        except TimeoutError:
            await host.send(json.dumps({"type": "host", "action": "close"}))
            await until("closed", 30)
        reveal_sent[index] = wall_ms()
        await host.send(json.dumps({"type": "host", "action": "reveal"}))
        reveal = await until("reveal", 60)
        counted[index] = sum(reveal["distribution"].values())
        await asyncio.sleep(0.5)  # the reveal's fan-out is over by now
        cpu[index] = sum(cpu_s(p.pid) for p in server.processes) - cpu_before
        await asyncio.sleep(0.5)  # let the reveal reach everyone before the next question
    await host.send(json.dumps({"type": "host", "action": "finish"}))
    await until("finished", 60)
    gathered = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(30)
    await host.close()
    await screen.close()
    screen_task.cancel()

    fanout = {i: [v for g in gathered for v in g["fanout"].get(i, [])] for i in range(1, questions + 1)}
    acks = {i: [v for g in gathered for v in g["ack"].get(i, [])] for i in range(1, questions + 1)}
    reveals = {i: [v - reveal_sent.get(i, v) for g in gathered for v in g["reveal_at"].get(i, [])]
               for i in range(1, questions + 1)}
    per_question = []
    for i in range(1, questions + 1):
        accepted = sum(g["accepted"].get(i, 0) for g in gathered)
        first_send = min((g["first_send"][i] for g in gathered if i in g["first_send"]), default=0)
        last_ack = max((g["last_ack"][i] for g in gathered if i in g["last_ack"]), default=0)
        span_s = max(1e-3, (last_ack - first_send) / 1000)
        per_question.append({
            "index": i, "schedule": schedules[(i - 1) % len(schedules)], "received": len(fanout[i]),
            "fanout_p50": percentile(fanout[i], 50), "fanout_p99": percentile(fanout[i], 99),
            "fanout_max": max(fanout[i], default=float("nan")),
            "reveal_p50": percentile(reveals[i], 50), "reveal_p99": percentile(reveals[i], 99),
            "ack_p50": percentile(acks[i], 50), "ack_p99": percentile(acks[i], 99),
            "ack_max": max(acks[i], default=float("nan")),
            "accepted": accepted, "counted": counted.get(i, 0), "lost": accepted - counted.get(i, 0),
            "acks_per_s": accepted / span_s, "server_cpu_s": cpu.get(i, float("nan")),
        })
    return {"server": server.name, "players": players, "joined": sum(g["joined"] for g in gathered),
            "errors": sum(g["errors"] for g in gathered), "late": sum(g["late"] for g in gathered),
            "join_s": join_s, "join_per_s": players / join_s, "rss_before_kib": rss_before, "rss_after_kib": rss_after,
            "kib_per_connection": (rss_after - rss_before) / players, "screen_frames": screen_frames,
            "questions": per_question}


def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    idle = wait_until_quiet(args.idle, args.patience) if args.idle > 0 else float("nan")
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        if args.keep:
            tmp = tempfile.mkdtemp(prefix=f"live-bench-{kind}-")
            print(f"{kind}: files in {tmp}", flush=True)
        server: Server
        if kind == "ours":
            server = Ours(args.questions, args.time_limit, args.deflate, args.ws_impl, Path(tmp))
        elif kind == "cluster":
            import redis

            redis_url = os.environ.get("QUIZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
            redis.Redis.from_url(redis_url).flushdb()
            server = Ours(args.questions, args.time_limit, args.deflate, args.ws_impl, Path(tmp),
                          fresh_postgres_database(), redis_url, workers=args.workers)
            server.name = f"cluster ({args.workers} workers, PostgreSQL + Redis)"
        else:
            server = Reference(args.questions, args.time_limit, args.deflate, Path(tmp))
        try:
            result = asyncio.run(drive(server, args.players, args.questions, args.procs, args.deflate,
                                       args.schedules, args.concurrency, args.time_limit))
        finally:
            server.stop()
    result["deflate"], result["ws_impl"] = args.deflate, args.ws_impl if kind != "reference" else "websockets (asyncio)"
    result["idle_before"] = idle
    return result


def report(results: list[dict[str, Any]]) -> str:
    lines = []
    ref = next((r for r in results if r["server"] == "reference"), None) or next(
        (r for r in results if r["server"] == "ours"), None)  # the cluster against one worker
    for r in results:
        lines.append(f"\n{r['server']} (ws={r['ws_impl']}, deflate={'on' if r['deflate'] else 'off'}): "
                     f"{r['joined']}/{r['players']} joined in {r['join_s']:.1f} s ({r['join_per_s']:.0f}/s), "
                     f"errors {r['errors']}, memory {r['kib_per_connection']:.1f} KiB/connection "
                     f"(RSS {r['rss_before_kib'] / 1024:.0f} → {r['rss_after_kib'] / 1024:.0f} MiB); "
                     f"machine {r['idle_before']:.0%} idle before")
        lines.append("  q  schedule  received  fan-out p50/p99/max ms   ack p50/p99/max ms     acks/s   lost"
                     "   reveal p50/p99 ms   server CPU s")
        for q in r["questions"]:
            lines.append(f"  {q['index']}  {q['schedule']:8}  {q['received']:8}  "
                         f"{q['fanout_p50']:6.0f} {q['fanout_p99']:6.0f} {q['fanout_max']:6.0f}    "
                         f"{q['ack_p50']:6.0f} {q['ack_p99']:6.0f} {q['ack_max']:6.0f}   {q['acks_per_s']:8.0f}   {q['lost']:4}"
                         f"   {q['reveal_p50']:6.0f} {q['reveal_p99']:6.0f}       {q['server_cpu_s']:6.2f}")
        if ref is not None and r is not ref:
            ratios = []
            for q, rq in zip(r["questions"], ref["questions"], strict=False):
                ratios.append(f"q{q['index']} fan-out p99 ×{q['fanout_p99'] / max(rq['fanout_p99'], 1):.2f}, "
                              f"reveal p99 ×{q['reveal_p99'] / max(rq['reveal_p99'], 1):.2f}, "
                              f"ack p99 ×{q['ack_p99'] / max(rq['ack_p99'], 1):.2f}, "
                              f"acks/s ×{q['acks_per_s'] / max(rq['acks_per_s'], 1):.2f}")
            lines.append("  vs reference: " + "; ".join(ratios))
            lines.append(f"  vs reference: memory ×{r['kib_per_connection'] / max(ref['kib_per_connection'], 0.1):.2f}, "
                         f"join ramp ×{r['join_per_s'] / ref['join_per_s']:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight per client process")
    parser.add_argument("--schedules", nargs="+", default=["instant", "2s", "10s"], choices=list(SCHEDULES))
    parser.add_argument("--time-limit", type=float, default=40, help="seconds per question")
    parser.add_argument("--deflate", action="store_true", help="per-message deflate on (server and clients)")
    parser.add_argument("--ws-impl", default="quiz", choices=["quiz", "websockets-sansio", "websockets"],
                        help="our server's WebSocket protocol: quiz (live.wsproto, the default of quiz serve) "
                             "or one of uvicorn's (QUIZ_WS_IMPL)")
    parser.add_argument("--only", choices=["ours", "reference", "cluster"], help="run one server only")
    parser.add_argument("--servers", nargs="+", default=["reference", "ours"], choices=["reference", "ours", "cluster"],
                        help="which servers to run (cluster: --workers quiz serve processes on PostgreSQL + Redis)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the cluster server")
    parser.add_argument("--idle", type=float, default=0.9, help="wait until the machine is this idle (0: don't)")
    parser.add_argument("--patience", type=float, default=900, help="seconds to wait for --idle at most")
    parser.add_argument("--repeat", type=int, default=1, help="runs per server, alternating; medians reported")
    parser.add_argument("--keep", action="store_true", help="keep the database and server logs")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    limit = raise_nofile()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"open files {limit}; players {args.players} in {args.procs} processes", flush=True)
    runs: list[dict[str, Any]] = []
    kinds = [args.only] if args.only else list(args.servers)
    for round_ in range(args.repeat):
        # Alternate the order, so that neither server always runs in the same moment of other load.
        for kind in kinds if round_ % 2 == 0 else kinds[::-1]:
            runs.append(run_one(kind, args))
            print(report(runs[-1:]), flush=True)
    results = [median_result([r for r in runs if r["server"] == name]) for name in dict.fromkeys(r["server"] for r in runs)]
    if len(runs) > 1:
        label = f"medians of {args.repeat} runs each" if args.repeat > 1 else "summary"
        print(f"\n{label}:" + report(results))
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "medians": results}, indent=1, ensure_ascii=False))


def median_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every number the median of the runs' (the machine's other load makes single runs noisy)."""
    if len(runs) == 1:
        return runs[0]
    def median(values: list[Any]) -> Any:
        middle = statistics.median(values)
        return int(round(middle)) if all(isinstance(v, int) for v in values) else middle

    merged = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = median([r[key] for r in runs])
    merged["questions"] = []
    for i, question in enumerate(runs[0]["questions"]):
        merged["questions"].append({k: median([r["questions"][i][k] for r in runs])
                                    if isinstance(v, (int, float)) else v for k, v in question.items()})
    merged["runs"] = len(runs)
    return merged


if __name__ == "__main__":
    main()
