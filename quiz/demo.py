"""``quiz demo``: a fresh database with demo accounts, the demo bank and whatever each area seeds."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from sqlmodel import select

from question_bank.formats import parse
from question_bank.models import Bank
from question_bank.service import insert_questions
from quiz.accounts import upsert_user
from quiz.timeutil import Clock

DEMO_BANK = Path(__file__).parent / "data" / "demo_bank.json"

DEMO_USERS = [
    # username, password, name, role, unit
    ("admin", "admin123", "系统管理员", "admin", "市直机关工委"),
    ("organizer", "demo123", "王组织", "organizer", "市直机关工委"),
    ("host", "demo123", "李主持", "host", "市直机关工委"),
    ("member", "demo123", "张党员", "member", "市财政局"),
]
# Members of the demo competition's teams: three per team, as in the real scenario. The first four units'
# players are m11 … m43 (the live final's demo game is theirs); eight more units (d11 … d83) make the
# tournament: 12 teams in the prelim, 8 in a semifinal played in two groups, 4 in the final.
DEMO_UNITS = ["市财政局", "市教育局", "市卫健委", "市交通局"]
MORE_UNITS = ["市公安局", "市民政局", "市司法局", "市商务局", "市文旅局", "市水务局", "市农业农村局", "市生态环境局"]


def load_demo_bank() -> tuple[dict[str, Any], list[Any]]:
    raw = json.loads(DEMO_BANK.read_text(encoding="utf-8"))
    result = parse(json.dumps(raw["questions"], ensure_ascii=False).encode(), fmt="json")
    if result.errors:
        raise RuntimeError(f"demo bank invalid: {result.errors[:3]}")
    return raw["bank"], result.questions


def seed(db: Any, base_url: str) -> str:
    """Fill an empty database; returns the text to print (URLs and logins)."""
    now = Clock().now_ms()
    context: dict[str, Any] = {"now_ms": now, "base_url": base_url, "users": {}, "lines": []}
    with db.write() as session:
        for username, password, name, role, unit in DEMO_USERS:
            user, _ = upsert_user(session, username=username, password=password, name=name, role=role, unit=unit,
                                  now_ms=now, overwrite=True)
            context["users"][username] = user
        members = []
        for u, unit in enumerate(DEMO_UNITS, start=1):
            for seat in range(1, 4):
                username = f"m{u}{seat}"
                user, _ = upsert_user(session, username=username, password="demo123", name=f"{unit[1:-1]}队员{seat}",
                                      role="member", unit=unit, now_ms=now, overwrite=True)
                members.append(user)
        for u, unit in enumerate(MORE_UNITS, start=1):
            for seat in range(1, 4):
                user, _ = upsert_user(session, username=f"d{u}{seat}", password="demo123",
                                      name=f"{unit[1:-1]}队员{seat}", role="member", unit=unit, now_ms=now,
                                      overwrite=True)
                members.append(user)
        context["team_members"] = members
        info, questions = load_demo_bank()
        bank = session.exec(select(Bank).where(Bank.name == info["name"])).first()
        if bank is None:
            bank = Bank(name=info["name"], description=info.get("description", ""), created_ms=now)
            session.add(bank)
            session.flush()
            insert_questions(session, bank.id or 0, questions, now)
        context["bank"] = bank
        from quiz import demo_pictures

        pictures = demo_pictures.seed(session, now)
    for name in ("quiz.exams.demo", "quiz.competitions.demo", "live.demo"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):
                raise
            continue
        module.seed_demo(db, context)
    lines = [
        "",
        "知识竞赛与答题平台 · 演示已就绪",
        f"  打开：{base_url}/",
        f"  组织者：organizer / demo123    （管理后台 {base_url}/admin）",
        f"  党员：  member / demo123       （练习 {base_url}/practice）",
        "  主持人：host / demo123",
        "  管理员：admin / admin123",
        "  参赛队员：m11 … m43 / demo123（4 支队伍，每队 3 人）；d11 … d83 / demo123（另 8 支队伍）",
        f"  演示题库：{len(questions)} 题；看图识史（演示）：{pictures} 道图片题",
        *context["lines"],
        "",
    ]
    return "\n".join(lines)
