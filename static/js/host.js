// The host console (/host/{live_id}): every host action of CONTRACT §7, the legal ones enabled and the
// expected next one highlighted, live counts, the answer (for the host alone), judgements, risk picks,
// score corrections with a reason, and the ledger. The server remains the judge of what is legal: a refused
// action comes back as an `error` and changes nothing.
import { api, escapeHtml, toast } from "./common.js";
import { stemMediaHtml } from "./media.js";
import * as sound from "./sound.js";
import { Countdown, KIND_NAMES, LiveClient, PHASE_NAMES, answerText, secondsLeft } from "./live_client.js";

// Every text this page writes, in one place.
const T = {
  connecting: "正在连接…",
  connected: "已连接",
  reconnecting: "连接中断，正在重连…",
  forbidden: "主持令牌不正确或已失效。",
  noGame: "没有这场比赛。",
  needToken: "请从“我的比赛”进入控制台，或登录为这场比赛的主持人或组织者。也可以粘贴创建比赛时得到的主持令牌：",
  next: {
    start: "下一步：开始比赛", next: "下一步：下一题", open_buzz: "下一步：开启抢答", close: "下一步：停止作答（或等待倒计时结束）",
    reveal: "下一步：公布答案", judge: "下一步：评判作答队伍", risk: "下一步：为轮到的队伍选择风险分值",
    resume: "比赛已暂停：继续比赛", leaderboard: "下一步：显示排行榜", finish: "题目已全部完成：可以结束比赛", none: "比赛已结束",
  },
  segmentNo: (n) => `第 ${n} 环节`,
  qNo: (i, n) => `第 ${i}${n ? ` / ${n}` : ""} 题`,
  points: (p) => `${p} 分`,
  types: { single: "单选", multiple: "多选", judge: "判断", fill: "填空", short: "简答" },
  answer: "正确答案",
  explanation: "解析",
  turn: (team) => `作答队伍：${team}`,
  seat: "按座次作答",
  buzzArmed: "抢答进行中",
  buzzWait: "尚未开启抢答",
  buzzWinner: (team) => `抢答成功：${team}`,
  buzzOrder: "抢答顺序",
  fouls: "犯规",
  out: "已出局",
  teamAnswered: (team, ans) => `${team} 已提交答案：${ans}`,
  judged: (team, ok, p) => `${team} ${ok ? "判定正确" : "判定错误"}（${p > 0 ? "+" : ""}${p}）`,
  shortTitle: (n, left) => `简答作答（${n} 份，待评判 ${left} 份；公布答案时按评判计分）`,
  unjudged: "待评判",
  distribution: "答题分布",
  audience: "无人抢答：观众作答中",
  right: "正确", wrong: "错误", decline: "放弃",
  onTurn: "轮到选分",
  judgeWho: (team) => `评判 ${team} 的回答：`,
  riskWho: (team) => `${team} 选择风险分值：`,
  valuesLeft: (v) => `可选 ${v}`,
  noTeams: "本场没有参赛队伍（开放竞答：个人计分，显示排行榜后在这里列出前 10 名）。",
  playersTitle: "个人排行（前 10 名）",
  teamsTitle: "队伍 · 评判 · 风险选分",
  confirmFinish: "确定结束比赛吗？结束后不能继续答题。",
  confirmReverse: (id) => `确定撤销第 ${id} 条计分记录吗？撤销会新增一条反向记录。`,
  reasonRequired: "请填写调整原因",
  deltaRequired: "请输入非零的分数变化",
  teamRequired: "请选择队伍",
  adjustSent: "已提交分数调整",
  copied: "加入链接已复制",
  ledgerLogin: "登录为主持人后可查看计分记录。",
  ledgerEmpty: "暂无记录",
  reasons: { correct: "答对", wrong: "答错", timeout: "超时", foul: "犯规", answers: "全员答题", average: "平均分", reverse: "撤销" },
  by: { auto: "自动", host: "主持人" },
  reverse: "撤销",
  reversed: "已撤销",
  ledgerHead: ["#", "时间", "队伍", "变化", "原因", "题目", "操作人", ""],
  leaderboard: "排行榜",
  finished: "比赛已结束",
};

const app = document.getElementById("host-app");
const LIVE_ID = app.dataset.liveId;
const PIN = app.dataset.pin;
const LOGGED_IN = app.dataset.loggedIn === "1";
const SEGMENTS = JSON.parse(app.dataset.segments || "[]"); // [{kind, title, questions}] as configured
const TOKEN_KEY = `quiz.live.host.${LIVE_ID}`;
const $ = (id) => document.getElementById(id);

// --- the host token: ?token= (then hidden from the address bar), this tab's storage, or the login cookie ---
function session() {
  try { return window.sessionStorage; } catch { return null; }
}
function hostToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    session()?.setItem(TOKEN_KEY, fromUrl);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
    return fromUrl;
  }
  return session()?.getItem(TOKEN_KEY) || null;
}

// GET with the host token as `Authorization: Bearer` when there is one (else the login cookie).
let HOST_TOKEN = null;
async function hostGet(url) {
  if (!HOST_TOKEN) return api("GET", url);
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin",
      headers: { Accept: "application/json", Authorization: `Bearer ${HOST_TOKEN}` } });
  } catch {
    throw Object.assign(new Error("网络连接失败，请检查网络后重试"), { status: 0 });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw Object.assign(new Error(data?.error?.message || `HTTP ${response.status}`), { status: response.status });
  }
  return data;
}

// --- what the console knows -----------------------------------------------------------------------
const S = {
  phase: "lobby",
  segment: null,
  q: null, // {question (with answer), index, count, points, team_id, player_id, team_ids, audience_only}
  answer: null,
  explanation: "",
  deadline: null,
  remaining: null,
  counts: { joined: 0, answered: 0, buzzes: 0 },
  buzz: null, // {armed, answering, order, fouls, out, eligible}
  teamAnswer: null,
  judged: null,
  shortAnswers: new Map(), // everyone-answers `short` question: player id (as JSON) -> {name, team_id, answer, correct}
  revealed: false,
  distribution: null,
  teams: new Map(), // id -> {name, unit, score}
  turnTeam: null,
  valuesLeft: new Map(), // team id -> [values]
  riskSegment: false,
  players: [], // the top players of the last leaderboard (open games have no teams)
};

const BUZZ_KINDS = ["buzzer", "tiebreak"];
const TURN_KINDS = ["required", "risk"];
const LIVE_PHASES = ["question", "buzzing", "answering"];
const kind = () => S.q?.segment?.kind || S.segment?.kind || null;
const teamName = (id) => S.teams.get(id)?.name || (id == null ? "" : `${id} 号队`);

/** Which actions are legal now (mirrors the engine; the server still refuses anything out of order). */
function legal() {
  const p = S.phase;
  const k = kind();
  const between = ["revealed", "leaderboard"].includes(p);
  const riskPending = S.segment?.kind === "risk" && S.turnTeam != null && between;
  const judgeTeam = judgeableTeam();
  return {
    start: p === "lobby",
    next: between && !riskPending && !S.noMore && !lastQuestionDone(),
    open_buzz: p === "question" && BUZZ_KINDS.includes(k) && !S.q?.audience_only && !(S.buzz && S.buzz.armed)
      && (!S.buzz?.eligible || S.buzz.eligible.length > 0),
    close: LIVE_PHASES.includes(p),
    reveal: p === "closed",
    leaderboard: between,
    pause: LIVE_PHASES.includes(p),
    resume: p === "paused",
    finish: p === "lobby" || between,
    judge: judgeTeam != null,
    judgeTeam,
    risk: riskPending,
  };
}

/** The team whose answer the host may judge now, or null. */
function judgeableTeam() {
  const k = kind();
  if (!S.q || S.revealed) return null;
  if (BUZZ_KINDS.includes(k)) return S.phase === "answering" && S.buzz?.answering != null ? S.buzz.answering : null;
  if (TURN_KINDS.includes(k) && ["question", "closed"].includes(S.phase) && !S.judged) return S.q.team_id;
  return null;
}

/** Whether the question just revealed was the last of the last segment (a tiebreak may still follow). */
function lastQuestionDone() {
  if (S.q?.last && S.revealed) return true; // the server says so (question.last_question)
  if (!S.q || !S.revealed || !SEGMENTS.length) return false;
  const seg = S.q.segment || S.segment || {};
  const later = SEGMENTS.slice(seg.index || 1).filter((s) => s.questions > 0 && s.kind !== "tiebreak");
  // A settled tiebreak plays none of its remaining questions.
  const segmentDone = S.q.index >= S.q.count || (seg.kind === "tiebreak" && S.tieResolved);
  return segmentDone && !later.length && !SEGMENTS.slice(seg.index || 1).some((s) => s.kind === "tiebreak");
}

/** The action the stage most likely wants next (highlighted, and what Space does). */
function expected(l) {
  const p = S.phase;
  if (p === "finished") return "none";
  if (p === "paused") return "resume";
  if (p === "lobby") return "start";
  // A team's phone answer to an objective question is graded by the reveal itself: judging is not the next step.
  const gradedByReveal = S.teamAnswer && !S.teamAnswer.pendingJudge;
  if (l.judge && (p === "answering" || (TURN_KINDS.includes(kind()) && !gradedByReveal
    && (S.teamAnswer?.pendingJudge || p === "closed")))) return "judge";
  if (p === "question" && l.open_buzz) return "open_buzz";
  if (LIVE_PHASES.includes(p)) return "close";
  if (p === "closed") return "reveal";
  if (l.risk) return "risk";
  if (p === "revealed" || p === "leaderboard") return S.noMore || lastQuestionDone() ? "finish" : "next";
  return "none";
}

// --- drawing ------------------------------------------------------------------------------------------
function draw() {
  const l = legal();
  const want = expected(l);
  document.querySelectorAll("#actions .act").forEach((b) => {
    const action = b.dataset.action;
    b.disabled = !l[action];
    b.classList.toggle("primary", want === action);
  });
  $("next-hint").textContent = T.next[want] || "";
  const badge = $("phase-badge");
  // While a team picks its risk value the game is "between" questions, but the hall waits for that pick.
  badge.textContent = legal().risk ? "等待选择风险分值" : PHASE_NAMES[S.phase] || S.phase;
  badge.dataset.phase = S.phase;
  $("count-joined").textContent = S.counts.joined;
  $("count-answered").textContent = S.counts.answered;
  $("count-buzzes").textContent = S.counts.buzzes;
  drawNow();
  drawDecision(l, want);
  drawTeams(l, want);
  runTimer();
}

function drawNow() {
  const box = $("now");
  if (!S.q) {
    if (S.segment) {
      box.innerHTML = `<p class="now-seg"><span class="seg-chip">${escapeHtml(T.segmentNo(S.segment.index))}</span>
        <b>${escapeHtml(KIND_NAMES[S.segment.kind] || "")}</b> ${escapeHtml(S.segment.title || "")}</p>
        <p class="muted">${S.phase === "finished" ? T.finished : S.phase === "leaderboard" ? T.leaderboard : ""}</p>`;
    } else {
      box.innerHTML = `<p class="muted now-empty">${S.phase === "finished" ? T.finished : "比赛尚未开始。点击“开始比赛”进入第一个环节。"}</p>`;
    }
    return;
  }
  const q = S.q;
  const question = q.question;
  const seg = q.segment || S.segment || {};
  const right = new Set((S.answer || []).map(String));
  const dist = S.distribution || null;
  let options = "";
  if (["single", "multiple"].includes(question.type)) {
    options = `<ul class="host-options">${question.options.map((o) => `
      <li class="${right.has(o.key) ? "is-right" : ""}"><b>${escapeHtml(o.key)}</b><span>${escapeHtml(o.text)}</span>
      ${dist ? `<em>${escapeHtml(dist[o.key] ?? 0)}</em>` : ""}</li>`).join("")}</ul>`;
  } else if (question.type === "judge" && dist) {
    options = `<ul class="host-options"><li class="${right.has("true") ? "is-right" : ""}"><b>✓</b><span>${T.right}</span><em>${dist.true ?? 0}</em></li>
      <li class="${right.has("false") ? "is-right" : ""}"><b>✗</b><span>${T.wrong}</span><em>${dist.false ?? 0}</em></li></ul>`;
  } else if (dist) {
    options = `<p class="dist-line">${T.distribution}：${T.right} <b>${dist.correct ?? 0}</b> · ${T.wrong} <b>${dist.wrong ?? 0}</b></p>`;
  }
  let status = "";
  if (TURN_KINDS.includes(seg.kind)) status += `<p class="turn-line">${escapeHtml(T.turn(teamName(q.team_id)))}${q.player_id != null ? ` · ${T.seat}` : ""}</p>`;
  if (BUZZ_KINDS.includes(seg.kind)) {
    const b = S.buzz || {};
    const parts = [];
    const live = LIVE_PHASES.includes(S.phase) || S.phase === "paused";
    if (q.audience_only) parts.push(`<b>${T.audience}</b>`);
    else if (b.answering != null) parts.push(`<b class="winner">${escapeHtml(T.buzzWinner(teamName(b.answering)))}</b>`);
    else if (live) parts.push(b.armed ? `<b class="armed">${T.buzzArmed}</b>` : T.buzzWait);
    if ((b.order || []).length) parts.push(`${T.buzzOrder}：${b.order.map((t) => escapeHtml(teamName(t))).join(" → ")}`);
    if ((b.fouls || []).length) parts.push(`${T.fouls}：${b.fouls.map((t) => escapeHtml(teamName(t))).join("、")}`);
    const wrong = (b.out || []).filter((t) => !(b.right || []).includes(t));
    if (wrong.length && live) parts.push(`${T.out}：${wrong.map((t) => escapeHtml(teamName(t))).join("、")}`);
    if (parts.length) status += `<p class="buzz-line">${parts.join(" · ")}</p>`;
  }
  if (S.teamAnswer) status += `<p class="team-answer">${escapeHtml(T.teamAnswered(teamName(S.teamAnswer.team_id), answerText(question, S.teamAnswer.answer)))}</p>`;
  if (S.shortAnswers.size) status += shortAnswersHtml(question);
  if (S.judged) status += `<p class="judged-line ${S.judged.correct ? "ok" : "bad"}">${escapeHtml(T.judged(teamName(S.judged.team_id), S.judged.correct, S.judged.points))}</p>`;
  box.innerHTML = `
    <p class="now-seg"><span class="seg-chip">${escapeHtml(T.segmentNo(seg.index || 1))}</span><b>${escapeHtml(KIND_NAMES[seg.kind] || "")}</b>
      ${seg.title && seg.title !== KIND_NAMES[seg.kind] ? escapeHtml(seg.title) : ""}
      <span class="q-meta">${T.qNo(q.index, q.count)} · ${T.types[question.type] || ""} · ${T.points(q.points ?? 0)}</span></p>
    <p class="host-stem">${escapeHtml(question.stem)}</p>
    ${stemMediaHtml(question)}
    ${options}
    <div class="host-answer"><span>${T.answer}${S.revealed ? "（已公布）" : "（仅主持人可见）"}</span><b>${escapeHtml(answerText(question, S.answer) || "—")}</b></div>
    ${S.explanation ? `<p class="host-explain"><b>${T.explanation}：</b>${escapeHtml(S.explanation)}</p>` : ""}
    ${status}`;
}

/** Everyone's short answers, each with ✓/✗ for the host (judging is open until the reveal). */
function shortAnswersHtml(question) {
  const rows = [...S.shortAnswers.entries()];
  const left = rows.filter(([, a]) => a.correct == null).length;
  const open = !S.revealed;
  return `<div class="short-answers"><p class="short-title">${escapeHtml(T.shortTitle(rows.length, left))}</p>
    <table class="team-table"><tbody>${rows.map(([key, a]) => `
      <tr class="${a.correct === true ? "is-ok" : a.correct === false ? "is-bad" : ""}">
        <td><b>${escapeHtml(a.name || "")}</b>${a.team_id != null ? `<br><small>${escapeHtml(teamName(a.team_id))}</small>` : ""}</td>
        <td>${escapeHtml(answerText(question, a.answer))}</td>
        <td class="judge-cell">${a.correct == null ? `<small class="muted">${T.unjudged}</small> ` : ""}
          <button type="button" class="btn small ok-btn" data-judge-player="${escapeHtml(key)}" data-correct="1"${open ? "" : " disabled"}>✓ ${T.right}</button>
          <button type="button" class="btn small bad-btn" data-judge-player="${escapeHtml(key)}" data-correct="0"${open ? "" : " disabled"}>✗ ${T.wrong}</button></td>
      </tr>`).join("")}</tbody></table></div>`;
}

/** The judgement or risk pick the stage waits for, as big buttons next to the actions. */
function drawDecision(l, want) {
  const box = $("decide");
  let html = "";
  if (l.judge) {
    html = `<p>${escapeHtml(T.judgeWho(teamName(l.judgeTeam)))}</p>
      <div class="decide-row"><button type="button" class="btn big ok-btn" data-judge="${l.judgeTeam}" data-correct="1">✓ ${T.right} <kbd>Y</kbd></button>
      <button type="button" class="btn big bad-btn" data-judge="${l.judgeTeam}" data-correct="0">✗ ${T.wrong} <kbd>X</kbd></button></div>`;
  } else if (l.risk) {
    const values = S.valuesLeft.get(S.turnTeam) || [];
    html = `<p>${escapeHtml(T.riskWho(teamName(S.turnTeam)))}</p>
      <div class="decide-row">${values.map((v) => `<button type="button" class="btn big" data-risk="${S.turnTeam}" data-points="${v}">${escapeHtml(v)} 分</button>`).join("")}
      <button type="button" class="btn big secondary" data-risk="${S.turnTeam}" data-points="0">${T.decline}</button></div>`;
  }
  box.innerHTML = html;
  box.hidden = !html;
  box.classList.toggle("hot", want === "judge" || want === "risk");
}

function drawTeams(l, want) {
  const box = $("teams");
  const select = $("adjust-team");
  $("adjust-panel").hidden = !S.teams.size;
  if (!S.teams.size) {
    // An open game: no teams to judge or correct; the players' own board instead.
    $("teams-title").textContent = T.playersTitle;
    box.innerHTML = S.players.length ? `<table class="team-table"><thead><tr><th>名次</th><th>选手</th><th>得分</th></tr></thead><tbody>
      ${S.players.map((p) => `<tr><td>${escapeHtml(p.rank)}</td><td><b>${escapeHtml(p.name)}</b></td><td class="num">${escapeHtml(p.score)}</td></tr>`).join("")}
      </tbody></table>` : `<p class="muted">${T.noTeams}</p>`;
    select.innerHTML = "";
    return;
  }
  $("teams-title").textContent = T.teamsTitle;
  // Seat order (team id), never by score: during play the ✓/✗ buttons must not move under the cursor.
  const rows = [...S.teams.entries()].sort((a, b) => a[0] - b[0]);
  box.innerHTML = `<table class="team-table"><thead><tr><th>队伍</th><th>得分</th><th>评判</th><th>风险选分</th></tr></thead><tbody>${rows.map(([id, t]) => {
    const canJudge = l.judge && l.judgeTeam === id;
    const onTurn = l.risk && S.turnTeam === id;
    const values = S.valuesLeft.get(id) || [];
    const hot = (want === "judge" && canJudge) || (want === "risk" && onTurn);
    return `<tr class="${hot ? "hot" : ""}${S.q && S.q.team_id === id && !S.revealed ? " turn" : ""}">
      <td><b>${escapeHtml(t.name)}</b>${t.unit ? `<small>${escapeHtml(t.unit)}</small>` : ""}${onTurn ? `<span class="tag">${T.onTurn}</span>` : ""}</td>
      <td class="num">${escapeHtml(t.score ?? 0)}</td>
      <td class="judge-cell"><button type="button" class="btn small ok-btn" data-judge="${id}" data-correct="1"${canJudge ? "" : " disabled"}>✓ ${T.right}</button>
        <button type="button" class="btn small bad-btn" data-judge="${id}" data-correct="0"${canJudge ? "" : " disabled"}>✗ ${T.wrong}</button></td>
      <td class="risk-cell">${onTurn ? `${values.map((v) => `<button type="button" class="btn small secondary" data-risk="${id}" data-points="${v}">${escapeHtml(v)}</button>`).join("")}
        <button type="button" class="btn small ghost" data-risk="${id}" data-points="0">${T.decline}</button>`
        : S.riskSegment && values.length ? `<span class="muted">${T.valuesLeft(values.join(" / "))}</span>` : '<span class="muted">—</span>'}</td>
    </tr>`;
  }).join("")}</tbody></table>`;
  const current = select.value;
  select.innerHTML = `<option value="">请选择</option>${rows.map(([id, t]) => `<option value="${id}">${escapeHtml(t.name)}</option>`).join("")}`;
  select.value = current;
}

// --- the countdown -------------------------------------------------------------------------------------
const timer = new Countdown({ remaining: (d) => client?.remaining(d) ?? null }, (ms, frozen) => {
  const el = $("host-timer");
  el.textContent = ms == null ? "--" : secondsLeft(ms);
  el.classList.toggle("urgent", ms != null && ms <= 5000 && !frozen);
});
function runTimer() {
  if (S.phase === "paused") timer.freeze(S.remaining);
  else if (LIVE_PHASES.includes(S.phase) && S.deadline != null) timer.run(S.deadline);
  else { timer.stop(); timer.tick(null); }
}

// --- messages ------------------------------------------------------------------------------------------
function noteTeams(list) {
  (list || []).forEach((t) => {
    const old = S.teams.get(t.team_id) || {};
    S.teams.set(t.team_id, { ...old, name: t.name ?? old.name, unit: t.unit ?? old.unit, score: t.score ?? old.score });
  });
}

function newQuestion(msg) {
  S.q = { question: msg.question, index: msg.index, count: msg.count, points: msg.points, team_id: msg.team_id ?? null,
    player_id: msg.player_id ?? null, team_ids: msg.team_ids || null, audience_only: !!msg.audience_only,
    segment: msg.segment || S.segment, last: !!msg.last_question };
  if (msg.segment) S.segment = msg.segment;
  S.answer = msg.question.answer ?? msg.answer ?? null;
  S.explanation = msg.question.explanation ?? msg.explanation ?? "";
  S.deadline = msg.deadline_ms ?? null;
  S.teamAnswer = null;
  S.judged = null;
  S.shortAnswers = new Map();
  S.revealed = false;
  S.distribution = null;
  S.counts.answered = 0;
  S.counts.buzzes = 0;
  S.buzz = BUZZ_KINDS.includes(kind()) ? { armed: false, answering: null, order: [], fouls: [], out: [], eligible: msg.team_ids || null } : null;
  if (S.segment?.kind === "risk") S.turnTeam = null;
}

function fromState(msg) {
  if (msg.title) $("game-title").textContent = msg.title;
  noteTeams(msg.scores);
  S.phase = msg.phase;
  S.segment = msg.segment || null;
  S.riskSegment = msg.segment?.kind === "risk";
  S.q = null;
  if (msg.question) {
    newQuestion(msg);
    S.answer = msg.answer ?? S.answer;
    S.explanation = msg.explanation ?? S.explanation;
    S.remaining = msg.remaining_ms ?? null;
    if (msg.buzz) {
      S.buzz = { armed: !!msg.buzz.armed, answering: msg.buzz.answering_team_id ?? null, order: msg.buzz.order || [],
        fouls: msg.buzz.fouls || [], out: msg.buzz.out || [], eligible: msg.buzz.eligible || null };
    }
    if (msg.distribution) S.distribution = msg.distribution;
    S.shortAnswers = new Map((msg.short_answers || []).map((a) => [JSON.stringify(a.player_id), a]));
    S.revealed = !!msg.distribution || ["revealed", "leaderboard", "finished"].includes(msg.phase);
  }
  if (msg.counts) S.counts = { ...S.counts, ...msg.counts };
  if (msg.leaderboard) S.players = msg.leaderboard.players || [];
  S.tieResolved = Array.isArray(msg.tiebreak) && msg.tiebreak.length > 0 && msg.tiebreak.every((g) => g.resolved);
  S.turnTeam = msg.turn_team_id ?? null;
  if (S.q && !S.revealed && S.q.team_id === S.turnTeam && S.segment?.kind === "risk") S.turnTeam = null;
  S.valuesLeft = new Map((msg.risk?.values_left || []).map((v) => [v.team_id, v.values]));
  draw();
}

function receive(msg) {
  switch (msg.type) {
    case "welcome":
      if (msg.game?.title) $("game-title").textContent = msg.game.title;
      return;
    case "state":
      fromState(msg);
      loadLedger();
      if (msg.phase === "finished") loadResults();
      return;
    case "joined":
      S.counts.joined = msg.count ?? S.counts.joined + 1;
      if (msg.player) noteGuest(msg.player);
      break;
    case "kicked":
      if (typeof msg.count === "number") S.counts.joined = msg.count;
      recentPlayers.delete(JSON.stringify(msg.player_id));
      drawGuests();
      break;
    case "counts": // pushed by the server after a burst of answers/buzzes/joins (at most ~2 a second)
      Object.assign(S.counts, msg.counts || {});
      lastCountsPush = Date.now();
      break;
    case "segment":
      S.segment = msg.segment;
      S.riskSegment = msg.segment?.kind === "risk";
      S.q = null;
      S.noMore = false;
      S.tieResolved = false;
      S.phase = "segment";
      break;
    case "question":
      S.phase = "question";
      newQuestion(msg);
      break;
    case "player_answered":
      if (S.q && msg.question === S.q.question.id) S.shortAnswers.set(JSON.stringify(msg.player_id), { ...msg, correct: null });
      break;
    case "team_answered":
      S.teamAnswer = { team_id: msg.team_id, player_id: msg.player_id, answer: msg.answer,
        pendingJudge: S.q?.question.type === "short" };
      S.counts.answered += 1;
      break;
    case "buzz_open":
      S.phase = "buzzing";
      S.deadline = msg.deadline_ms;
      S.buzz = { ...(S.buzz || {}), armed: true, answering: null, order: [], eligible: msg.team_ids || null };
      S.judged = null;
      S.teamAnswer = null;
      break;
    case "buzzed":
      if (!S.buzz) break;
      S.counts.buzzes += 1;
      if (msg.foul) S.buzz.fouls = [...(S.buzz.fouls || []), msg.team_id];
      else {
        if (!S.buzz.order?.length) sound.play("buzz");
        S.buzz.order = [...(S.buzz.order || []), msg.team_id];
        if (msg.order === 1) {
          S.phase = "answering";
          S.buzz.answering = msg.team_id;
          S.buzz.armed = false;
          if (msg.deadline_ms != null) S.deadline = msg.deadline_ms;
        }
      }
      break;
    case "judged":
      if (msg.player_id != null && S.shortAnswers.has(JSON.stringify(msg.player_id)) && !BUZZ_KINDS.includes(kind())
          && !TURN_KINDS.includes(kind())) {
        S.shortAnswers.get(JSON.stringify(msg.player_id)).correct = msg.correct; // one player's short answer
        break;
      }
      S.judged = msg;
      if (S.buzz && msg.team_id != null) {
        S.buzz.out = [...(S.buzz.out || []), msg.team_id];
        if (msg.correct) S.buzz.right = [...(S.buzz.right || []), msg.team_id];
        S.buzz.answering = null;
      }
      if (S.teamAnswer) S.teamAnswer.pendingJudge = false;
      break;
    case "closed":
      S.phase = "closed";
      S.counts.answered = msg.answered ?? S.counts.answered;
      S.deadline = null;
      break;
    case "reveal":
      S.phase = "revealed";
      S.revealed = true;
      S.distribution = msg.distribution;
      S.answer = msg.answer ?? S.answer;
      S.explanation = msg.explanation ?? S.explanation;
      break;
    case "score": {
      const t = S.teams.get(msg.team_id) || { name: `${msg.team_id} 号队` };
      S.teams.set(msg.team_id, { ...t, score: msg.total });
      loadLedgerSoon();
      break;
    }
    case "turn":
      S.turnTeam = msg.team_id ?? null;
      if (msg.team_id != null) S.valuesLeft.set(msg.team_id, msg.values_left || []);
      break;
    case "risk_pick":
      if (!msg.declined) {
        const left = (S.valuesLeft.get(msg.team_id) || []).filter((v) => v !== msg.points);
        S.valuesLeft.set(msg.team_id, left);
      }
      break;
    case "tiebreak":
      S.tieResolved = !!msg.resolved;
      break;
    case "leaderboard":
      S.phase = "leaderboard";
      noteTeams(msg.teams);
      S.players = msg.players || [];
      break;
    case "finished":
      S.phase = "finished";
      noteTeams(msg.teams);
      S.players = msg.players || [];
      loadResults();
      break;
    case "paused":
      S.pausedFrom = S.phase;
      S.phase = "paused";
      S.remaining = msg.remaining_ms;
      break;
    case "resumed":
      S.phase = msg.phase;
      S.deadline = msg.deadline_ms;
      break;
    case "error":
      if (msg.code === "no_more_questions") S.noMore = true;
      toast(msg.message || msg.code, "error");
      break;
    default:
      return;
  }
  draw();
}

// --- the players who joined last, each with 移出 (the server refuses to remove a member with an account) ---
const recentPlayers = new Map(); // player id (as JSON) -> {id, name, team_id}
const RECENT_LIMIT = 40;

function noteGuest(player) {
  const key = JSON.stringify(player.id);
  recentPlayers.delete(key);
  recentPlayers.set(key, player);
  while (recentPlayers.size > RECENT_LIMIT) recentPlayers.delete(recentPlayers.keys().next().value);
  drawGuests();
}

function drawGuests() {
  const box = $("guests");
  if (!box) return;
  const rows = [...recentPlayers.entries()].reverse();
  box.innerHTML = rows.length ? `<ul class="guest-list">${rows.map(([key, p]) => `<li><span>${escapeHtml(p.name)}${
    p.team_id != null ? `<small>${escapeHtml(teamName(p.team_id))}</small>` : ""}</span>
    <button type="button" class="btn small ghost" data-kick="${escapeHtml(key)}" aria-label="移出 ${escapeHtml(p.name)}">移出</button></li>`).join("")}</ul>`
    : '<p class="muted">还没有选手加入</p>';
}

$("guests")?.addEventListener("click", (event) => {
  const button = event.target.closest("[data-kick]");
  if (!button) return;
  const player = recentPlayers.get(button.dataset.kick);
  if (!player || !window.confirm(`确定把“${player.name}”移出本场比赛吗？`)) return;
  act("kick", { player_id: player.id });
});

// --- sound: the console hears the buzzer too (M mutes, as on the big screen) ----------------------------
sound.unlockOn(document);
sound.muteKey((muted) => toast(muted ? "声音已关闭（按 M 开启）" : "声音已开启"));

// --- sending -------------------------------------------------------------------------------------------
function act(action, params = {}) {
  if (!client || !client.isOpen()) { toast(T.reconnecting, "error"); return; }
  if (action === "finish" && !window.confirm(T.confirmFinish)) return;
  client.send({ type: "host", action, ...params });
}

document.querySelectorAll("#actions .act").forEach((b) => b.addEventListener("click", () => {
  b.blur(); // Space is a shortcut: it must not also press the button the mouse clicked last
  act(b.dataset.action);
}));
function decideClick(event) {
  const one = event.target.closest("[data-judge-player]");
  if (one && !one.disabled) { act("judge", { player_id: JSON.parse(one.dataset.judgePlayer), correct: one.dataset.correct === "1" }); return; }
  const judge = event.target.closest("[data-judge]");
  if (judge && !judge.disabled) { act("judge", { team_id: Number(judge.dataset.judge), correct: judge.dataset.correct === "1" }); return; }
  const risk = event.target.closest("[data-risk]");
  if (risk && !risk.disabled) act("risk", { team_id: Number(risk.dataset.risk), points: Number(risk.dataset.points) });
}
$("teams").addEventListener("click", decideClick);
$("decide").addEventListener("click", decideClick);
$("now").addEventListener("click", decideClick);

$("adjust-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const error = $("adjust-error");
  const team = Number($("adjust-team").value);
  const delta = Number($("adjust-delta").value);
  const reason = $("adjust-reason").value.trim();
  const fail = (text, input) => { error.textContent = text; error.hidden = false; input.focus(); };
  error.hidden = true;
  if (!team) { fail(T.teamRequired, $("adjust-team")); return; }
  if (!Number.isFinite(delta) || !delta) { fail(T.deltaRequired, $("adjust-delta")); return; }
  if (!reason) { fail(T.reasonRequired, $("adjust-reason")); return; }
  act("adjust", { team_id: team, delta, reason });
  $("adjust-delta").value = "";
  $("adjust-reason").value = "";
  toast(T.adjustSent, "ok");
});

$("copy-join").addEventListener("click", async (event) => {
  const url = event.currentTarget.dataset.url;
  try { await navigator.clipboard.writeText(url); toast(T.copied, "ok"); } catch { window.prompt("加入链接", url); }
});

// Keyboard shortcuts for the stage: one key, no modifier, never while typing.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  if (event.key === "Enter") return; // Enter keeps its usual meaning on a focused button
  const l = legal();
  const key = event.key.toLowerCase();
  let action = null;
  let params = {};
  if (key === " " || key === "n") action = l.start ? "start" : "next";
  else if (key === "s") action = "start";
  else if (key === "b") action = "open_buzz";
  else if (key === "c") action = "close";
  else if (key === "r") action = "reveal";
  else if (key === "l") action = "leaderboard";
  else if (key === "p") action = S.phase === "paused" ? "resume" : "pause";
  else if (key === "f") action = "finish";
  else if ((key === "y" || key === "x") && l.judgeTeam != null) { action = "judge"; params = { team_id: l.judgeTeam, correct: key === "y" }; }
  if (!action) return;
  event.preventDefault();
  if (action !== "judge" && action in l && !l[action]) return; // not legal now: nothing happens
  act(action, params);
  const button = document.querySelector(`#actions [data-action="${action}"]`);
  if (button) { button.classList.add("pressed"); setTimeout(() => button.classList.remove("pressed"), 200); }
});

// --- what a finished game leaves: every player's answers, and the workbook -----------------------------
async function loadResults() {
  const panel = $("results-panel");
  if (!LOGGED_IN && !HOST_TOKEN) return;
  let data;
  try {
    data = await hostGet(`/api/live/${LIVE_ID}/results`);
  } catch {
    return;
  }
  panel.hidden = false;
  const top = data.players.slice(0, 20);
  $("results").innerHTML = `<p class="muted">${data.players.length} 人参加，${data.questions.length} 道题；下载的 Excel 含每人每题的作答。</p>
    <table class="ledger-table"><thead><tr><th>名次</th><th>昵称/姓名</th><th>队伍</th><th>得分</th><th>作答</th></tr></thead><tbody>
    ${top.map((p) => `<tr><td>${p.rank}</td><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.team || "—")}</td>
      <td>${p.score}</td><td>${p.answered}/${data.questions.length}</td></tr>`).join("")}</tbody></table>`;
}

async function downloadResults() {
  const headers = HOST_TOKEN ? { Authorization: `Bearer ${HOST_TOKEN}` } : {};
  const response = await fetch(`/api/live/${LIVE_ID}/results?format=xlsx`, { credentials: "same-origin", headers });
  if (!response.ok) { toast("下载失败，请重试", "error"); return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${document.title.split(" · ")[0] || "竞赛"}-成绩.xlsx`;
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}
$("results-download").addEventListener("click", downloadResults);

// --- the ledger ----------------------------------------------------------------------------------------
let ledgerTimer = 0;
function loadLedgerSoon() {
  clearTimeout(ledgerTimer);
  ledgerTimer = setTimeout(loadLedger, 400);
}

async function loadLedger() {
  const box = $("ledger");
  if (!LOGGED_IN && !HOST_TOKEN) { box.innerHTML = `<p class="muted">${T.ledgerLogin}</p>`; return; }
  let data;
  try {
    data = await hostGet(`/api/live/${LIVE_ID}/ledger`);
  } catch (error) {
    box.innerHTML = `<p class="muted">${escapeHtml(error.status === 401 || error.status === 403 ? T.ledgerLogin : error.message)}</p>`;
    return;
  }
  const items = data.items || [];
  if (!items.length) { box.innerHTML = `<p class="muted">${T.ledgerEmpty}</p>`; return; }
  const reversed = new Set(items.filter((e) => e.reverses).map((e) => e.reverses));
  box.innerHTML = `<table class="ledger-table"><thead><tr>${T.ledgerHead.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>
    ${items.slice().reverse().map((e) => `<tr class="${e.reverses ? "is-reverse" : ""}${reversed.has(e.id) ? " is-reversed" : ""}">
      <td>${e.id}</td><td>${escapeHtml((e.at || "").slice(11, 19))}</td><td>${escapeHtml(e.team_name || teamName(e.team_id))}</td>
      <td class="num ${e.delta > 0 ? "plus" : "minus"}">${e.delta > 0 ? "+" : ""}${escapeHtml(e.delta)}</td>
      <td>${escapeHtml(e.reason_text || T.reasons[e.reason] || e.reason)}${e.reverses ? `（#${e.reverses}）` : ""}</td>
      <td>${e.question_id ?? ""}</td><td>${escapeHtml(T.by[e.by] || e.by)}</td>
      <td>${e.reverses ? "" : reversed.has(e.id) ? `<span class="muted">${T.reversed}</span>`
        : `<button type="button" class="btn small ghost" data-reverse="${e.id}">${T.reverse}</button>`}</td>
    </tr>`).join("")}</tbody></table>`;
}

$("ledger-refresh").addEventListener("click", loadLedger);
$("ledger").addEventListener("click", (event) => {
  const button = event.target.closest("[data-reverse]");
  if (!button) return;
  const id = Number(button.dataset.reverse);
  if (window.confirm(T.confirmReverse(id))) act("reverse", { entry_id: id });
});

// Live counts: the server pushes `counts` to the host after a burst (throttled, not one per answer).
// Only as a fallback — no push for a while during an open question — the console polls the snapshot.
let lastCountsPush = 0;
async function pollCounts() {
  const quiet = Date.now() - lastCountsPush > 5000;
  if ((LOGGED_IN || HOST_TOKEN) && quiet && client?.isOpen() && LIVE_PHASES.includes(S.phase)) {
    try {
      const state = await hostGet(`/api/live/${LIVE_ID}/state?as=host`);
      if (state.counts && LIVE_PHASES.includes(S.phase)) {
        Object.assign(S.counts, state.counts);
        $("count-answered").textContent = S.counts.answered;
        $("count-buzzes").textContent = S.counts.buzzes;
        $("count-joined").textContent = S.counts.joined;
      }
    } catch { /* the next poll tries again */ }
  }
  setTimeout(pollCounts, 2000);
}

// --- connecting ----------------------------------------------------------------------------------------
let client = null;

function showAuth(text) {
  $("auth-box").hidden = false;
  $("auth-text").textContent = text;
  $("host-grid").classList.add("locked");
}

function status(kind, info = {}) {
  const conn = $("conn");
  conn.dataset.state = kind;
  if (kind === "open") { $("conn-text").textContent = T.connected; $("auth-box").hidden = true; $("host-grid").classList.remove("locked"); }
  else if (kind === "reconnecting") $("conn-text").textContent = T.reconnecting;
  else if (kind === "connecting") $("conn-text").textContent = T.connecting;
  else if (kind === "failed") {
    $("conn-text").textContent = info.code === 4404 ? T.noGame : T.forbidden;
    if (info.code !== 4404) { session()?.removeItem(TOKEN_KEY); showAuth(`${T.forbidden}${T.needToken}`); }
  }
  draw();
}

function connect(token) {
  if (client) client.stop();
  client = new LiveClient({ pin: PIN, role: "host", token, onMessage: receive, onStatus: status }).start();
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token-input").value.trim();
  if (!token) return;
  session()?.setItem(TOKEN_KEY, token);
  HOST_TOKEN = token;
  connect(token);
});

const token = hostToken();
HOST_TOKEN = token;
if (!token && !LOGGED_IN) showAuth(T.needToken);
else connect(token);
draw();
pollCounts();
