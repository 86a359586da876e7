"""The README's set-up commands and `.ci/run` stay in step: the test command is character for character the one
CI runs, the README keeps exactly two set-up commands, and CI waits for apt's lock and installs the CJK fonts."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    commands = readme_commands()
    assert len(commands) == 2, commands  # install and demo; install and test
    demo, tests = commands
    assert demo.endswith("quiz demo") and "\n" not in demo
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert tests in ci_lines


def test_ci_waits_for_the_apt_lock_and_installs_what_the_suite_needs() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "DPkg::Lock::Timeout=" in script
    for package in ("chromium", "fonts-noto-cjk", "poppler-utils"):
        assert package in script
    assert "QUIZ_REQUIRE_SERVICES=1" in script


def test_readme_lists_the_operations_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("quiz backup FILE", "quiz restore FILE", "/healthz", "/readyz"):
        assert needle in text
