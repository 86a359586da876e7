"""Drawing a paper from a bank by rules: pure functions, no database, seedable.

A rule asks for ``count`` questions of one ``type``, carrying any of ``tags`` (none: any tag),
with a difficulty in ``[low, high]``. Every candidate gets exactly ``count`` questions for every
rule, so the mix of types, tags and points is the same for all; no question appears twice in a
paper even when rules overlap (``draw`` then solves the overlap as a bipartite matching).

    rng = random.Random(seed)
    picked = draw(rules, candidates, rng)          # [(rule_index, question_id), ...] or DrawError
    order = arrange(picked, rng, shuffle=True)     # the candidate's question order
    shown, mapping = shuffle_options(options, answer, rng)
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    """How many questions of one type, from which tags, in what difficulty range."""

    type: str
    count: int
    tags: tuple[str, ...] = ()
    difficulty: tuple[int, int] = (1, 5)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        low, high = (data.get("difficulty") or [1, 5])[:2]
        return cls(type=str(data["type"]), count=int(data["count"]), tags=tuple(data.get("tags") or ()),
                   difficulty=(int(low), int(high)))

    def matches(self, question: Candidate) -> bool:
        if question.type != self.type:
            return False
        if not self.difficulty[0] <= question.difficulty <= self.difficulty[1]:
            return False
        return not self.tags or any(tag in question.tags for tag in self.tags)


@dataclass(frozen=True)
class Candidate:
    """What drawing needs to know of a question."""

    id: int
    type: str
    difficulty: int = 3
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Shortage:
    """A rule the bank cannot fill: how many it asks for and how many it can get."""

    index: int
    rule: Rule
    available: int
    alone: int  # questions matching the rule, ignoring the other rules


class DrawError(Exception):
    """The bank cannot satisfy one or more rules."""

    def __init__(self, shortages: list[Shortage]) -> None:
        super().__init__(", ".join(f"rule {s.index}: {s.available}/{s.rule.count}" for s in shortages))
        self.shortages = shortages


def pools(rules: Sequence[Rule], questions: Iterable[Candidate]) -> list[list[int]]:
    """For each rule, the ids of the questions it may draw from (in the given order)."""
    result: list[list[int]] = [[] for _ in rules]
    for q in questions:
        for i, rule in enumerate(rules):
            if rule.matches(q):
                result[i].append(q.id)
    return result


def _match(rules: Sequence[Rule], rule_pools: list[list[int]], rng: random.Random | None) -> dict[int, int]:
    """A maximum assignment question -> rule with at most ``count`` questions per rule (augmenting paths).

    With ``rng`` the pools are visited in random order, so the assignment is a random one.
    """
    order = [list(p) for p in rule_pools]
    if rng is not None:
        for p in order:
            rng.shuffle(p)
    owner: dict[int, int] = {}  # question id -> rule index
    load = [0] * len(rules)
    # Start from a greedy assignment, the rule with the fewest candidates first: usually it is complete,
    # and otherwise only the shortfall needs augmenting paths (each a search over the pools).
    for i in sorted(range(len(rules)), key=lambda i: (len(order[i]), i)):
        for qid in order[i]:
            if load[i] >= rules[i].count:
                break
            if qid not in owner:
                owner[qid] = i
                load[i] += 1

    def augment(start: int) -> bool:
        # Give rule ``start`` one more question: a breadth-first search for the shortest chain of
        # "rule a takes a question from rule b, which takes another one…" ending at a free question.
        reached_by: dict[int, tuple[int, int]] = {}  # rule -> (rule that takes from it, question taken)
        queue = deque([start])
        while queue:
            rule = queue.popleft()
            for qid in order[rule]:
                holder = owner.get(qid)
                if holder is None:
                    owner[qid] = rule
                    while rule in reached_by:
                        rule, taken = reached_by[rule]
                        owner[taken] = rule
                    return True
                if holder != start and holder not in reached_by and holder != rule:
                    reached_by[holder] = (rule, qid)
                    queue.append(holder)
        return False

    for i, rule in enumerate(rules):
        while load[i] < rule.count and augment(i):
            load[i] += 1
    return owner


def check(rules: Sequence[Rule], questions: Iterable[Candidate]) -> list[Shortage]:
    """The rules that cannot be filled together (empty: every candidate can get a full paper)."""
    rule_pools = pools(rules, questions)
    owner = _match(rules, rule_pools, None)
    got = [0] * len(rules)
    for rule in owner.values():
        got[rule] += 1
    return [Shortage(i, r, got[i], len(rule_pools[i])) for i, r in enumerate(rules) if got[i] < r.count]


def draw(rules: Sequence[Rule], questions: Iterable[Candidate], rng: random.Random,
         rule_pools: list[list[int]] | None = None) -> list[tuple[int, int]]:
    """Pick ``count`` distinct questions for every rule; returns ``(rule_index, question_id)`` in rule order.

    Each rule takes a uniform random sample of its pool, the rule with the smallest pool first; only when
    overlapping rules leave one short does it fall back to a random maximum matching. Raises DrawError.
    ``rule_pools`` (from ``pools``) may be passed when the same rules draw many papers from one bank.
    """
    if rule_pools is None:
        rule_pools = pools(rules, questions)
    taken: set[int] = set()
    picked: dict[int, list[int]] = {}
    for i in sorted(range(len(rules)), key=lambda i: (len(rule_pools[i]), i)):
        free = [qid for qid in rule_pools[i] if qid not in taken]
        if len(free) < rules[i].count:
            break
        chosen = rng.sample(free, rules[i].count)
        picked[i] = chosen
        taken.update(chosen)
    else:
        return [(i, qid) for i in range(len(rules)) for qid in picked[i]]
    owner = _match(rules, rule_pools, rng)
    got: list[list[int]] = [[] for _ in rules]
    for qid, rule in owner.items():
        got[rule].append(qid)
    short = [Shortage(i, r, len(got[i]), len(rule_pools[i])) for i, r in enumerate(rules) if len(got[i]) < r.count]
    if short:
        raise DrawError(short)
    return [(i, qid) for i in range(len(rules)) for qid in sorted(got[i], key=lambda _q: rng.random())]


def arrange(picked: Sequence[tuple[int, int]], rng: random.Random, shuffle: bool) -> list[tuple[int, int]]:
    """The candidate's question order: shuffled, or grouped by rule as the organiser wrote them."""
    items = list(picked)
    if shuffle:
        rng.shuffle(items)
    return items


OPTION_KEYS = "ABCDEFGH"


def shuffle_options(options: Sequence[dict[str, Any]], answer: Sequence[Any], rng: random.Random,
                    shuffle: bool = True) -> tuple[list[dict[str, Any]], list[Any], dict[str, str]]:
    """Options in a new order relabelled A, B, C… as shown; the answer keys remapped to the new labels.

    Returns ``(shown_options, shown_answer, mapping shown_key -> original_key)``.
    """
    order = list(options)
    if shuffle:
        rng.shuffle(order)
    mapping = {OPTION_KEYS[i]: str(o["key"]) for i, o in enumerate(order)}
    back = {original: shown for shown, original in mapping.items()}
    shown = [{"key": OPTION_KEYS[i], "text": o.get("text", ""), **({"media": o["media"]} if o.get("media") else {})}
             for i, o in enumerate(order)]
    shown_answer = sorted(back[str(a)] for a in answer if str(a) in back)
    return shown, shown_answer, mapping
