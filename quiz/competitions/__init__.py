"""Competitions (CONTRACT §6): teams, rounds, rankings, advancement, tie-breaks, prizes, exports.

The live layer uses:
- ``record_tiebreak(session, round_id, ordered_team_ids)``: the result of a tie-break segment;
- ``bind_live_game(session, round_id, live_id)``: a live game created for a round;
- ``round_teams(session, round_id)``: the teams that play the round, members in seat order;
- ``round_ranking(session, round_id)``: the ranking (with the ``ties`` that need a tie-break);
and provides ``live.store.round_team_scores(session, round_id) -> {team_id: (score, time_ms)}``
(optionally ``round_player_scores(session, round_id) -> {user_id: (score, time_ms)}``).
"""

from __future__ import annotations

from quiz.i18n import register

register("zh", {
    "competition_not_found": "竞赛不存在",
    "round_not_found": "轮次不存在",
    "team_not_found": "队伍不存在",
    "team_not_found_ids": "本竞赛没有这些队伍：{team_ids}",
    "team_exists": "队伍“{name}”已存在",
    "stage_exists": "本竞赛已有{stage}轮次",
    "exam_not_found": "测试不存在",
    "exam_required": "线上测试轮次需要指定测试（exam_id）",
    "user_not_found_id": "用户 {user_id} 不存在",
    "member_repeated": "队员重复",
    "member_in_other_team": "用户 {user_id} 已在本竞赛的队伍“{team}”中",
    "no_advance_rule": "本轮没有设置晋级规则（前 N 名或分数线）",
    "no_next_stage": "决赛之后没有下一轮",
    "nobody_advances": "没有队伍达到晋级条件",
    "tie_blocks_advance": "有并列尚未决出，无法晋级：{message}。请先加赛并记录结果",
    "tie_blocks_prize": "有并列尚未决出，无法确定奖项：{message}。请先加赛并记录结果",
    "no_prizes": "本轮没有设置奖项",
    "round_locked": "本轮已晋级或已颁奖，成绩不能再修改",
    "team_not_in_round": "队伍 {team_ids} 未参加本轮",
    "tiebreak_bad_teams": "加赛结果至少需要两支不同的队伍",
    "tiebreak_not_tied": "这些队伍在本轮并不并列（得分和用时都相同才算并列）",
    "bad_export_format": "不支持的导出格式（可选 json、xlsx、csv）",
    "groups_locked": "本轮已有成绩（或已晋级），不能再分组",
    "groups_have_games": "已有小组创建了现场比赛，不能再分组",
    "group_name_repeated": "小组名称重复",
    "group_empty": "{group}没有队伍",
    "team_in_two_groups": "队伍 {team_id} 同时在{first}和{second}中",
    "teams_without_group": "队伍 {team_ids} 没有分到任何小组",
    "groups_too_many": "分组数（{count}）多于本轮队伍数（{teams}）",
    "round_not_grouped": "本轮没有分组，不需要指定小组",
    "group_required": "本轮分组进行，请指定小组（group）",
    "group_unknown": "本轮没有小组“{group}”",
    "group_has_game": "{group}已经有现场比赛了",
    "round_has_game": "这一轮已经有现场比赛了；如要替换，请由组织者明确确认替换",
    "team_playing": "该队伍的比赛正在进行，结束后才能更换队员",
    "no_results_yet": "本轮还没有成绩",
    "pdf_font_missing": "服务器没有中文字体，无法生成 PDF：请安装 fonts-noto-cjk，或用 QUIZ_PDF_FONT 指定字体文件",
    "no_prize_winners": "本轮还没有获奖队伍（请先设置奖项并确定名次）",
})
register("en", {
    "competition_not_found": "Competition not found",
    "round_not_found": "Round not found",
    "team_not_found": "Team not found",
    "team_not_found_ids": "No such teams in this competition: {team_ids}",
    "team_exists": "Team '{name}' already exists",
    "stage_exists": "This competition already has a {stage} round",
    "exam_not_found": "Test not found",
    "exam_required": "An exam round needs exam_id",
    "user_not_found_id": "User {user_id} not found",
    "member_repeated": "A member is listed twice",
    "member_in_other_team": "User {user_id} is already in team '{team}' of this competition",
    "no_advance_rule": "This round has no advancement rule",
    "no_next_stage": "There is no round after the final",
    "nobody_advances": "No team meets the advancement rule",
    "tie_blocks_advance": "An unsettled tie decides who advances: {message}",
    "tie_blocks_prize": "An unsettled tie decides a prize: {message}",
    "no_prizes": "This round has no prizes",
    "round_locked": "This round has advanced or awarded its prizes; its results are fixed",
    "team_not_in_round": "Team {team_ids} is not entered in this round",
    "tiebreak_bad_teams": "A tie-break result needs at least two different teams",
    "tiebreak_not_tied": "These teams are not tied in this round (same score and time)",
    "bad_export_format": "Unsupported export format (json, xlsx, csv)",
    "groups_locked": "This round has results (or has advanced); its groups are fixed",
    "groups_have_games": "A group already has its live game; the groups are fixed",
    "group_name_repeated": "Two groups have the same name",
    "group_empty": "{group} has no team",
    "team_in_two_groups": "Team {team_id} is in both {first} and {second}",
    "teams_without_group": "Teams {team_ids} are in no group",
    "groups_too_many": "More groups ({count}) than teams ({teams})",
    "round_not_grouped": "This round is not played in groups",
    "group_required": "This round is played in groups: name the group",
    "group_unknown": "This round has no group '{group}'",
    "group_has_game": "{group} already has its live game",
    "round_has_game": "This round already has its live game; an organizer replaces it explicitly",
    "team_playing": "The team is playing a live game; change its players afterwards",
    "no_results_yet": "This round has no results yet",
    "pdf_font_missing": "No Chinese font on the server: install fonts-noto-cjk or set QUIZ_PDF_FONT",
    "no_prize_winners": "No prize-winning team in this round yet",
})

from quiz.competitions.service import (  # noqa: E402  (the texts above come first)
    bind_live_game,
    record_tiebreak,
    round_ranking,
    round_teams,
)

__all__ = ["bind_live_game", "record_tiebreak", "round_ranking", "round_teams"]
