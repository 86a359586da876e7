// node --test tests/js : the live pages' shared formatting (static/js/format.js: signed, avMedia, TYPE_SHORT).
import assert from "node:assert/strict";
import { test } from "node:test";

import { TYPE_SHORT, avMedia, signed } from "../../static/js/format.js";

test("score changes read with their sign", () => {
  assert.equal(signed(10), "+10");
  assert.equal(signed(-5), "-5");
  assert.equal(signed(0), "0");
});

test("a question's sound and video, not its pictures", () => {
  const media = [{ kind: "image", url: "/media/a.png" }, { kind: "audio", url: "/media/b.mp3" }, { kind: "video", url: "/media/c.mp4" }];
  assert.deepEqual(avMedia({ media }).map((m) => m.kind), ["audio", "video"]);
  assert.deepEqual(avMedia({ media: [media[0]] }), []);
  assert.deepEqual(avMedia({}), []);
  assert.deepEqual(avMedia(null), []);
});

test("short type labels for the live pages", () => {
  assert.equal(TYPE_SHORT.single, "单选");
  assert.equal(TYPE_SHORT.short, "简答");
});
