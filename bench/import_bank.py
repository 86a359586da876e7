"""Import speed: the 9,370-question 学习强国 bank as an Excel file, uploaded to a running ``quiz serve``.

Converts ``../shared/data/xxqg_mondayfirst_tiku_sorted.json`` into our Excel template (as an organiser
would; not timed), starts ``quiz serve`` on a temporary SQLite database (or the database named by
``--database-url``), then times the upload end to end with httpx: ``POST /api/banks/{id}/import``
from the first byte sent to the last byte of the answer, each time into a new empty bank.

    .venv/bin/python bench/import_bank.py [--repeat 3] [--database-url postgresql://...]

Target (docs/benchmarks.md): ≤ 3 s end to end on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "xxqg_mondayfirst_tiku_sorted.json"
KEYS = "ABCDEFGH"
EXPECTED = (9348, 22)  # imported, duplicates (tests/question_bank/test_bank_api.py checks the same)


def xxqg_xlsx(path: Path) -> bytes:
    """The bank in our template: blanks (8 no-break spaces) → （）, answers (option text) → letters,
    正确/错误 pairs → 判断."""
    from openpyxl import Workbook

    items: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("题库")
    sheet.append(["题型", "题干", *[f"选项{k}" for k in KEYS[:4]], "答案", "解析", "难度", "标签"])
    for key, answer in items.items():
        stem, *options = key.split("|")
        stem = stem.replace("\xa0" * 8, "（）").replace("\xa0", " ").strip()
        if sorted(options) == ["正确", "错误"]:
            sheet.append(["判断", stem, "", "", "", "", answer, "", "", "学习强国"])
        else:
            padded = options + [""] * (4 - len(options))
            sheet.append(["单选", stem, *padded, KEYS[options.index(answer)], "", "", "学习强国"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def organizer_token(url: str) -> str:
    sys.path.insert(0, str(ROOT))
    from quiz.accounts import hash_password, issue_token
    from quiz.db import Database
    from quiz.models import User
    from quiz.timeutil import Clock

    db = Database(url)
    db.migrate()
    now = Clock().now_ms()
    with db.write() as session:
        user = User(username=f"bench-org-{now}", name="组织者", role="organizer",
                    password_hash=hash_password("bench-pass"), created_ms=now)
        session.add(user)
        session.flush()
        token = issue_token(session, user, now, 1)
    db.dispose()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    if not DATA.is_file():
        raise SystemExit(f"{DATA} is absent (the shared/data folder sits beside the repository)")

    workdir = Path(tempfile.mkdtemp(prefix="quiz-import-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    started = time.perf_counter()
    data = xxqg_xlsx(DATA)
    print(f"converted the bank to xlsx ({len(data) / 1e6:.2f} MB) in {time.perf_counter() - started:.2f} s")
    token = organizer_token(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "quiz.cli", "serve", "--port", str(port)], cwd=workdir,
                              env={**os.environ, "QUIZ_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
    timings: list[float] = []
    dry: list[float] = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/api/openapi.json").status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.1)
            for run in range(args.repeat):
                bank = client.post("/api/banks", json={"name": f"学习强国 {run}"}).json()
                started = time.perf_counter()
                response = client.post(f"/api/banks/{bank['id']}/import?dry_run=1",
                                       files={"file": ("学习强国.xlsx", data)})
                dry.append(time.perf_counter() - started)
                started = time.perf_counter()
                response = client.post(f"/api/banks/{bank['id']}/import", files={"file": ("学习强国.xlsx", data)})
                timings.append(time.perf_counter() - started)
                body: dict[str, Any] = response.json()
                got = (body.get("imported"), body.get("duplicates"))
                if response.status_code != 200 or got != EXPECTED:
                    raise SystemExit(f"unexpected answer {response.status_code}: {got} {body.get('errors', [])[:3]}")
                print(f"run {run + 1}: dry run {dry[-1]:.2f} s, import {timings[-1]:.2f} s "
                      f"({got[0]} imported, {got[1]} duplicates)", flush=True)
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {"questions": EXPECTED[0], "import_s_best": round(min(timings), 2),
               "import_s_median": round(statistics.median(timings), 2), "dry_run_s_best": round(min(dry), 2),
               "database": "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0]}
    print("SUMMARY " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
