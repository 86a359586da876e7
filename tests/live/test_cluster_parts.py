"""The parts several workers are made of: the wire form of a burst, the Redis streams, the leases and the
owner epoch that fences a stale owner (the whole is exercised in test_cluster.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from live import store
from live.cluster import RedisCluster, RemoteClient, decode_ops, encode_ops
from live.lease import MemoryLeases, PgLeases, RedisLeases
from live.messages import AnswerRevealed, Error, QuestionClosed
from live.room import Attach, Outgoing, Reply, Room, Send


class Phone:
    def __init__(self, conn_id: int, player_id: int | None = None, role: str = "player") -> None:
        self.conn_id, self.role, self.player_id, self.team_id, self.closed = conn_id, role, player_id, None, False
        self.got: list[str] = []

    def push(self, messages: list[Outgoing]) -> None:
        self.got.extend(m.text for m in messages)


def test_a_burst_crosses_the_wire_with_each_players_own_result_and_only_its_own_replies() -> None:
    here, there = RemoteClient("w2", 7, "player"), RemoteClient("w2", 8, "player")
    reveal = AnswerRevealed(audience="players", question=3, answer=["A"], explanation="因为", distribution={"A": 2},
                            results={1: {"answered": True, "correct": True, "points": 10, "score": 10, "rank": 1},
                                     2: {"answered": True, "correct": False, "points": 0, "score": 0, "rank": 2}})
    ops = [Attach(here, [{"type": "welcome"}], 1, None), Reply(there, {"type": "pong"}),
           Send(Error(audience="", code="late", message="晚了"), there), Send(reveal)]
    wire = encode_ops(ops, "w1")
    phones = {7: Phone(7), 8: Phone(8, player_id=2)}
    room = Room()
    room.add(phones[8])
    decoded = decode_ops(wire, "w2", phones.get)
    room.deliver(decoded)
    assert phones[7].player_id == 1  # became its player on delivery
    assert phones[7].got[0] == '{"type":"welcome"}' and '"correct":true' in phones[7].got[-1]
    assert phones[8].got[0] == '{"type":"pong"}' and '"code":"late"' in phones[8].got[1]
    assert '"correct":false' in phones[8].got[-1]
    # Another worker's room: nothing addressed to w2's connections, but the reveal for its own players.
    elsewhere = Phone(7, player_id=2)
    other = Room()
    other.add(elsewhere)
    other.deliver(decode_ops(wire, "w3", {7: elsewhere}.get))
    assert len(elsewhere.got) == 1 and '"correct":false' in elsewhere.got[0]


def test_an_owner_room_sends_nothing_to_another_workers_connection() -> None:
    remote = RemoteClient("w2", 1, "player")
    room = Room()
    room.deliver([Attach(remote, [{"type": "welcome"}], 5, None), Send(QuestionClosed(audience="all", question=1,
                                                                                      answered=0))])
    assert len(room) == 0 and remote.player_id is None


@pytest.mark.redis
async def test_streams_carry_items_and_bursts_in_order(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    owner, follower = RedisCluster(redis_url), RedisCluster(redis_url)
    await owner.connect()
    await follower.connect()
    try:
        phone = Phone(3, player_id=9)
        phone.user_id, phone.user_name = None, ""  # type: ignore[attr-defined]
        for i in range(5):
            follower.forward(42, "answer", phone, {"id": f"a{i}", "question": 1, "answer": "B"})
        await asyncio.sleep(0.05)
        items, _ = await owner.read_items(42, "0", block_ms=500)
        assert [data["d"]["id"] for _, _, data in items] == [f"a{i}" for i in range(5)]
        assert all(worker == follower.worker and data["p"] == 9 for _, worker, data in items)
        entry = items[0][0].partition("/")[0]
        assert [where for where, _, _ in items] == [f"{entry}/{i}" for i in range(5)]  # one entry for the turn
        assert [d["d"]["id"] for _, _, d in await owner.read_entry(42, entry)][3:] == ["a3", "a4"]
        published: list[str] = []
        owner.publish(42, [["r", [follower.worker, 3], {"type": "ack"}]], items[-1][0], "running", published.append)
        owner.publish(42, [["x"]], None, "running", published.append)
        await owner.drained(42)
        first = published[0]
        bursts = await follower.read_bursts(42, "0", block_ms=500)
        assert len(published) == 2 and bursts[0][0] == first and bursts[0][1]["in"] == items[-1][0] and bursts[1][1]["ops"] == [["x"]]
        assert (await follower.last_burst(42))[0] == bursts[1][0]  # type: ignore[index]

        async def answer_reads() -> None:
            found, _ = await owner.read_items(42, entry, block_ms=2000)
            for _, _, data in found:
                await owner.answer(data["d"]["reply"], {"phase": "lobby", "asked": data["d"]["what"]})

        answering = asyncio.ensure_future(answer_reads())
        assert await follower.ask(42, {"what": "state"}) == {"phase": "lobby", "asked": "state"}
        await answering
    finally:
        await owner.disconnect()
        await follower.disconnect()


@pytest.mark.postgres
async def test_one_advisory_lock_per_game_freed_when_its_holder_goes(postgres_url: str) -> None:
    first, second = PgLeases(postgres_url), PgLeases(postgres_url)
    await first.start()
    await second.start()
    try:
        game = 987_654
        assert await first.acquire(game) and await first.acquire(game)
        assert not await second.acquire(game)
        assert await second.acquire(game + 1)  # another game: another owner
        first.conn.close()  # the owner's session dies (as with SIGKILL): the lock goes with it
        assert not await first.alive() and not first.holds(game)
        assert await second.acquire(game)
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.redis
async def test_redis_leases_expire_without_renewal(redis_url: str) -> None:
    import redis.asyncio as aioredis

    connection = aioredis.from_url(redis_url)
    await connection.delete("live:lease:5")
    first, second = RedisLeases(connection, "w1"), RedisLeases(connection, "w2")
    try:
        assert await first.acquire(5) and not await second.acquire(5)
        await first.release(5)
        assert await second.acquire(5) and second.holds(5)
    finally:
        await connection.delete("live:lease:5")
        await connection.aclose()


async def test_one_process_owns_everything() -> None:
    leases = MemoryLeases()
    assert await leases.acquire(1) and leases.holds(1) and await leases.alive()


def test_a_stale_owners_burst_is_refused_whole(app: Any, make_game: Any) -> None:
    game = make_game()
    db = app.state.db
    epoch = store.take_over(db, game["id"])
    newer = store.take_over(db, game["id"])
    assert newer == epoch + 1
    join = store.LogRecord(1, 1000, store.command_from_dict({"command": "join", "player_id": 1, "name": "甲",
                                                             "team_id": None, "user_id": None}))
    with pytest.raises(store.Fenced):
        store.write(db, store.prepare(game["id"], [join], epoch=epoch))
    with db.read() as session:
        assert session.get(store.LiveGame, game["id"]).seq == 0  # type: ignore[union-attr]
    store.write(db, store.prepare(game["id"], [join], epoch=newer))
    with db.read() as session:
        assert session.get(store.LiveGame, game["id"]).seq == 1  # type: ignore[union-attr]


@pytest.mark.redis
async def test_a_fenced_owner_hands_what_its_refused_burst_held_to_the_new_owner(
        app: Any, make_game: Any, redis_url: str) -> None:
    """An owner that lost the game without noticing yet handles a join of its own client; its burst is refused
    by the epoch. Nobody was told anything, and the join is not lost: it travels to the new owner's stream."""
    import redis

    from live.lease import RedisLeases
    from live.runner import Item, LiveManager

    redis.Redis.from_url(redis_url).flushdb()
    game = make_game()
    manager = LiveManager(app.state.db, app.state.clock, redis_url)
    await manager.start()
    try:
        venue = await manager.venue_by_id(game["id"])
        assert venue is not None and venue.runner is not None  # this worker owns the game
        # ... until another worker takes it over: it holds the lease (so this one cannot take the game back)
        # and has raised the epoch.
        other = type(manager.leases)(*((manager.cluster.redis, "other-worker") if isinstance(
            manager.leases, RedisLeases) else (app.state.db.url,)))
        await other.start()
        await manager.leases.release(game["id"])
        assert await other.acquire(game["id"])
        store.take_over(app.state.db, game["id"])
        phone = Phone(11)
        phone.user_id, phone.user_name = None, ""  # type: ignore[attr-defined]
        venue.connected(phone)
        assert venue.submit(Item("join", phone, {"name": "小红"}))
        for _ in range(100):
            if venue.runner is None:
                break
            await asyncio.sleep(0.02)
        assert venue.runner is None  # it follows now
        await asyncio.sleep(0.05)  # the forward's gathering
        entries = redis.Redis.from_url(redis_url).xrange(f"live:in:{game['id']}")
        forwarded = [item for _, fields in entries for item in json.loads(fields[b"j"])]
        assert [(item["k"], item["c"], item["d"]) for item in forwarded] == [("join", 11, {"name": "小红"})]
        assert phone.got == [] and phone.player_id is None  # nothing acknowledged by the stale copy
        with app.state.db.read() as session:
            assert session.get(store.LiveGame, game["id"]).seq == 0  # type: ignore[union-attr]
        await other.stop()
    finally:
        await manager.stop()
        redis.Redis.from_url(redis_url).flushdb()
