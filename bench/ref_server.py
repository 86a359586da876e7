"""A minimal reference server for the live-game benchmark, written with the bare ``websockets`` library.

It speaks just enough of CONTRACT §7 for ``bench/live_load.py``: ``join`` → ``welcome`` + ``state``
(and ``joined`` to host and screen); a ``segment`` message before the first question;
the host's ``start``/``next``/``close``/``reveal``/``finish``; ``answer`` → ``ack`` (first answer per
player and question, same ``id`` → same ack); ``closed`` when everyone answered; ``ping`` → ``pong``.
Everything stays in memory (no database, no per-player reveal) and fan-out is
``websockets.broadcast``: the floor against which our server's figures are compared.

    python bench/ref_server.py --port 8765 [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.asyncio.server import broadcast as _broadcast

TRACE = os.environ.get("QUIZ_LIVE_TRACE") == "1"


def broadcast(connections: Any, message: str) -> None:
    """`websockets.broadcast`, timed to the log with QUIZ_LIVE_TRACE=1 (wall and CPU time, as our trace does)."""
    if not TRACE:
        _broadcast(connections, message)
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    _broadcast(connections, message)
    print(f"{wall:.3f} broadcast n={len(connections)} deliver={(time.perf_counter() - wall) * 1000:.1f}ms "
          f"cpu={(time.thread_time() - cpu) * 1000:.1f}ms {message[:20]}", file=sys.stderr, flush=True)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


OPTIONS = [{"key": k, "text": f"选项{k}：一个长度与真题相当的答案选项"} for k in "ABCD"]


class Game:
    def __init__(self, questions: int, time_limit_ms: int) -> None:
        self.questions = questions
        self.time_limit_ms = time_limit_ms
        self.players: dict[ServerConnection, int] = {}
        self.hosts: set[ServerConnection] = set()
        self.screens: set[ServerConnection] = set()
        self.index = 0
        self.open = False
        self.deadline = 0
        self.answers: dict[int, str] = {}
        self.acks: dict[tuple[int, str], str] = {}

    def everyone(self) -> list[ServerConnection]:
        return [*self.players, *self.screens, *self.hosts]

    def question(self, now: int) -> dict[str, Any]:
        self.deadline = now + self.time_limit_ms
        self.open, self.answers = True, {}
        return {"type": "question", "question": {"id": self.index, "type": "single",
                                                 "stem": f"第{self.index}题：中国共产党第一次全国代表大会在哪里召开？",
                                                 "options": OPTIONS},
                "index": self.index, "count": self.questions, "segment": {"kind": "all", "title": "全员答题", "index": 1},
                "points": 10, "deadline_ms": self.deadline, "now_ms": now, "team_id": None}

    def close(self) -> None:
        self.open = False
        broadcast(self.everyone(), dumps({"type": "closed", "question": self.index, "answered": len(self.answers)}))

    async def handle(self, ws: ServerConnection, message: dict[str, Any], role: str) -> None:
        kind = message.get("type")
        if kind == "ping":
            await ws.send(dumps({"type": "pong", "now_ms": now_ms()}))
        elif kind == "join" and role == "player":
            player_id = len(self.players) + 1
            self.players[ws] = player_id
            await ws.send(dumps({"type": "welcome", "role": "player", "player": {"id": player_id, "name": message.get("name"),
                                 "team_id": None}, "resume": f"r{player_id}", "now_ms": now_ms()}))
            await ws.send(dumps({"type": "state", "phase": "lobby", "now_ms": now_ms()}))
            joined = dumps({"type": "joined", "player": {"id": player_id}, "count": len(self.players)})
            broadcast([*self.hosts, *self.screens], joined)
        elif kind == "answer" and ws in self.players:
            player_id = self.players[ws]
            key = (player_id, str(message.get("id")))
            if key in self.acks:
                await ws.send(self.acks[key])
                return
            now = now_ms()
            accepted = self.open and message.get("question") == self.index and player_id not in self.answers
            reason = None if accepted else ("late" if now > self.deadline else "duplicate")
            if accepted:
                self.answers[player_id] = str(message.get("answer"))
            ack = dumps({"type": "ack", "id": key[1], "question": message.get("question"), "accepted": accepted,
                         "reason": reason, "at_ms": now})
            self.acks[key] = ack
            await ws.send(ack)
            if accepted and len(self.answers) >= len(self.players):
                self.close()
        elif kind == "host" and role == "host":
            action = message.get("action")
            if action in ("start", "next"):
                # Fan-out is measured from the host's command (as our server stamps `now_ms`): taken before
                # the first question's segment goes out, not after.
                now = now_ms()
                self.index += 1
                if self.index == 1:  # as our server does: a segment is announced before its first question
                    broadcast(self.everyone(), dumps({"type": "segment", "segment": {"kind": "all", "title": "全员答题",
                                                      "index": 1}, "team_ids": [], "order": None, "groups": None}))
                broadcast(self.everyone(), dumps(self.question(now)))
            elif action == "close":
                self.close()
            elif action == "reveal":
                distribution = {k: 0 for k in "ABCD"}
                for value in self.answers.values():
                    distribution[value] = distribution.get(value, 0) + 1
                broadcast(self.everyone(), dumps({"type": "reveal", "question": self.index, "answer": ["C"],
                                                  "explanation": "解析", "distribution": distribution}))
            elif action == "finish":
                broadcast(self.everyone(), dumps({"type": "finished", "teams": [], "players": []}))


async def main(port: int, deflate: bool, questions: int, time_limit_s: float) -> None:
    game = Game(questions, int(time_limit_s * 1000))

    async def handler(ws: ServerConnection) -> None:
        query = ws.request.path.partition("?")[2] if ws.request else ""
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        role = params.get("role", "player")
        if role == "host":
            game.hosts.add(ws)
        elif role == "screen":
            game.screens.add(ws)
        if role != "player":
            await ws.send(dumps({"type": "welcome", "role": role, "now_ms": now_ms()}))
            await ws.send(dumps({"type": "state", "phase": "lobby", "now_ms": now_ms()}))
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    await ws.send(dumps({"type": "error", "code": "invalid_json"}))
                    continue
                if isinstance(message, dict):
                    await game.handle(ws, message, role)
        finally:
            game.players.pop(ws, None)
            game.hosts.discard(ws)
            game.screens.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression="deflate" if deflate else None, ping_interval=20,
                     max_queue=16, backlog=4096):
        print(f"ref server on ws://127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=30)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.port, args.deflate, args.questions, args.time_limit))
