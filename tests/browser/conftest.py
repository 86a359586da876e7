"""Fixtures for browser tests: a real uvicorn server and Debian's chromium driven by playwright.

- ``live_server``: the app served by uvicorn on a free port, in a thread, on this test's fresh
  database (the ``settings`` fixture), with the real clock. ``live_server.add_user(...)``,
  ``.seed_bank(...)``, ``.token(name)`` and ``.login(context, name)`` set up what a test needs.
- ``browser``: one chromium for the whole run; ``new_page(viewport=PHONE)`` opens a page in a
  fresh context (phone: 360×740 with touch; ``DESKTOP``: 1280×800). Uncaught JavaScript errors
  on any such page fail the test.
- ``shot(page, name)``: a full-page screenshot into ``$QUIZ_SCREENSHOTS`` (or a temp dir), never the repo.

Exam and live-game browser tests reuse these: seed what they need, open pages, assert.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import skip_or_fail

CHROMIUM = Path(os.environ.get("QUIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=zh-CN"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "secret123"

# A small bank with every type; sequential practice meets them in this order.
SAMPLE_QUESTIONS: list[dict[str, Any]] = [
    {"type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
     "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"},
                 {"key": "D", "text": "延安"}],
     "answer": ["A"], "explanation": "1921年7月在上海召开，最后一天转至嘉兴南湖。", "tags": ["党史", "建党"], "difficulty": 2},
    {"type": "judge", "stem": "中国共产党的根本宗旨是全心全意为人民服务。", "answer": [True],
     "explanation": "党章总纲明确规定了党的根本宗旨。", "tags": ["党章"], "difficulty": 1},
    {"type": "multiple", "stem": "下列属于“四个意识”的有哪些？",
     "options": [{"key": "A", "text": "政治意识"}, {"key": "B", "text": "大局意识"}, {"key": "C", "text": "核心意识"},
                 {"key": "D", "text": "市场意识"}],
     "answer": ["A", "B", "C"], "explanation": "四个意识：政治意识、大局意识、核心意识、看齐意识。", "tags": ["党章"],
     "difficulty": 3},
    {"type": "fill", "stem": "中共一大最后一天的会议转移到浙江嘉兴（）的游船上举行。", "answer": [["南湖", "嘉兴南湖"]],
     "explanation": "嘉兴南湖红船是中国共产党梦想起航的地方。", "tags": ["党史"], "difficulty": 2},
    {"type": "short", "stem": "简述伟大建党精神的内涵。", "answer": ["坚持真理、坚守理想，践行初心、担当使命，不怕牺牲、英勇斗争，对党忠诚、不负人民。"],
     "explanation": "2021年7月1日在庆祝中国共产党成立100周年大会上提出。", "tags": ["党史"], "difficulty": 4},
]


def free_socket() -> socket.socket:
    """A listening-ready TCP socket on a free local port (handed to uvicorn, so no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class LiveServer:
    """A running app at ``url`` with helpers to put data in its database directly."""

    url: str
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def add_user(self, username: str, role: str = "member", unit: str = "测试单位", name: str | None = None,
                 password: str = PASSWORD) -> int:
        from quiz.accounts import issue_token, upsert_user

        now = self.app.state.clock.now_ms()
        with self.app.state.db.write() as session:
            user, _ = upsert_user(session, username=username, password=password, name=name or username, role=role,
                                  unit=unit, now_ms=now, overwrite=True)
            self.tokens[username] = issue_token(session, user, now, 30)
        self.ids[username] = user.id or 0
        return self.ids[username]

    def token(self, username: str) -> str:
        return self.tokens[username]

    def seed_bank(self, name: str = "党史知识题库", questions: list[dict[str, Any]] | None = None,
                  description: str = "") -> int:
        """A bank with ``questions`` (contract shape; default SAMPLE_QUESTIONS); returns its id."""
        from question_bank.formats import QuestionData
        from question_bank.models import Bank
        from question_bank.service import insert_questions

        now = self.app.state.clock.now_ms()
        items = [QuestionData(**{"options": [], **q}) for q in (SAMPLE_QUESTIONS if questions is None else questions)]
        with self.app.state.db.write() as session:
            bank = Bank(name=name, description=description, created_ms=now)
            session.add(bank)
            session.flush()
            insert_questions(session, bank.id or 0, items, now)
            return bank.id or 0

    def login(self, context: Any, username: str) -> None:
        """Log ``context`` in as ``username`` by setting the session cookie (no form needed)."""
        context.add_cookies([{"name": "quiz_session", "value": self.tokens[username], "url": self.url}])


@pytest.fixture
def live_server(settings: Any) -> Iterator[LiveServer]:
    """The app served by uvicorn in a thread, on this test's own database, with the real clock."""
    import uvicorn

    from quiz.app import create_app

    app = create_app(settings)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


_SHARED_BROWSER: list[Any] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through playwright, one for the whole run.

    Test modules elsewhere import this fixture; each import is a separate fixture to pytest, but two
    sync playwright drivers cannot run in one thread, so every copy shares the first instance.
    """
    if _SHARED_BROWSER:
        yield _SHARED_BROWSER[0]
        return
    if not CHROMIUM.exists():
        skip_or_fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _SHARED_BROWSER.append(instance)
        try:
            yield instance
        finally:
            _SHARED_BROWSER.clear()
            instance.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport=PHONE)``: a page in a fresh context; uncaught JS errors fail the test at the end."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        viewport = viewport or PHONE
        phone = viewport["width"] < 600
        context = browser.new_context(viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone,
                                      has_touch=phone, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shot(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``shot(page, "name", full_page=True)`` saves a PNG (the whole page, or what the viewport shows)."""
    folder = Path(os.environ["QUIZ_SCREENSHOTS"]) if os.environ.get("QUIZ_SCREENSHOTS") else (
        tmp_path_factory.getbasetemp() / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        path = folder / f"{prefix}-{name}.png"
        if full_page:
            # From the top: sticky bars are drawn where they sit at the current scroll otherwise.
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def wait_until(page: Any, expression: str, arg: Any = None, timeout_s: float = 10.0) -> Any:
    """Poll ``expression`` (a JS expression, or a function of ``arg``) until it is truthy; returns its value.

    Playwright's ``wait_for_function`` polls by evaluating the text inside the page, which the app's
    Content-Security-Policy (script-src 'self', no 'unsafe-eval') forbids; ``evaluate`` goes through the
    DevTools protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression, arg) if arg is not None else page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for: {expression}")
        page.wait_for_timeout(50)
