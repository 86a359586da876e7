"""The ``quiz`` command (CONTRACT §1), run in-process on a fresh database named by QUIZ_DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select

from question_bank.models import Bank, Question
from quiz.accounts import verify_password
from quiz.cli import main
from quiz.db import Database
from quiz.models import User

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]
ROWS = [
    ["单选", "中共一大在哪里召开？", "上海", "北京", "南昌", "延安", "A", "", 2, "党史"],
    ["多选", "“四个自信”包括（ ）。", "道路自信", "理论自信", "制度自信", "文化自信", "ABCD", "", 3, "理论"],
    ["判断", "党的根本宗旨是全心全意为人民服务。", "", "", "", "", "正确", "", 1, "党章"],
    ["填空", "中共一大最后一天转至（）南湖召开。", "", "", "", "", "嘉兴", "", 3, "党史"],
    ["简答", "简述全面从严治党的意义。", "", "", "", "", "管党治党。", "", 4, "党建"],
]


def xlsx_file(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """QUIZ_DATABASE_URL names this test's fresh database; the working directory has no .env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", database_url)
    db = Database(database_url)
    yield db
    db.dispose()


def count(db: Database, model: Any) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_user_add_creates_then_updates(env, capsys):
    assert main(["user", "add", "carol", "--password", "carol-pass", "--role", "host", "--name", "卡萝",
                 "--unit", "市卫健委"]) == 0
    assert "已创建" in capsys.readouterr().out
    with env.read() as session:
        carol = session.exec(select(User).where(User.username == "carol")).one()
    assert (carol.name, carol.role, carol.unit) == ("卡萝", "host", "市卫健委")
    assert verify_password(carol.password_hash, "carol-pass")

    assert main(["user", "add", "carol", "--password", "new-pass-1", "--role", "organizer"]) == 0
    assert "已更新" in capsys.readouterr().out
    with env.read() as session:
        carol = session.exec(select(User).where(User.username == "carol")).one()
    assert carol.role == "organizer" and verify_password(carol.password_hash, "new-pass-1")
    assert count(env, User) == 1


def test_user_add_can_log_in_through_the_app(env, client):
    assert main(["user", "add", "dave", "--password", "dave-pass", "--role", "member"]) == 0
    response = client.post("/api/auth/login", json={"username": "dave", "password": "dave-pass"})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "member"


def test_user_add_refuses_an_unknown_role(env, capsys):
    assert main(["user", "add", "eve", "--password", "eve-pass", "--role", "king"]) == 2
    assert "未知角色" in capsys.readouterr().err
    assert count(env, User) == 0
    assert main(["user", "add", "eve"]) == 2  # a new user needs --password
    assert count(env, User) == 0


def test_import_writes_a_bank_with_progress(env, tmp_path, capsys):
    path = xlsx_file(tmp_path / "题库.xlsx", ROWS)
    assert main(["import", str(path), "--bank", "党史题库"]) == 0
    out = capsys.readouterr()
    assert "已导入 5 题" in out.out and "重复跳过 0 题" in out.out
    assert "5/5" in out.err  # progress
    with env.read() as session:
        bank = session.exec(select(Bank).where(Bank.name == "党史题库")).one()
        types = sorted(session.exec(select(Question.type).where(Question.bank_id == bank.id)).all())
    assert types == ["fill", "judge", "multiple", "short", "single"]

    # again into the same bank: duplicates, nothing new
    assert main(["import", str(path), "--bank", "党史题库"]) == 0
    assert "已导入 0 题，重复跳过 5 题" in capsys.readouterr().out
    assert count(env, Question) == 5 and count(env, Bank) == 1


def test_import_dry_run_writes_nothing(env, tmp_path, capsys):
    path = xlsx_file(tmp_path / "题库.xlsx", ROWS)
    assert main(["import", str(path), "--bank", "新题库", "--dry-run"]) == 0
    assert "可导入 5 题" in capsys.readouterr().out
    assert count(env, Question) == 0 and count(env, Bank) == 0


def test_import_bad_file_exit_1_prints_every_row_error_and_writes_nothing(env, tmp_path, capsys):
    bad = [*ROWS[:2], ["单选", "", "甲", "乙", "", "", "A", "", "", ""],
           ["单选", "题干？", "甲", "乙", "", "", "E", "", "", ""], ["填空", "（）和（）", "", "", "", "", "甲", "", "", ""]]
    path = xlsx_file(tmp_path / "坏题库.xlsx", bad)
    assert main(["import", str(path), "--bank", "党史题库"]) == 1
    out = capsys.readouterr().out
    assert "第 4 行 [题干]" in out and "第 5 行 [答案]" in out and "第 6 行 [答案]" in out
    assert "共 3 处错误，未导入任何题目" in out
    assert count(env, Question) == 0 and count(env, Bank) == 0
    # and with --dry-run the same
    assert main(["import", str(path), "--bank", "党史题库", "--dry-run"]) == 1
    assert count(env, Question) == 0


def test_import_other_formats_and_refusals(env, tmp_path, capsys):
    data = [{"type": "judge", "stem": "这是一道判断题。", "answer": [True]}]
    path = tmp_path / "q.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["import", str(path), "--bank", "JSON"]) == 0
    assert count(env, Question) == 1
    gift = tmp_path / "q.txt"
    gift.write_text("When was Grant born?{#1822:5}\n\nGrant is dead.{T}\n", encoding="utf-8")
    assert main(["import", str(gift), "--bank", "GIFT", "--format", "gift"]) == 1
    assert main(["import", str(gift), "--bank", "GIFT", "--format", "gift", "--skip-unsupported"]) == 0
    assert count(env, Question) == 2
    capsys.readouterr()
    assert main(["import", str(tmp_path / "missing.xlsx"), "--bank", "x"]) == 2
    assert "文件不存在" in capsys.readouterr().err
    doc = tmp_path / "题库.docx"
    doc.write_bytes(b"whatever")
    assert main(["import", str(doc), "--bank", "x"]) == 2
    assert count(env, Bank) == 2


def test_demo_seeds_a_database_users_can_use(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    path = tmp_path / "demo.db"
    assert main(["demo", "--no-serve", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "organizer / demo123" in out and "member / demo123" in out
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as session:
            types = dict(session.exec(select(Question.type, func.count()).group_by(Question.type)).all())
            users = {u.username: u for u in session.exec(select(User)).all()}
        assert sum(types.values()) >= 60
        assert set(types) == {"single", "multiple", "judge", "fill", "short"}
        assert users["admin"].role == "admin" and users["organizer"].role == "organizer"
        assert users["host"].role == "host" and users["member"].role == "member"
        assert verify_password(users["member"].password_hash, "demo123")
        assert verify_password(users["admin"].password_hash, "admin123")
        assert sum(1 for u in users.values() if u.username.startswith("m") and u.username[1:].isdigit()) == 12
    finally:
        db.dispose()
    # the demo rebuilds its database each time (same counts, not doubled)
    assert main(["demo", "--no-serve", "--db", str(path)]) == 0
    db = Database(f"sqlite:///{path}")
    try:
        assert count(db, Question) == sum(types.values())
    finally:
        db.dispose()


def test_demo_users_log_in_through_the_app(tmp_path, monkeypatch, clock):
    from starlette.testclient import TestClient

    from quiz.app import create_app
    from quiz.settings import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    path = tmp_path / "demo.db"
    assert main(["demo", "--no-serve", "--db", str(path)]) == 0
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="t"), clock=clock)
    with TestClient(app) as client:
        for username, password in (("organizer", "demo123"), ("member", "demo123"), ("m11", "demo123")):
            response = client.post("/api/auth/login", json={"username": username, "password": password})
            assert response.status_code == 200, response.text
        banks = client.get("/api/banks").json()
        assert banks["total"] >= 1 and banks["items"][0]["question_count"] >= 60
        practice = client.post("/api/practice", json={"bank_id": banks["items"][0]["id"], "mode": "random"})
        assert practice.status_code == 201, practice.text


def test_the_installed_command_runs_in_a_subprocess(tmp_path):
    env = {**os.environ, "QUIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}"}
    path = xlsx_file(tmp_path / "q.xlsx", ROWS)
    result = subprocess.run([sys.executable, "-m", "quiz.cli", "import", str(path), "--bank", "子进程"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "已导入 5 题" in result.stdout
    result = subprocess.run([sys.executable, "-m", "quiz.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "import" in result.stdout


def test_every_command_migrates_a_fresh_database_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("QUIZ_DATABASE_URL", url)
    assert not (tmp_path / "fresh.db").exists()
    assert main(["user", "add", "first", "--password", "first-pass", "--role", "admin"]) == 0
    db = Database(url)
    try:
        assert count(db, User) == 1
    finally:
        db.dispose()


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("QUIZ_GUEST_JOINS_PER_MINUTE", "abc", "不是整数"), ("QUIZ_GUEST_JOINS_PER_HOUR", "0", "须为正整数"),
    ("QUIZ_MAX_UPLOAD_MB", "20MB", "不是数字")])
def test_a_bad_setting_is_one_clear_line_not_a_traceback(monkeypatch: Any, capsys: Any, variable: str, value: str,
                                                         says: str) -> None:
    from quiz.cli import main

    monkeypatch.setenv(variable, value)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：设置有误：") and variable in err and says in err and "Traceback" not in err
