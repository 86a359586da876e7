"""The login throttle from the attacker's side (CONTRACT §2): the guesser is slowed down, the owner is not;
and with Redis, failures spread over two workers count as on one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from quiz.app import create_app
from quiz.settings import Settings
from quiz.throttle import MemoryBackend, Policy, Throttle
from tests.quiz.test_accounts import assert_error, login


def from_address(app: Any, address: str) -> TestClient:
    """Another client of the same running app, as seen from ``address`` (no lifespan of its own)."""
    return TestClient(app, client=(address, 50000))


def test_the_delay_grows_with_each_failure_past_the_allowance() -> None:
    throttle = Throttle(MemoryBackend())
    policy = Policy(allowance=3, delay_ms=1000, max_delay_ms=8000, memory_ms=60_000)
    now = 1_000_000
    for _ in range(2):
        throttle.failed([("k", policy)], now)
    assert throttle.retry_after_s(["k"], now) == 0
    waits = []
    for _ in range(5):
        throttle.failed([("k", policy)], now)
        waits.append(throttle.retry_after_s(["k"], now))
    assert waits == [1, 2, 4, 8, 8]  # doubling, then capped
    throttle.succeeded(["k"])
    assert throttle.retry_after_s(["k"], now) == 0
    throttle.failed([("k", policy)], now + 10)
    assert throttle.retry_after_s(["k"], now + 10) == 0  # cleared: the allowance starts again
    # forgotten a memory after the last failure
    for _ in range(3):
        throttle.failed([("old", policy)], now)
    throttle.failed([("old", policy)], now + 60_001)
    assert throttle.retry_after_s(["old"], now + 60_001) == 0


def test_the_rate_counter_counts_per_window() -> None:
    throttle = Throttle(MemoryBackend())
    assert [throttle.count("g", 60_000, 120_000 + i) for i in range(3)] == [1, 2, 3]
    assert throttle.count("g", 60_000, 180_000) == 1


def test_a_guesser_elsewhere_does_not_lock_the_owner_out(client, users, settings):
    """Throttled answers carry Retry-After and the contract's error shape; the owner's own address is not slowed."""
    assert login(client, "alice", "secret123").status_code == 200  # alice logs in from here as usual
    guesser = from_address(client.app, "guesser")
    for _ in range(settings.login_max_failures):
        assert login(guesser, "alice", "guess-pass").status_code == 401
    refused = login(guesser, "alice", "secret123")
    error = assert_error(refused, 429, "login_throttled")
    assert int(refused.headers["Retry-After"]) == settings.login_lock_s == error["details"][0]["retry_after_s"]
    assert login(client, "alice", "secret123").status_code == 200
    assert login(from_address(client.app, "new-place"), "alice", "secret123").status_code == 200


def test_many_names_from_one_address_do_not_lock_a_user_of_that_address_or_another(client, users):
    """50 failures with random names from one address (a hall behind one NAT) lock out neither a user
    who logs in from that address as before nor one at another address."""
    assert login(client, "bob", "secret123").status_code == 200  # bob uses the hall's address daily
    throttle = client.app.state.login_throttle
    for i in range(throttle.max_failures * throttle.ADDRESS_FACTOR + 5):
        login(client, f"random{i}", "guess-pass")
    assert_error(login(client, "nobody-new", "guess-pass"), 429, "login_throttled")  # the guessing is slowed
    assert login(client, "bob", "secret123").status_code == 200
    assert login(from_address(client.app, "elsewhere"), "alice", "secret123").status_code == 200


def test_one_account_guessed_from_many_addresses_is_slowed_but_its_owner_gets_in(client, users):
    assert login(client, "alice", "secret123").status_code == 200
    throttle = client.app.state.login_throttle
    for i in range(throttle.max_failures * throttle.ACCOUNT_FACTOR):
        assert login(from_address(client.app, f"bot{i}"), "alice", "guess-pass").status_code == 401
    assert_error(login(from_address(client.app, "bot-next"), "alice", "secret123"), 429, "login_throttled")
    assert login(client, "alice", "secret123").status_code == 200  # from her usual address


def test_no_lockout_lasts_past_its_delay(client, users, clock, settings):
    guesser = from_address(client.app, "guesser")
    for _ in range(settings.login_max_failures):
        login(guesser, "bob", "guess-pass")
    assert login(guesser, "bob", "secret123").status_code == 429
    clock.advance(settings.login_lock_s * 1000)
    assert login(guesser, "bob", "secret123").status_code == 200


# --- two workers, one Redis --------------------------------------------------------------------------------


@pytest.fixture
def two_workers(database_url: str, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    import redis

    from quiz.db import Database
    from quiz.sessions import namespace

    # PostgreSQL runs share one database URL, hence one namespace: start from clean counters.
    server = redis.Redis.from_url(redis_url)
    db = Database(database_url)
    for key in server.scan_iter(f"quiz:{namespace(db)}:throttle:*"):
        server.delete(key)
    db.dispose()
    settings = Settings(database_url=database_url, redis_url=redis_url, secret_key="test", gc_freeze_s=0)
    with ExitStack() as stack:
        first = stack.enter_context(TestClient(create_app(settings)))
        second = stack.enter_context(TestClient(create_app(settings)))
        from quiz.accounts import upsert_user

        with first.app.state.db.write() as session:
            upsert_user(session, username="sun", password="secret123", name="孙", role="member", unit="",
                        now_ms=first.app.state.clock.now_ms(), overwrite=True)
        yield first, second


@pytest.mark.redis
def test_five_failures_over_two_workers_throttle_as_five(two_workers):
    first, second = two_workers
    max_failures = first.app.state.settings.login_max_failures
    for i in range(max_failures):
        worker = (first, second)[i % 2]
        assert login(worker, "sun", "guess-pass").status_code == 401
    for worker in (first, second):
        response = login(worker, "sun", "secret123")
        assert_error(response, 429, "login_throttled")
        assert int(response.headers["Retry-After"]) >= first.app.state.settings.login_lock_s - 1


@pytest.mark.redis
def test_the_shared_counter_is_usable_by_others(two_workers):
    """The app's generic throttle (PIN guesses, guests) counts the same on both workers."""
    first, second = two_workers
    now = first.app.state.clock.now_ms()
    counts = [w.app.state.throttle.count("test:shared", 60_000, now) for w in (first, second, first)]
    assert counts == [1, 2, 3]


def test_an_unreachable_redis_is_tried_once_every_few_seconds_not_on_every_call() -> None:
    """Guests' joins and PIN lookups count on the event loop: while Redis is away each call must answer at
    once (nothing counted, nobody blocked), not wait for a socket timeout; after the pause it is tried again."""
    from quiz.throttle import RedisBackend

    now = [100.0]
    backend = RedisBackend("redis://127.0.0.1:1/0", "t:", clock=lambda: now[0])
    tries: list[str] = []

    def unreachable(**_: Any) -> int:
        tries.append("hit")
        raise ConnectionError("refused")

    backend._hit = unreachable
    throttle = Throttle(backend)
    assert [throttle.count("guests:1.2.3.4", 60_000, 0) for _ in range(50)] == [0] * 50
    assert tries == ["hit"], "one try, then the breaker answers for Redis"
    policy = Policy(allowance=1, delay_ms=1000, max_delay_ms=8000, memory_ms=60_000)
    throttle.failed([("pin:1.2.3.4", policy)] * 5, 0)
    assert throttle.retry_after_s(["pin:1.2.3.4"], 0) == 0, "an outage blocks nobody"
    now[0] += backend.PAUSE_S + 0.1
    assert throttle.count("guests:1.2.3.4", 60_000, 0) == 0
    assert tries == ["hit", "hit"], "after the pause Redis is tried again"
    backend._hit = lambda **_: 7  # back
    now[0] += backend.PAUSE_S + 0.1
    assert throttle.count("guests:1.2.3.4", 60_000, 0) == 7
