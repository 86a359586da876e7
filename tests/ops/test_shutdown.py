"""`quiz serve` on SIGTERM: stops taking new connections, finishes the request in hand, then exits; a request that
never completes holds the exit back no longer than QUIZ_SHUTDOWN_GRACE_S. Its log is JSON lines on stderr."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quiz.db import Database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "shutdown-secret-55"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    from quiz.accounts import upsert_user

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    db = Database(url)
    db.migrate()
    with db.write() as session:
        upsert_user(session, username="alice", password=PASSWORD, name="alice", role="member", unit="",
                    now_ms=int(time.time() * 1000), overwrite=True)
    db.dispose()
    started: list[subprocess.Popen[bytes]] = []

    def start(grace_s: float) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        env = {**os.environ, "QUIZ_DATABASE_URL": url, "QUIZ_SHUTDOWN_GRACE_S": str(grace_s),
               "QUIZ_LOG_LEVEL": "info", "QUIZ_GC_FREEZE_S": "0"}
        env.pop("QUIZ_REDIS_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "quiz.cli", "serve", "--port", str(port)], cwd=tmp_path,
                                env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        started.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        return proc, port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("quiz serve did not start")

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def half_sent_login(port: int) -> tuple[socket.socket, bytes]:
    """A login whose headers and half of whose body have arrived: a request in hand."""
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    time.sleep(0.3)  # the server has read the headers: the request is in hand
    return conn, body[10:]


def read_response(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def test_sigterm_finishes_the_request_in_hand_and_refuses_new_ones(server: Any) -> None:
    proc, port = server(grace_s=10)
    conn, rest = half_sent_login(port)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(OSError):  # no new work: the listening socket is closed
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert proc.poll() is None  # still waiting for the request in hand
    conn.sendall(rest)
    response = read_response(conn)
    conn.close()
    assert response.startswith(b"HTTP/1.1 200"), response[:300]
    assert b'"token"' in response
    # uvicorn re-raises the SIGTERM it caught once it has shut down, so the exit status is the signal's
    # (what service managers expect of a process that honoured SIGTERM); a crash would be another code.
    assert proc.wait(15) in (0, -signal.SIGTERM)
    log = (proc.stderr.read() if proc.stderr else b"").decode()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    logins = [line for line in lines if line.get("path") == "/api/auth/login"]
    assert logins and logins[0]["status"] == 200 and logins[0]["method"] == "POST"
    assert PASSWORD not in log


def test_a_request_that_never_completes_delays_the_exit_by_the_grace_only(server: Any) -> None:
    proc, port = server(grace_s=1)
    conn, _ = half_sent_login(port)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    finally:
        conn.close()
    assert time.monotonic() - began < 8
