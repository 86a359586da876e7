"""Autosave with group commit: one writer thread stores the answers of many candidates per transaction.

In a test window thousands of phones save an answer every few seconds. Each save needs a write
transaction; on SQLite writers take turns anyway, and a transaction per save spends most of its
time beginning and committing, with the worker threads queuing for the write lock. Here request
threads hand their save to a queue and wait; the writer takes everything queued (up to ``BATCH``)
and runs it in one transaction, each save still checking its own attempt (open, before the
deadline) in the same statement that locks the attempt's row. A save is acknowledged only after
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

# ``claim`` marks the attempt saved-to and locks its row, but only while open and before the deadline.
_CLAIM = "UPDATE exam_attempt SET last_saved_ms = {p} WHERE id = {p} AND status = 'open' AND deadline_ms > {p}"
_UPSERT = ("INSERT INTO attempt_answer (attempt_id, exam_id, question_id, position, answer, saved_ms, grade_state, "
           "score_cents, points_cents, comment) VALUES ({p}, {p}, {p}, {p}, {json}, {p}, '', 0, 0, '') "
           "ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, saved_ms = excluded.saved_ms")
SQL = {
    "sqlite": (_CLAIM.format(p="?"), _UPSERT.format(p="?", json="?")),
    "postgresql": (_CLAIM.format(p="%s"), _UPSERT.format(p="%s", json="%s::json")),
}

# (attempt_id, exam_id, question_id, position, answer as JSON text or None, now_ms)
Save = tuple[int, int, int, int, str | None, int]
_STOP = object()


def _apply(connection: Any, save: Save) -> bool:
    claim, upsert = SQL[connection.dialect.name]
    attempt_id, exam_id, question_id, position, answer, now_ms = save
    if connection.exec_driver_sql(claim, (now_ms, attempt_id, now_ms)).rowcount != 1:
        return False
    connection.exec_driver_sql(upsert, (attempt_id, exam_id, question_id, position, answer, now_ms))
    return True


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
                connection = session.connection()
                results = [_apply(connection, save) for save, _ in batch]
        except Exception:
            log.exception("autosave batch of %d failed; retrying one by one", len(batch))
            for save, done in batch:
                try:
                    with self.db.write() as session:
                        stored = _apply(session.connection(), save)
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
