"""Live games: the pure engine, its commands and events (CONTRACT §7)."""

from __future__ import annotations

from live.engine import (
    ConfigError,
    Game,
    GameConfig,
    LedgerEntry,
    Phase,
    QuestionSnapshot,
    SegmentConfig,
    TeamConfig,
)
from live.messages import (
    MESSAGES,
    Buzz,
    Command,
    Error,
    Event,
    HostAction,
    Join,
    SubmitAnswer,
    Tick,
    command_from_dict,
    command_to_dict,
)

__all__ = [
    "MESSAGES", "Buzz", "Command", "ConfigError", "Error", "Event", "Game", "GameConfig", "HostAction",
    "Join", "LedgerEntry", "Phase", "QuestionSnapshot", "SegmentConfig", "SubmitAnswer", "TeamConfig",
    "Tick", "command_from_dict", "command_to_dict",
]
