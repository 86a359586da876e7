"""Autosave with group commit: the answers of many candidates are stored in one transaction.

In a test window thousands of phones save an answer every few seconds. Each save needs a write
transaction; on SQLite writers take turns anyway, and a transaction per save spends most of its
time beginning and committing. Here saves are gathered and a batch is stored in one transaction,
each save still checked against its own attempt (open, and the save before its deadline) inside
that transaction. A save is acknowledged only after its transaction committed. If a batch fails,
its saves are retried one transaction each, so one bad save cannot fail the others.

Two writers share the same `store`:

- `LoopWriter` (SQLite, the request handled on the event loop): saves gathered for a couple of
  milliseconds are stored from the event loop's own thread on a connection of its own. A batch
  is a few hundred microseconds of SQLite; run in a worker thread instead, each of its statements
  hands the GIL to and from the busy event loop, and on a loaded machine every hand-over waits
  for the scheduler. It only tries the database's write lock (the loop never blocks on it), again
  every millisecond while it is taken, and hands the batch to the thread writer when another
  writer holds it longer than ``LOCK_WAIT_S``.
- `Writer` (PostgreSQL, callers in threads, and the fallback): a thread that takes everything
  queued (up to ``BATCH``) and stores it in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger("quiz.exams")

BATCH = 256

# (attempt_id, exam_id, question_id, position, answer as JSON text or None, now_ms)
Save = tuple[int, int, int, int, str | None, int]
_STOP = object()
_UPSERT_ROW = "({p}, {p}, {p}, {p}, {json}, {p}, '', 0, 0, '')"


def store(connection: Any, saves: list[Save]) -> list[bool]:
    """`store_with` on a SQLAlchemy connection (in the caller's transaction)."""
    return store_with(connection.exec_driver_sql, connection.dialect.name == "postgresql", saves)


def store_with(execute: Callable[[str, tuple[Any, ...]], Any], postgres: bool, saves: list[Save]) -> list[bool]:
    """Store a batch in the caller's transaction with three statements whatever its size; returns, per
    save, whether it was stored (its attempt open and the save before the deadline). ``execute`` is
    a DB-API style ``execute(sql, params)`` returning something with ``fetchall()``.

    Few statements matter: every statement hands the GIL over twice, and on a busy server each
    hand-over may wait a switch interval. The attempts' rows are read first (and locked on
    PostgreSQL, so a concurrent submit waits for this batch or this batch sees it submitted).
    """
    p = "%s" if postgres else "?"
    ids = sorted({save[0] for save in saves})
    marks = ", ".join([p] * len(ids))
    rows = execute(
        f"SELECT id, status, deadline_ms FROM exam_attempt WHERE id IN ({marks})"
        + (" FOR UPDATE" if postgres else ""), tuple(ids)).fetchall()
    state = {row[0]: (row[1], row[2]) for row in rows}
    stored: list[bool] = []
    latest: dict[tuple[int, int], Save] = {}  # the last save of a question in this batch wins, as in sequence
    for save in saves:
        status, deadline = state.get(save[0], ("", 0))
        ok = status == "open" and save[5] < deadline
        stored.append(ok)
        if ok:
            latest[(save[0], save[2])] = save
    if latest:
        row = _UPSERT_ROW.format(p=p, json="%s::json" if postgres else "?")
        execute(
            "INSERT INTO attempt_answer (attempt_id, exam_id, question_id, position, answer, saved_ms, grade_state, "
            f"score_cents, points_cents, comment) VALUES {', '.join([row] * len(latest))} "
            "ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, saved_ms = excluded.saved_ms",
            tuple(value for save in latest.values() for value in save))
        touched = sorted({key[0] for key in latest})
        execute(
            f"UPDATE exam_attempt SET last_saved_ms = {p} WHERE id IN ({', '.join([p] * len(touched))})",
            (max(save[5] for save in latest.values()), *touched))
    return stored


class Writer:
    """The writer thread of one database."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="exam-autosave", daemon=True)
        self.thread.start()

    def submit(self, save: Save) -> Future[bool]:
        """Queue ``save``; the future is True once stored and committed, False if the attempt is closed."""
        done: Future[bool] = Future()
        self.queue.put((save, done))
        return done

    def stop(self) -> None:
        self.queue.put(_STOP)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < BATCH:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Save, Future[bool]]]) -> None:
        try:
            with self.db.write() as session:
                results = store(session.connection(), [save for save, _ in batch])
        except Exception:
            log.exception("autosave batch of %d failed; retrying one by one", len(batch))
            for save, done in batch:
                try:
                    with self.db.write() as session:
                        stored = store(session.connection(), [save])[0]
                    done.set_result(stored)
                except Exception as exc:
                    done.set_exception(exc)
            return
        for (_, done), stored in zip(batch, results, strict=True):
            done.set_result(stored)


class LoopWriter:
    """SQLite: saves stored from the event loop's thread, a batch every ``DELAY_S`` at most (see above)."""

    DELAY_S = 0.002
    LOCK_WAIT_S = 0.02
    RETRY_S = 0.001
    CHECKPOINT_EVERY_S = 5.0

    def __init__(self, db: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.db = db
        self.loop = loop
        self.conn = db.own_sqlite_connection(self.LOCK_WAIT_S)  # no pool checkout, no SQLAlchemy, no checkpoint
        self.pending: list[tuple[Save, asyncio.Future[bool]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.checkpointed = time.monotonic()
        self.waiting_since: float | None = None  # when the pending batch first found the write lock taken

    async def save(self, save: Save) -> bool:
        """Store ``save`` if its attempt is open and in time; True once stored and committed."""
        done: asyncio.Future[bool] = self.loop.create_future()
        self.pending.append((save, done))
        if self.timer is None:
            self.timer = self.loop.call_later(self.DELAY_S, self.flush)
        return await done

    def flush(self, closing: bool = False) -> None:
        """Store what is pending now, in one transaction (or hand it to the thread writer).

        The write lock is only tried, never waited for on the loop: a thread holding it (a login, a
        start, a submit) is a millisecond or more of work, and a loop blocked meanwhile answered
        nothing else — every request in hand waited with the saves. While the lock is taken the
        batch keeps gathering and is tried again every ``RETRY_S``, for ``LOCK_WAIT_S`` in all.
        """
        self.timer = None
        if not self.pending:
            return
        lock = self.db._write_lock
        if not (lock.acquire(timeout=self.LOCK_WAIT_S) if closing else lock.acquire(blocking=False)):
            now = time.monotonic()
            if self.waiting_since is None:
                self.waiting_since = now
            if not closing and now - self.waiting_since < self.LOCK_WAIT_S:
                self.timer = self.loop.call_later(self.RETRY_S, self.flush)
                return
            self.waiting_since = None
            batch, self.pending = self.pending, []
            self._to_thread(batch)
            return
        self.waiting_since = None
        batch, self.pending = self.pending, []
        try:
            results = self._store([save for save, _ in batch])
        finally:
            lock.release()
        if results is None:
            self._to_thread(batch)
            return
        for (_, done), stored in zip(batch, results, strict=True):
            if not done.done():
                done.set_result(stored)
        if time.monotonic() - self.checkpointed > self.CHECKPOINT_EVERY_S:
            self.checkpointed = time.monotonic()
            self.loop.run_in_executor(None, self.db.checkpoint)

    def _store(self, saves: list[Save]) -> list[bool] | None:
        """The batch's results (the caller holds the process's write lock), or None when another process
        holds SQLite's write lock or the batch failed."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # another process holds SQLite's write lock
            return None
        try:
            results = store_with(self.conn.execute, False, saves)
            self.conn.execute("COMMIT")
            return results
        except Exception:
            self.conn.execute("ROLLBACK")
            log.exception("autosave batch of %d failed on the event loop; retrying in the writer thread", len(saves))
            return None

    def _to_thread(self, batch: list[tuple[Save, asyncio.Future[bool]]]) -> None:
        thread = writer(self.db)
        for save, done in batch:
            thread.submit(save).add_done_callback(
                lambda result, done=done: self.loop.call_soon_threadsafe(_settle, done, result))

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.flush(closing=True)
        self.conn.close()


def _settle(done: asyncio.Future[bool], result: Future[bool]) -> None:
    if done.done():
        return
    error = result.exception()
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result.result())


_LOCK = threading.Lock()


def writer(db: Any) -> Writer:
    """The database's writer thread, started on first use (it lives on the Database object, like the caches)."""
    current = getattr(db, "_exam_writer", None)
    if current is None:
        with _LOCK:
            current = getattr(db, "_exam_writer", None)
            if current is None:
                current = db._exam_writer = Writer(db)
    return current


async def save_async(db: Any, save: Save) -> bool:
    """From the event loop: store ``save`` (True) or refuse it (False: the attempt is closed or late)."""
    loop = asyncio.get_running_loop()
    current: LoopWriter | None = getattr(db, "_exam_loop_writer", None)
    if current is None or current.loop is not loop:
        path = db.engine.url.database if db.is_sqlite else None
        if not path or path == ":memory:":
            return await asyncio.wrap_future(writer(db).submit(save))
        if current is not None:
            current.close()
        current = db._exam_loop_writer = LoopWriter(db, loop)
    return await current.save(save)


def close_loop_writer(db: Any) -> None:
    """Store what is pending on the event loop and close its connection (app shutdown, on the loop)."""
    current: LoopWriter | None = getattr(db, "_exam_loop_writer", None)
    db._exam_loop_writer = None
    if current is not None:
        current.close()


def stop(db: Any) -> None:
    """Finish what is queued and end the writer thread (app shutdown, after `close_loop_writer`)."""
    with _LOCK:
        current = getattr(db, "_exam_writer", None)
        db._exam_writer = None
    if current is not None:
        current.stop()
