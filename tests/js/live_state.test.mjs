// node --test tests/js : the live game's client reducer (static/js/live_state.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { initialState, reduce, teamName } from "../../static/js/live_state.js";

const question = { type: "single", id: 7, stem: "中共一大在哪里召开？", options: [{ key: "A", text: "上海" }, { key: "B", text: "北京" }] };
const play = (...messages) => messages.reduce(reduce, initialState());

test("a question starts clean: no reveal, no judgement, a fresh buzz", () => {
  const s = play(
    { type: "question", question, index: 1, count: 3, points: 10, deadline_ms: 5000, segment: { kind: "buzzer", index: 1 } },
    { type: "buzz_open", deadline_ms: 9000 },
    { type: "buzzed", team_id: 2, order: 1, deadline_ms: 12000 },
    { type: "judged", team_id: 2, correct: true, points: 10 },
    { type: "question", question: { ...question, id: 8 }, index: 2, count: 3, points: 10, deadline_ms: 20000 },
  );
  assert.equal(s.phase, "question");
  assert.equal(s.q.question.id, 8);
  assert.equal(s.judged, null);
  assert.equal(s.reveal, null);
  assert.deepEqual(s.buzz, { armed: false, answering: null, order: [], fouls: [], out: [], right: [], eligible: null, mine: "idle" });
  assert.equal(s.deadline, 20000);
  assert.equal(s.q.segment.kind, "buzzer"); // the segment carries over from the first question
});

test("the first buzz wins the answer and its deadline; later buzzes queue; fouls do not", () => {
  const s = play(
    { type: "question", question, index: 1, count: 1, points: 10, deadline_ms: null },
    { type: "buzz_open", deadline_ms: 9000 },
    { type: "buzzed", team_id: 3, foul: true },
    { type: "buzzed", team_id: 1, order: 1, deadline_ms: 15000 },
    { type: "buzzed", team_id: 2, order: 2 },
  );
  assert.equal(s.phase, "answering");
  assert.equal(s.buzz.answering, 1);
  assert.deepEqual(s.buzz.order, [1, 2]);
  assert.deepEqual(s.buzz.fouls, [3]);
  assert.equal(s.deadline, 15000);
  assert.equal(s.buzz.armed, false);
});

test("buzzes and reveals without a question change nothing", () => {
  const before = initialState();
  assert.equal(reduce(before, { type: "buzzed", team_id: 1, order: 1 }), before);
  assert.equal(reduce(before, { type: "reveal", answer: ["A"] }), before);
  assert.equal(reduce(before, { type: "no_such_message" }), before);
});

test("the reducer never changes the state it is given", () => {
  const s1 = play({ type: "question", question, index: 1, count: 1, points: 10, deadline_ms: 1 },
    { type: "buzz_open", deadline_ms: 2 });
  const frozenOrder = [...s1.buzz.order];
  const s2 = reduce(s1, { type: "buzzed", team_id: 4, order: 1 });
  assert.deepEqual(s1.buzz.order, frozenOrder);
  assert.equal(s1.phase, "buzzing");
  assert.equal(s2.phase, "answering");
  const s3 = reduce(s2, { type: "score", team_id: 4, total: 30 });
  assert.equal(s2.teams.has(4), false);
  assert.equal(s3.teams.get(4).score, 30);
});

test("closed then reveal keeps the distribution and explanation; the deadline is gone", () => {
  const s = play(
    { type: "question", question, index: 1, count: 1, points: 10, deadline_ms: 5000 },
    { type: "closed", answered: 12 },
    { type: "reveal", answer: ["A"], explanation: "1921年7月在上海召开。", distribution: { A: 9, B: 3 } },
  );
  assert.equal(s.phase, "revealed");
  assert.equal(s.answered, 12);
  assert.equal(s.deadline, null);
  assert.deepEqual(s.reveal.distribution, { A: 9, B: 3 });
  assert.equal(s.reveal.explanation, "1921年7月在上海召开。");
});

test("a state message restores a revealed question after a reconnect, with names and scores", () => {
  const s = play({ type: "state", phase: "revealed", title: "学党史知识竞赛", scores: [{ team_id: 1, name: "财政局代表队", score: 20 }],
    counts: { joined: 40 }, question: { ...question, answer: ["A"], explanation: "解析" }, index: 2, count: 5, points: 10,
    distribution: { A: 30, B: 10 } });
  assert.equal(s.title, "学党史知识竞赛");
  assert.equal(s.joined, 40);
  assert.equal(teamName(s, 1), "财政局代表队");
  assert.equal(teamName(s, 9), "9 号队");
  assert.deepEqual(s.reveal.answer, ["A"]);
  assert.equal(s.q.index, 2);
});

test("a segment clears the question and keeps its title card's end", () => {
  const s = play({ type: "question", question, index: 1, count: 1, points: 10, deadline_ms: 5000 },
    { type: "segment", segment: { kind: "risk", index: 2 }, card_until_ms: 123456 });
  assert.equal(s.phase, "segment");
  assert.equal(s.q, null);
  assert.equal(s.cardUntil, 123456);
});

test("the server's last-question flag, pause and resume, the board", () => {
  let s = play({ type: "question", question, index: 3, count: 3, points: 10, deadline_ms: 5000, last_question: true });
  assert.equal(s.q.last, true);
  s = reduce(s, { type: "paused", remaining_ms: 4200 });
  assert.equal(s.phase, "paused");
  assert.equal(s.remaining, 4200);
  s = reduce(s, { type: "resumed", phase: "question", deadline_ms: 9000 });
  assert.equal(s.phase, "question");
  assert.equal(s.deadline, 9000);
  s = reduce(s, { type: "leaderboard", teams: [{ team_id: 2, name: "二队", score: 50, rank: 1 }], players: [] });
  assert.equal(s.phase, "leaderboard");
  assert.equal(s.teams.get(2).score, 50);
  assert.equal(s.board.teams[0].rank, 1);
});

test("joins and kicks count the players", () => {
  let s = play({ type: "joined", count: 5 }, { type: "joined" });
  assert.equal(s.joined, 6);
  s = reduce(s, { type: "kicked", player_id: 3, count: 5 });
  assert.equal(s.joined, 5);
});
