"""Practice under load: ``quiz serve`` on a temporary SQLite database, driven by wrk.

Seeds a bank and N members with tokens, starts ``quiz serve`` in a subprocess, warms it up, then
runs wrk with ``bench/practice.lua`` (one connection per wrk thread: each starts random practice
sessions and answers every question, right or wrong, rotating through its members, so records,
wrong-book rows and sessions keep growing). Prints wrk's report and a summary; exits 1 if any request
failed or the stored answers do not add up to the sessions' counters.

    .venv/bin/python bench/practice_wrk.py --members 400 --threads 8 --duration 30s

Target (docs/benchmarks.md): ≥ 1,000 requests/s with p99 ≤ 50 ms on 2 cores, SQLite. The summary
also gives the server's CPU time per request, which varies much less than throughput when other
processes share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("practice.lua")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, members: int, questions: int, tokens_file: Path) -> None:
    """A bank of ``questions`` (single, multiple, judge, fill; 12 tags) and ``members`` members with tokens."""
    sys.path.insert(0, str(ROOT))
    from question_bank.formats import QuestionData
    from question_bank.models import Bank
    from question_bank.service import insert_questions
    from quiz.accounts import hash_password, issue_token
    from quiz.db import Database
    from quiz.models import User
    from quiz.timeutil import Clock

    db = Database(url)
    db.migrate()
    now = Clock().now_ms()
    rng = random.Random(7)
    items = []
    for i in range(questions):
        tags = [f"专题{i % 12}", "全部"]
        kind = ("single", "single", "multiple", "judge", "fill")[i % 5]
        if kind == "single":
            items.append(QuestionData(type="single", stem=f"第 {i} 题：下列哪一项正确？", tags=tags,
                                      options=[{"key": k, "text": f"选项 {k}{i}"} for k in "ABCD"],
                                      answer=[rng.choice("AB")], explanation=f"解析 {i}", difficulty=1 + i % 5))
        elif kind == "multiple":
            items.append(QuestionData(type="multiple", stem=f"第 {i} 题：下列哪些正确？", tags=tags,
                                      options=[{"key": k, "text": f"选项 {k}{i}"} for k in "ABCD"],
                                      answer=["A", "B"], explanation=f"解析 {i}"))
        elif kind == "judge":
            items.append(QuestionData(type="judge", stem=f"第 {i} 题的说法正确。", tags=tags, answer=[rng.random() < 0.5]))
        else:
            items.append(QuestionData(type="fill", stem=f"第 {i} 题：中华人民共和国的首都是（）。", tags=tags,
                                      answer=[["北京", "北京市"]]))
    password = hash_password("bench-pass")
    with db.write() as session:
        bank = Bank(name="压测题库", created_ms=now)
        session.add(bank)
        session.flush()
        insert_questions(session, bank.id or 0, items, now)
        lines = []
        for n in range(members):
            user = User(username=f"bench{n:05d}", name=f"党员{n}", role="member", unit=f"单位{n % 20}",
                        password_hash=password, created_ms=now)
            session.add(user)
            session.flush()
            lines.append(f"{bank.id} {issue_token(session, user, now, 30)}")
    db.dispose()
    tokens_file.write_text("\n".join(lines) + "\n")


def wait_ready(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("quiz serve did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    """CPU of the server process and, with --workers, of its worker processes."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        total += sum(cpu_seconds(int(c)) for c in children.read_text().split())
    return total


def run_wrk(base: str, threads: int, duration: str, tokens: Path, count: int) -> str:
    env = {**os.environ, "WRK_TOKENS": str(tokens), "WRK_THREADS": str(threads), "WRK_COUNT": str(count)}
    cmd = ["wrk", "-t", str(threads), "-c", str(threads), "-d", duration, "--timeout", "5s", "--latency",
           "-s", str(LUA), base]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout


def parse(report: str) -> dict[str, float]:
    values: dict[str, float] = {}
    match = re.search(r"Requests/sec:\s+([\d.]+)", report)
    values["requests_per_s"] = float(match.group(1)) if match else 0.0
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    values["non_2xx"] = float(match.group(1)) if match else 0.0
    match = re.search(r"Socket errors:.*", report)
    values["socket_errors"] = 1.0 if match else 0.0
    for key, value in re.findall(r"^([A-Z_0-9.]+) ([\d.]+)$", report, re.M):
        values[key.lower()] = float(value)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8,
                        help="wrk threads = connections (8 saturate one server process on 2 cores; more only queue)")
    parser.add_argument("--duration", default="30s")
    parser.add_argument("--warmup", default="5s")
    parser.add_argument("--count", type=int, default=20, help="questions per practice session")
    parser.add_argument("--workers", type=int, default=1, help="quiz serve --workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="quiz-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    tokens = workdir / "tokens.txt"
    started = time.perf_counter()
    seed(url, args.members, args.questions, tokens)
    print(f"seeded {args.questions} questions and {args.members} members in {time.perf_counter() - started:.1f} s",
          flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "QUIZ_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "quiz.cli", "serve", "--port", str(port), "--workers",
                               str(args.workers)], cwd=workdir, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(base)
        run_wrk(base, args.threads, args.warmup, tokens, args.count)
        cpu_before = server_cpu(server.pid)
        report = run_wrk(base, args.threads, args.duration, tokens, args.count)
        cpu_used = server_cpu(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(20)
    print(report)
    values = parse(report)

    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func
    from sqlmodel import select

    from quiz.db import Database
    from quiz.models import PracticeRecord, PracticeSession, WrongBookEntry

    db = Database(url)
    with db.read() as session:
        records = session.exec(select(func.count()).select_from(PracticeRecord)).one()
        sessions = session.exec(select(func.count()).select_from(PracticeSession)).one()
        wrong = session.exec(select(func.count()).select_from(WrongBookEntry)).one()
        done = session.exec(select(func.sum(PracticeSession.done))).one()
    db.dispose()
    requests = re.search(r"(\d+) requests in", report)
    served = int(requests.group(1)) if requests else 0
    summary = {"requests_per_s": values["requests_per_s"],
               "server_cpu_ms_per_request": round(cpu_used * 1000 / served, 3) if served else None, "p50_ms": values.get("latency_p50_ms"),
               "p99_ms": values.get("latency_p99_ms"), "max_ms": values.get("latency_max_ms"),
               "non_2xx": int(values["non_2xx"]), "failed": int(values.get("failed", 0)),
               "db_records": records, "db_sessions": sessions, "db_wrong_book": wrong,
               "records_match_sessions": records == done}
    print("SUMMARY " + json.dumps(summary, ensure_ascii=False))
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    ok = summary["non_2xx"] == 0 and summary["failed"] == 0 and summary["records_match_sessions"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
