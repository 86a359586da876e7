"""A phone whose answer the server could not store just now (its database away for a moment: `store_failed`)
sends it again by itself and gets it saved, without a tap and without a reconnect."""

from __future__ import annotations

import time
from typing import Any

import pytest

from live import store
from tests.browser.conftest import PHONE, wait_until
from tests.browser.test_player_network import CONSOLE, join, open_game

pytestmark = pytest.mark.browser


def test_an_answer_refused_for_now_goes_again_by_itself(live_server: Any, new_page: Any, shot: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    game = open_game(live_server)
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phone = new_page(PHONE)
    join(phone, live_server, game["pin"], "王小明")
    console.click("[data-action=start]")
    phone.wait_for_selector(".answer-tile[data-key=A]")

    real_run, refused = store.run_batch, []

    def database_away_twice(execute: Any, batch: store.Batch, copy: Any = None) -> None:
        answers = [row for row in batch.rows_of("live_command") if '"command":"answer"' in row[3]]
        if answers and len(refused) < 2:
            refused.append(time.monotonic())
            raise OSError("the database is away")
        real_run(execute, batch, copy)

    monkeypatch.setattr(store, "run_batch", database_away_twice)
    phone.click(".answer-tile[data-key=A]")
    deadline = time.monotonic() + 15
    while "答案已保存" not in phone.inner_text("#save-status"):
        assert time.monotonic() < deadline, phone.inner_text("#save-status")
        phone.wait_for_timeout(100)
    assert len(refused) == 2  # refused twice, then stored: sent three times in all, by the phone alone
    wait_until(console, "document.querySelector('#count-answered').textContent.trim() === '1'")
    shot(phone, "saved-after-retries")
