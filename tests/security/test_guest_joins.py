"""Guests per address are bounded (issue 9, item 9: "1,000 guest joins from one client took 5.5 s"): a hall
behind one NAT address gets in whole, a script making guests by the thousand is refused at the socket's edge
with ``error too_many_guests`` and the seconds to wait; logged-in users and resumes are never counted; the count
is the same on every worker (Redis)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from live.ws import GuestBound
from quiz.throttle import MemoryBackend, RedisBackend, Throttle
from quiz.timeutil import FakeClock
from tests.live.conftest import seed_live_bank

ADDRESS = "testclient"  # every socket of Starlette's test client comes from this one address, as a hall's NAT
MINUTE, PER_MINUTE = GuestBound.LIMITS[0]
HOUR, PER_HOUR = GuestBound.LIMITS[1]


@pytest.fixture
def pin(app: Any, api: Any) -> str:
    bank_id, ids = seed_live_bank(app)
    body = {"title": "观众答题", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": ids[:2], "time_limit_s": 20, "points": 10}]}
    response = api("POST", "/api/live", as_="host", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["pin"])


def join(client: Any, pin: str, name: str, token: str | None = None) -> dict[str, Any]:
    """One phone: open the socket, join (unless it resumes or brings a login), the first answer."""
    url = f"/ws/live/{pin}?role=player" + (f"&token={token}" if token else "")
    with client.websocket_connect(url) as ws:
        if token is None or len(token) == 43:  # a guest, or a user who has not played yet
            ws.send_text(json.dumps({"type": "join", "name": name}, ensure_ascii=False))
        return dict(ws.receive_json())


def fill(app: Any, clock: FakeClock, guests: int) -> None:
    """``guests`` guests of this address already counted, as if they had joined a moment ago."""
    bound = GuestBound(app.state.throttle, clock, ADDRESS)
    for _ in range(guests):
        assert bound.retry_after_s() == 0


def test_a_hall_of_300_behind_one_address_all_get_in(client: Any, pin: str) -> None:
    welcomed = [join(client, pin, f"观众{i}") for i in range(300)]
    assert [w["type"] for w in welcomed] == ["welcome"] * 300
    assert len({w["player"]["id"] for w in welcomed}) == 300


def test_past_the_minutes_bound_a_guest_is_refused_until_the_next_minute(client: Any, pin: str, app: Any,
                                                                          clock: FakeClock) -> None:
    clock.advance(MINUTE - clock.now_ms() % MINUTE + 15_000)  # 15 s into a minute
    fill(app, clock, PER_MINUTE - 1)
    assert join(client, pin, "最后一位")["type"] == "welcome"  # the minute's thousandth guest
    refused = join(client, pin, "脚本")
    assert refused["type"] == "error" and refused["code"] == "too_many_guests"
    assert refused["retry_after_s"] == 45 and "45 秒后再试" in refused["message"]
    assert "player" not in refused
    clock.advance(45_000)  # the next minute
    assert join(client, pin, "下一分钟")["type"] == "welcome"


def test_past_the_hours_bound_a_guest_waits_for_the_next_hour(client: Any, pin: str, app: Any,
                                                              clock: FakeClock) -> None:
    clock.advance(HOUR - clock.now_ms() % HOUR)  # the start of an hour
    for _ in range(PER_HOUR // PER_MINUTE):  # three halls of a thousand, a minute apart
        fill(app, clock, PER_MINUTE)
        clock.advance(MINUTE)
    refused = join(client, pin, "第四个大厅")
    assert refused["code"] == "too_many_guests" and refused["retry_after_s"] == (HOUR - 3 * MINUTE) // 1000
    clock.advance(HOUR - 3 * MINUTE)
    assert join(client, pin, "下一小时")["type"] == "welcome"


def test_a_refused_guest_may_retry_on_the_same_socket(client: Any, pin: str, app: Any, clock: FakeClock) -> None:
    clock.advance(MINUTE - clock.now_ms() % MINUTE)
    fill(app, clock, PER_MINUTE)
    with client.websocket_connect(f"/ws/live/{pin}?role=player") as ws:
        ws.send_text(json.dumps({"type": "join", "name": "稍后再来"}, ensure_ascii=False))
        assert ws.receive_json()["code"] == "too_many_guests"
        clock.advance(MINUTE)
        ws.send_text(json.dumps({"type": "join", "name": "稍后再来"}, ensure_ascii=False))
        assert ws.receive_json()["type"] == "welcome"


def test_logged_in_members_and_resumes_are_never_counted(client: Any, pin: str, app: Any, users: Any,
                                                         clock: FakeClock) -> None:
    clock.advance(MINUTE - clock.now_ms() % MINUTE)
    guest = join(client, pin, "先来的观众")
    assert guest["type"] == "welcome"
    fill(app, clock, PER_MINUTE - 2)  # one guest left in this minute
    for name in ("alice", "bob"):  # members with their login: not guests
        member = join(client, pin, "", token=users.tokens[name])
        assert member["type"] == "welcome" and member["player"]["name"] == name
    for _ in range(3):  # a phone that reconnects with its resume token
        back = join(client, pin, "", token=guest["resume"])
        assert back["type"] == "welcome" and back["player"] == guest["player"]
    assert join(client, pin, "最后一位")["type"] == "welcome"  # so the minute's last guest still gets in
    assert join(client, pin, "多一位")["code"] == "too_many_guests"
    assert join(client, pin, "", token=users.tokens["admin"])["type"] == "welcome"  # a login still does
    # A resume token that is not accepted does not make its connection free: its join counts.
    with client.websocket_connect(f"/ws/live/{pin}?role=player&token=not-a-resume-token") as ws:
        assert ws.receive_json()["code"] == "invalid_token"
        ws.send_text(json.dumps({"type": "join", "name": "冒充"}, ensure_ascii=False))
        assert ws.receive_json()["code"] == "too_many_guests"


def test_the_bound_is_counted_per_address() -> None:
    clock = FakeClock(60_000 * 1000)
    throttle = Throttle(MemoryBackend())
    hall, next_door = GuestBound(throttle, clock, "10.0.0.1"), GuestBound(throttle, clock, "10.0.0.2")
    assert all(hall.retry_after_s() == 0 for _ in range(PER_MINUTE))
    assert hall.retry_after_s() == 60
    assert next_door.retry_after_s() == 0


@pytest.mark.redis
def test_two_workers_share_one_count(redis_url: str) -> None:
    import uuid

    import redis

    prefix = f"quiz:test-{uuid.uuid4().hex}:throttle:"  # this test's own keys (other runs may share the server)
    clock = FakeClock(3_600_000 * 500 + 30_000)  # 30 s into a minute
    workers = [Throttle(RedisBackend(redis_url, prefix)) for _ in range(2)]
    try:
        phones = [GuestBound(worker, clock, "203.0.113.7") for worker in workers]
        # The hall's phones land on either worker (no sticky sessions): a thousand between them get in...
        assert [phones[i % 2].retry_after_s() for i in range(PER_MINUTE)] == [0] * PER_MINUTE
        # ...and the next is refused on both, though each worker has seen only five hundred.
        assert phones[0].retry_after_s() == 30 and phones[1].retry_after_s() == 30
        elsewhere = GuestBound(workers[1], clock, "198.51.100.1")
        assert elsewhere.retry_after_s() == 0
    finally:
        for worker in workers:
            backend = worker.backend
            assert isinstance(backend, RedisBackend)
            backend.close()
        connection = redis.Redis.from_url(redis_url)
        keys = list(connection.scan_iter(f"{prefix}*"))
        if keys:
            connection.delete(*keys)


def test_an_operator_sets_the_bound(clock: FakeClock) -> None:
    """QUIZ_GUEST_JOINS_PER_MINUTE / _PER_HOUR: a venue whose whole audience shares one address raises it
    (and the load benchmark lifts it); the socket's bound follows the settings."""
    from types import SimpleNamespace

    from live.ws import guest_bound
    from quiz.settings import Settings

    settings = Settings.from_env({"QUIZ_GUEST_JOINS_PER_MINUTE": "2", "QUIZ_GUEST_JOINS_PER_HOUR": "5"}, dotenv=None)
    app = SimpleNamespace(state=SimpleNamespace(throttle=Throttle(MemoryBackend()), clock=clock, settings=settings))
    client = SimpleNamespace(role="player", user_id=None)
    clock.advance(MINUTE - clock.now_ms() % MINUTE)

    def joins() -> list[int]:
        return [bool(guest_bound(app, {"client": ("10.1.1.1", 5000)}, client).retry_after_s()) for _ in range(3)]

    assert joins() == [False, False, True], "the minute's 2"
    clock.advance(MINUTE)
    assert joins() == [False, False, True]
    clock.advance(MINUTE)
    assert joins() == [False, True, True], "the hour's 5: the fifth guest in, the sixth refused"
    assert guest_bound(app, {"client": ("10.1.1.1", 5000)}, SimpleNamespace(role="player", user_id=7)) is None
