"""What every request and response passes at the edge (CONTRACT §0): same-site writes, security headers.

* A request that changes something and carries the session cookie (no ``Authorization: Bearer``) is
  refused with 403 when its ``Origin`` (or, without one, ``Referer``) names another site: the browser
  attaches the cookie to a form or fetch from any page, so only the page's origin tells the owner's
  own pages from another site's. ``is_cross_site`` is the one rule; the WebSocket layer calls it for
  cookie-carrying upgrades (closing with 4403).
* Every response carries a Content-Security-Policy that runs this site's script files only (no inline
  script), ``frame-ancestors 'self'``, ``X-Content-Type-Options: nosniff`` and a referrer policy; an API
  response or page is ``Cache-Control: no-store`` unless it says otherwise, so a token (login,
  ``host_token``) is never kept by a cache.

"Another site" is another origin: scheme, host and port (a page on another port of the same host is
another site). The request's own origin is ``QUIZ_BASE_URL`` when set, else the ``Host`` it was sent to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from quiz.i18n import t

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

SESSION_COOKIE = "quiz_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)
"""Scripts: this site's files only. Inline *styles* stay allowed (templates set widths and colours inline)."""

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # a PIN or an id in a path never leaves for another site
    (b"x-frame-options", b"SAMEORIGIN"),  # frame-ancestors for browsers that predate it
]
NO_STORE = (b"cache-control", b"no-store")


def _origin_key(scheme: str, host: str, port: int | None) -> str:
    scheme = scheme.lower()
    port = port or _DEFAULT_PORTS.get(scheme)
    return f"{host.lower()}:{port}"


def _url_key(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return _origin_key(parts.scheme, parts.hostname, port)


def _own_keys(host_header: str, scheme: str, base_url: str | None) -> set[str]:
    """The origins a same-site page may have: QUIZ_BASE_URL's, else the Host the request was sent to."""
    if base_url:
        key = _url_key(base_url)
        return {key} if key else set()
    try:
        parts = urlsplit(f"{scheme}://{host_header.strip()}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return set()
    if not host:
        return set()
    if port is not None:
        return {_origin_key(scheme, host, port)}
    # No port in Host: behind a TLS proxy the app sees http while the page is https; either default matches.
    return {f"{host}:80", f"{host}:443"}


def is_cross_site(headers: Mapping[str, str], *, scheme: str = "http", base_url: str | None = None) -> bool:
    """Whether a request's ``Origin`` (or, without one, ``Referer``) names another site than this one.

    ``headers``: lower-case names (Starlette's ``request.headers`` or ``websocket.headers``). Without
    either header the request did not come from a page (a script or an old browser): not cross-site.
    ``Origin: null`` (a sandboxed or file page) is cross-site.
    """
    origin = headers.get("origin")
    source = origin if origin is not None else headers.get("referer")
    if source is None or source == "":
        return False
    key = _url_key(source.strip())
    if key is None:
        return True
    return key not in _own_keys(headers.get("host", ""), scheme, base_url)


def carries_session_cookie(headers: Mapping[str, str]) -> bool:
    """Authenticated by the cookie: the session cookie is sent and no Bearer token overrides it."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False
    cookie = headers.get("cookie", "")
    return any(part.strip().startswith(SESSION_COOKIE + "=") for part in cookie.split(";"))


class _Headers(dict[str, str]):
    """ASGI raw headers as a lower-case mapping (repeated headers: the first)."""

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        super().__init__()
        for name, value in raw:
            self.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))


class EdgeMiddleware:
    """Refuses cross-site cookie writes, and adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, base_url: str | None = None) -> None:
        self.app = app
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _Headers(scope.get("headers") or ())
        if scope["method"] not in SAFE_METHODS and carries_session_cookie(headers) and is_cross_site(
                headers, scheme=scope.get("scheme", "http"), base_url=self.base_url):
            await _refuse_cross_site(send)
            return
        path: str = scope.get("path", "")
        dynamic = not path.startswith(("/static/", "/media/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers") or [])
                names = {name.lower() for name, _ in raw}
                raw.extend(h for h in SECURITY_HEADERS if h[0] not in names)
                if dynamic and b"cache-control" not in names:
                    raw.append(NO_STORE)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse_cross_site(send: Any) -> None:
    body = orjson.dumps({"error": {"code": "cross_site", "message": t("cross_site"), "details": []}})
    await send({"type": "http.response.start", "status": 403, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS,
        NO_STORE]})
    await send({"type": "http.response.body", "body": body})


def link_base(request: Any, settings: Any) -> tuple[str, bool]:
    """The base of the links and QR codes the server hands out, and whether it may be cached publicly.

    ``QUIZ_BASE_URL`` when set (trusted: cacheable). Else the request's own address, when its ``Host`` is
    one of ``QUIZ_TRUSTED_HOSTS`` (or no list is set); a ``Host`` outside the list gets the first trusted
    host instead, so ``Host: evil.example`` never ends up in a QR code. Built from a request header, a
    link is never cached publicly (a shared cache would hand it to everyone).
    """
    if settings.base_url:
        return settings.base_url.rstrip("/"), True
    own = str(request.base_url).rstrip("/")
    trusted = [h.strip().lower() for h in (getattr(settings, "trusted_hosts", None) or "").split(",") if h.strip()]
    host = request.headers.get("host", "").strip().lower()
    if trusted and host not in trusted:
        return f"{request.url.scheme}://{trusted[0]}", False
    return own, False
