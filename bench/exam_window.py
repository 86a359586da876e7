"""A discipline-test window under load: N candidates each start the test, autosave every answer
and submit, against a real ``quiz serve`` on a temporary SQLite database (not part of CI).

    .venv/bin/python bench/exam_window.py                      # 10,000 candidates × 30 answers
    .venv/bin/python bench/exam_window.py --candidates 1000    # a quick run
    .venv/bin/python bench/exam_window.py --write-docs         # also update docs/benchmarks.md

Users and their tokens are written straight into the database (no argon2 logins). The load runs in
this process on asyncio (uvloop when present) with a minimal keep-alive HTTP/1.1 client, one
connection per active candidate: ``--active`` candidates answer at once, each giving an answer
every ``--think`` seconds (the aggregate save rate is about active / think), the next candidate
starting when one submits. Afterwards the database must hold exactly candidates × questions
answers, none duplicated, every attempt submitted; then the xlsx/csv/json results of all
candidates are exported and timed.

Targets: autosave p99 ≤ 100 ms at ≥ 1,000 saves/s; results export ≤ 3 s (2 cores, SQLite).

    .venv/bin/python bench/exam_window.py --mix phones         # 2,000 phones: roster, logins, resumes

``--mix phones`` is the window as phones use it: an organiser imports a roster of ``--candidates``
(2,000) with initial passwords through the API, each candidate logs in (argon2) at a random moment of
``--login-ramp`` seconds, opens the paper at a random moment of the last ``--ramp`` seconds of it,
autosaves its answers in the background every ``--think`` seconds (the next answer does not wait
for the reply; with chance ``--overlap`` the next follows at once on a second connection, so two
saves are in flight), reloads the page once mid-paper (``--resume``: start again on a new
connection, which must return the same attempt with every acknowledged answer), and submits.
Targets there: save p99 ≤ 100 ms, resume and submit p99 ≤ 300 ms at ≥ 1,000 saves/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Discipline test window"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- seeding (directly in the database) ------------------------------------------------------------

def seed(url: str, candidates: int, questions: int, units: int) -> tuple[int, list[str], str]:
    """A bank, ``candidates`` members over ``units`` units with tokens, an organiser, and an open test.

    Returns (exam id, member tokens, organiser token).
    """
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select

    from question_bank.formats import QuestionData
    from question_bank.models import Bank
    from question_bank.service import insert_questions
    from quiz.accounts import token_digest
    from quiz.db import Database
    from quiz.exams.models import Exam
    from quiz.exams.schemas import ExamIn
    from quiz.exams.service import apply_exam
    from quiz.models import AuthToken, User
    from quiz.timeutil import Clock, to_iso

    db = Database(url)
    db.migrate()
    now = Clock().now_ms()
    rng = random.Random(11)
    per_type = {"single": 12, "multiple": 6, "judge": 6, "fill": 6}
    scale = max(1, questions // 30)
    items = []
    for kind, share in per_type.items():
        for i in range(share * 6):  # six times what a paper takes of each type
            tags = [f"专题{i % 6}"]
            if kind in ("single", "multiple"):
                answer = [rng.choice("ABCD")] if kind == "single" else ["A", "C"]
                items.append(QuestionData(type=kind, stem=f"{kind} 第 {i} 题：下列说法正确的是？", tags=tags,
                                          options=[{"key": k, "text": f"选项 {k}{i}"} for k in "ABCD"],
                                          answer=answer, explanation=f"解析 {i}", difficulty=1 + i % 5))
            elif kind == "judge":
                items.append(QuestionData(type="judge", stem=f"判断第 {i} 题。", tags=tags, answer=[i % 2 == 0]))
            else:
                items.append(QuestionData(type="fill", stem=f"填空第 {i} 题：首都是（）。", tags=tags,
                                          answer=[["北京", "北京市"]]))
    tokens: list[str] = []
    with db.write() as session:
        bank = Bank(name="压测题库", created_ms=now)
        session.add(bank)
        session.flush()
        insert_questions(session, bank.id or 0, items, now)
        session.execute(insert(User), [{"username": f"cand{n:05d}", "name": f"考生{n}", "role": "member",
                                        "unit": f"第{n % units + 1:02d}单位", "password_hash": "", "active": True,
                                        "created_ms": now} for n in range(candidates)]
                        + [{"username": "bench-org", "name": "组织者", "role": "organizer", "unit": "工委",
                            "password_hash": "", "active": True, "created_ms": now}])
        ids = dict(session.execute(select(User.username, User.id)).all())
        rows = []
        for n in range(candidates + 1):
            token = secrets.token_urlsafe(24)
            tokens.append(token)
            user = ids[f"cand{n:05d}"] if n < candidates else ids["bench-org"]
            rows.append({"token_hash": token_digest(token), "user_id": user, "created_ms": now,
                         "expires_ms": now + 86_400_000})
        session.execute(insert(AuthToken), rows)
        rules = [{"type": kind, "count": share * scale, "points": 100 / (30 * scale)}
                 for kind, share in per_type.items()]
        for rule in rules:
            rule["points"] = round(rule["points"], 2)
        data = ExamIn.model_validate({
            "title": "压测：党规党纪测试", "bank_id": bank.id, "rules": rules, "duration_s": 4 * 3600,
            "opens_at": to_iso(now - 60_000), "closes_at": to_iso(now + 86_400_000), "pass_score": 60,
            "multiple_partial": True})
        exam = apply_exam(session, Exam(created_ms=now), data, "Asia/Shanghai", now)
        exam_id = exam.id or 0
    db.dispose()
    return exam_id, tokens[:-1], tokens[-1]


# --- a minimal keep-alive HTTP/1.1 client ------------------------------------------------------------

class Connection:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        for attempt in range(3):
            try:
                return await self._request(method, path, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    async def _request(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        self.writer.write(head + data)
        line = await self.reader.readline()
        if not line:  # the server closed an idle keep-alive connection: reconnect (the caller retries)
            raise ConnectionResetError("connection closed by the server")
        status = int(line.split()[1])
        length, chunked = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            return status, b"".join(parts)
        return status, await self.reader.readexactly(length)


# --- the load ------------------------------------------------------------------------------------

@dataclass
class Stats:
    start_ms: list[float] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    saves_ok: int = 0
    first_save: float = 0.0
    last_save: float = 0.0
    save_done: list[float] = field(default_factory=list)  # completion time of each save (perf_counter)
    last_start: float = 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def answer_for(question: dict[str, Any], rng: random.Random) -> Any:
    kind = question["type"]
    if kind == "single":
        return [rng.choice("ABCD")]
    if kind == "multiple":
        return sorted(rng.sample("ABCD", 2))
    if kind == "judge":
        return [rng.random() < 0.5]
    if kind == "fill":
        return [rng.choice(["北京", "上海"]) for _ in range(question.get("blanks", 1))]
    return "我的回答"


async def candidate(n: int, token: str, args: argparse.Namespace, exam_id: int, stats: Stats,
                    first_delay: float) -> None:
    rng = random.Random(n)
    conn = Connection("127.0.0.1", args.port, token)
    await asyncio.sleep(first_delay)
    try:
        t = time.perf_counter()
        stats.last_start = max(stats.last_start, t)
        status, body = await conn.request("POST", f"/api/exams/{exam_id}/attempts")
        stats.start_ms.append((time.perf_counter() - t) * 1000)
        if status not in (200, 201):
            stats.error(f"start {status}")
            return
        attempt = json.loads(body)
        origin = time.perf_counter()
        for k, question in enumerate(attempt["questions"]):
            # Answers come on a schedule (think time), whatever the server's speed: a phone saves as it is given.
            due = origin + (k + rng.random()) * args.think
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            t = time.perf_counter()
            status, _ = await conn.request("PUT", f"/api/attempts/{attempt['id']}/answers/{question['id']}",
                                           {"answer": answer_for(question, rng)})
            done = time.perf_counter()
            stats.save_ms.append((done - t) * 1000)
            stats.save_done.append(done)
            if status == 200:
                stats.saves_ok += 1
                stats.first_save = stats.first_save or t
                stats.last_save = max(stats.last_save, done)
            else:
                stats.error(f"save {status}")
        t = time.perf_counter()
        status, _ = await conn.request("POST", f"/api/attempts/{attempt['id']}/submit")
        stats.submit_ms.append((time.perf_counter() - t) * 1000)
        if status != 200:
            stats.error(f"submit {status}")
    except Exception as exc:  # counted, never silent
        stats.error(type(exc).__name__)
    finally:
        await conn.close()


async def run_load(args: argparse.Namespace, exam_id: int, tokens: list[str], stats: Stats) -> float:
    gate = asyncio.Semaphore(args.active)
    started = time.perf_counter()
    progress_every = max(1, len(tokens) // 20)
    finished = 0

    async def one(n: int, token: str) -> None:
        nonlocal finished
        async with gate:
            # The first wave spreads its starts over the ramp (people open the test over minutes, not at
            # one instant); later candidates start as others submit.
            delay = random.random() * args.ramp if n < args.active else 0.0
            await candidate(n, token, args, exam_id, stats, delay)
        finished += 1
        if finished % progress_every == 0:
            elapsed = time.perf_counter() - started
            print(f"  {finished}/{len(tokens)} candidates done, {stats.saves_ok} saves, {elapsed:.0f} s, "
                  f"errors {stats.errors or 0}", flush=True)

    await asyncio.gather(*(one(n, token) for n, token in enumerate(tokens)))
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the phones mix: logins from an imported roster, random start moments, resumes, overlapping saves ---

def password_of(n: int) -> str:
    return f"Bench-{n:05d}-pw"


def import_roster(port: int, org_token: str, candidates: int, units: int) -> float:
    """Import the candidates as an organiser does (CSV roster with initial passwords: argon2 on the server)."""
    import httpx

    lines = ["姓名,账号,单位,初始密码"]
    lines += [f"考生{n},cand{n:05d},第{n % units + 1:02d}单位,{password_of(n)}" for n in range(candidates)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    t = time.perf_counter()
    response = httpx.post(f"http://127.0.0.1:{port}/api/users/import", files={"file": ("名单.csv", data, "text/csv")},
                          headers={"Authorization": f"Bearer {org_token}"}, timeout=600)
    elapsed = time.perf_counter() - t
    if response.status_code != 200 or response.json().get("created") != candidates:
        raise SystemExit(f"roster import failed: {response.status_code} {response.text[:500]}")
    return elapsed


@dataclass
class PhoneStats(Stats):
    login_ms: list[float] = field(default_factory=list)
    resume_ms: list[float] = field(default_factory=list)
    started_at: list[float] = field(default_factory=list)  # perf_counter when each first start was answered
    submit_at: list[float] = field(default_factory=list)  # perf_counter when each submit was sent
    overlapped: int = 0
    resume_checked: int = 0


async def phone(n: int, args: argparse.Namespace, exam_id: int, stats: PhoneStats, origin: float) -> None:
    """One candidate on a phone: log in, start, answer in the background, reload once mid-paper, submit."""
    rng = random.Random(n)
    # Phones log in over --login-ramp seconds and open the paper over the last --ramp of them (after their login):
    # argon2 costs ~25 ms of CPU a login, so 2,000 logins within the 30 s of starts would need 1.7 of the 2 cores.
    login_at = origin + rng.random() * args.login_ramp
    start_at = origin + max(0.0, args.login_ramp - args.ramp) + rng.random() * args.ramp
    await asyncio.sleep(max(0.0, min(login_at, start_at) - time.perf_counter()))
    main, spare = Connection("127.0.0.1", args.port, ""), Connection("127.0.0.1", args.port, "")
    try:
        t = time.perf_counter()
        status, body = await main.request("POST", "/api/auth/login",
                                          {"username": f"cand{n:05d}", "password": password_of(n)})
        stats.login_ms.append((time.perf_counter() - t) * 1000)
        if status != 200:
            stats.error(f"login {status}")
            return
        main.token = spare.token = json.loads(body)["token"]
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        t = time.perf_counter()
        status, body = await main.request("POST", f"/api/exams/{exam_id}/attempts")
        stats.start_ms.append((time.perf_counter() - t) * 1000)
        stats.started_at.append(time.perf_counter())
        if status not in (200, 201):
            stats.error(f"start {status}")
            return
        attempt = json.loads(body)
        questions = attempt["questions"]
        given: dict[str, Any] = {}  # question id -> the answer acknowledged by the server
        reload_at = rng.randrange(len(questions) // 4, 3 * len(questions) // 4) if rng.random() < args.resume else -1
        busy: dict[int, asyncio.Future[None]] = {}  # id(connection) -> its save in flight
        connections = (main, spare)

        def free() -> Connection | None:
            return next((c for c in connections if id(c) not in busy or busy[id(c)].done()), None)

        async def settle() -> None:
            pending = [task for task in busy.values() if not task.done()]
            if pending:
                await asyncio.gather(*pending)

        async def save(conn: Connection, question: dict[str, Any]) -> None:
            answer = answer_for(question, rng)
            t = time.perf_counter()
            try:
                status, _ = await conn.request("PUT", f"/api/attempts/{attempt['id']}/answers/{question['id']}",
                                               {"answer": answer})
            except Exception as exc:  # counted, never silent
                stats.error(f"save {type(exc).__name__}")
                return
            done = time.perf_counter()
            stats.save_ms.append((done - t) * 1000)
            stats.save_done.append(done)
            if status == 200:
                given[str(question["id"])] = answer
                stats.saves_ok += 1
                stats.first_save = stats.first_save or t
                stats.last_save = max(stats.last_save, done)
            else:
                stats.error(f"save {status}")

        begin = time.perf_counter()
        k = 0
        while k < len(questions):
            due = begin + (k + rng.random()) * args.think
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if k == reload_at:  # the phone reloads the page: the saves in hand finish, the page asks again
                await settle()
                await main.close()
                await spare.close()
                t = time.perf_counter()
                status, body = await main.request("POST", f"/api/exams/{exam_id}/attempts")
                stats.resume_ms.append((time.perf_counter() - t) * 1000)
                if status != 200:
                    stats.error(f"resume {status}")
                    return
                resumed = json.loads(body)
                if resumed["id"] != attempt["id"] or resumed["answers"] != given:
                    stats.error("resume without the saved answers")
                stats.resume_checked += 1
            # Autosave in the background: the next answer does not wait for this one's reply (a phone with both
            # connections busy waits for one). Now and then the next answer follows at once: two saves in flight.
            conn = free()
            while conn is None:
                await asyncio.wait(list(busy.values()), return_when=asyncio.FIRST_COMPLETED)
                conn = free()
            busy[id(conn)] = asyncio.ensure_future(save(conn, questions[k]))
            k += 1
            second = free()
            if k < len(questions) and second is not None and rng.random() < args.overlap:
                busy[id(second)] = asyncio.ensure_future(save(second, questions[k]))
                stats.overlapped += 1
                k += 1
        await settle()
        t = time.perf_counter()
        stats.submit_at.append(t)
        status, _ = await main.request("POST", f"/api/attempts/{attempt['id']}/submit")
        stats.submit_ms.append((time.perf_counter() - t) * 1000)
        if status != 200:
            stats.error(f"submit {status}")
    except Exception as exc:  # counted, never silent
        stats.error(type(exc).__name__)
    finally:
        await main.close()
        await spare.close()


async def run_phones(args: argparse.Namespace, exam_id: int, stats: PhoneStats) -> float:
    origin = time.perf_counter()

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            print(f"  {time.perf_counter() - origin:.0f} s: {len(stats.login_ms)} logged in, {stats.saves_ok} saves, "
                  f"{len(stats.resume_ms)} resumes, {len(stats.submit_ms)} submitted, errors {stats.errors or 0}",
                  flush=True)

    reporter = asyncio.ensure_future(progress())
    await asyncio.gather(*(phone(n, args, exam_id, stats, origin) for n in range(args.candidates)))
    reporter.cancel()
    return time.perf_counter() - origin


# --- the run -----------------------------------------------------------------------------------------

def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({cpu or platform.machine()}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc)."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if proc.poll() is not None:
            raise SystemExit(f"quiz serve exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("quiz serve did not become ready")


def check_database(url: str, candidates: int, per_paper: int) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    sys.path.insert(0, str(ROOT))
    from quiz.db import normalise_url

    engine = create_engine(normalise_url(url))
    con = engine.connect()
    try:
        one = lambda sql: int(con.execute(text(sql)).scalar_one())  # noqa: E731
        return {
            "answers": one("SELECT count(*) FROM attempt_answer WHERE answer IS NOT NULL"),
            "rows": one("SELECT count(*) FROM attempt_answer"),
            "duplicates": one("SELECT count(*) FROM (SELECT attempt_id, question_id FROM attempt_answer "
                              "GROUP BY attempt_id, question_id HAVING count(*) > 1) AS dup"),
            "attempts": one("SELECT count(*) FROM exam_attempt"),
            "submitted": one("SELECT count(*) FROM exam_attempt WHERE status = 'submitted'"),
            "answered_total": one("SELECT coalesce(sum(answered), 0) FROM exam_attempt"),
            "expected": candidates * per_paper,
        }
    finally:
        con.close()
        engine.dispose()


@contextlib.contextmanager
def postgres_database(server: str) -> Any:
    """A fresh PostgreSQL database on ``server`` for one run (dropped afterwards): its URL."""
    import psycopg

    name = f"exam_bench_{os.getpid()}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def time_exports(port: int, exam_id: int, token: str) -> dict[str, tuple[float, int]]:
    import httpx

    timings = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as client:
        for fmt in ("xlsx", "csv", "json"):
            best = None
            for _ in range(2):
                t = time.perf_counter()
                response = client.get(f"/api/exams/{exam_id}/results", params={"format": fmt, "limit": 100000})
                elapsed = time.perf_counter() - t
                response.raise_for_status()
                best = min(best or elapsed, elapsed)
            timings[fmt] = (best or 0.0, len(response.content))
    return timings


def write_docs(text: str) -> None:
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    block = text.rstrip() + "\n\n"
    updated = pattern.sub(lambda _m: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block
    DOCS.write_text(updated, encoding="utf-8")


def postgres_version(server: str) -> str:
    import psycopg

    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://")) as con:
        row = con.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else ""


def run_server(args: argparse.Namespace, url: str, workdir: Path) -> tuple[Any, ...]:
    """Seed, start ``quiz serve`` on ``url``, run the load, check the database and time the exports."""
    phones = args.mix == "phones"
    print(f"seeding {0 if phones else args.candidates} candidates in {url} …", flush=True)
    exam_id, tokens, org_token = seed(url, 0 if phones else args.candidates, args.questions, args.units)
    env = {**os.environ, "QUIZ_DATABASE_URL": url, "QUIZ_SECRET_KEY": hashlib.sha256(b"bench").hexdigest()}
    quiz = shutil.which("quiz", path=str(Path(sys.executable).parent)) or "quiz"
    command = [quiz, "serve", "--port", str(args.port), "--workers", str(args.workers)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=workdir)
    try:
        wait_ready(args.port, proc)
        if phones:
            args.import_s = import_roster(args.port, org_token, args.candidates, args.units)
            print(f"quiz serve on port {args.port}; roster of {args.candidates} imported in {args.import_s:.1f} s; "
                  f"they log in over {args.login_ramp:g} s, start over the last {args.ramp:g} s of it, an answer every {args.think:g} s each (≈ "
                  f"{args.candidates / args.think:.0f} saves/s offered once all answer)", flush=True)
        else:
            print(f"quiz serve on port {args.port}; {args.active} candidates at a time, an answer every "
                  f"{args.think:g} s each (≈ {args.active / args.think:.0f} saves/s offered)", flush=True)
        stats = PhoneStats() if phones else Stats()
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        load_before = os.getloadavg()[0]
        cpu_before, load_cpu_before = cpu_seconds(proc.pid), time.process_time()
        if phones:
            assert isinstance(stats, PhoneStats)
            elapsed = asyncio.run(run_phones(args, exam_id, stats))
        else:
            elapsed = asyncio.run(run_load(args, exam_id, tokens, stats))
        server_cpu = cpu_seconds(proc.pid) - cpu_before
        load_cpu = time.process_time() - load_cpu_before
        time.sleep(1)
        counts = check_database(url, args.candidates, args.questions)
        exports = time_exports(args.port, exam_id, org_token)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            proc.kill()
    return stats, counts, exports, elapsed, server_cpu, load_cpu, load_before


def phones_report(args: argparse.Namespace, where: str, stats: PhoneStats, counts: dict[str, int],
                  exports: dict[str, tuple[float, int]], elapsed: float, server_cpu: float, load_cpu: float,
                  load_before: float) -> tuple[str, bool]:
    # Full load: while at least 80 % of the candidates are mid-paper (started, not yet submitting).
    events = sorted([(t, 1) for t in stats.started_at] + [(t, -1) for t in stats.submit_at])
    answering, busy_moments = 0, []
    for moment, change in events:
        answering += change
        if answering >= 0.8 * args.candidates:
            busy_moments.append(moment)
    full_from, full_to = (busy_moments[0], busy_moments[-1]) if busy_moments else (0.0, 0.0)
    full = [ms for ms, done in zip(stats.save_ms, stats.save_done, strict=True) if full_from <= done <= full_to]
    full_rate = len(full) / max(1e-9, full_to - full_from)
    per_second: dict[int, int] = {}
    for done in stats.save_done:
        per_second[int(done)] = per_second.get(int(done), 0) + 1
    save_window = max(1e-9, stats.last_save - stats.first_save)
    ok = (counts["answers"] == counts["expected"] == stats.saves_ok and counts["duplicates"] == 0
          and counts["submitted"] == args.candidates and not stats.errors)
    s = stats
    lines = [
        f"`{' '.join(['.venv/bin/python', 'bench/exam_window.py'] + sys.argv[1:])}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {machine()}; `quiz serve --workers {args.workers}` "
        f"on {where}; load generator on the same machine; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| roster import ({args.candidates:,} accounts with passwords, argon2) | {getattr(args, 'import_s', 0):.1f} s "
        "| |",
        f"| login p50 / p99 | {pct(s.login_ms, 50):.0f} / {pct(s.login_ms, 99):.0f} ms | |",
        f"| autosaves at full load ({full_to - full_from:.0f} s, ≥ 80 % of {args.candidates:,} answering) | {len(full):,} = "
        f"**{full_rate:,.0f} saves/s** (busiest second {max(per_second.values() or [0]):,}) | ≥ 1,000 saves/s |",
        f"| autosave latency at full load p50 / p95 / p99 / max | {pct(full, 50):.1f} / {pct(full, 95):.1f} / "
        f"**{pct(full, 99):.1f}** / {max(full or [0]):.0f} ms | p99 ≤ 100 ms |",
        f"| autosaves, whole run | {s.saves_ok:,} in {save_window:.0f} s; p50 / p99 / max {pct(s.save_ms, 50):.1f} / "
        f"**{pct(s.save_ms, 99):.1f}** / {max(s.save_ms or [0]):.0f} ms; {s.overlapped:,} sent while the "
        "candidate's previous one was in flight | p99 ≤ 100 ms |",
        f"| start (draw the paper) p50 / p99 | {pct(s.start_ms, 50):.1f} / {pct(s.start_ms, 99):.1f} ms | |",
        f"| resume (start again mid-paper) p50 / p99 | {pct(s.resume_ms, 50):.1f} / **{pct(s.resume_ms, 99):.1f}** ms; "
        f"{s.resume_checked:,} resumes, each with every acknowledged answer | p99 ≤ 300 ms |",
        f"| submit (grade) p50 / p99 | {pct(s.submit_ms, 50):.1f} / **{pct(s.submit_ms, 99):.1f}** ms | p99 ≤ 300 ms |",
        f"| answers in the database | {counts['answers']:,} of {counts['expected']:,} expected, "
        f"{counts['duplicates']} duplicated; {counts['submitted']:,} of {args.candidates:,} attempts submitted | "
        "none lost or duplicated |",
        f"| errors | {s.errors or 'none'} | none |",
        f"| server CPU during the load | {server_cpu:.0f} s in {elapsed:.0f} s = {100 * server_cpu / elapsed:.0f} % of "
        f"one core (load generator {load_cpu:.0f} s) | |",
        f"| results export | xlsx {exports['xlsx'][0]:.2f} s, csv {exports['csv'][0]:.2f} s, json "
        f"{exports['json'][0]:.2f} s | |",
        "",
        f"Verdict: {'all checks passed' if ok else 'CHECKS FAILED'}.",
    ]
    return "\n".join(lines), ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mix", choices=("window", "phones"), default="window",
                        help="window: candidates with tokens start, save and submit at a steady rate; phones: an "
                             "imported roster logs in, starts at random moments, saves in the background (now "
                             "and then two in flight), reloads once mid-paper (start again = resume), submits")
    parser.add_argument("--candidates", type=int, default=None, help="10,000 (window) or 2,000 (phones)")
    parser.add_argument("--questions", type=int, default=30, help="questions per paper (a multiple of 30)")
    parser.add_argument("--active", type=int, default=2000, help="candidates answering at the same time")
    parser.add_argument("--think", type=float, default=None,
                        help="seconds between two answers of one candidate: 2 (window) or 1.6 (phones)")
    parser.add_argument("--overlap", type=float, default=0.1,
                        help="phones: chance that the next answer is saved at once, two saves in flight")
    parser.add_argument("--resume", type=float, default=1.0,
                        help="phones: share of candidates whose phone reloads the paper once mid-way")
    parser.add_argument("--ramp", type=float, default=None,
                        help="seconds over which the first --active candidates start (default: one paper's "
                             "duration, questions × think, so candidates come and go at a steady rate)")
    parser.add_argument("--login-ramp", type=float, default=60.0,
                        help="phones: seconds over which the candidates log in; they start over the last --ramp "
                             "seconds of it (default ramp for phones: 30 s)")
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1, help="quiz serve --workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--postgres", metavar="URL", nargs="?", const="postgresql://127.0.0.1:5432/test",
                        help="run on a fresh PostgreSQL database created on this server (default: the local one)")
    parser.add_argument("--write-docs", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    args = parser.parse_args()
    args.port = free_port()
    phones = args.mix == "phones"
    if phones and args.write_docs:
        parser.error("--write-docs rewrites the window section; copy a phones report by hand")
    if args.candidates is None:
        args.candidates = 2000 if phones else 10_000
    if args.think is None:
        args.think = 1.6 if phones else 2.0
    if args.ramp is None:
        args.ramp = 30.0 if phones else args.questions * args.think
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    workdir = Path(tempfile.mkdtemp(prefix="exam-window-"))
    db_path = workdir / "bench.db"
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_database(args.postgres)) if args.postgres else f"sqlite:///{db_path}"
        stats, counts, exports, elapsed, server_cpu, load_cpu, load_before = run_server(args, url, workdir)
    where = "PostgreSQL " + postgres_version(args.postgres) if args.postgres else "SQLite (WAL)"
    if phones:
        assert isinstance(stats, PhoneStats)
        report, ok = phones_report(args, where, stats, counts, exports, elapsed, server_cpu, load_cpu, load_before)
        return finish(args, report, ok, db_path, workdir)
    save_window = max(1e-9, stats.last_save - stats.first_save)
    rate = stats.saves_ok / save_window
    # Full load: from the end of the first wave's ramp until the last candidate started (after it the
    # number answering falls); the rate and the latencies of the saves completed in that span.
    full_from, full_to = stats.first_save + args.ramp, stats.last_start
    full = [ms for ms, done in zip(stats.save_ms, stats.save_done, strict=True) if full_from <= done <= full_to]
    full_rate = len(full) / max(1e-9, full_to - full_from)
    ok = (counts["answers"] == counts["expected"] == stats.saves_ok and counts["duplicates"] == 0
          and counts["submitted"] == args.candidates and not stats.errors)
    lines = [
        SECTION,
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/exam_window.py'] + sys.argv[1:])}` — "
        f"{time.strftime('%Y-%m-%d')}, {machine()}; `quiz serve --workers {args.workers}` on {where}, "
        "load generator in the same machine (one asyncio process, keep-alive HTTP/1.1, one connection per active "
        "candidate). Users and tokens are written directly to the database.",
        "",
        f"{args.candidates:,} candidates each start the test (a {args.questions}-question paper drawn for them), "
        f"answer every question with an autosave (PUT), and submit; {args.active:,} answer at the same time, one "
        f"answer every {args.think:g} s each (the first {args.active:,} start over {args.ramp:g} s, the others as "
        "places free up, so candidates come and go at a steady rate). Latencies are measured by the client from "
        "sending a request to its last byte.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| autosaves at full load ({full_to - full_from:.0f} s, all {args.active:,} answering) | {len(full):,} = "
        f"**{full_rate:,.0f} saves/s** | ≥ 1,000 saves/s |",
        f"| autosave latency at full load p50 / p95 / p99 / max | {pct(full, 50):.1f} / {pct(full, 95):.1f} / "
        f"**{pct(full, 99):.1f}** / {max(full or [0]):.0f} ms | p99 ≤ 100 ms |",
        f"| autosaves, whole run (ramp up and down included) | {stats.saves_ok:,} in {save_window:.0f} s = "
        f"{rate:,.0f} saves/s | |",
        f"| autosave latency, whole run p50 / p95 / p99 / max | {pct(stats.save_ms, 50):.1f} / "
        f"{pct(stats.save_ms, 95):.1f} / {pct(stats.save_ms, 99):.1f} / {max(stats.save_ms or [0]):.0f} ms | |",
        f"| start (draw the paper) p50 / p99 | {pct(stats.start_ms, 50):.1f} / {pct(stats.start_ms, 99):.1f} ms | |",
        f"| submit (grade) p50 / p99 | {pct(stats.submit_ms, 50):.1f} / {pct(stats.submit_ms, 99):.1f} ms | |",
        f"| answers in the database | {counts['answers']:,} of {counts['expected']:,} expected, "
        f"{counts['duplicates']} duplicated; {counts['submitted']:,} of {args.candidates:,} attempts submitted | "
        "none lost or duplicated |",
        f"| errors | {stats.errors or 'none'} | none |",
        f"| results export, {args.candidates:,} candidates | xlsx **{exports['xlsx'][0]:.2f} s** "
        f"({exports['xlsx'][1] / 1e6:.1f} MB), csv {exports['csv'][0]:.2f} s, json {exports['json'][0]:.2f} s | ≤ 3 s |",
        "",
        f"Whole run: {elapsed:.0f} s of load; CPU used by the server {server_cpu:.0f} s "
        f"({server_cpu * 1000 / max(1, len(stats.save_ms) + len(stats.start_ms) + len(stats.submit_ms)):.2f} ms a request), "
        f"by the load generator {load_cpu:.0f} s; machine load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after. "
        f"Verdict: {'all checks passed' if ok else 'CHECKS FAILED'}.",
    ]
    return finish(args, "\n".join(lines), ok, db_path, workdir)


def finish(args: argparse.Namespace, report: str, ok: bool, db_path: Path, workdir: Path) -> int:
    print("\n" + report + "\n")
    if args.write_docs:
        write_docs(report)
        print(f"updated {DOCS}")
    if args.keep:
        print(f"database kept in {db_path}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
