"""The live game's pages (CONTRACT §8): the phone player, the big screen and the host console.

The pages are frames: the server renders what it knows without the game (the PIN, the join QR
code, who is logged in), and ES modules in ``static/js`` (``player.js``, ``screen.js``,
``host.js`` on top of ``live_client.js``) speak the WebSocket protocol of CONTRACT §7. No page
ever carries a question or an answer; the host's copy of the answer arrives over the host's
own socket.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse
from starlette.routing import Route

from live import store
from quiz.errors import NotFound
from quiz.web import Ctx, page

PIN_LENGTH = 6


def clean_pin(value: str | None) -> str:
    """Six ASCII digits (full-width digits typed on Chinese keyboards count), or ""."""
    digits = "".join(str(int(c)) for c in (value or "") if c.isdigit())[:PIN_LENGTH]
    return digits if len(digits) == PIN_LENGTH else ""


def path_pin(ctx: Ctx) -> str:
    pin = clean_pin(str(ctx.params.get("pin", "")))
    if not pin:
        raise NotFound("竞赛码应为 6 位数字", code="live_not_found")
    return pin


def public_base(ctx: Ctx) -> str:
    """The address phones use to reach this server: ``QUIZ_BASE_URL`` if set, else the request's own."""
    from quiz.security import link_base  # QUIZ_BASE_URL, else a trusted Host (issue 9, item 11)

    return link_base(ctx.request, ctx.settings)[0]


def join_qr_svg(url: str) -> str:
    """The join address as an inline SVG QR code (dark modules on white, quiet zone included)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(scale=10, border=2, dark="#1a0003", light="#ffffff", omitsize=True)
    return svg


def user_view(ctx: Ctx) -> dict[str, Any] | None:
    if ctx.user is None:
        return None
    return {"id": ctx.user.id, "name": ctx.user.name or ctx.user.username, "unit": ctx.user.unit or "",
            "role": ctx.user.role}


@page("play.html")
def play(ctx: Ctx) -> Any:
    """The phone player: join by code (``/play``) or straight from the QR code (``/play/{pin}``)."""
    if "pin" not in ctx.params:
        pin = clean_pin(ctx.query.get("pin"))
        if pin:  # the join form without JavaScript: one address per game, as the QR code has it
            return RedirectResponse(f"/play/{pin}", status_code=303)
        return {"pin": "", "me": user_view(ctx)}
    pin = clean_pin(str(ctx.params.get("pin", "")))
    row = store.find_game(ctx.db, pin=pin) if pin else None
    if row is None:  # a mistyped code: ask again, saying which code was not found
        return {"pin": "", "me": user_view(ctx), "missing": str(ctx.params.get("pin", ""))[:12]}
    me = user_view(ctx)
    # A closed game (a round's teams) admits only its roster (engine: `guests_not_allowed`): say so before
    # anyone types a name. A logged-in account on no team of it is told the same way.
    closed = not row.config.get("open", True)
    on_roster = me is not None and any(me["id"] in (team.get("seats") or []) for team in row.config.get("teams", []))
    return {"pin": pin, "me": me, "title": row.title, "finished": row.status == "finished",
            "closed": closed, "on_roster": on_roster}


@page("screen.html")
def screen(ctx: Ctx) -> Any:
    """The big screen: no controls, it only shows what the audience may see."""
    pin = path_pin(ctx)
    row = store.find_game(ctx.db, pin=pin)
    if row is None:
        raise NotFound("没有这场比赛，请检查比赛码", code="live_not_found")
    base = public_base(ctx)
    join_url = f"{base}/play/{pin}"
    return {"pin": pin, "title": row.title, "join_url": join_url, "join_host": base.split("://", 1)[-1],
            "qr_svg": join_qr_svg(join_url)}


@page("host_index.html", role="host")
def host_index(ctx: Ctx) -> Any:
    """The host's games and a form to start an open quick game from a bank."""
    return {"active": "host"}


@page("host.html")
def host(ctx: Ctx) -> Any:
    """The console of one game, for whoever may host it: a logged-in user who created it or an organizer,
    or the bearer of its host token (``?token=``). Anyone else gets the page's frame without the game's
    PIN, title or segments, and a form for the host token: the console reads them from the API with the
    token (this tab's storage, or the form) and only then connects."""
    from live.api import may_host

    live_id = ctx.path_int("live_id")
    row = store.find_game(ctx.db, game_id=live_id)
    if row is None:
        raise NotFound("没有这场比赛", code="live_not_found")
    token = ctx.query.get("token") or ""
    if not (may_host(ctx.user, row) or (token and store.digest(token) == row.host_token_hash)):
        return {"live_id": live_id, "locked": True, "pin": "", "title": "", "me": user_view(ctx),
                "join_url": "", "screen_url": "", "segments": []}
    base = public_base(ctx)
    # The PIN is no secret to the host (the big screen shows it); the host token is, and never enters the page.
    return {"live_id": live_id, "locked": False, "pin": row.pin, "title": row.title, "me": user_view(ctx),
            "join_url": f"{base}/play/{row.pin}", "screen_url": f"{base}/screen/{row.pin}",
            "segments": row.public()["segments"]}


routes = [
    Route("/play", play, methods=["GET"]),
    Route("/play/{pin}", play, methods=["GET"]),
    Route("/screen/{pin}", screen, methods=["GET"]),
    Route("/host", host_index, methods=["GET"]),
    Route("/host/{live_id:int}", host, methods=["GET"]),
]
