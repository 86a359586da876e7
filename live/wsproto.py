"""uvicorn's sans-I/O WebSocket protocol with a fast lane for frames built once for many connections.

Through ASGI, every frame to a player costs a coroutine (``send``), a websockets `Frame` object, its
serialisation and a join, for each recipient. But a server's frames are not masked (RFC 6455 §5.1),
so the bytes of one text message are the same for every connection: `text_frame` builds them once
and `QuizWebSocketProtocol` lets the application write them straight to each connection's
transport, through a plain function it puts in the ASGI scope as ``scope["extensions"][RAW_WRITE]``.

The function writes only when the plain path would write at once (the handshake done, the
connection open and not closing, the transport not paused) and returns False otherwise, so the
caller falls back to ``websocket.send`` — which waits, raises or refuses exactly as before. It is
not offered when an extension (per-message deflate) was negotiated, since those frames must pass
through the extension. Keepalive pings, pongs and close frames still go through the protocol's own
state machine; whole frames interleave safely because nothing here is ever fragmented.

The way in has a fast lane too. Through ASGI, each message a client sends is put on a queue, reading
is paused, the application's task wakes up, takes it and resumes reading: a task switch and two
changes to the poller per message. An application may instead register a receiver with
``scope["extensions"][ON_TEXT](callback)``: each complete text message is then handed to
``callback(text)`` inside the protocol's `data_received`, without the queue, as long as nothing is
waiting in the queue (so the order is kept); everything else (binary messages, invalid UTF-8, the
disconnect) still goes through ``receive()``. ``set_receiver(None)`` turns it off.

``quiz serve`` runs uvicorn with ``ws="live.wsproto:QuizWebSocketProtocol"`` (``QUIZ_WS_IMPL`` may name
another). Without the extensions (other servers, Starlette's TestClient) the socket layer uses ASGI.
"""

from __future__ import annotations

from collections.abc import Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

RAW_WRITE = "quiz.raw_write"  # the ASGI scope extension: ``write(frame_bytes) -> bool``
ON_TEXT = "quiz.on_text"  # the ASGI scope extension: ``set_receiver(callback or None)``

RawWrite = Callable[[bytes], bool]
Receiver = Callable[[str], None]
SetReceiver = Callable[[Receiver | None], None]


def text_frame(payload: bytes) -> bytes:
    """A complete, unmasked, unfragmented text frame (RFC 6455 §5.2) carrying ``payload`` (UTF-8)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 65536:
        head = b"\x81\x7e" + n.to_bytes(2, "big")
    else:
        head = b"\x81\x7f" + n.to_bytes(8, "big")
    return head + payload


class QuizWebSocketProtocol(WebSocketsSansIOProtocol):
    """`WebSocketsSansIOProtocol` that offers the application `raw_write` and `set_receiver` in the scope."""

    receiver: Receiver | None = None
    heard_at = 0.0  # loop time of the last bytes from the peer

    def data_received(self, data: bytes) -> None:
        self.heard_at = self.loop.time()
        super().data_received(data)

    def send_keepalive_ping(self) -> None:
        """Ping only a connection that has been silent for a whole interval. One that spoke since is alive
        (our phones say `ping` after 20 s of silence anyway), and a ping with its pong costs the server
        ~65 µs: at 10,000 players, 0.65 s of CPU every interval, in the middle of the questions."""
        interval = self.ping_interval
        silent = self.loop.time() - self.heard_at
        if interval and silent < interval and getattr(self, "pong_timer", None) is None:
            self.ping_timer = self.loop.call_later(interval - silent, self.send_keepalive_ping)
            return
        super().send_keepalive_ping()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only for an upgrade the protocol went on with
        if scope is not None:
            scope["extensions"][ON_TEXT] = self.set_receiver
            if not self.conn.extensions:
                scope["extensions"][RAW_WRITE] = self.raw_write

    def set_receiver(self, receiver: Receiver | None) -> None:
        self.receiver = receiver

    def send_receive_event_to_app(self) -> None:
        """A complete message: to the receiver when there is one and the queue is empty, else to the queue."""
        receiver = self.receiver
        if receiver is None or self.curr_msg_data_type != "text" or self.close_sent or not self.queue.empty():
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            super().send_receive_event_to_app()  # uvicorn's own answer: close with 1007
            return
        self.frames = []
        receiver(text)

    def raw_write(self, data: bytes) -> bool:
        """Write complete frames now if the ASGI path would have written at once; else False, nothing written."""
        if (self.handshake_complete and not self.close_sent and not self.disconnected and self.writable.is_set()
                and self.initial_response is None and self.conn.state is State.OPEN
                and not self.transport.is_closing()):
            self.transport.write(data)
            return True
        return False
