"""The papers organisers hand out: the results notice (page and PDF) and the prize certificates (PDF),
checked by their text (pypdf) and rendered to PNG with pdftoppm (kept in the test's folder to look at)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quiz.competitions import papers
from tests.competitions.conftest import check

pypdf = pytest.importorskip("pypdf", reason="pypdf (the test extra) reads the PDFs' text")
TITLE = "学党史、知党情、跟党走 知识竞赛"


def needs_font() -> None:
    try:
        papers.cjk_font()
    except papers.FontMissing:
        pytest.skip("no Chinese font (apt-get install fonts-noto-cjk, or QUIZ_PDF_FONT)")


def pages_text(content: bytes) -> list[str]:
    """Each page's text: poppler's pdftotext (what a reader's copy gives), else pypdf's (whose reading of
    fpdf2's ToUnicode map leaves a NUL before each character)."""
    count = len(pypdf.PdfReader(io.BytesIO(content)).pages)
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True,
                             timeout=60).stdout.decode()
        pages = out.split("\f")[:count]
    else:
        pages = [page.extract_text().replace("\x00", "") for page in pypdf.PdfReader(io.BytesIO(content)).pages]
    assert len(pages) == count
    return pages


def render(content: bytes, folder: Path, name: str) -> list[Path]:
    """PNG pages (pdftoppm): a PDF poppler cannot draw fails here."""
    if shutil.which("pdftoppm") is None:
        return []
    pdf = folder / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(folder / name)], check=True, timeout=60)
    images = sorted(folder.glob(f"{name}-*.png"))
    assert images and all(p.stat().st_size > 1000 for p in images)
    return images


@pytest.fixture
def final(api: Callable[..., Any], competition: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A final of 4 teams: 一等奖 1, 二等奖 2 (scores entered), the prizes awarded."""
    comp = competition(teams=4, title=TITLE)
    rnd = check(api("POST", f"/api/competitions/{comp['id']}/rounds", as_="org", json={
        "stage": "final", "format": "live", "prizes": [{"name": "一等奖", "count": 1}, {"name": "二等奖", "count": 2}]}),
        201)
    teams = [t["id"] for t in comp["teams"]]
    check(api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org", json={"teams": [
        {"team_id": tid, "score": 100 - 10 * i, "time_ms": 1000} for i, tid in enumerate(teams)]}))
    check(api("POST", f"/api/rounds/{rnd['id']}/prizes", as_="org"))
    return {"competition": comp, "round": rnd}


def test_results_notice_page_and_pdf(api: Callable[..., Any], final: dict[str, Any], tmp_path: Path) -> None:
    needs_font()
    rid = final["round"]["id"]
    page = api("GET", f"/admin/rounds/{rid}/notice", as_="org")
    assert page.status_code == 200 and "决赛成绩通报" in page.text
    for i in range(1, 5):
        assert f"队{i:02d}" in page.text and f"队员{i:02d}-1、队员{i:02d}-2、队员{i:02d}-3" in page.text
    response = api("GET", f"/api/rounds/{rid}/notice.pdf", as_="org")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(pages_text(response.content)).replace("\n", "")
    assert TITLE in text and "决赛成绩通报" in text and "组委会" in text
    for i, result in zip(range(1, 5), ["一等奖", "二等奖", "二等奖", ""], strict=True):
        assert f"队{i:02d}" in text and f"市直单位{i:02d}" in text and f"队员{i:02d}-2" in text
        assert str(100 - 10 * (i - 1)) in text
        if result:
            assert result in text
    render(response.content, tmp_path, "notice")


def test_certificates_for_every_prize_winning_team_and_player(api: Callable[..., Any], final: dict[str, Any],
                                                              tmp_path: Path) -> None:
    needs_font()
    response = api("GET", f"/api/rounds/{final['round']['id']}/certificates.pdf", as_="org")
    assert response.status_code == 200
    texts = [t.replace("\n", "").replace(" ", "") for t in pages_text(response.content)]
    assert len(texts) == 3 * (1 + 3)  # three winning teams, each with 3 players
    assert all("获奖证书" in t and TITLE.replace(" ", "") in t for t in texts)
    assert "队01" in texts[0] and "一等奖" in texts[0] and "二等奖" not in texts[0]
    assert "队员01-1同志" in texts[1] and "一等奖" in texts[1]
    assert "队03" in texts[8] and "二等奖" in texts[8]
    assert not any("队04" in t for t in texts)  # no prize, no certificate
    assert len(render(response.content, tmp_path, "certificate")) == 12


def test_papers_are_for_organisers_and_need_prizes(api: Callable[..., Any],
                                                  competition: Callable[..., dict[str, Any]]) -> None:
    comp = competition(teams=2)
    rnd = check(api("POST", f"/api/competitions/{comp['id']}/rounds", as_="org", json={"stage": "prelim"}), 201)
    for url in (f"/api/rounds/{rnd['id']}/notice.pdf", f"/api/rounds/{rnd['id']}/certificates.pdf"):
        assert api("GET", url, as_="host").status_code == 403
    needs_font()
    none = api("GET", f"/api/rounds/{rnd['id']}/certificates.pdf", as_="org")
    assert none.status_code == 409 and none.json()["error"]["code"] == "no_prize_winners"
