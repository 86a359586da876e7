"""Crash recovery: a real ``quiz serve`` killed with SIGKILL mid-question and started again on the same
database and port. Every acknowledged answer must survive, the question and its deadline must be the
same, and the reveal must count exactly the acknowledged answers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from quiz.accounts import issue_token, upsert_user
from quiz.db import Database
from tests.live.conftest import seed_live_bank

pytestmark = pytest.mark.slow
PLAYERS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUIZ_DATABASE_URL": database_url, "QUIZ_SECRET_KEY": "recovery-test"}
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "quiz.cli", "serve", "--port", str(port)], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start")


async def receive(ws: ClientConnection, kind: str, timeout_s: float = 10) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout_s))
        if message["type"] == kind:
            return dict(message)


class Setup:
    def __init__(self, database_url: str) -> None:
        db = Database(database_url)
        db.migrate()

        class App:  # seed_live_bank wants something with .state.db
            class state:
                pass

        App.state.db = db  # type: ignore[attr-defined]
        now = int(time.time() * 1000)
        with db.write() as session:
            user, _ = upsert_user(session, username="host", password="secret123", name="主持人", role="host",
                                  unit="", now_ms=now, overwrite=True)
            self.token = issue_token(session, user, now, 1)
        self.bank_id, self.ids = seed_live_bank(App)
        db.dispose()


async def test_a_killed_server_resumes_the_game_with_every_acknowledged_answer(database_url: str,
                                                                               tmp_path: Path) -> None:
    setup = Setup(database_url)
    port = free_port()
    log = tmp_path / "server.log"
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    server = start_server(database_url, port, log)
    try:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {setup.token}"}) as http:
            created = await http.post("/api/live", json={"title": "断电恢复", "bank_id": setup.bank_id, "segments": [
                {"kind": "all", "question_ids": setup.ids[:2], "time_limit_s": 120, "points": 10}]})
            assert created.status_code == 201, created.text
        game = created.json()
        pin = game["pin"]
        host = await connect(f"{ws_base}/ws/live/{pin}?role=host&token={game['host_token']}")
        await receive(host, "state")
        players, resumes = [], []
        for i in range(PLAYERS):
            ws = await connect(f"{ws_base}/ws/live/{pin}?role=player")
            await ws.send(json.dumps({"type": "join", "name": f"选手{i}"}))
            resumes.append((await receive(ws, "welcome"))["resume"])
            await receive(ws, "state")
            players.append(ws)
        await host.send(json.dumps({"type": "host", "action": "start"}))
        question = await receive(players[0], "question")
        qid, deadline = question["question"]["id"], question["deadline_ms"]
        answers = {i: "ABCD"[i % 4] for i in range(PLAYERS - 2)}  # two players do not answer: the question stays open
        for i, value in answers.items():
            await players[i].send(json.dumps({"type": "answer", "id": f"a{i}", "question": qid, "answer": value}))
        acks = [await receive(players[i], "ack") for i in answers]
        assert all(a["accepted"] for a in acks)

        server.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed survives
        server.wait(10)
        for ws in [host, *players]:
            await ws.close()

        server = start_server(database_url, port, log)
        for i, token in enumerate(resumes):
            async with connect(f"{ws_base}/ws/live/{pin}?role=player&token={token}") as ws:
                welcome = await receive(ws, "welcome")
                assert welcome["player"]["name"] == f"选手{i}"
                state = await receive(ws, "state")
                assert state["phase"] == "question"
                assert state["question"]["id"] == qid and state["deadline_ms"] == deadline
                assert state["you"]["answered"] is (i in answers)
                assert state["you"]["answer"] == ([answers[i]] if i in answers else None)
        async with connect(f"{ws_base}/ws/live/{pin}?role=host&token={game['host_token']}") as host:
            state = await receive(host, "state")
            assert state["counts"] == {"joined": PLAYERS, "answered": len(answers), "buzzes": 0}
            await host.send(json.dumps({"type": "host", "action": "close"}))
            closed = await receive(host, "closed")
            assert closed["answered"] == len(acks)
            await host.send(json.dumps({"type": "host", "action": "reveal"}))
            reveal = await receive(host, "reveal")
        assert sum(reveal["distribution"].values()) == len(acks)
        assert reveal["distribution"] == {k: sum(1 for v in answers.values() if v == k) for k in "ABCD"}
    finally:
        server.kill()
        server.wait(10)
