"""A game's connections in this process, and the delivery of each stored burst to its audiences.

The runner publishes a burst as a list of operations, in the order it handled them:

    Send(event, sender)        an engine event, to its audience (an `error` only to its sender)
    Attach(client, messages)   a connection joins the room after getting `messages` (welcome, state);
                               it becomes its player (``player_id``, ``team_id``) only now, when the
                               burst is stored: a join that could not be stored leaves nothing behind
    Reply(client, message)     one message to one connection (pong, refusal)
    Resync()                   a new owner took the game over: connections ask for a fresh state

Attaching in order means a connection gets every event after its snapshot and none before.
Each message is serialised once per audience group (`json.dumps` once for ``all``) into an
`Outgoing`, whose WebSocket frame is also built once and shared by all its recipients. A player's
`reveal` differs only in `you`: the shared part is encoded once and each player's `you` spliced in.
A burst is gathered per connection first and then handed over in one `push` each, so a connection
that gets several frames in one burst (``segment`` + ``question``, ``welcome`` + ``state``) gets
them in one write.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring
from typing import Any, Protocol

from live.messages import AnswerRevealed, Error, Event
from live.wsproto import text_frame


class Client(Protocol):
    """A connection as the room sees it: the socket layer implements it."""

    role: str
    player_id: int | None
    team_id: int | None
    closed: bool

    def push(self, messages: list[Outgoing]) -> None:
        """Send these messages, in order, without waiting; a client that cannot keep up drops itself."""
        ...


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# `JSONEncoder.encode` builds a C encoder (and a circular-reference table) on every call; the
# reveal encodes one `you` per player, so build it once. Messages are trees the engine made:
# no cycles to look for. (Without the C accelerator, the plain encoder.)
_C_ENCODE = c_make_encoder and c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",",
                                              False, False, True)


def encode(message: dict[str, Any]) -> str:
    """The compact JSON text of a message (Chinese as is, not as \\u escapes)."""
    return "".join(_C_ENCODE(message, 0)) if _C_ENCODE else _ENCODER.encode(message)


_JSON_BOOL = {True: "true", False: "false"}
_HEADER_16, _HEADER_64 = struct.Struct(">BBH").pack, struct.Struct(">BBQ").pack


def encode_you(you: dict[str, Any]) -> str:
    """`encode` for a player's reveal `you`, with a fast lane for the everyone-answers shape (10,000
    of them per reveal): integer points, score and rank formatted directly, three times faster than
    the encoder. Any other shape or value type goes through `encode`."""
    if len(you) == 5:
        answered, correct = you.get("answered"), you.get("correct")
        points, score, place = you.get("points"), you.get("score"), you.get("rank")
        if (type(points) is int and type(score) is int and type(place) is int
                and type(answered) is bool and type(correct) is bool):
            return (f'{{"answered":{_JSON_BOOL[answered]},"correct":{_JSON_BOOL[correct]},"points":{points},'
                    f'"score":{score},"rank":{place}}}')
    return encode(you)


class Outgoing:
    """One encoded message for any number of connections: its text, and its WebSocket frame built on
    first use and then shared (a server's frames are unmasked, so the bytes are the same for all)."""

    __slots__ = ("_text", "_frame", "_skip")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._frame: bytes | None = None
        self._skip = 0

    @classmethod
    def spliced(cls, head: bytes, tail: bytes) -> Outgoing:
        """The message whose UTF-8 text is ``head + tail``, its frame built in one copy (the per-player
        reveal: a shared head and each player's `you`); the text is decoded only if ever needed."""
        n = len(head) + len(tail)
        header = bytes((0x81, n)) if n < 126 else _HEADER_16(0x81, 126, n) if n < 65536 else _HEADER_64(0x81, 127, n)
        message = cls.__new__(cls)
        message._text, message._frame, message._skip = None, b"".join((header, head, tail)), len(header)
        return message

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = (self._frame or b"")[self._skip:].decode()
        return self._text

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame((self._text or "").encode())
        return self._frame


@dataclass(slots=True)
class Send:
    event: Event
    sender: Client | None = None


@dataclass(slots=True)
class Attach:
    client: Client
    messages: list[dict[str, Any]]
    player_id: int | None = None
    team_id: int | None = None


@dataclass(slots=True)
class Reply:
    client: Client
    message: dict[str, Any]


@dataclass(slots=True)
class Resync:
    pass


Op = Send | Attach | Reply | Resync

CLOSE_KICKED = 4409


class Room:
    """Every connection to one game in this process, grouped by audience."""

    def __init__(self) -> None:
        self.hosts: dict[Client, None] = {}
        self.screens: dict[Client, None] = {}
        self.players: dict[Client, None] = {}
        self.by_player: dict[int, list[Client]] = {}
        self.by_team: dict[int, dict[Client, None]] = {}
        self.on_resync: Any = None  # called with no arguments when a burst says `Resync`

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
        """Send a stored burst: each operation in order, each event to its audience only; then one
        `push` per connection with everything the burst has for it."""
        out: dict[Client, list[Outgoing]] = {}
        for op in ops:
            if isinstance(op, Send):
                self._send_event(op.event, op.sender, out)
            elif isinstance(op, Attach):
                _add(out, op.client, *(Outgoing(encode(message)) for message in op.messages))
                if getattr(op.client, "remote", False):
                    continue  # another worker's connection: that worker's room takes it
                if op.player_id is not None:
                    self.remove(op.client)  # (a player attached again: re-filed under its player)
                    op.client.player_id, op.client.team_id = op.player_id, op.team_id
                self.add(op.client)
            elif isinstance(op, Reply):
                _add(out, op.client, Outgoing(encode(op.message)))
            elif self.on_resync is not None:
                self.on_resync()
        # (Another worker's connections, `live.cluster.RemoteClient`, take pushes as no-ops: their worker delivers.)
        # The big screen first, whatever the order of the burst: the hall watches it, and reaching
        # 10,000 phones takes ~150 ms of system calls.
        for client in self.screens:
            if (messages := out.pop(client, None)) is not None:
                client.push(messages)
        for client, messages in out.items():
            client.push(messages)

    def _send_event(self, event: Event, sender: Client | None, out: dict[Client, list[Outgoing]]) -> None:
        # (An event relayed from another worker's engine, `live.cluster.Relayed`, says by flags what it is.)
        if (isinstance(event, Error) or getattr(event, "error", False) is True) and sender is not None:
            _add(out, sender, Outgoing(encode(event.to_message())))
            return
        audience = event.audience
        if audience == "players" and (isinstance(event, AnswerRevealed) or getattr(event, "results", None) is not None):
            self._send_reveal(event, out)  # type: ignore[arg-type]
            return
        message = Outgoing(encode(event.to_message()))
        if event.type == "kicked" and audience.startswith("player:"):
            self._close_after(self.by_player.get(int(audience[7:]), ()), out, message)
            return
        for group in self._audience(audience):
            for client in group:
                if (pending := out.get(client)) is None:
                    out[client] = [message]
                else:
                    pending.append(message)

    def _audience(self, audience: str) -> tuple[Iterable[Client], ...]:
        # No copies needed: nothing is pushed (and so nobody dropped) until the burst is gathered.
        if audience == "all":
            return self.screens, self.players, self.hosts
        if audience == "players":
            return (self.players,)
        if audience == "screen":
            return (self.screens,)
        if audience == "host":
            return (self.hosts,)
        kind, _, ident = audience.partition(":")
        if kind == "team" and ident.lstrip("-").isdigit():
            return (self.by_team.get(int(ident), ()),)
        if kind == "player" and ident.lstrip("-").isdigit():
            return (self.by_player.get(int(ident), ()),)
        return ()

    def _close_after(self, clients: Iterable[Client], out: dict[Client, list[Outgoing]], message: Outgoing) -> None:
        """A kicked player's sockets: the message, then closed with 4409 (CONTRACT §7)."""
        for client in list(clients):
            _add(out, client, message)
            close = getattr(client, "close_after_send", None)
            if close is not None:
                close(CLOSE_KICKED)

    def _send_reveal(self, event: AnswerRevealed, out: dict[Client, list[Outgoing]]) -> None:
        """Each player's reveal: the public message with their own `you` last. The public part is
        encoded once and each `you` spliced in as text; players with the same result share a frame."""
        head = (encode(event.to_message())[:-1] + ',"you":').encode()
        results = event.results or {}
        shared: dict[str, Outgoing] = {}
        spliced = Outgoing.spliced
        for client in self.players:
            you = encode_you(results.get(client.player_id or 0, AnswerRevealed.NO_RESULT))
            message = shared.get(you)
            if message is None:
                message = shared[you] = spliced(head, (you + "}").encode())
            if (pending := out.get(client)) is None:
                out[client] = [message]
            else:
                pending.append(message)


def _add(out: dict[Client, list[Outgoing]], client: Client, *messages: Outgoing) -> None:
    out.setdefault(client, []).extend(messages)
