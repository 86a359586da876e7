"""Autosave with group commit: one writer thread stores the answers of many candidates per transaction.

In a test window thousands of phones save an answer every few seconds. Each save needs a write
transaction; on SQLite writers take turns anyway, and a transaction per save spends most of its
time beginning and committing, with the worker threads queuing for the write lock. Here request
threads hand their save to a queue and wait; the writer takes everything queued (up to ``BATCH``)
and runs it in one transaction, each save still checked against its own attempt (open, and the
save before its deadline) inside that transaction. A save is acknowledged only after
its transaction committed. If a batch fails, its saves are retried one transaction each, so one
bad save cannot fail the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

log = logging.getLogger("quiz.exams")

BATCH = 256
WAIT_S = 30.0

# (attempt_id, exam_id, question_id, position, answer as JSON text or None, now_ms)
Save = tuple[int, int, int, int, str | None, int]
_STOP = object()
_UPSERT_ROW = "({p}, {p}, {p}, {p}, {json}, {p}, '', 0, 0, '')"


def store(connection: Any, saves: list[Save]) -> list[bool]:
    """Store a batch in the caller's transaction with three statements whatever its size; returns, per
    save, whether it was stored (its attempt open and the save before the deadline).

    Few statements matter: every statement hands the GIL over twice, and on a busy server each
    hand-over may wait a switch interval. The attempts' rows are read first (and locked on
    PostgreSQL, so a concurrent submit waits for this batch or this batch sees it submitted).
    """
    postgres = connection.dialect.name == "postgresql"
    p = "%s" if postgres else "?"
    ids = sorted({save[0] for save in saves})
    marks = ", ".join([p] * len(ids))
    rows = connection.exec_driver_sql(
        f"SELECT id, status, deadline_ms FROM exam_attempt WHERE id IN ({marks})"
        + (" FOR UPDATE" if postgres else ""), tuple(ids)).all()
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
        connection.exec_driver_sql(
            "INSERT INTO attempt_answer (attempt_id, exam_id, question_id, position, answer, saved_ms, grade_state, "
            f"score_cents, points_cents, comment) VALUES {', '.join([row] * len(latest))} "
            "ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, saved_ms = excluded.saved_ms",
            tuple(value for save in latest.values() for value in save))
        touched = sorted({key[0] for key in latest})
        connection.exec_driver_sql(
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

    def save(self, save: Save) -> bool:
        """Store ``save`` if its attempt is open and in time; True when stored (and committed)."""
        return self.submit(save).result(timeout=WAIT_S)

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


_LOCK = threading.Lock()


def writer(db: Any) -> Writer:
    """The database's writer, started on first use (it lives on the Database object, like the caches)."""
    current = getattr(db, "_exam_writer", None)
    if current is None:
        with _LOCK:
            current = getattr(db, "_exam_writer", None)
            if current is None:
                current = db._exam_writer = Writer(db)
    return current


def stop(db: Any) -> None:
    """Finish what is queued and end the writer thread (app shutdown)."""
    with _LOCK:
        current = getattr(db, "_exam_writer", None)
        db._exam_writer = None
    if current is not None:
        current.stop()
