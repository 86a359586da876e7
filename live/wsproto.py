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

``quiz serve`` runs uvicorn with ``ws="live.wsproto:QuizWebSocketProtocol"`` (``QUIZ_WS_IMPL`` may name
another). Without the extension (other servers, Starlette's TestClient) the socket layer uses ASGI.
"""

from __future__ import annotations

from collections.abc import Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

RAW_WRITE = "quiz.raw_write"  # the ASGI scope extension: ``write(frame_bytes) -> bool``

RawWrite = Callable[[bytes], bool]


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
    """`WebSocketsSansIOProtocol` that offers the application `raw_write` in the scope."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only for an upgrade the protocol went on with
        if scope is not None and not self.conn.extensions:
            scope["extensions"][RAW_WRITE] = self.raw_write

    def raw_write(self, data: bytes) -> bool:
        """Write complete frames now if the ASGI path would have written at once; else False, nothing written."""
        if (self.handshake_complete and not self.close_sent and not self.disconnected and self.writable.is_set()
                and self.initial_response is None and self.conn.state is State.OPEN
                and not self.transport.is_closing()):
            self.transport.write(data)
            return True
        return False
