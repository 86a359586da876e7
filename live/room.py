"""A game's connections in this process, and the delivery of each stored burst to its audiences.

The runner publishes a burst as a list of operations, in the order it handled them:

    Send(event, sender)        an engine event, to its audience (an `error` only to its sender)
    Attach(client, messages)   a connection joins the room after getting `messages` (welcome, state)
    Reply(client, message)     one message to one connection (pong, refusal)

Attaching in order means a connection gets every event after its snapshot and none before.
Each message is serialised once per audience group (`json.dumps` once for ``all``); a player's
`reveal` differs only in `you`, so it is serialised once per distinct result, not per player.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from live.messages import AnswerRevealed, Error, Event


class Client(Protocol):
    """A connection as the room sees it: the socket layer implements it."""

    role: str
    player_id: int | None
    team_id: int | None
    closed: bool

    def push(self, text: str) -> None:
        """Queue one text frame without waiting; a client that cannot keep up drops itself."""
        ...


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(message: dict[str, Any]) -> str:
    """The compact JSON text of a message (Chinese as is, not as \\u escapes)."""
    return _ENCODER.encode(message)


@dataclass(slots=True)
class Send:
    event: Event
    sender: Client | None = None


@dataclass(slots=True)
class Attach:
    client: Client
    messages: list[dict[str, Any]]


@dataclass(slots=True)
class Reply:
    client: Client
    message: dict[str, Any]


Op = Send | Attach | Reply


class Room:
    """Every connection to one game in this process, grouped by audience."""

    def __init__(self) -> None:
        self.hosts: dict[Client, None] = {}
        self.screens: dict[Client, None] = {}
        self.players: dict[Client, None] = {}
        self.by_player: dict[int, list[Client]] = {}
        self.by_team: dict[int, dict[Client, None]] = {}

    def __len__(self) -> int:
        return len(self.hosts) + len(self.screens) + len(self.players)

    # --- membership ---

    def add(self, client: Client) -> None:
        if client.closed:
            return
        if client.role == "host":
            self.hosts[client] = None
        elif client.role == "screen":
            self.screens[client] = None
        elif client.player_id is not None:
            self.players[client] = None
            self.by_player.setdefault(client.player_id, []).append(client)
            if client.team_id is not None:
                self.by_team.setdefault(client.team_id, {})[client] = None

    def remove(self, client: Client) -> None:
        self.hosts.pop(client, None)
        self.screens.pop(client, None)
        if self.players.pop(client, None) is not None or client.player_id in self.by_player:
            same = self.by_player.get(client.player_id or 0, [])
            if client in same:
                same.remove(client)
            if not same:
                self.by_player.pop(client.player_id or 0, None)
            if client.team_id is not None:
                self.by_team.get(client.team_id, {}).pop(client, None)

    # --- delivery ---

    def deliver(self, ops: list[Op]) -> None:
        """Send a stored burst: each operation in order, each event to its audience only."""
        for op in ops:
            if isinstance(op, Send):
                self._send_event(op.event, op.sender)
            elif isinstance(op, Attach):
                for message in op.messages:
                    op.client.push(encode(message))
                self.add(op.client)
            else:
                op.client.push(encode(op.message))

    def _send_event(self, event: Event, sender: Client | None) -> None:
        if isinstance(event, Error) and sender is not None:
            sender.push(encode(event.to_message()))
            return
        audience = event.audience
        if audience == "players" and isinstance(event, AnswerRevealed):
            self._send_reveal(event)
            return
        text = encode(event.to_message())
        for client in self._audience(audience):
            client.push(text)

    def _audience(self, audience: str) -> tuple[Client, ...]:
        # A copy: pushing may drop a slow client, which leaves the room.
        if audience == "all":
            return (*self.players, *self.screens, *self.hosts)
        if audience == "players":
            return tuple(self.players)
        if audience == "screen":
            return tuple(self.screens)
        if audience == "host":
            return tuple(self.hosts)
        kind, _, ident = audience.partition(":")
        if kind == "team" and ident.lstrip("-").isdigit():
            return tuple(self.by_team.get(int(ident), ()))
        if kind == "player" and ident.lstrip("-").isdigit():
            return tuple(self.by_player.get(int(ident), ()))
        return ()

    def _send_reveal(self, event: AnswerRevealed) -> None:
        public = event.to_message()
        results = event.results or {}
        texts: dict[tuple[Any, ...], str] = {}
        for client in tuple(self.players):
            you = results.get(client.player_id or 0, AnswerRevealed.NO_RESULT)
            key = tuple(sorted(you.items()))
            text = texts.get(key)
            if text is None:
                text = texts[key] = encode({**public, "you": you})
            client.push(text)
