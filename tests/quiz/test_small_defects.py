"""Issue 10 item 12 (an outside tester's small defects) that need no browser: /favicon.ico is found, and
``quiz --help`` is Chinese throughout, settings included."""

from __future__ import annotations

import re
from typing import Any

import pytest

from quiz.cli import build_parser, main
from quiz.i18n import SETTINGS_HELP
from quiz.settings import HELP

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_favicon_ico_leads_to_the_icon(client: Any) -> None:
    response = client.get("/favicon.ico", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/static/favicon.svg"
    assert "max-age" in response.headers["cache-control"]
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert client.head("/favicon.ico", follow_redirects=False).status_code == 301
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text


def test_every_setting_has_a_chinese_help_line() -> None:
    assert set(SETTINGS_HELP["zh"]) == set(HELP)
    assert all(CJK.search(text) for text in SETTINGS_HELP["zh"].values())


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_quiz_help_is_chinese_throughout(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["--help"], capsys)
    assert text.startswith("用法：quiz")
    for name in HELP:
        line = next(line for line in text.splitlines() if line.strip().startswith(f"QUIZ_{name.upper()} "))
        assert SETTINGS_HELP["zh"][name] in line
    for english in ("usage:", "show this help", "positional arguments", "options:", "SQLAlchemy URL of",
                    "how long a login stays valid"):
        assert english not in text


def test_every_subcommand_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [["serve"], ["demo"], ["user"], ["user", "add"], ["import"], ["export"], ["export", "rankings"],
                ["backup"], ["restore"]]
    for argv in commands:
        text = _help([*argv, "--help"], capsys)
        assert text.startswith("用法："), argv
        assert "show this help" not in text and "positional arguments" not in text and "options:" not in text
    # Every argument but -h says what it is, in Chinese.
    parser = build_parser()
    stack = [parser]
    while stack:
        current = stack.pop()
        for action in current._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                stack.extend(action.choices.values())
            elif action.dest not in ("help", "func"):
                assert action.help and CJK.search(action.help), (current.prog, action.dest)
