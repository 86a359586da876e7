// node --test tests/js : one account on two phones (issue 10, item 12). The server acknowledges an answer to every
// connection of the player; only the phone that sent it knows what it was. The reducer must never show the
// other phone an empty (or its own, different) 你的答案: it marks the answer as sent elsewhere until a `state`
// or a reveal carrying `you.answer` names it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { initialState, reduce } from "../../static/js/live_state.js";

const question = { type: "single", id: 7, stem: "中共一大在哪里召开？", options: [{ key: "A", text: "上海" }, { key: "B", text: "北京" }] };
const play = (...messages) => messages.reduce(reduce, initialState());
const seg = (kind) => ({ kind, index: 1, title: "" });
const welcome = { type: "welcome", player: { id: 4, name: "张丽", team_id: 1 } };
const ask = { type: "question", question, index: 1, count: 2, points: 10, deadline_ms: 60000, segment: seg("all") };
const reveal = (you) => ({ type: "reveal", question: 7, answer: ["A"], explanation: "", distribution: { A: 1 }, you });

test("the phone that sent the answer keeps it; its own ack (same id) saves it", () => {
  const s = play(welcome, ask, { type: "local_answer", question: 7, answer: ["A"], id: "m1", status: "sending" },
    { type: "ack", id: "m1", question: 7, accepted: true });
  assert.deepEqual(s.mine, { answer: ["A"], status: "saved", id: "m1" });
  assert.deepEqual(reduce(s, reveal({ answered: true, correct: true, points: 10 })).mine.answer, ["A"]);
});

test("an ack for an answer this phone did not send is not an empty answer: it is one sent elsewhere", () => {
  const s = play(welcome, ask, { type: "ack", id: "other-phone", question: 7, accepted: true });
  assert.deepEqual(s.mine, { answer: null, status: "saved", elsewhere: true });
});

test("an ack that carries the stored answer names it on the phone that did not send it", () => {
  const s = play(welcome, ask, { type: "ack", id: "other-phone", question: 7, accepted: true, submitted: ["A"] });
  assert.deepEqual(s.mine, { answer: ["A"], status: "saved" });
  // ... also over this phone's own different choice still on its way.
  const t = play(welcome, ask, { type: "local_answer", question: 7, answer: ["B"], id: "mine", status: "sending" },
    { type: "ack", id: "theirs", question: 7, accepted: true, submitted: ["A"] });
  assert.deepEqual(t.mine, { answer: ["A"], status: "saved" });
});

test("another phone's accepted answer wins over this phone's own, still on its way", () => {
  let s = play(welcome, ask, { type: "local_answer", question: 7, answer: ["B"], id: "mine", status: "sending" },
    { type: "ack", id: "theirs", question: 7, accepted: true });
  assert.deepEqual(s.mine, { answer: null, status: "saved", elsewhere: true }, "B was not accepted: not shown as the answer");
  s = reduce(s, { type: "ack", id: "mine", question: 7, accepted: false, reason: "duplicate" });
  assert.equal(s.mine.status, "saved", "the duplicate of this phone's own stays behind the saved one");
});

test("the snapshot after a resync names the answer sent on the other phone", () => {
  let s = play(welcome, ask, { type: "ack", id: "other-phone", question: 7, accepted: true });
  s = reduce(s, { type: "state", phase: "question", segment: seg("all"), question, index: 1, count: 2, points: 10,
    deadline_ms: 60000, you: { id: 4, name: "张丽", team_id: 1, score: 0, answered: true, answer: ["A"], result: null } });
  assert.deepEqual(s.mine, { answer: ["A"], status: "saved" });
  // The reveal keeps it (and the result is this player's).
  s = reduce(s, reveal({ answered: true, correct: true, points: 10 }));
  assert.deepEqual(s.mine.answer, ["A"]);
  assert.equal(s.reveal.you.correct, true);
});

test("a reveal that carries `you.answer` fills in an answer this phone did not know", () => {
  let s = play(welcome, ask, { type: "ack", id: "other-phone", question: 7, accepted: true });
  s = reduce(s, reveal({ answered: true, correct: true, points: 10, answer: ["A"] }));
  assert.deepEqual(s.mine, { answer: ["A"], status: "saved" });
  // ... and with no answer of its own before at all (it joined after the other phone answered, say).
  s = play(welcome, ask, reveal({ answered: true, correct: false, points: 0, answer: ["B"] }));
  assert.deepEqual(s.mine, { answer: ["B"], status: "saved" });
  // A reveal never replaces an answer the phone knows.
  s = play(welcome, ask, { type: "local_answer", question: 7, answer: ["A"], id: "m1" },
    { type: "ack", id: "m1", question: 7, accepted: true }, reveal({ answered: true, correct: true, points: 10, answer: ["B"] }));
  assert.deepEqual(s.mine.answer, ["A"]);
});

test("a team's answer named by team_answered fills in one sent from the other phone", () => {
  const turn = { ...ask, segment: seg("required"), team_id: 1 };
  const s = play(welcome, turn, { type: "ack", id: "other-phone", question: 7, accepted: true },
    { type: "team_answered", question: 7, team_id: 1, player_id: 4, answer: ["A"] });
  assert.deepEqual(s.mine, { answer: ["A"], status: "saved" });
});
