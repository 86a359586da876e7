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

test("a team segment's reveal keeps each team's verdict, live and after a reconnect", () => {
  const verdicts = [{ team_id: 2, answered: true, correct: false, points: -10 }, { team_id: 3, answered: true, correct: true, points: 20 }];
  const live = play({ type: "question", question, index: 1, count: 1, points: 20, segment: { kind: "buzzer", index: 1 } },
    { type: "closed", answered: 1 }, { type: "reveal", answer: ["A"], distribution: { A: 1 }, team_results: verdicts });
  assert.deepEqual(live.reveal.team_results, verdicts);
  const again = play({ type: "state", phase: "revealed", segment: { kind: "buzzer", index: 1 }, question: { ...question, answer: ["A"] },
    index: 1, count: 1, points: 20, distribution: { A: 1 }, team_results: verdicts });
  assert.deepEqual(again.reveal.team_results, verdicts);
  assert.equal(play({ type: "question", question, index: 1, count: 1 }, { type: "reveal", answer: ["A"] }).reveal.team_results, null);
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

// --- what the host console and the phone need from the same reducer ------------------------------------

const seg = (kind, index = 1) => ({ kind, index, title: "" });
const q = (id, kind, extra = {}) => ({ type: "question", question: { ...question, id }, index: 1, count: 2, points: 10,
  deadline_ms: 5000, segment: seg(kind), ...extra });
const me = (team_id = 1) => ({ type: "welcome", player: { id: "p1", name: "张丽", team_id } });

test("welcome names the phone's player; local_forget forgets it", () => {
  let s = play(me(2));
  assert.deepEqual(s.me, { id: "p1", name: "张丽", team_id: 2 });
  s = reduce(s, { type: "local_forget" });
  assert.equal(s.me, null);
  assert.equal(reduce(initialState(), { type: "welcome" }).me, null);
});

test("counts: joins, the host's pushed counts, team answers and buzzes; a new question resets answered and buzzes", () => {
  let s = play({ type: "joined", count: 3 }, { type: "counts", counts: { joined: 7, answered: 2, buzzes: 0 } });
  assert.deepEqual(s.counts, { joined: 7, answered: 2, buzzes: 0 });
  assert.equal(s.joined, 7);
  s = play(q(7, "required", { team_id: 1 }), { type: "team_answered", question: 7, team_id: 1, player_id: "p1", answer: ["A"] });
  assert.equal(s.counts.answered, 1);
  s = play(q(7, "buzzer"), { type: "buzz_open", question: 7 }, { type: "buzzed", question: 7, team_id: 1, order: 1 },
    { type: "buzzed", question: 7, team_id: 2, foul: true });
  assert.equal(s.counts.buzzes, 2);
  s = reduce(s, q(8, "buzzer"));
  assert.equal(s.counts.buzzes, 0);
  assert.equal(s.counts.answered, 0);
  s = reduce(s, { type: "closed", question: 8, answered: 5 });
  assert.equal(s.counts.answered, 5);
  s = reduce(s, { type: "kicked", player_id: 9, count: 6 });
  assert.equal(s.counts.joined, 6);
});

test("the host's answer key comes with the question; the reveal confirms it", () => {
  let s = play(q(7, "all", { question: { ...question, answer: ["A"], explanation: "上海" } }));
  assert.deepEqual(s.key, { answer: ["A"], explanation: "上海" });
  assert.equal(s.reveal, null);
  s = play(q(7, "all"));
  assert.equal(s.key.answer, null); // a screen or phone does not know it before the reveal
  s = reduce(s, { type: "reveal", question: 7, answer: ["A"], explanation: "上海", distribution: { A: 1 } });
  assert.deepEqual(s.key, { answer: ["A"], explanation: "上海" });
});

test("short answers: each player's arrives for the host, is judged one by one, and a new question clears them", () => {
  let s = play(q(7, "all", { question: { ...question, type: "short" } }),
    { type: "player_answered", question: 7, player_id: 4, name: "王小明", team_id: null, answer: ["为人民服务"] },
    { type: "player_answered", question: 7, player_id: 5, name: "赵小红", team_id: 2, answer: ["服务"] },
    { type: "player_answered", question: 99, player_id: 6, name: "别的题", answer: ["x"] });
  assert.equal(s.shortAnswers.size, 2);
  s = reduce(s, { type: "judged", question: 7, player_id: 4, team_id: null, correct: true, points: 0 });
  assert.equal(s.shortAnswers.get("4").correct, true);
  assert.equal(s.shortAnswers.get("5").correct, null);
  assert.equal(s.judged, null, "a player's short answer is not the team judgement");
  s = reduce(s, q(8, "all"));
  assert.equal(s.shortAnswers.size, 0);
});

test("a state message restores the host's short answers, counts, and the phone's own answer and result", () => {
  const host = play({ type: "state", phase: "question", segment: seg("all"), question: { ...question, type: "short", answer: ["x"] },
    index: 1, count: 1, points: 10, counts: { joined: 2, answered: 1, buzzes: 0 },
    short_answers: [{ player_id: 4, name: "王小明", team_id: null, answer: ["x"], correct: true }] });
  assert.equal(host.shortAnswers.get("4").correct, true);
  assert.equal(host.counts.answered, 1);
  assert.equal(host.reveal, null);
  const phone = play({ type: "state", phase: "revealed", segment: seg("all"), question: { ...question, answer: ["A"], explanation: "e" },
    index: 1, count: 1, points: 10, distribution: { A: 1 },
    you: { id: "p1", name: "张丽", team_id: null, score: 10, answered: true, answer: ["A"], result: { answered: true, correct: true, points: 10 } } });
  assert.deepEqual(phone.me, { id: "p1", name: "张丽", team_id: null });
  assert.equal(phone.myScore, 10);
  assert.deepEqual(phone.mine, { answer: ["A"], status: "saved" });
  assert.deepEqual(phone.reveal.you, { answered: true, correct: true, points: 10 });
  assert.deepEqual(phone.reveal.answer, ["A"]);
});

test("a state with no question clears the question's parts but keeps the board", () => {
  let s = play(q(7, "all"), { type: "leaderboard", teams: [], players: [{ player_id: 1, name: "a", rank: 1, score: 5 }] });
  s = reduce(s, { type: "state", phase: "leaderboard", segment: seg("all"), question: null });
  assert.equal(s.q, null);
  assert.equal(s.mine, null);
  assert.equal(s.board.players[0].rank, 1);
});

test("the phone's answer: queued or sending, saved by its ack, refused with a reason, or a teammate's", () => {
  let s = play(me(1), q(7, "required", { team_id: 1 }), { type: "local_answer", question: 7, answer: ["A"], status: "queued" });
  assert.deepEqual(s.mine, { answer: ["A"], status: "queued" });
  s = reduce(s, { type: "ack", question: 7, accepted: true });
  assert.equal(s.mine.status, "saved");
  assert.equal(reduce(s, { type: "ack", question: 7, accepted: false, reason: "duplicate" }).mine.status, "saved",
    "a saved answer stays saved");
  s = play(me(1), q(7, "required", { team_id: 1 }), { type: "local_answer", question: 7, answer: ["B"] },
    { type: "ack", question: 7, accepted: false, reason: "late" });
  assert.deepEqual(s.mine, { answer: ["B"], status: "refused", reason: "late" });
  s = play(me(1), q(7, "required", { team_id: 1 }), { type: "team_answered", question: 7, team_id: 1, player_id: "p2", answer: ["C"] });
  assert.deepEqual(s.mine, { answer: ["C"], status: "teammate" });
  assert.deepEqual(s.teamAnswer, { team_id: 1, player_id: "p2", answer: ["C"], pendingJudge: false });
  s = play(me(1), q(7, "required", { team_id: 1 }), { type: "team_answered", question: 7, team_id: 1, player_id: "p1", answer: ["C"] });
  assert.equal(s.mine.status, "saved");
  s = reduce(s, { type: "ack", question: 99, accepted: false, reason: "late" });
  assert.equal(s.mine.status, "saved", "an ack for another question changes nothing");
  assert.equal(reduce(s, q(8, "required", { team_id: 2 })).mine, null);
});

test("a team's short answer waits for the host's judgement", () => {
  let s = play(q(7, "required", { team_id: 1, question: { ...question, type: "short" } }),
    { type: "team_answered", question: 7, team_id: 1, player_id: "p1", answer: ["x"] });
  assert.equal(s.teamAnswer.pendingJudge, true);
  s = reduce(s, { type: "judged", question: 7, team_id: 1, player_id: "p1", correct: false, points: -5 });
  assert.equal(s.teamAnswer.pendingJudge, false);
  assert.equal(s.judged.points, -5);
});

test("buzz sequence for the phone: open, its buzz sent, won; the other team's phone lost", () => {
  const start = [q(7, "buzzer", { team_ids: [1, 2] }), { type: "buzz_open", question: 7, deadline_ms: 9000, team_ids: [1, 2] }];
  let mine = play(me(1), ...start);
  assert.equal(mine.buzz.mine, "idle");
  assert.deepEqual(mine.buzz.eligible, [1, 2]);
  mine = reduce(mine, { type: "local_buzz" });
  assert.equal(mine.buzz.mine, "sent");
  assert.equal(reduce(mine, { type: "local_buzz" }), mine, "one buzz at a time");
  const refused = reduce(mine, { type: "error", code: "buzz_closed", message: "" });
  assert.equal(refused.buzz.mine, "idle", "a refused buzz gives the button back");
  mine = reduce(mine, { type: "buzzed", question: 7, team_id: 1, order: 1, deadline_ms: 15000 });
  assert.equal(mine.buzz.mine, "won");
  const other = play(me(2), ...start, { type: "buzzed", question: 7, team_id: 1, order: 1 });
  assert.equal(other.buzz.mine, "lost");
  assert.equal(other.phase, "answering");
});

test("buzz sequence: a foul, a wrong answer drops the team, the others buzz again", () => {
  let s = play(me(2), q(7, "buzzer", { team_ids: [1, 2, 3] }), { type: "buzzed", question: 7, team_id: 2, foul: true });
  assert.equal(s.buzz.mine, "foul");
  assert.deepEqual(s.buzz.fouls, [2]);
  s = reduce(s, { type: "buzz_open", question: 7, deadline_ms: 9000, team_ids: [1, 3] });
  assert.equal(s.buzz.mine, "foul", "a foul that lost the turn stays a foul");
  s = reduce(s, { type: "buzzed", question: 7, team_id: 1, order: 1 });
  assert.equal(s.buzz.mine, "foul");
  s = reduce(s, { type: "judged", question: 7, team_id: 1, correct: false, points: -10 });
  assert.equal(s.buzz.answering, null);
  assert.deepEqual(s.buzz.out, [1]);
  assert.deepEqual(s.buzz.right, []);
  s = reduce(s, { type: "buzz_open", question: 7, deadline_ms: 12000, team_ids: [3] });
  assert.equal(s.phase, "buzzing");
  assert.deepEqual(s.buzz.order, []);
  assert.equal(s.judged, null);
  s = reduce(s, { type: "buzzed", question: 7, team_id: 3, order: 1 });
  s = reduce(s, { type: "judged", question: 7, team_id: 3, correct: true, points: 10 });
  assert.deepEqual(s.buzz.out, [1, 3]);
  assert.deepEqual(s.buzz.right, [3]);
  const out = play(me(1), q(7, "buzzer", { team_ids: [1, 2] }), { type: "buzz_open", question: 7 },
    { type: "buzzed", question: 7, team_id: 1, order: 1 }, { type: "judged", question: 7, team_id: 1, correct: false, points: 0 });
  assert.equal(out.buzz.mine, "out");
  assert.equal(reduce(out, { type: "buzz_open", question: 7, team_ids: [2] }).buzz.mine, "out");
});

test("a state restores the phone's buzz: won, lost, out, foul or idle", () => {
  const snap = (team, buzz) => play({ type: "state", phase: "answering", segment: seg("buzzer"), question, index: 1, count: 1,
    points: 10, you: { id: "p", name: "n", team_id: team }, buzz: { armed: false, answering_team_id: null, order: [], fouls: [], out: [], eligible: [], ...buzz } });
  assert.equal(snap(1, { answering_team_id: 1, order: [1] }).buzz.mine, "won");
  assert.equal(snap(2, { answering_team_id: 1, order: [1] }).buzz.mine, "lost");
  assert.equal(snap(2, { out: [2] }).buzz.mine, "out");
  assert.equal(snap(2, { fouls: [2] }).buzz.mine, "foul");
  assert.equal(snap(2, { armed: true, eligible: [1, 2] }).buzz.mine, "idle");
  assert.equal(snap(1, { answering_team_id: 1 }).buzz.answering, 1);
});

test("risk sequence: the turn and its values, the pick, the question for that team, the next turn", () => {
  let s = play({ type: "segment", segment: seg("risk"), card_until_ms: 1 },
    { type: "leaderboard", teams: [{ team_id: 1, name: "一队", score: 0, rank: 1 }, { team_id: 2, name: "二队", score: 0, rank: 1 }], players: [] },
    { type: "turn", team_id: 1, values_left: [10, 20, 30] });
  assert.deepEqual(s.turn, { team_id: 1, values_left: [10, 20, 30] });
  assert.deepEqual(s.valuesLeft.get(1), [10, 20, 30]);
  s = reduce(s, { type: "risk_pick", team_id: 1, points: 20, declined: false });
  assert.deepEqual(s.valuesLeft.get(1), [10, 30]);
  assert.equal(s.turn, null);
  s = reduce(s, { ...q(7, "risk", { team_id: 1, points: 20 }) });
  assert.equal(s.q.team_id, 1);
  assert.equal(s.q.points, 20);
  s = reduce(s, { type: "reveal", question: 7, answer: ["A"], explanation: "", distribution: {} });
  assert.equal(s.turn, null, "the reveal stays: the next turn comes when the host moves on");
  s = reduce(s, { type: "turn", team_id: 2, values_left: [10, 20, 30] });
  assert.equal(s.phase, "revealed");
  assert.equal(s.turn.team_id, 2);
  s = reduce(s, { type: "risk_pick", team_id: 2, points: 0, declined: true });
  assert.deepEqual(s.valuesLeft.get(2), [10, 20, 30], "a declined turn uses no value");
  s = reduce(s, { type: "turn", team_id: null, values_left: [] });
  assert.equal(s.turn, null);
  assert.equal(reduce(s, { type: "segment", segment: seg("risk", 2) }).valuesLeft.size, 0);
});

test("a state restores the risk turn, except while that team's own question is open", () => {
  const base = { type: "state", segment: seg("risk"), turn_team_id: 2,
    risk: { order: [1, 2], values_left: [{ team_id: 1, values: [10] }, { team_id: 2, values: [10, 20, 30] }] } };
  let s = play({ ...base, phase: "picking", question: null });
  assert.deepEqual(s.turn, { team_id: 2, values_left: [10, 20, 30] });
  assert.deepEqual(s.valuesLeft.get(1), [10]);
  s = play({ ...base, phase: "question", question, index: 1, count: 2, points: 20, team_id: 2 });
  assert.equal(s.turn, null);
});

test("tiebreak: the groups and whether the tie is settled; a new segment forgets them", () => {
  let s = play({ type: "tiebreak", groups: [{ team_ids: [1, 2], resolved: false }], resolved: false });
  assert.equal(s.tiebreak.resolved, false);
  s = reduce(s, { type: "tiebreak", groups: [{ team_ids: [2, 1], winners: [2], resolved: true }], resolved: true });
  assert.equal(s.tiebreak.resolved, true);
  assert.equal(s.tiebreak.groups[0].winners[0], 2);
  assert.equal(reduce(s, { type: "segment", segment: seg("all", 2) }).tiebreak, null);
  s = play({ type: "state", phase: "revealed", segment: seg("tiebreak"), question: null, tiebreak: [{ resolved: true }, { resolved: true }] });
  assert.equal(s.tiebreak.resolved, true);
});

test("media: playing and paused for the question shown; cleared by a new question; a state restores it", () => {
  let s = play(q(7, "all"), { type: "media", question: 7, playing: true, now_ms: 1 });
  assert.deepEqual(s.media, { playing: true, question: 7 });
  s = reduce(s, { type: "media", question: 7, playing: false });
  assert.deepEqual(s.media, { playing: false, question: 7 });
  assert.equal(reduce(s, { type: "media", question: 99, playing: true }), s, "another question's media changes nothing");
  assert.equal(reduce(s, q(8, "all")).media, null);
  assert.equal(reduce(initialState(), { type: "media", question: 7, playing: true }).media, null);
  s = play({ type: "state", phase: "question", segment: seg("all"), question, index: 1, count: 1, points: 10,
    media: { playing: true, question: 7 } });
  assert.deepEqual(s.media, { playing: true, question: 7 });
  assert.equal(play({ type: "state", phase: "question", segment: seg("all"), question, index: 1, count: 1, points: 10 }).media, null);
});

test("the phone's points: its own result at the reveal, the team's score, a guest's score messages", () => {
  let s = play(me(null), q(7, "all"), { type: "reveal", question: 7, answer: ["A"], distribution: {}, you: { answered: true, correct: true, points: 8 } });
  assert.equal(s.myScore, 8);
  assert.equal(s.reveal.you.points, 8);
  s = reduce(s, { type: "score", team_id: null, player_id: "p1", delta: 5, total: 13, reason: "adjust" });
  assert.equal(s.myScore, 13);
  assert.equal(s.teams.has(null), false, "a guest's points are no team's");
  assert.equal(reduce(s, { type: "score", team_id: null, player_id: "p1", delta: 5, reason: "answers" }).myScore, 13);
  s = play(me(1), q(7, "required", { team_id: 1 }),
    { type: "reveal", question: 7, answer: ["A"], distribution: {}, you: { answered: true, correct: true, points: 10, team_score: 30 } });
  assert.equal(s.teams.get(1).score, 30);
  assert.equal(s.myScore, 0, "a team member's points are the team's");
  assert.equal(play(me(1), q(7, "all"), { type: "reveal", question: 7, answer: [], distribution: {}, you: { score: 42 } }).myScore, 42);
});

test("messages about another question than the one shown change nothing", () => {
  const s = play(me(1), q(7, "buzzer", { team_ids: [1] }));
  for (const msg of [{ type: "buzz_open", question: 8 }, { type: "buzzed", question: 8, team_id: 1, order: 1 },
    { type: "judged", question: 8, team_id: 1, correct: true }, { type: "closed", question: 8 },
    { type: "reveal", question: 8, answer: ["A"] }, { type: "team_answered", question: 8, team_id: 1, answer: ["A"] },
    { type: "player_answered", question: 8, player_id: 1, answer: ["A"] }, { type: "local_answer", question: 8, answer: ["A"] }]) {
    assert.equal(reduce(s, msg), s, msg.type);
  }
});

test("pause remembers what it interrupted (a state too); resume clears the frozen time", () => {
  let s = play(q(7, "buzzer"), { type: "buzz_open", question: 7, deadline_ms: 9000 }, { type: "paused", remaining_ms: 3000 });
  assert.equal(s.pausedFrom, "buzzing");
  s = reduce(s, { type: "paused", remaining_ms: 2000 });
  assert.equal(s.pausedFrom, "buzzing", "a second pause does not forget the first");
  s = reduce(s, { type: "resumed", phase: "buzzing", deadline_ms: 12000 });
  assert.equal(s.remaining, null);
  s = play({ type: "state", phase: "paused", segment: seg("buzzer"), question, index: 1, count: 1, points: 10, remaining_ms: 4000,
    buzz: { armed: false, answering_team_id: 3, order: [3], fouls: [], out: [], eligible: [] } });
  assert.equal(s.pausedFrom, "answering");
  assert.equal(s.remaining, 4000);
});

test("errors: no more questions for the host (until the next segment); others change nothing", () => {
  let s = play(q(7, "all"), { type: "error", code: "no_more_questions", message: "" });
  assert.equal(s.noMore, true);
  assert.equal(reduce(s, { type: "segment", segment: seg("all", 2) }).noMore, false);
  s = play(q(7, "all"));
  assert.equal(reduce(s, { type: "error", code: "not_on_turn", message: "" }), s);
});

test("finished keeps the final board and the teams' names and scores", () => {
  const s = play({ type: "finished", teams: [{ team_id: 1, name: "一队", score: 40, rank: 1 }], players: [], prizes: [{ name: "一等奖" }] });
  assert.equal(s.phase, "finished");
  assert.equal(s.board.prizes[0].name, "一等奖");
  assert.equal(teamName(s, 1), "一队");
  assert.equal(teamName(s, null), "");
});
