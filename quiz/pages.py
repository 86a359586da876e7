"""The HTML pages of the entry, practice and bank administration (CONTRACT §8).

Pages are thin: the server renders the frame and what it already knows (who is logged
in, which bank), and small ES modules in ``static/js`` talk to the JSON API. No page
ever carries a question's answer: practice questions come from the practice API,
which gives them without answers until the member has answered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import RedirectResponse
from starlette.routing import Route

from question_bank import service
from question_bank.models import Bank
from quiz.errors import NotFound
from quiz.i18n import t
from quiz.models import role_rank
from quiz.web import Ctx, page

ROLE_NAMES = {"member": "党员", "host": "主持人", "organizer": "组织者", "admin": "管理员"}


def safe_next(value: str | None) -> str:
    """A local path to go to after logging in, or "" (never another site: no scheme, no host, no ``//``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return ""
    return value


def is_organizer(ctx: Ctx) -> bool:
    return ctx.user is not None and role_rank(ctx.user.role) >= role_rank("organizer")


@page("index.html", role=None)
def index(ctx: Ctx) -> Any:
    """The entry: log in, or join a live game by its 6-digit code; shortcuts once logged in."""
    return {
        "next": safe_next(ctx.query.get("next")),
        "is_organizer": is_organizer(ctx),
        "role_name": ROLE_NAMES.get(ctx.user.role, "") if ctx.user else "",
        "pin": "".join(c for c in (ctx.query.get("pin") or "") if c.isdigit())[:6],
    }


@page("practice.html", role="member")
def practice(ctx: Ctx) -> Any:
    """Practice, the wrong-answer book and personal statistics; all data comes from the API."""
    return {"active": "practice"}


@page("admin.html", role="organizer")
def admin(ctx: Ctx) -> Any:
    """Banks: list, create, the import template."""
    return {"active": "banks"}


@page("admin_bank.html", role="organizer")
def admin_bank(ctx: Ctx) -> Any:
    """One bank: counts, import (file or pasted text) with a dry run first, browse, edit, export."""
    bank_id = ctx.path_int("bank_id")
    with ctx.db.read() as session:
        bank = session.get(Bank, bank_id)
        if bank is None:
            raise NotFound(t("bank_not_found"), code="bank_not_found")
        summary = service.bank_summary(session, bank)
    return {"active": "banks", "bank": summary}


async def admin_banks(request: Any) -> RedirectResponse:
    return RedirectResponse("/admin", status_code=307)


routes = [
    Route("/", index, methods=["GET"]),
    Route("/practice", practice, methods=["GET"]),
    Route("/admin", admin, methods=["GET"]),
    Route("/admin/banks", admin_banks, methods=["GET"]),
    Route("/admin/banks/{bank_id:int}", admin_bank, methods=["GET"]),
]
