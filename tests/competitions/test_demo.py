"""The demo competition: 4 teams of 3 by unit, a prelim on the demo test (when there is one) and a live final."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select

from quiz.competitions.demo import TITLE, seed_demo
from quiz.models import User
from tests.competitions.conftest import check

UNITS = ["市财政局", "市教育局", "市卫健委", "市交通局"]


def demo_context(app: Any, users: Any) -> dict[str, Any]:
    for u, unit in enumerate(UNITS, start=1):
        for seat in range(1, 4):
            users.add(f"m{u}{seat}", unit=unit, name=f"{unit[1:-1]}队员{seat}")
    with app.state.db.read() as session:
        members = [session.exec(select(User).where(User.username == f"m{u}{s}")).one()
                   for u in range(1, 5) for s in range(1, 4)]
    return {"now_ms": 1, "base_url": "http://x", "team_members": members, "lines": []}


def test_seed_demo_with_the_demo_test(app: Any, api: Callable[..., Any], users: Any,
                                      exam_rows: Callable[..., int]) -> None:
    exam_id = exam_rows({})
    context = demo_context(app, users)
    seed_demo(app.state.db, context)
    seed_demo(app.state.db, context)  # a second run adds nothing
    listed = check(api("GET", "/api/competitions", as_="org"))
    assert listed["total"] == 1 and listed["items"][0]["title"] == TITLE
    comp = check(api("GET", f"/api/competitions/{listed['items'][0]['id']}", as_="org"))
    assert [t["name"] for t in comp["teams"]] == ["财政局代表队", "教育局代表队", "卫健委代表队", "交通局代表队"]
    assert [t["unit"] for t in comp["teams"]] == UNITS and all(len(t["members"]) == 3 for t in comp["teams"])
    prelim, final = comp["rounds"]
    assert (prelim["stage"], prelim["format"], prelim["exam_id"]) == ("prelim", "exam", exam_id)
    assert (final["stage"], final["format"]) == ("final", "live") and final["prizes"]
    assert context["final_round"].id == final["id"]
    assert any(TITLE in line for line in context["lines"])
    ranking = check(api("GET", f"/api/rounds/{prelim['id']}/ranking", as_="org"))
    assert len(ranking["teams"]) == 4 and len(ranking["players"]) == 12


def test_seed_demo_without_a_test(app: Any, api: Callable[..., Any], users: Any) -> None:
    seed_demo(app.state.db, demo_context(app, users))
    comp = check(api("GET", "/api/competitions", as_="org"))["items"][0]
    detail = check(api("GET", f"/api/competitions/{comp['id']}", as_="org"))
    assert detail["rounds"][0]["exam_id"] is None


def test_seed_demo_tournament_prelim_done_semifinal_in_two_groups_ready_final(app: Any, api: Callable[..., Any],
                                                                           users: Any) -> None:
    """12 teams: a finished prelim (top 8 advance), a semifinal in two snake groups each with its live game
    ready to host (the first 2 of each group go on), and the final with its prizes."""
    from quiz.demo import MORE_UNITS
    from tests.live.conftest import seed_live_bank

    units = UNITS + MORE_UNITS
    for u, unit in enumerate(units, start=1):
        for seat in range(1, 4):
            users.add(f"t{u}-{seat}", unit=unit, name=f"{unit[1:-1]}队员{seat}")
    bank_id, _ = seed_live_bank(app)
    with app.state.db.read() as session:
        members = [session.exec(select(User).where(User.username == f"t{u}-{s}")).one()
                   for u in range(1, len(units) + 1) for s in range(1, 4)]
        from question_bank.models import Bank

        bank = session.get(Bank, bank_id)
    context = {"now_ms": 1, "base_url": "http://x", "team_members": members, "lines": [], "bank": bank, "users": {}}
    seed_demo(app.state.db, context)
    comp = check(api("GET", f"/api/competitions/{context['competition'].id}", as_="org"))
    assert len(comp["teams"]) == 12
    prelim, semi, final = comp["rounds"]
    assert prelim["advanced"] and len(prelim["advanced_team_ids"]) == 8 and prelim["next_round_id"] == semi["id"]
    assert semi["advance"] == {"top_per_group": 2} and [g["name"] for g in semi["groups"]] == ["第一组", "第二组"]
    ranked = check(api("GET", f"/api/rounds/{prelim['id']}/ranking", as_="org"))["teams"]
    top8 = [r["team_id"] for r in ranked[:8]]
    assert [g["team_ids"] for g in semi["groups"]] == [[top8[i] for i in (0, 3, 4, 7)], [top8[i] for i in (1, 2, 5, 6)]]
    assert [g["state"] for g in semi["groups"]] == ["lobby", "lobby"] and all(g["live_id"] for g in semi["groups"])
    assert final["stage"] == "final" and final["prizes"] and not final["advanced"]
    assert sum("复赛第" in line for line in context["lines"]) == 2
