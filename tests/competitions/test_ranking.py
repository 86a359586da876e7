"""The ranking rules as pure functions: score then time, shared ranks, cuts, prize bands, tie-breaks."""

from __future__ import annotations

from quiz.competitions.ranking import (
    ADVANCE,
    PRIZE,
    Entry,
    prize_bands,
    rank_players,
    rank_teams,
    raw_tie_groups,
    team_score,
)

PRIZES = [{"name": "一等奖", "count": 2}, {"name": "二等奖", "count": 3}, {"name": "三等奖", "count": 3}]


def by_team(ranking: object) -> dict[int, object]:
    return {p.team_id: p for p in ranking.teams}  # type: ignore[attr-defined]


def test_higher_score_first_then_less_time() -> None:
    result = rank_teams([Entry(1, 80, 5000), Entry(2, 90, 9000), Entry(3, 80, 4000)])
    assert [p.team_id for p in result.teams] == [2, 3, 1]
    assert [p.rank for p in result.teams] == [1, 2, 3]
    assert not any(p.tied for p in result.teams)
    assert result.ties == []


def test_equal_score_and_time_share_a_rank_and_the_next_rank_skips() -> None:
    result = rank_teams([Entry(1, 80, 5000), Entry(2, 80, 5000), Entry(3, 70, 1000), Entry(4, 90, 1)])
    placed = by_team(result)
    assert [placed[t].rank for t in (4, 1, 2, 3)] == [1, 2, 2, 4]
    assert placed[1].tied and placed[2].tied and not placed[3].tied
    assert result.ties == []  # nothing depends on it


def test_floating_point_sums_compare_equal() -> None:
    result = rank_teams([Entry(1, 0.1 + 0.2, 100), Entry(2, 0.3, 100)])
    assert all(p.tied for p in result.teams)


def test_top_n_cut_through_a_tie_is_undecided_and_reported() -> None:
    entries = [Entry(i, 100 - i, 1000) for i in range(1, 8)] + [Entry(8, 50, 1000), Entry(9, 50, 1000),
                                                                 Entry(10, 40, 1000)]
    result = rank_teams(entries, advance={"top": 8})
    placed = by_team(result)
    assert all(placed[i].advanced is True for i in range(1, 8))
    assert placed[8].advanced is None and placed[9].advanced is None
    assert placed[10].advanced is False
    assert len(result.ties) == 1
    tie = result.ties[0]
    assert tie.team_ids == [8, 9] and tie.decides == [ADVANCE] and (tie.rank, tie.last_position) == (8, 9)
    assert "晋级" in tie.public()["message"]


def test_tie_wholly_inside_the_cut_is_harmless() -> None:
    result = rank_teams([Entry(1, 10, 0), Entry(2, 10, 0), Entry(3, 5, 0)], advance={"top": 2})
    assert [p.advanced for p in result.teams] == [True, True, False]
    assert result.ties == []


def test_min_score_line() -> None:
    result = rank_teams([Entry(1, 80, 0), Entry(2, 79.99, 0), Entry(3, 80, 0)], advance={"min_score": 80})
    assert {p.team_id: p.advanced for p in result.teams} == {1: True, 3: True, 2: False}
    assert result.ties == []


def test_no_rule_means_nobody_advances() -> None:
    assert [p.advanced for p in rank_teams([Entry(1, 1, 0)]).teams] == [False]


def test_prize_bands_follow_the_list() -> None:
    assert prize_bands(PRIZES) == [(1, 2, "一等奖"), (3, 5, "二等奖"), (6, 8, "三等奖")]
    result = rank_teams([Entry(i, 100 - i, 0) for i in range(1, 10)], prizes=PRIZES)
    assert [p.prize for p in result.teams] == ["一等奖"] * 2 + ["二等奖"] * 3 + ["三等奖"] * 3 + [None]


def test_tie_across_a_prize_boundary_blocks_those_prizes_only() -> None:
    entries = [Entry(1, 100, 0), Entry(2, 90, 0), Entry(3, 90, 0), Entry(4, 80, 0), Entry(5, 70, 0),
               Entry(6, 60, 0), Entry(7, 50, 0), Entry(8, 40, 0)]
    result = rank_teams(entries, prizes=PRIZES)
    placed = by_team(result)
    assert placed[1].prize == "一等奖"
    assert placed[2].prize is None and placed[3].prize is None
    assert placed[4].prize == "二等奖" and placed[8].prize == "三等奖"
    assert [(t.team_ids, t.decides) for t in result.ties] == [([2, 3], [PRIZE])]
    assert "一等奖与二等奖" in result.ties[0].reasons[0]


def test_tie_across_the_last_prize_and_nothing() -> None:
    entries = [Entry(i, 100 - i, 0) for i in range(1, 8)] + [Entry(8, 1, 0), Entry(9, 1, 0)]
    result = rank_teams(entries, prizes=PRIZES)
    assert [t.team_ids for t in result.ties] == [[8, 9]]
    assert "无奖" in result.ties[0].reasons[0]


def test_a_tiebreak_orders_the_group_it_covers() -> None:
    entries = [Entry(1, 50, 0), Entry(2, 50, 0), Entry(3, 50, 0), Entry(4, 10, 0)]
    result = rank_teams(entries, advance={"top": 2}, tiebreaks=[[[3], [1], [2]]])
    assert [(p.team_id, p.rank, p.tied, p.tiebreak, p.advanced) for p in result.teams] == [
        (3, 1, False, True, True), (1, 2, False, True, True), (2, 3, False, True, False), (4, 4, False, False, False)]
    assert result.ties == []


def test_a_tiebreak_may_leave_teams_sharing_a_place() -> None:
    entries = [Entry(t, 50, 0) for t in (1, 2, 3, 4)]
    result = rank_teams(entries, advance={"top": 1}, tiebreaks=[[[4], [1, 2, 3]]])
    placed = by_team(result)
    assert placed[4].rank == 1 and placed[4].advanced is True
    assert {placed[t].rank for t in (1, 2, 3)} == {2} and all(placed[t].tied for t in (1, 2, 3))
    assert result.ties == []  # the rest share a place below the cut: nothing to decide


def test_newest_covering_tiebreak_wins_and_partial_ones_do_not_apply() -> None:
    entries = [Entry(t, 50, 0) for t in (1, 2, 3)]
    result = rank_teams(entries, advance={"top": 1}, tiebreaks=[[[2], [1], [3]], [[1], [2]]])
    # The newest covers only 1 and 2, not the whole tie: the older, complete one decides.
    assert [p.team_id for p in result.teams] == [2, 1, 3]
    result = rank_teams(entries, advance={"top": 1}, tiebreaks=[[[2], [1], [3]], [[3], [2], [1]]])
    assert [p.team_id for p in result.teams] == [3, 2, 1]


def test_a_tiebreak_for_a_group_that_changed_is_reported_again() -> None:
    entries = [Entry(1, 50, 0), Entry(2, 50, 0), Entry(3, 50, 0)]
    result = rank_teams(entries, advance={"top": 1}, tiebreaks=[[[1], [2]]])
    assert [t.team_ids for t in result.ties] == [[1, 2, 3]]


def test_raw_tie_groups_ignore_tiebreaks() -> None:
    assert raw_tie_groups([Entry(1, 5, 1), Entry(2, 5, 1), Entry(3, 5, 2)]) == [[1, 2]]


def test_team_score_sum_and_average_count_absent_members() -> None:
    assert team_score([90, 80], 3, "sum") == 170
    assert team_score([90, 80], 3, "average") == 170 / 3
    assert team_score([], 0, "average") == 0


def test_players_rank_by_score_then_time() -> None:
    assert rank_players([(1, 10, 500), (2, 10, 400), (3, 12, 900), (4, 10, 500)]) == [
        (3, 1, False), (2, 2, False), (1, 3, True), (4, 3, True)]


def test_a_team_without_any_result_ranks_after_those_who_took_part_with_the_same_score() -> None:
    """A no-show (score 0, time 0) must not win the tie against a team that took part and scored 0."""
    ranking = rank_teams([Entry(1, 0, 0, absent=True), Entry(2, 0, 54), Entry(3, 5, 900), Entry(4, 0, 0, absent=True)])
    order = [(p.team_id, p.rank) for p in ranking.teams]
    assert order[:2] == [(3, 1), (2, 2)]
    assert {team for team, _ in order[2:]} == {1, 4}
    assert all(rank == 3 for _, rank in order[2:])
