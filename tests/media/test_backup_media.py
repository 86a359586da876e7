"""Media live in the database (table media_file), so ``quiz backup`` / ``quiz restore`` carry them with the
questions that name them: a restored server serves the same pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quiz.backup import backup, restore
from quiz.db import Database
from tests.media.helpers import jpeg, mp3
from tests.ops.conftest import sqlite_app  # noqa: F401  (fixture)


def test_backup_and_restore_keep_the_media(sqlite_app: Any, tmp_path: Path) -> None:  # noqa: F811
    from quiz.accounts import issue_token, upsert_user

    app, client = sqlite_app
    with app.state.db.write() as session:
        user, _ = upsert_user(session, username="org", password="secret123", name="org", role="organizer",
                              unit="", now_ms=1, overwrite=True)
        token = issue_token(session, user, app.state.clock.now_ms(), 30)
    headers = {"Authorization": f"Bearer {token}"}
    photo = client.post("/api/media", headers=headers, files={"file": ("a.jpg", jpeg(1500, 900), "image/jpeg")}).json()
    song = client.post("/api/media", headers=headers, files={"file": ("s.mp3", mp3(), "audio/mpeg")}).json()
    summary = backup(app.state.db, tmp_path / "backup.db")
    assert summary.rows["media_file"] == 3  # the photo, its phone copy and the song

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    restore(fresh, tmp_path / "backup.db")
    from question_bank.media import MediaFile, name_from_url

    with fresh.read() as session:
        for url in (photo["url"], song["url"], photo["variants"][0]["url"]):
            row = session.get(MediaFile, name_from_url(url))
            assert row is not None and row.data == client.get(url).content
    fresh.dispose()
