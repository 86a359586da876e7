"""Paper drawing by rules: counts, no duplicates, the same mix for everyone, seeded shuffles."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from question_bank.drawing import (
    Candidate,
    DrawError,
    Rule,
    arrange,
    check,
    draw,
    pools,
    shuffle_options,
)


def bank() -> list[Candidate]:
    questions = []
    qid = 0
    for kind, count in (("single", 40), ("multiple", 20), ("judge", 20), ("fill", 10)):
        for i in range(count):
            qid += 1
            tags = frozenset({"党章"} if i % 2 else {"纪律", "党史"} if i % 3 == 0 else {"纪律"})
            questions.append(Candidate(id=qid, type=kind, difficulty=1 + i % 5, tags=tags))
    return questions


RULES = [
    Rule("single", 10, ("党章",), (1, 5)),
    Rule("single", 5, ("纪律",), (1, 3)),
    Rule("multiple", 5),
    Rule("judge", 8, (), (2, 4)),
    Rule("fill", 2, ("党史",)),
]


def test_each_rule_gets_its_count_of_matching_questions_without_duplicates() -> None:
    questions = {q.id: q for q in bank()}
    for seed in range(50):
        picked = draw(RULES, questions.values(), random.Random(seed))
        ids = [qid for _, qid in picked]
        assert len(ids) == len(set(ids)) == sum(r.count for r in RULES)
        per_rule = Counter(rule for rule, _ in picked)
        assert per_rule == {i: r.count for i, r in enumerate(RULES)}
        for rule_index, qid in picked:
            assert RULES[rule_index].matches(questions[qid])


def test_every_candidate_gets_the_same_mix_of_types_and_rules() -> None:
    questions = bank()
    mixes = set()
    for seed in range(30):
        picked = draw(RULES, questions, random.Random(f"candidate-{seed}"))
        by_id = {q.id: q for q in questions}
        mixes.add(tuple(sorted(Counter((rule, by_id[qid].type) for rule, qid in picked).items())))
    assert len(mixes) == 1


def test_overlapping_rules_are_solved_without_duplicates() -> None:
    # Rule 0 may take any single question, rule 1 only the 3 tagged ones: a greedy draw for rule 0
    # first could take them all; the drawer must still fill both.
    questions = [Candidate(i, "single", 3, frozenset({"稀缺"} if i <= 3 else set())) for i in range(1, 8)]
    rules = [Rule("single", 4), Rule("single", 3, ("稀缺",))]
    assert check(rules, questions) == []
    for seed in range(30):
        picked = draw(rules, questions, random.Random(seed))
        assert sorted(qid for rule, qid in picked if rule == 1) == [1, 2, 3]
        assert len({qid for _, qid in picked}) == 7


def test_an_unsatisfiable_rule_is_named_with_what_is_available() -> None:
    questions = bank()
    rules = [Rule("fill", 2, ("党史",)), Rule("judge", 50)]
    shortages = check(rules, questions)
    assert [(s.index, s.rule.type, s.available, s.alone) for s in shortages] == [(1, "judge", 20, 20)]
    with pytest.raises(DrawError) as caught:
        draw(rules, questions, random.Random(1))
    assert [s.index for s in caught.value.shortages] == [1]
    # Jointly short: each rule alone has 3 questions, together only 3 distinct ones for 4 places.
    tight = [Candidate(i, "judge", 3, frozenset({"a"})) for i in range(1, 4)]
    both = [Rule("judge", 2, ("a",)), Rule("judge", 2)]
    short = check(both, tight)
    assert len(short) == 1 and short[0].available == 1 and short[0].alone == 3


def test_pools_count_matches_per_rule() -> None:
    sizes = [len(p) for p in pools(RULES, bank())]
    assert sizes[2] == 20 and sizes[0] == 20
    assert sizes[3] == sum(1 for i in range(20) if 2 <= 1 + i % 5 <= 4)


def test_same_seed_same_paper_and_different_candidates_differ() -> None:
    questions = bank()

    def paper(seed: str) -> list[tuple[int, int]]:
        rng = random.Random(seed)
        return arrange(draw(RULES, questions, rng), rng, shuffle=True)

    assert paper("exam1-user1") == paper("exam1-user1")
    papers = {tuple(paper(f"exam1-user{n}")) for n in range(10)}
    assert len(papers) == 10
    orders = {tuple(qid for _, qid in paper(f"exam1-user{n}")) for n in range(10)}
    assert len(orders) == 10


def test_arrange_keeps_rule_order_when_not_shuffling() -> None:
    picked = draw(RULES, bank(), random.Random(3))
    assert arrange(picked, random.Random(3), shuffle=False) == picked
    assert [rule for rule, _ in picked] == sorted(rule for rule, _ in picked)


def test_shuffled_options_are_relabelled_in_order_and_the_key_follows() -> None:
    options = [{"key": k, "text": t} for k, t in zip("ABCD", ["上海", "北京", "南昌", "延安"], strict=True)]
    seen_orders = set()
    for seed in range(40):
        shown, answer, mapping = shuffle_options(options, ["A", "C"], random.Random(seed))
        assert [o["key"] for o in shown] == ["A", "B", "C", "D"]
        texts = {o["key"]: o["text"] for o in shown}
        assert sorted(texts[k] for k in answer) == ["上海", "南昌"]
        assert {mapping[k] for k in answer} == {"A", "C"}
        seen_orders.add(tuple(o["text"] for o in shown))
    assert len(seen_orders) > 5
    shown, answer, mapping = shuffle_options(options, ["B"], random.Random(1), shuffle=False)
    assert shown == options and answer == ["B"] and mapping == {k: k for k in "ABCD"}
