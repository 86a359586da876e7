"""Ranking exports for official notices (通报): xlsx with a summary sheet and one sheet per round, csv.

The csv is UTF-8 with a byte-order mark, so Excel on Windows opens the Chinese right.
Each round sheet lists the teams first (the same rows as the JSON ranking), then, after a
blank row, the players. A round played in groups has a sheet per group instead (``复赛-第一组``),
with the group rank first; the summary shows each team's group and every player the team used
(substitutes included).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session

from question_bank.formats.cells import clean_text, csv_row, xlsx_row  # never a formula from a name
from quiz.competitions.service import (
    competition_public,
    get_competition,
    get_round,
    players_used,
    round_ranking,
    rounds_of,
)
from quiz.errors import NotFound

TEAM_COLUMNS = ["名次", "队伍", "单位", "队员", "得分", "用时(秒)", "晋级", "奖项", "备注"]
GROUP_COLUMNS = ["组内名次", "总名次", "队伍", "单位", "队员", "得分", "用时(秒)", "晋级", "奖项", "备注"]
PLAYER_COLUMNS = ["名次", "姓名", "账号", "单位", "队伍", "座次", "得分", "用时(秒)"]
SUMMARY_SHEET = "汇总"


def seconds(time_ms: int | None) -> float | None:
    return None if time_ms is None else round(time_ms / 1000, 3)


def advanced_text(row: dict[str, Any], has_rule: bool) -> str:
    if row["advanced"] is None:
        return "待加赛"
    if not has_rule and not row["advanced"]:
        return ""
    return "是" if row["advanced"] else "否"


def note_text(row: dict[str, Any]) -> str:
    if row["tiebreak"]:
        return "加赛决出"
    return "并列" if row["tied"] else ""


def team_cells(row: dict[str, Any], has_rule: bool) -> list[Any]:
    return [row["rank"], row["name"], row["unit"], "、".join(row["members"]), row["score"],
            seconds(row["time_ms"]), advanced_text(row, has_rule), row["prize"] or "", note_text(row)]


def group_team_cells(row: dict[str, Any], has_rule: bool) -> list[Any]:
    """A team in its group's sheet: the players who played the round (the roster before anyone played)."""
    return [row["group_rank"], row["rank"], row["name"], row["unit"], "、".join(row["players"] or row["members"]),
            row["score"], seconds(row["time_ms"]), advanced_text(row, has_rule), row["prize"] or "", note_text(row)]


def player_cells(row: dict[str, Any]) -> list[Any]:
    return [row["rank"] if row["rank"] is not None else "未参加", row["name"], row["username"], row["unit"],
            row["team_name"], row["seat"], row["score"] if row["score"] is not None else "",
            seconds(row["time_ms"])]


def competition_rankings(session: Session, competition_id: int, round_id: int | None = None,
                         tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """The JSON export: the competition and the ranking of each round (or of one round)."""
    competition = get_competition(session, competition_id)
    if round_id is not None:
        rnd = get_round(session, round_id)
        if rnd.competition_id != competition_id:
            raise NotFound()
        rounds = [rnd]
    else:
        rounds = rounds_of(session, competition_id)
    rankings = [round_ranking(session, r.id or 0, tz) for r in rounds]
    team_ids = sorted({row["team_id"] for r in rankings for row in r["teams"]})
    return {"competition": competition_public(session, competition, tz), "rounds": rankings,
            "players_used": {str(tid): names for tid, names in players_used(session, team_ids).items()}}


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:28] or "轮次"
    title, n = base, 2
    while title in used:
        title, n = f"{base}({n})", n + 1
    used.add(title)
    return title


def summary_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per team: its unit, members and every player it used, its group, rank and score in
    each round, and its prize; teams that went furthest come first, in their last round's order."""
    rounds = data["rounds"]
    used = data.get("players_used") or {}
    header = ["队伍", "单位", "队员", "参赛队员"]
    for r in rounds:
        if r["round"].get("groups"):
            header.append(f"{r['round']['name']}分组")
        header += [f"{r['round']['name']}名次", f"{r['round']['name']}得分"]
    header.append("奖项")
    teams: dict[int, dict[str, Any]] = {}
    for i, r in enumerate(rounds):
        for row in r["teams"]:
            entry = teams.setdefault(row["team_id"], {"row": row, "results": {}, "prize": ""})
            entry["results"][i] = row
            entry["last"] = (i, row["position"])
            entry["prize"] = row["prize"] or entry["prize"]
    ordered = sorted(teams.values(), key=lambda e: (-e["last"][0], e["last"][1]))
    rows = []
    for entry in ordered:
        row = entry["row"]
        cells: list[Any] = [row["name"], row["unit"], "、".join(row["members"]),
                            "、".join(used.get(str(row["team_id"]), row["members"]))]
        for i, r in enumerate(rounds):
            result = entry["results"].get(i)
            if r["round"].get("groups"):
                cells.append(result["group"] if result else "")
            cells += [result["rank"], result["score"]] if result else ["", ""]
        cells.append(entry["prize"])
        rows.append(cells)
    return header, rows


def round_sheets(r: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]], list[dict[str, Any]]]]:
    """``(title, header, team rows, players)`` per sheet of a round: one, or one per group."""
    has_rule = bool(r["round"]["advance"])
    name = r["round"]["name"]
    groups = r["round"].get("groups") or []
    if not groups:
        return [(name, TEAM_COLUMNS, [team_cells(row, has_rule) for row in r["teams"]], r["players"])]
    sheets = []
    for group in groups:
        rows = [row for row in r["teams"] if row["group"] == group["name"]]
        members = set(group["team_ids"])
        sheets.append((f"{name}-{group['name']}", GROUP_COLUMNS, [group_team_cells(row, has_rule) for row in rows],
                       [p for p in r["players"] if p["team_id"] in members]))
    return sheets


def to_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    bold = Font(bold=True)
    summary = wb.active
    summary.title = SUMMARY_SHEET
    used = {SUMMARY_SHEET}
    header, rows = summary_rows(data)
    summary.append(header)
    for cells in rows:
        summary.append(xlsx_row(summary, cells))
    sheets = [summary]
    for r in data["rounds"]:
        for title, columns, team_rows, players in round_sheets(r):
            ws = wb.create_sheet(_sheet_title(title, used))
            ws.append(columns)
            for cells in team_rows:
                ws.append(xlsx_row(ws, cells))
            if players:
                ws.append([])
                ws.append(["个人成绩"])
                ws.cell(ws.max_row, 1).font = bold
                ws.append(PLAYER_COLUMNS)
                for cell in ws[ws.max_row]:
                    cell.font = bold
                for row in players:
                    ws.append(xlsx_row(ws, player_cells(row)))
            sheets.append(ws)
    for ws in sheets:
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(horizontal="center")
        ws.freeze_panes = "A2"
        for column in ws.columns:
            width = max((len(str(c.value)) * 2 if c.value is not None else 0) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(8, width), 60)
    wb.properties.title = clean_text(data["competition"]["title"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(data: dict[str, Any]) -> bytes:
    """One table: a ``轮次`` column, then the team columns of each round."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["轮次", *TEAM_COLUMNS])
    for r in data["rounds"]:
        has_rule = bool(r["round"]["advance"])
        for row in r["teams"]:
            writer.writerow(csv_row([r["round"]["name"], *team_cells(row, has_rule)]))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def filename_for(data: dict[str, Any], extension: str) -> str:
    title = re.sub(r"[\\/:*?\"<>|\s]+", "_", data["competition"]["title"]).strip("_") or "competition"
    if len(data["rounds"]) == 1:
        title += "_" + data["rounds"][0]["round"]["name"]
    return f"{title}_排名.{extension}"


def export_rankings_file(db: Any, competition_id: int, round_id: int | None, output_path: str | None,
                         settings: Any) -> int:
    """``quiz export rankings``: write the ranking to ``output_path`` (.xlsx, .csv or .json); exit code."""
    import json

    tz = getattr(settings, "timezone", "Asia/Shanghai")
    try:
        with db.read() as session:
            data = competition_rankings(session, competition_id, round_id, tz)
    except NotFound as exc:
        print(exc.message, file=sys.stderr)
        return 1
    path = Path(output_path) if output_path else Path(filename_for(data, "xlsx"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        content = to_csv(data)
    elif suffix == ".json":
        content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    elif suffix in (".xlsx", ""):
        path = path.with_suffix(".xlsx")
        content = to_xlsx(data)
    else:
        print(f"不支持的文件类型：{suffix}（可选 .xlsx、.csv、.json）", file=sys.stderr)
        return 2
    path.write_bytes(content)
    for r in data["rounds"]:
        for tie in r["ties"]:
            print(f"提示：{r['round']['name']} {tie['message']}（{'、'.join(tie['names'])}）", file=sys.stderr)
    teams = sum(len(r["teams"]) for r in data["rounds"])
    print(f"已导出 {len(data['rounds'])} 个轮次、{teams} 行排名到 {path}")
    return 0


__all__ = ["competition_rankings", "export_rankings_file", "to_csv", "to_xlsx"]
