"""Settings, read once from the environment (and an optional ``.env`` file).

Every setting has a name, a default and a line of help, so ``quiz --help`` and the
docs can list them. Nothing here connects to anything.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

HELP = {
    "database_url": "SQLAlchemy URL of the database; default a SQLite file quiz.db in the working directory",
    "redis_url": "Redis URL for fan-out between worker processes; unset: one process, in-memory fan-out",
    "secret_key": "secret for signing; random per process when unset (sessions are stored server side)",
    "timezone": "time zone for dates shown to people and in exports",
    "max_upload_mb": "largest accepted upload in MB (larger ones get 413 before they are read whole)",
    "max_unpacked_mb": "largest size an uploaded xlsx/zip may unpack to, in MB (larger: 413 within seconds)",
    "max_media_mb": "largest accepted picture, sound or video file in MiB (CONTRACT §3; larger: 413)",
    "max_import_rows": "most rows an imported file may hold (more: 413)",
    "session_days": "how long a login stays valid, in days",
    "base_url": "public base URL used in join links and QR codes; default taken from each request",
    "trusted_hosts": "comma-separated host names (with :port if not 80/443) links may be built from when "
                     "QUIZ_BASE_URL is unset; another Host header gets the first of them",
    "login_max_failures": "failed logins per account (and per client address) before logins are slowed down",
    "login_lock_s": "seconds a throttled account must wait after too many failures",
    "guest_joins_per_minute": "new guests (players without a login) one client address may add to live games in a "
                              "minute; more get too_many_guests",
    "guest_joins_per_hour": "the same bound over an hour",
    "ws_per_message_deflate": "grant WebSocket per-message compression (costs memory per connection)",
    "ws_ping_interval_s": "WebSocket keepalive: a connection silent this many seconds is pinged, and dropped when no "
                          "pong comes within as many again; 0: none",
    "lang": "default language of pages and messages (zh or en)",
    "gc_freeze_s": "how often long-lived objects are moved out of the garbage collector's way (s); 0: off",
    "threads": "worker threads for blocking work (database, files); 0: 8 on SQLite, 40 on PostgreSQL",
    "shutdown_grace_s": "on SIGTERM: seconds the requests in hand may take to finish before the server stops anyway",
    "log_level": "level of the server log on stderr (JSON lines): info logs one line per request, warning only problems",
}


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A ``QUIZ_*`` value that is not of its setting's kind; the message (Chinese) names the variable."""


# Settings that must be at least 1 (0 or less would refuse everyone, or nothing would ever fit).
POSITIVE = {"guest_joins_per_minute", "guest_joins_per_hour", "max_import_rows", "session_days"}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///quiz.db"
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    timezone: str = "Asia/Shanghai"
    max_upload_mb: float = 20.0
    max_unpacked_mb: float = 200.0
    max_import_rows: int = 100_000
    max_media_mb: float = 10.0
    session_days: int = 30
    base_url: str | None = None
    trusted_hosts: str | None = None
    login_max_failures: int = 5
    login_lock_s: int = 60
    guest_joins_per_minute: int = 1000
    guest_joins_per_hour: int = 3000
    ws_per_message_deflate: bool = False
    ws_ping_interval_s: float = 20.0
    lang: str = "zh"
    threads: int = 0
    gc_freeze_s: float = 1.0
    shutdown_grace_s: float = 25.0
    log_level: str = "info"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_unpacked_bytes(self) -> int:
        return int(self.max_unpacked_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Build settings from ``QUIZ_*`` variables; a ``.env`` file fills in what the environment lacks."""
        env = dict(_read_dotenv(dotenv)) if dotenv else {}
        env.update(os.environ if environ is None else environ)
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get("QUIZ_" + f.name.upper())
            if raw is None or raw == "":
                continue
            name = "QUIZ_" + f.name.upper()
            try:
                if f.type in ("int",):
                    kwargs[f.name] = int(raw)
                elif f.type in ("float",):
                    kwargs[f.name] = float(raw)
                elif f.type in ("bool",):
                    kwargs[f.name] = _bool(raw)
                else:
                    kwargs[f.name] = raw
            except ValueError:
                kind = "整数" if f.type == "int" else "数字"
                raise SettingsError(f"{name}={raw!r} 不是{kind}") from None
            if f.name in POSITIVE and kwargs[f.name] < 1:  # type: ignore[operator]
                raise SettingsError(f"{name}={raw!r}：须为正整数")
        return cls(**kwargs)  # type: ignore[arg-type]
