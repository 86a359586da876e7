// node --test tests/js : building a live game's segments without JSON (static/js/segment_model.js, the builder's pure part).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  TEMPLATES, explainError, fromJson, move, newSegment, rescaleForTeams, setField, setRule, setSource, sourceOf, summarize,
  toJson, validate,
} from "../../static/js/segment_model.js";

const ROUND = { bankId: 1, roundId: 5 };

test("a new segment of each kind carries its kind's fields and no questions yet", () => {
  const all = newSegment("all");
  assert.deepEqual(all, { kind: "all", title: "全员答题", question_ids: [], time_limit_s: 20, points: 10, speed_bonus: true,
    team_score: "sum" });
  const buzzer = newSegment("buzzer");
  assert.equal(buzzer.buzz_window_s, 10);
  assert.equal(buzzer.foul_points, -10);
  assert.equal(buzzer.wrong_points, -10);
  assert.equal(buzzer.foul_policy, "deduct");
  const risk = newSegment("risk");
  assert.deepEqual(risk.risk_values, [10, 20, 30]);
  assert.equal(risk.rounds, 1);
  assert.equal("points" in risk, false, "a risk question is worth the value picked");
  assert.equal(newSegment("tiebreak").mode, "sudden_death");
  assert.equal(newSegment("required").answerer, "team");
  assert.notEqual(newSegment("risk").risk_values, newSegment("risk").risk_values, "no shared default list");
});

test("the standard final: required 3 per team, buzzer 10, risk 10/20/30, tiebreak; all drawn by rule", () => {
  const final = TEMPLATES.find((t) => t.id === "final").build(8);
  assert.deepEqual(final.map((s) => s.kind), ["required", "buzzer", "risk", "tiebreak"]);
  assert.equal(final[0].rule.count, 24);
  assert.equal(final[0].answerer, "seat");
  assert.equal(final[1].rule.count, 10);
  assert.deepEqual(final[2].risk_values, [10, 20, 30]);
  assert.equal(final[2].rule.count, 8, "one pick per team");
  assert.ok(final.every((s) => !("question_ids" in s)));
  assert.deepEqual(validate(final, ROUND), []);
  const everyone = TEMPLATES.find((t) => t.id === "all").build(8);
  assert.deepEqual(everyone.map((s) => s.kind), ["all"]);
  assert.deepEqual(validate(everyone, { bankId: 1 }), [], "an open game may play 全员答题");
});

test("the team count keeps 必答 and 风险 questions per team", () => {
  const final = TEMPLATES[0].build(8);
  rescaleForTeams(final, 8, 6);
  assert.equal(final[0].rule.count, 18);
  assert.equal(final[1].rule.count, 10, "the buzzer is not per team");
  assert.equal(final[2].rule.count, 6);
});

test("typed values: numbers, blanks for optional fields, lists, check boxes", () => {
  const s = newSegment("risk");
  setField(s, "time_limit_s", " 45 ");
  assert.equal(s.time_limit_s, 45);
  setField(s, "wrong_points", "－5");
  assert.equal(s.wrong_points, -5, "a full-width minus reads as minus");
  setField(s, "wrong_points", "");
  assert.equal("wrong_points" in s, false, "blank: the server's default (−value for risk)");
  setField(s, "risk_values", "10，20、40");
  assert.deepEqual(s.risk_values, [10, 20, 40]);
  setField(s, "allow_decline", true);
  assert.equal(s.allow_decline, true);
  setField(s, "time_limit_s", "abc");
  setField(s, "risk_values", "10, x");
  const problems = validate([s], ROUND).filter((p) => p.field !== "question_ids");
  assert.deepEqual(problems.map((p) => p.field).sort(), ["risk_values", "time_limit_s"]);
  assert.match(problems.find((p) => p.field === "time_limit_s").message, /数字/);
});

test("validation in Chinese mirrors the server's limits", () => {
  const open = { bankId: 1 };
  assert.match(validate([], open)[0].message, /还没有环节/);
  const required = { ...newSegment("required"), question_ids: [1, 2] };
  assert.match(validate([required], open)[0].message, /比赛轮次/);
  assert.deepEqual(validate([required], ROUND), []);
  const none = newSegment("all");
  assert.match(validate([none], open)[0].message, /还没有题目/);
  const twice = [{ ...newSegment("all"), question_ids: [3, 4] }, { ...newSegment("tiebreak"), question_ids: [4] }];
  const [dup] = validate(twice, open);
  assert.equal(dup.segment, 1);
  assert.match(dup.message, /#4 已在第 1 个环节/);
  const ruled = { ...newSegment("all"), rule: { type: "single", count: 0 } };
  delete ruled.question_ids;
  assert.deepEqual(validate([ruled], {}).map((p) => p.field).sort(), ["rule", "rule.count"]);
  const far = { ...newSegment("buzzer"), question_ids: [1], buzz_window_s: 0, points: 20000, title: "长".repeat(101) };
  assert.deepEqual(validate([far], ROUND).map((p) => p.field).sort(), ["buzz_window_s", "points", "title"]);
  assert.match(validate([{ ...newSegment("all"), question_ids: [1], colour: "red" }], open)[0].message, /未知字段/);
});

test("questions come from picks, a rule, or both, and switching back restores what was there", () => {
  const s = { ...newSegment("all"), question_ids: [7, 8] };
  assert.equal(sourceOf(s), "pick");
  const stash = {};
  setSource(s, "rule", stash);
  assert.equal(sourceOf(s), "rule");
  assert.equal("question_ids" in s, false);
  setRule(s, "count", "12");
  setRule(s, "tags", ["党史", " 党史 ", "党章"]);
  setRule(s, "difficulty", ["2", "4"]);
  assert.deepEqual(s.rule, { type: "single", count: 12, tags: ["党史", "党章"], difficulty: [2, 4] });
  setRule(s, "difficulty", ["1", "5"]);
  assert.equal("difficulty" in s.rule, false, "1 to 5 is no limit");
  setSource(s, "both", stash);
  assert.equal(sourceOf(s), "both");
  assert.deepEqual(s.question_ids, [7, 8]);
  setSource(s, "pick", stash);
  assert.equal(sourceOf(s), "pick");
  assert.equal("rule" in s, false);
});

test("segments and questions move up and down, never off the ends", () => {
  const list = ["a", "b", "c"];
  assert.equal(move(list, 2, -1), 1);
  assert.deepEqual(list, ["a", "c", "b"]);
  assert.equal(move(list, 0, -1), 0);
  assert.equal(move(list, 2, 1), 2);
  assert.deepEqual(list, ["a", "c", "b"]);
});

test("the preview: question counts, per team, and total time without the tiebreak", () => {
  const segments = [
    { ...newSegment("all"), question_ids: [1, 2, 3], time_limit_s: 20 },
    { ...newSegment("required"), rule: { type: "single", count: 6 }, time_limit_s: 30 },
    { ...newSegment("buzzer"), question_ids: [4], buzz_window_s: 10, time_limit_s: 15 },
    { ...newSegment("tiebreak"), rule: { type: "judge", count: 3 } },
  ];
  const sum = summarize(segments, 2);
  assert.deepEqual(sum.rows.map((r) => r.count), [3, 6, 1, 3]);
  assert.equal(sum.questions, 10);
  assert.equal(sum.seconds, (2 + 60) + (2 + 180) + (2 + 25));
  assert.match(sum.rows[1].details, /每队 3 题/);
  assert.match(sum.rows[1].source, /随机抽 6 道单选题/);
  assert.match(sum.rows[3].source, /判断题/);
  assert.match(sum.text, /共 3 个环节、10 道题，答题限时合计约 5 分钟/);
  assert.match(sum.tiebreak, /加赛/);
});

test("JSON both ways: what the form builds reads back the same; bad JSON is named in Chinese", () => {
  const segments = TEMPLATES[0].build(4);
  segments.push({ ...newSegment("all"), question_ids: [9, 3] });
  const text = toJson(segments);
  assert.match(text, /"title":"必答题"/, "Chinese stays readable");
  assert.deepEqual(fromJson(text).segments, segments);
  assert.match(fromJson("[{").error, /JSON 格式有误/);
  assert.match(fromJson("{}").error, /JSON 数组/);
  assert.match(fromJson('[{"kind": "quiz"}]').error, /第 1 项的 kind/);
  assert.deepEqual(fromJson("[]").segments, []);
});

test("the server's 422 lands next to its segment, in Chinese", () => {
  const pydantic = explainError({ code: "invalid", message: "字段“segments.1.time_limit_s”不正确：应小于等于 3600",
    details: [{ field: "segments.1.time_limit_s", message: "字段“segments.1.time_limit_s”不正确：应小于等于 3600" },
      { field: "title", message: "字段“title”不正确：必填" }] });
  assert.deepEqual(pydantic.segments[1], ["“每题限时（秒）”不正确：应小于等于 3600"]);
  assert.deepEqual(pydantic.game, ["“比赛名称”不正确：必填"]);
  const config = explainError({ code: "config_invalid", message: "比赛设置有误：segment 2: a required segment needs teams; a question appears twice in the game",
    details: [{ field: "segments", message: "segment 2: a required segment needs teams; a question appears twice in the game" }] });
  assert.match(config.segments[1][0], /必答题由队伍作答/);
  assert.deepEqual(config.game, ["同一道题在比赛中出现了两次"]);
  const short = explainError({ code: "rule_short", message: "第 3 个环节的抽题规则只能找到 2 道题（需要 10 道）",
    details: [{ field: "segments.2.rule", message: "第 3 个环节的抽题规则只能找到 2 道题（需要 10 道）" }] });
  assert.deepEqual(short.segments[2], ["第 3 个环节的抽题规则只能找到 2 道题（需要 10 道）"]);
  assert.deepEqual(explainError({ code: "questions_missing", message: "题目不存在或已删除：7", details: [] }).game,
    ["题目不存在或已删除：7"]);
});
