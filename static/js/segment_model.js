// The pure half of the segment builder (static/js/segment_builder.js draws the form): a live game's
// `segments` (CONTRACT §7) as data, with no DOM, so node's test runner imports it
// (tests/js/segment_builder.test.mjs): the kinds' fields and limits (as live/api.py's SegmentIn takes
// them), new segments, templates, setting a field from what was typed, checks in Chinese, the preview,
// the JSON both ways and the server's 422.
import { KIND_NAMES, TYPE_NAMES } from "./format.js";

export const KINDS = ["all", "required", "buzzer", "risk", "tiebreak"];
export const QUESTION_TYPES = ["single", "multiple", "judge", "fill", "short"];
const TEAM_KINDS = new Set(["required", "buzzer", "risk"]); // played by a round's teams only
const BUZZ_KINDS = new Set(["buzzer", "tiebreak"]);
const CARD_S = 2; // each segment's title card on the big screen (live/segments.py TITLE_CARD_MS)

export const LIMITS = { title: 100, seconds: 3600, points: 10000, questions: 500, ruleCount: 500, tags: 50,
  riskValues: 20, rounds: 20, segments: 50, teams: 64 };

const T = {
  kind: KIND_NAMES,
  type: TYPE_NAMES,
  fields: {
    title: "环节名称",
    time_limit_s: "每题限时（秒）",
    points: "答对得分",
    wrong_points: "答错得分",
    timeout_points: "超时得分",
    speed_bonus: "答得快得分多（速度加分）",
    team_score: "队伍得分",
    answerer: "答题人",
    buzz_window_s: "抢答时间（秒）",
    foul_points: "抢先犯规得分",
    foul_policy: "抢先犯规",
    rebuzz_after_wrong: "答错后其他队可再抢",
    no_buzz: "无人抢答时",
    risk_values: "风险分值",
    pick_order: "选题顺序",
    allow_decline: "允许放弃选题",
    risk_once: "每个分值每队只能选一次",
    rounds: "每队选题次数",
    mode: "加赛方式",
    places_that_matter: "决定的名次",
    question_ids: "题目",
    rule: "抽题规则",
    "rule.type": "抽题题型",
    "rule.count": "抽题数量",
    "rule.tags": "抽题标签",
    "rule.difficulty": "抽题难度",
    team_ids: "参赛队伍",
    kind: "环节类型",
  },
  hints: {
    time_limit_s: "0 表示不限时",
    timeBuzz: "抢到后作答的时间；0 表示不限时",
    wrong_points: "负数为扣分；不填为 0",
    wrongRisk: "不填：扣掉所选分值",
    timeout_points: "负数为扣分；不填为 0",
    timeoutBuzzer: "不填：与答错相同",
    timeoutRisk: "不填：扣掉所选分值",
    foul_points: "开始抢答前抢按，负数为扣分",
    risk_values: "用逗号分隔，如 10，20，30",
    places_that_matter: "如 2，5：只加赛第 2、第 5 名之后并列的队；不填则加赛所有并列",
    buzz_window_s: "开放抢答后多久无人抢答即结束",
    answerer: "按座位轮流：队员依次每人答一题",
    foul_policy: "取消资格：犯规的队本题不能再抢",
    no_buzz: "观众作答：无人抢答时改由观众用手机作答",
    mode: "先答对者名次在前，答错者出局",
    team_score: "队伍得分取队员得分的总分或平均分",
  },
  choices: {
    team_score: { sum: "总分", average: "平均分" },
    answerer: { team: "全队作答", seat: "按座位轮流" },
    foul_policy: { deduct: "扣分", lose_turn: "取消资格" },
    no_buzz: { void: "本题作废", audience: "观众作答" },
    pick_order: { seat: "按队伍顺序", score_asc: "低分先选", score_desc: "高分先选" },
    mode: { sudden_death: "突然死亡" },
  },
  err: {
    none: "还没有环节：选一个模板，或添加一个环节",
    tooMany: `环节最多 ${LIMITS.segments} 个`,
    kind: "环节类型不对",
    required: "请填写",
    number: "应为数字",
    integer: "应为整数",
    range: (lo, hi) => `应在 ${lo} 到 ${hi} 之间`,
    positive: "应大于 0",
    title: `最多 ${LIMITS.title} 个字`,
    list: "应为用逗号分隔的正整数",
    listLong: (n) => `最多 ${n} 个`,
    noQuestions: "还没有题目：请挑选题目或设置抽题规则",
    tooManyQuestions: `一个环节最多 ${LIMITS.questions} 道题`,
    ruleType: "请选择抽题题型",
    ruleCount: `抽题数量应为 1 到 ${LIMITS.ruleCount}`,
    difficulty: "难度应为 1 到 5，且“从”不大于“到”",
    twice: (id, other) => `题目 #${id} 已在第 ${other} 个环节中使用（同一道题在一场比赛中只能出现一次）`,
    needsRound: (kind) => `${KIND_NAMES[kind]}由队伍作答：请填写比赛轮次（开放比赛只能用全员答题和加赛）`,
    needsBank: "按规则抽题需要先选择题库",
    unknownField: (name) => `未知字段“${name}”（高级 JSON 中）`,
    json: "JSON 格式有误",
    jsonArray: "环节应为一个 JSON 数组，如 [{\"kind\": \"all\", …}]",
    jsonItem: (i) => `第 ${i} 项不是一个环节对象`,
    jsonKind: (i) => `第 ${i} 项的 kind 应为 ${KINDS.join("、")} 之一`,
  },
  where: (i) => `第 ${i + 1} 个环节`,
  server: [
    [/^(?:an? )?(\w+) segment needs teams$/, (m) => `${KIND_NAMES[m[1]] || m[1]}由队伍作答：请填写比赛轮次`],
    [/^unknown kind (.+)$/, (m) => `未知环节类型 ${m[1]}`],
    [/^risk_values must be positive$/, () => "风险分值必须都是正数"],
    [/^time_limit_s must be >= 0 and buzz_window_s > 0$/, () => "每题限时不能为负，抢答时间应大于 0"],
    [/^team_ids names an unknown team$/, () => "指定的队伍不在这一轮中"],
    [/^a question appears twice in the game$/, () => "同一道题在比赛中出现了两次"],
    [/^question (\d+): (.+)$/, (m) => `题目 #${m[1]} 的答案设置有误（${m[2]}）`],
    [/^(\w+) must be one of (.+)$/, (m) => `“${T.fields[m[1]] || m[1]}”的取值不对`],
    [/^unknown segment fields: (.+)$/, (m) => `未知字段：${m[1]}`],
  ],
  source: {
    picked: (n) => `挑选 ${n} 题`,
    rule: (r) => `随机抽 ${r.count} 道${TYPE_NAMES[r.type] || "题"}${r.tags && r.tags.length ? `（标签：${r.tags.join("、")}）` : ""}${
      difficultyText(r.difficulty)}`,
    none: "未设置题目",
  },
  perTeam: (n) => `每队 ${n} 题`,
  perTeamExact: (teams, each) => `${teams} 队，每队 ${each} 题`,
  perTeamAbout: (teams, each) => `${teams} 队，每队约 ${each} 题（最好是队数的整数倍）`,
  riskNeed: (teams, rounds) => `${teams} 队 × 每队 ${rounds} 次，需要 ${teams * rounds} 题`,
  riskShort: (teams, rounds) => `题目不够：${teams} 队 × 每队 ${rounds} 次需要 ${teams * rounds} 题`,
  risk: (seg) => `分值 ${(seg.risk_values || [10, 20, 30]).join("/")}，每队选 ${seg.rounds || 1} 次`,
  buzzWindow: (s) => `抢答 ${s} 秒`,
  limit: (s) => (s ? `限时 ${s} 秒` : "不限时"),
  points: (p) => `${p} 分`,
  minutes: (s) => (s < 60 ? `${Math.round(s)} 秒` : `约 ${Math.round(s / 60)} 分钟`),
  total: (segs, qs, time) => `共 ${segs} 个环节、${qs} 道题，答题限时合计${time}（不含讲解与揭晓）`,
  tiebreakNote: "加赛只在决定名次的并列出现时进行，不计入合计。",
  templates: {
    final: { name: "标准决赛", description: "必答 3 题/队 + 抢答 10 题 + 风险 10/20/30 + 加赛" },
    all: { name: "全员答题", description: "10 道单选题，每人用手机作答，答得快得分多" },
  },
  gameFields: { title: "比赛名称", base_score: "起始分", group: "分组", round_id: "比赛轮次", bank_id: "题库" },
  fieldWrong: (label, reason) => `“${label}”不正确：${reason}`,
  // the form's own words (mountBuilder)
  ui: {
    empty: "还没有环节。选一个模板，或用下面的按钮添加环节。",
    add: (kind) => `＋ ${KIND_NAMES[kind]}`,
    heading: (i, s) => `第 ${i + 1} 环节 · ${KIND_NAMES[s.kind] || s.kind}`,
    up: "上移", down: "下移", remove: "删除",
    upLabel: (i) => `把第 ${i + 1} 环节上移`, downLabel: (i) => `把第 ${i + 1} 环节下移`, removeLabel: (i) => `删除第 ${i + 1} 环节`,
    sources: { pick: "从题库挑选", rule: "按规则随机抽题", both: "挑选 + 随机补充" },
    sourceLegend: "题目来源",
    picked: (n) => `已选 ${n} 题`,
    noneChosen: "还没有选题。",
    choose: "挑选题目…",
    qUp: (n) => `把第 ${n} 题上移`, qDown: (n) => `把第 ${n} 题下移`, qRemove: (n) => `移出第 ${n} 题`,
    unknownStem: (id) => `题目 #${id}`,
    anyType: "请选择题型",
    difficulty: "难度", from: "从", to: "到",
    tags: "标签（可多选，不选为不限）", noTags: "题库中没有标签",
    available: (n, type) => `题库中共有 ${n} 道${TYPE_NAMES[type] || "题"}`,
    defaultValue: "默认",
    extra: (names) => `另有高级设置：${names.join("、")}（在“高级：编辑 JSON”中修改）`,
    templateConfirm: "套用模板会替换当前的全部环节，继续吗？",
    applied: (name) => `已套用模板“${name}”`,
    fix: (n) => `有 ${n} 个环节需要修改，见各环节下方的红字。`,
    pickerTitle: (i, s) => `为第 ${i + 1} 环节（${s.title || KIND_NAMES[s.kind]}）挑选题目`,
    pickBankFirst: "请先在上方选择题库",
    searching: "正在查找…",
    results: (n, total) => `找到 ${total} 题，显示 ${n} 题`,
    noResults: "没有符合条件的题目",
    more: "显示更多",
    addQ: "选入", addedQ: "已选 ✓ 移出", usedElsewhere: (i) => `已在第 ${i + 1} 环节`,
    allTags: "全部标签", allTypes: "全部题型",
    meta: (q) => `#${q.id} · 难度 ${q.difficulty}`,
    previewHead: ["环节", "题目", "设置", "用时"],
    count: (n) => `<b>${n}</b> 题`,
  },
};

export { T as TEXTS };

function difficultyText(difficulty) {
  if (difficulty == null || difficulty === "") return "";
  const [lo, hi] = Array.isArray(difficulty) ? [difficulty[0], difficulty[1] ?? difficulty[0]] : [difficulty, difficulty];
  if (lo === 1 && hi === 5) return "";
  return lo === hi ? `，难度 ${lo}` : `，难度 ${lo}–${hi}`;
}

// --- the kinds' fields ---------------------------------------------------------------------------

/** The defaults the server applies to a missing field (live/api.py SegmentIn). */
export const DEFAULTS = {
  time_limit_s: 20, points: 10, wrong_points: null, timeout_points: null, speed_bonus: false, team_score: "sum",
  answerer: "team", buzz_window_s: 10, foul_points: -10, foul_policy: "deduct", rebuzz_after_wrong: false,
  no_buzz: "void", risk_values: [10, 20, 30], pick_order: "seat", allow_decline: false, risk_once: true, rounds: 1,
  mode: "sudden_death", places_that_matter: null,
};

/** Every field a segment may carry and how it is typed and bounded. */
export const FIELDS = {
  time_limit_s: { type: "number", min: 0, max: LIMITS.seconds },
  points: { type: "int", min: -LIMITS.points, max: LIMITS.points },
  wrong_points: { type: "int", min: -LIMITS.points, max: LIMITS.points, optional: true },
  timeout_points: { type: "int", min: -LIMITS.points, max: LIMITS.points, optional: true },
  foul_points: { type: "int", min: -LIMITS.points, max: LIMITS.points },
  buzz_window_s: { type: "number", min: 0, max: LIMITS.seconds, exclusiveMin: true },
  rounds: { type: "int", min: 1, max: LIMITS.rounds },
  speed_bonus: { type: "check" },
  rebuzz_after_wrong: { type: "check" },
  allow_decline: { type: "check" },
  risk_once: { type: "check" },
  team_score: { type: "choice" },
  answerer: { type: "choice" },
  foul_policy: { type: "choice" },
  no_buzz: { type: "choice" },
  pick_order: { type: "choice" },
  mode: { type: "choice" },
  risk_values: { type: "list", max: LIMITS.riskValues },
  places_that_matter: { type: "list", max: LIMITS.riskValues, optional: true },
};
const KNOWN = new Set(["kind", "title", "question_ids", "rule", "team_ids", ...Object.keys(FIELDS)]);

/** Which fields each kind's form shows, in order (the rest keep their defaults). */
export const KIND_FIELDS = {
  all: ["time_limit_s", "points", "wrong_points", "timeout_points", "speed_bonus", "team_score"],
  required: ["answerer", "time_limit_s", "points", "wrong_points", "timeout_points"],
  buzzer: ["buzz_window_s", "time_limit_s", "points", "wrong_points", "timeout_points", "foul_points", "foul_policy",
    "rebuzz_after_wrong", "no_buzz"],
  risk: ["risk_values", "rounds", "pick_order", "time_limit_s", "wrong_points", "timeout_points", "allow_decline",
    "risk_once"],
  tiebreak: ["mode", "buzz_window_s", "time_limit_s", "places_that_matter"],
};

/** The hint under a field, which may depend on the kind. */
export function fieldHint(kind, name) {
  if (name === "wrong_points" && kind === "risk") return T.hints.wrongRisk;
  if (name === "timeout_points" && kind === "risk") return T.hints.timeoutRisk;
  if (name === "timeout_points" && kind === "buzzer") return T.hints.timeoutBuzzer;
  if (name === "time_limit_s" && BUZZ_KINDS.has(kind)) return T.hints.timeBuzz;
  return T.hints[name] || "";
}

/** The value a field shows: the segment's own, else the server's default. */
export function fieldValue(segment, name) {
  return segment[name] !== undefined ? segment[name] : DEFAULTS[name];
}

/** A new segment of `kind` with what its form shows set explicitly, and no questions yet. */
export function newSegment(kind, overrides = {}) {
  const segment = { kind, title: KIND_NAMES[kind] || kind, question_ids: [] };
  for (const name of KIND_FIELDS[kind] || []) {
    if (DEFAULTS[name] !== null) segment[name] = Array.isArray(DEFAULTS[name]) ? [...DEFAULTS[name]] : DEFAULTS[name];
  }
  if (kind === "all") segment.speed_bonus = true;
  if (kind === "buzzer") { segment.wrong_points = -10; segment.time_limit_s = 15; }
  if (kind === "tiebreak") segment.time_limit_s = 15;
  if (kind === "required" || kind === "risk") segment.time_limit_s = 30;
  return { ...segment, ...overrides };
}

/** "10，20、30" → [10, 20, 30]; null for an empty text; the text itself when it is not a list of integers. */
export function parseList(text) {
  const parts = String(text ?? "").split(/[\s,，、/]+/).filter(Boolean);
  if (!parts.length) return null;
  const numbers = parts.map(Number);
  return numbers.every((n) => Number.isInteger(n)) ? numbers : String(text);
}

/** Set `name` on `segment` from what was typed (a string, or a boolean for a check box); returns the segment.
 *  An empty optional field is removed (the server's default applies); an unreadable value is kept as typed,
 *  so `validate` names it. */
export function setField(segment, name, raw) {
  const spec = FIELDS[name];
  if (name === "title") { segment.title = String(raw ?? "").trim(); return segment; }
  if (!spec) { segment[name] = raw; return segment; }
  if (spec.type === "check") { segment[name] = Boolean(raw); return segment; }
  if (spec.type === "choice") { segment[name] = String(raw); return segment; }
  const text = String(raw ?? "").trim().replace(/[－—]/g, "-");
  if (spec.type === "list") {
    const list = parseList(text);
    if (list === null && spec.optional) delete segment[name];
    else segment[name] = list === null ? "" : list;
    return segment;
  }
  if (text === "") {
    if (spec.optional) delete segment[name];
    else segment[name] = "";
    return segment;
  }
  const number = Number(text);
  segment[name] = Number.isFinite(number) ? number : text;
  return segment;
}

/** Questions a segment asks for: picked ones plus the rule's draw. */
export function questionCount(segment) {
  const picked = Array.isArray(segment.question_ids) ? segment.question_ids.length : 0;
  const drawn = segment.rule && Number.isInteger(segment.rule.count) ? segment.rule.count : 0;
  return picked + drawn;
}

/** Where a segment's questions come from: `pick`, `rule` or `both`. */
export function sourceOf(segment) {
  if (segment.rule) return Array.isArray(segment.question_ids) ? "both" : "rule";
  return "pick";
}

/** Switch a segment's question source, keeping what the other source had in `stash` for a switch back. */
export function setSource(segment, source, stash = {}) {
  if (source === "pick" || source === "both") segment.question_ids = segment.question_ids || stash.question_ids || [];
  if (source === "rule" || source === "both") segment.rule = segment.rule || stash.rule || { type: "single", count: 5 };
  if (source === "pick" && segment.rule) { stash.rule = segment.rule; delete segment.rule; }
  if (source === "rule" && segment.question_ids) { stash.question_ids = segment.question_ids; delete segment.question_ids; }
  return segment;
}

/** Set one part of a segment's rule (`type`, `count`, `tags`, `difficulty` as [low, high]). */
export function setRule(segment, part, value) {
  const rule = segment.rule || (segment.rule = { type: "single", count: 5 });
  if (part === "count") {
    const n = Number(String(value).trim());
    rule.count = String(value).trim() === "" ? "" : Number.isFinite(n) ? n : String(value);
  } else if (part === "difficulty") {
    const [lo, hi] = value.map(Number);
    if (lo === 1 && hi === 5) delete rule.difficulty;
    else rule.difficulty = [lo, hi];
  } else if (part === "tags") {
    const tags = [...new Set(value.map((t) => String(t).trim()).filter(Boolean))];
    if (tags.length) rule.tags = tags; else delete rule.tags;
  } else rule[part] = value;
  return segment;
}

/** Move item `from` by `step` (−1 up, +1 down) in place; returns its new index. */
export function move(list, from, step) {
  const to = from + step;
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return from;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
  return to;
}

// --- templates ------------------------------------------------------------------------------------

/** Real formats, for `teams` teams; each builds a fresh array of segments. */
export const TEMPLATES = [
  {
    id: "final",
    ...T.templates.final,
    build: (teams) => [
      newSegment("required", { answerer: "seat", question_ids: undefined, rule: { type: "single", count: 3 * teams } }),
      newSegment("buzzer", { question_ids: undefined, rule: { type: "single", count: 10 } }),
      newSegment("risk", { question_ids: undefined, rule: { type: "single", count: teams } }),
      newSegment("tiebreak", { question_ids: undefined, rule: { type: "single", count: 3 } }),
    ].map(clean),
  },
  {
    id: "all",
    ...T.templates.all,
    build: () => [newSegment("all", { question_ids: undefined, rule: { type: "single", count: 10 } })].map(clean),
  },
];

function clean(segment) {
  for (const key of Object.keys(segment)) if (segment[key] === undefined) delete segment[key];
  return segment;
}

/** What a rule's count means per team (必答: questions each team answers; 风险: the picks it covers). */
export function perTeamHint(segment, teams) {
  const count = segment.rule && Number.isInteger(segment.rule.count) ? questionCount(segment) : null;
  if (!(teams > 0) || count == null) return "";
  if (segment.kind === "required") {
    const each = count / teams;
    return Number.isInteger(each) ? T.perTeamExact(teams, each) : T.perTeamAbout(teams, each.toFixed(1));
  }
  if (segment.kind === "risk") {
    const rounds = Number(segment.rounds) || 1;
    return count >= teams * rounds ? T.riskNeed(teams, rounds) : T.riskShort(teams, rounds);
  }
  return "";
}

/** The team count changed: rule-drawn 必答 and 风险 segments keep their questions per team. */
export function rescaleForTeams(segments, before, after) {
  if (!(before > 0) || !(after > 0) || before === after) return segments;
  for (const s of segments) {
    if ((s.kind === "required" || s.kind === "risk") && s.rule && Number.isInteger(s.rule.count)
        && s.rule.count % before === 0) {
      s.rule.count = Math.min(LIMITS.ruleCount, (s.rule.count / before) * after);
    }
  }
  return segments;
}

// --- checks ---------------------------------------------------------------------------------------

function checkNumber(value, spec) {
  if (value === "" || value === undefined) return T.err.required;
  if (typeof value !== "number" || !Number.isFinite(value)) return T.err.number;
  if (spec.type === "int" && !Number.isInteger(value)) return T.err.integer;
  if (spec.exclusiveMin ? value <= spec.min : value < spec.min) return spec.exclusiveMin ? T.err.positive : T.err.range(spec.min, spec.max);
  if (value > spec.max) return T.err.range(spec.min, spec.max);
  return null;
}

/** Every problem with the game's segments, as `{segment, field, message}` in Chinese (`segment` null: the game).
 *  `game`: `{bankId, roundId}`. Mirrors what the server checks, so most 422s never happen. */
export function validate(segments, game = {}) {
  const errors = [];
  const add = (segment, field, message) => errors.push({ segment, field, message });
  if (!Array.isArray(segments) || !segments.length) { add(null, "segments", T.err.none); return errors; }
  if (segments.length > LIMITS.segments) add(null, "segments", T.err.tooMany);
  const seen = new Map();
  segments.forEach((s, i) => {
    if (!KINDS.includes(s.kind)) { add(i, "kind", T.err.kind); return; }
    for (const key of Object.keys(s)) if (!KNOWN.has(key)) add(i, key, T.err.unknownField(key));
    if (typeof s.title === "string" && s.title.length > LIMITS.title) add(i, "title", T.err.title);
    for (const [name, spec] of Object.entries(FIELDS)) {
      if (s[name] === undefined) continue;
      let problem = null;
      if (spec.type === "number" || spec.type === "int") {
        problem = spec.optional && s[name] === null ? null : checkNumber(s[name], spec);
      } else if (spec.type === "list") {
        const list = s[name];
        if (list === null && spec.optional) problem = null;
        else if (!Array.isArray(list) || !list.length || !list.every((v) => Number.isInteger(v) && v > 0)) problem = T.err.list;
        else if (list.length > spec.max) problem = T.err.listLong(spec.max);
      } else if (spec.type === "choice" && !(s[name] in T.choices[name])) problem = T.err.kind;
      if (problem) add(i, name, problem);
    }
    if (TEAM_KINDS.has(s.kind) && !game.roundId) add(i, "kind", T.err.needsRound(s.kind));
    const ids = Array.isArray(s.question_ids) ? s.question_ids : [];
    if (ids.length > LIMITS.questions) add(i, "question_ids", T.err.tooManyQuestions);
    for (const id of ids) {
      if (seen.has(id)) add(i, "question_ids", T.err.twice(id, seen.get(id) + 1));
      else seen.set(id, i);
    }
    if (s.rule) {
      const r = s.rule;
      if (!QUESTION_TYPES.includes(r.type)) add(i, "rule.type", T.err.ruleType);
      if (!Number.isInteger(r.count) || r.count < 1 || r.count > LIMITS.ruleCount) add(i, "rule.count", T.err.ruleCount);
      if (r.difficulty != null) {
        const [lo, hi] = Array.isArray(r.difficulty) ? [r.difficulty[0], r.difficulty[1] ?? r.difficulty[0]] : [r.difficulty, r.difficulty];
        if (![lo, hi].every((d) => Number.isInteger(d) && d >= 1 && d <= 5) || lo > hi) add(i, "rule.difficulty", T.err.difficulty);
      }
      if (!game.bankId) add(i, "rule", T.err.needsBank);
    }
    if (!ids.length && !s.rule) add(i, "question_ids", T.err.noQuestions);
  });
  return errors;
}

// --- the preview ----------------------------------------------------------------------------------

/** How a segment's questions are chosen, in words. */
export function describeSource(segment) {
  const parts = [];
  const picked = Array.isArray(segment.question_ids) ? segment.question_ids.length : 0;
  if (picked) parts.push(T.source.picked(picked));
  if (segment.rule) parts.push(T.source.rule(segment.rule));
  return parts.join(" + ") || T.source.none;
}

/** Seconds of countdown a segment's questions take at most (title card included). */
export function segmentSeconds(segment) {
  const limit = Number(fieldValue(segment, "time_limit_s")) || 0;
  const buzz = BUZZ_KINDS.has(segment.kind) ? Number(fieldValue(segment, "buzz_window_s")) || 0 : 0;
  return CARD_S + questionCount(segment) * (limit + buzz);
}

/** The whole game in words: a row per segment, and totals (a tiebreak is played only when needed). */
export function summarize(segments, teams = 0) {
  const rows = segments.map((s, i) => {
    const count = questionCount(s);
    const details = [];
    if (BUZZ_KINDS.has(s.kind)) details.push(T.buzzWindow(fieldValue(s, "buzz_window_s")));
    details.push(T.limit(fieldValue(s, "time_limit_s")));
    if (s.kind === "risk") details.push(T.risk(s));
    else if (s.kind !== "tiebreak") details.push(T.points(fieldValue(s, "points")));
    if (s.kind === "required" && teams > 0 && count) details.push(T.perTeam(+(count / teams).toFixed(1)));
    return { index: i, kind: s.kind, kindName: KIND_NAMES[s.kind] || s.kind, title: s.title || KIND_NAMES[s.kind] || s.kind,
      count, source: describeSource(s), details: details.join("，"), seconds: segmentSeconds(s) };
  });
  const counted = rows.filter((r) => r.kind !== "tiebreak");
  const questions = counted.reduce((n, r) => n + r.count, 0);
  const seconds = counted.reduce((n, r) => n + r.seconds, 0);
  return { rows, questions, seconds, text: T.total(counted.length, questions, T.minutes(seconds)),
    tiebreak: rows.some((r) => r.kind === "tiebreak") ? T.tiebreakNote : "" };
}

// --- JSON both ways ------------------------------------------------------------------------------

/** The segments as the advanced editor shows them: one segment a line. */
export function toJson(segments) {
  if (!segments.length) return "[]";
  return `[\n${segments.map((s) => `  ${JSON.stringify(s)}`).join(",\n")}\n]`;
}

/** Read what the advanced editor holds: `{segments}` or `{error}` (in Chinese). */
export function fromJson(text) {
  let data;
  try { data = JSON.parse(text); } catch (exc) { return { error: `${T.err.json}：${exc.message}` }; }
  if (!Array.isArray(data)) return { error: T.err.jsonArray };
  for (let i = 0; i < data.length; i++) {
    const s = data[i];
    if (!s || typeof s !== "object" || Array.isArray(s)) return { error: T.err.jsonItem(i + 1) };
    if (!KINDS.includes(s.kind)) return { error: T.err.jsonKind(i + 1) };
  }
  return { segments: data };
}

// --- the server's 422 -----------------------------------------------------------------------------

function translate(problem) {
  for (const [pattern, render] of T.server) {
    const m = problem.match(pattern);
    if (m) return render(m);
  }
  return problem;
}

function fieldLabel(path) {
  return T.fields[path] || T.fields[path.split(".")[0]] || path;
}

/** The contract's error (`{message, code, details}`) spread over the form: `{game: [...], segments: {i: [...]}}`. */
export function explainError(error) {
  const out = { game: [], segments: {} };
  const put = (i, message) => {
    if (i == null) { if (!out.game.includes(message)) out.game.push(message); return; }
    (out.segments[i] = out.segments[i] || []).push(message);
  };
  const details = Array.isArray(error && error.details) ? error.details : [];
  if (error && error.code === "config_invalid") {
    // "比赛设置有误：segment 2: a required segment needs teams; a question appears twice in the game"
    const problems = details.length ? details.map((d) => d.message) : [String(error.message || "").replace(/^[^：]*：/, "")];
    for (const problem of problems.flatMap((p) => String(p).split("; "))) {
      const m = problem.match(/^segment (\d+): (.+)$/);
      if (m) put(Number(m[1]) - 1, translate(m[2]));
      else put(null, translate(problem));
    }
    return out;
  }
  for (const d of details) {
    const m = String(d.field || "").match(/^segments\.(\d+)(?:\.(.+))?$/);
    const message = String(d.message || (error && error.message) || "");
    if (!m) {
      const reason = message.match(/不正确：(.+)$/);
      put(null, reason && T.gameFields[d.field] ? T.fieldWrong(T.gameFields[d.field], reason[1]) : message);
      continue;
    }
    const reason = message.match(/不正确：(.+)$/);
    put(Number(m[1]), reason && m[2] ? T.fieldWrong(fieldLabel(m[2]), reason[1]) : message);
  }
  if (!details.length) put(null, String((error && error.message) || error));
  return out;
}
