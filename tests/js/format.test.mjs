// node --test tests/js : answer and number formatting (static/js/format.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { answerLong, answerText, averageText, secondsLeft } from "../../static/js/format.js";

const single = { type: "single", options: [{ key: "A", text: "上海" }, { key: "B", text: "北京" }, { key: "C", text: "南昌" }] };

test("short answers for the live show", () => {
  assert.equal(answerText(single, ["A", "C"]), "A、C");
  assert.equal(answerText({ type: "judge" }, [true]), "正确");
  assert.equal(answerText({ type: "judge" }, [false]), "错误");
  assert.equal(answerText({ type: "fill" }, [["南湖", "嘉兴南湖"], "一大"]), "南湖 / 一大");
  assert.equal(answerText({ type: "short" }, ["坚持真理"]), "坚持真理");
  assert.equal(answerText(single, []), "");
  assert.equal(answerText(single, null), "");
});

test("full answers for practice and the exam review", () => {
  assert.equal(answerLong(single, ["A", "C"]), "A．上海；C．南昌");
  assert.equal(answerLong(single, []), "（无）");
  assert.equal(answerLong(single, [""], "（未作答）"), "（未作答）");
  assert.equal(answerLong({ type: "fill" }, [["南湖", "嘉兴南湖"]]), "南湖 或 嘉兴南湖");
  assert.equal(answerLong({ type: "fill" }, ["a", "b"]), "第 1 空：a；第 2 空：b");
  assert.equal(answerLong({ type: "judge" }, [false]), "错误");
});

test("seconds left round up, so zero means time is up", () => {
  assert.equal(secondsLeft(3200), 4);
  assert.equal(secondsLeft(1), 1);
  assert.equal(secondsLeft(0), 0);
  assert.equal(secondsLeft(null), null);
});

test("an average of nobody is a dash, not 0", () => {
  assert.equal(averageText(0, 0), "—");
  assert.equal(averageText(170, 2), "85");
  assert.equal(averageText(171, 2), "85.5");
});
