"""What organisers hand out: a round's results notice (成绩通报) and the prize certificates (获奖证书).

The notice is a printable HTML page and a PDF; certificates are a PDF, one A4 landscape page for
each prize-winning team and one for each of its players.

Why fpdf2 with an embedded Noto CJK font (and not reportlab's built-in ``STSong-Light``): the
CID font needs no file on the server, but it is *not embedded*: the PDF names an Adobe font and
leaves the glyphs to the viewer, so a print shop's RIP, a phone or a poppler without CJK data
prints boxes or a substitute; and reportlab cannot embed Noto CJK (CFF outlines). fpdf2 (pure
Python, maintained) subsets and embeds the CFF face, so the page looks the same everywhere and
the file stays small (tens of KB), and its text extracts as Unicode. The font comes from
``QUIZ_PDF_FONT`` or the Debian/Ubuntu package ``fonts-noto-cjk`` (the Simplified Chinese face
of the collection is picked by name); without one, a clear 503 says what to install.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from quiz.competitions.models import Competition
from quiz.competitions.service import get_round, round_ranking
from quiz.errors import AppError, Conflict
from quiz.i18n import t

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


class FontMissing(AppError):
    status = 503
    code = "pdf_font_missing"


def chinese_date(ms: int, tz: str) -> str:
    day = datetime.fromtimestamp(ms / 1000, ZoneInfo(tz))
    return f"{day.year}年{day.month}月{day.day}日"


@functools.lru_cache(maxsize=4)
def _font_face(path: str) -> tuple[str, int]:
    """(file, face number): in a collection, the Simplified Chinese face (``… CJK SC``)."""
    if not path.lower().endswith(".ttc"):
        return path, 0
    from fontTools.ttLib import TTCollection

    names = [face["name"].getDebugName(1) or "" for face in TTCollection(path, lazy=True).fonts]
    return path, next((i for i, name in enumerate(names) if name.endswith(" SC")), 0)


def cjk_font() -> tuple[str, int]:
    configured = os.environ.get("QUIZ_PDF_FONT")
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and Path(path).is_file():
            return _font_face(path)
    raise FontMissing(t("pdf_font_missing"))


def _pdf(orientation: str = "P") -> Any:
    from fpdf import FPDF

    path, number = cjk_font()
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font("cjk", fname=path, collection_font_number=number)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_font("cjk", size=11)
    return pdf


# --- the data -------------------------------------------------------------------------------

def result_text(row: dict[str, Any], has_rule: bool) -> str:
    """What the notice says of a team: its prize, else whether it advances."""
    if row.get("prize"):
        return str(row["prize"])
    if row["advanced"] is None:
        return "待加赛"
    if row["advanced"]:
        return "晋级"
    return "未晋级" if has_rule else ""


def notice_data(session: Session, round_id: int, now_ms: int, tz: str) -> dict[str, Any]:
    """The results notice of a round: every team with unit, players, score, rank, advancement or prize."""
    rnd = get_round(session, round_id)
    competition = session.get(Competition, rnd.competition_id)
    ranking = round_ranking(session, round_id, tz)
    has_rule = bool(rnd.advance)
    grouped = bool(ranking["round"]["groups"])
    rows = [{"rank": row["rank"], "group": row["group"], "group_rank": row["group_rank"], "name": row["name"],
             "unit": row["unit"], "players": "、".join(row["players"] or row["members"]), "score": row["score"],
             "time_s": round(row["time_ms"] / 1000, 1), "result": result_text(row, has_rule),
             "prize": row["prize"], "tied": row["tied"], "member_names": row["players"] or row["members"]}
            for row in ranking["teams"]]
    return {"competition": competition.title if competition else "", "round": rnd.name, "round_id": rnd.id,
            "stage": ranking["round"]["stage_name"], "grouped": grouped, "rows": rows,
            "date": chinese_date(rnd.awarded_ms or now_ms, tz), "ties": ranking["ties"],
            "prizes": [p["name"] for p in rnd.prizes or []]}


# --- the notice -----------------------------------------------------------------------------

NOTICE_COLUMNS = [("名次", 14), ("队伍", 30), ("单位", 40), ("队员", 52), ("得分", 18), ("结果", 26)]


def notice_pdf(data: dict[str, Any]) -> bytes:
    pdf = _pdf("P")
    pdf.set_title(f"{data['competition']}{data['round']}成绩通报")
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 10, data["competition"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, f"{data['round']}成绩通报", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    columns = list(NOTICE_COLUMNS)
    if data["grouped"]:
        columns = [("小组", 18), ("组内", 12)] + [(name, width - (4 if name in ("单位", "队员") else 2))
                                                  for name, width in columns]
    from fpdf.fonts import FontFace

    pdf.set_font("cjk", size=10)
    # One face only (the regular CJK one): headings are shaded, not bold.
    with pdf.table(col_widths=[w for _, w in columns], text_align="CENTER", line_height=6,
                   first_row_as_headings=True, headings_style=FontFace(emphasis="", fill_color=(230, 230, 230))
                   ) as table:
        table.row([name for name, _ in columns])
        for row in data["rows"]:
            cells = [str(row["rank"]), row["name"], row["unit"], row["players"], f"{row['score']}", row["result"]]
            if data["grouped"]:
                cells = [row["group"] or "", str(row["group_rank"] or "")] + cells
            table.row(cells)
    pdf.ln(6)
    pdf.set_font("cjk", size=11)
    if data["ties"]:
        pdf.multi_cell(0, 6, "注：" + "；".join(tie["message"] for tie in data["ties"]) + "，待加赛决出。",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, f"{data['competition']}组委会", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, data["date"], align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- certificates -----------------------------------------------------------------------------

def certificate_list(data: dict[str, Any]) -> list[dict[str, str]]:
    """A certificate for every prize-winning team, then one for each of its players."""
    items = []
    for row in data["rows"]:
        if not row["prize"]:
            continue
        items.append({"kind": "team", "holder": row["name"], "unit": row["unit"], "prize": row["prize"]})
        items += [{"kind": "player", "holder": name, "unit": row["unit"], "team": row["name"], "prize": row["prize"]}
                  for name in row["member_names"]]
    return items


GOLD = (176, 128, 32)
RED = (178, 34, 34)


def certificates_pdf(data: dict[str, Any]) -> bytes:
    items = certificate_list(data)
    if not items:
        raise Conflict(t("no_prize_winners"), code="no_prize_winners")
    pdf = _pdf("L")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"{data['competition']}获奖证书")
    for item in items:
        pdf.add_page()
        width, height = pdf.w, pdf.h
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(2.2)
        pdf.rect(10, 10, width - 20, height - 20)
        pdf.set_line_width(0.6)
        pdf.rect(15, 15, width - 30, height - 30)
        pdf.set_text_color(*RED)
        pdf.set_font("cjk", size=40)
        pdf.set_xy(0, 32)
        pdf.cell(width, 20, "获 奖 证 书", align="C")
        pdf.set_text_color(30, 30, 30)
        pdf.set_font("cjk", size=20)
        pdf.set_xy(40, 72)
        if item["kind"] == "team":
            holder = f"{item['unit']} {item['holder']}" if item["unit"] else item["holder"]
            pdf.cell(width - 80, 12, f"{holder}：", align="L")
        else:
            pdf.cell(width - 80, 12, f"{item['holder']} 同志（{item['team']}）：", align="L")
        pdf.set_xy(52, 90)
        pdf.multi_cell(width - 104, 12, f"在{data['competition']}{data['round']}中表现优异，荣获", align="L")
        pdf.set_text_color(*RED)
        pdf.set_font("cjk", size=36)
        pdf.set_xy(0, 120)
        pdf.cell(width, 20, item["prize"], align="C")
        pdf.set_text_color(30, 30, 30)
        pdf.set_font("cjk", size=18)
        pdf.set_xy(52, 146)
        pdf.cell(width - 104, 10, "特发此证，以资鼓励。", align="L")
        pdf.set_font("cjk", size=16)
        pdf.set_xy(width - 150, 168)
        pdf.cell(110, 9, f"{data['competition']}组委会", align="R")
        pdf.set_xy(width - 150, 178)
        pdf.cell(110, 9, data["date"], align="R")
    return bytes(pdf.output())
