"""The server's log: JSON lines on stderr, one object a line, ready for journald, Loki or ELK.

``configure(level)`` is called by ``quiz serve`` (in every worker process); the app itself only
logs through ``logging`` and never configures it, so tests and embedders keep their own setup.
Records may carry ``extra={"fields": {...}}``: those fields become keys of the line.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, Any

import orjson

HANDLER_NAME = "quiz-json"


class JsonLines(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...fields, "exc"}`` as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure(level: str = "info", stream: IO[str] | None = None) -> logging.Handler:
    """Send the ``quiz`` loggers (requests, live, audit, …) to ``stream`` (stderr) as JSON lines at ``level``.

    Idempotent: configuring again replaces the handler instead of doubling every line.
    """
    logger = logging.getLogger("quiz")
    for old in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    logger.setLevel(getattr(logging, level.upper(), logging.INFO))
    logger.propagate = False  # the root logger (uvicorn's) would print each line a second time
    return handler
