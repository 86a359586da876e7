// The big screen (/screen/{pin}): a television quiz show on a 1920×1080 stage scaled to any projector.
// It has no controls; it only draws what the audience may see (CONTRACT §7, role=screen, no token).
import { escapeHtml } from "./common.js";
import { optionMediaHtml, stemMediaHtml } from "./media.js";
import { fitQuestion, fitSide } from "./screen_fit.js";
import { shapeName, shapeSvg } from "./shapes.js";
import { initialState, reduce } from "./live_state.js";
import * as sound from "./sound.js";
import * as av from "./screen_av.js";
import { Countdown, KIND_NAMES, LiveClient, answerText, secondsLeft } from "./live_client.js";

// Every text this page writes, in one place.
const T = {
  segmentNo: ["第一环节", "第二环节", "第三环节", "第四环节", "第五环节", "第六环节", "第七环节", "第八环节"],
  segmentHint: {
    all: "全体选手在手机上作答，限时作答，答对得分",
    required: "各队依次回答本队题目",
    buzzer: "主持人宣布“开始抢答”后方可抢答，提前抢答视为犯规",
    risk: "各队选择分值，答对得分，答错扣分",
    tiebreak: "同分队伍加赛，决出名次",
  },
  qNo: (i, n) => `第 <b>${i}</b>${n ? ` / ${n}` : ""} 题`,
  points: (p) => `${p} 分`,
  types: { single: "单选题", multiple: "多选题", judge: "判断题", fill: "填空题", short: "简答题" },
  judgeTrue: "正确",
  judgeFalse: "错误",
  correct: "答对",
  wrong: "答错",
  answered: (n) => `共 <b>${n}</b> 人作答`,
  playing: (n) => `<b>${n}</b> 人参与答题`,
  turn: (team) => `请 <b>${team}</b> 作答`,
  turnSeat: (team) => `<b>${team}</b> 选手作答`,
  buzzWait: "准备抢答",
  buzzWaitHint: "听主持人口令",
  buzzOpen: "抢答开始",
  buzzWon: "抢答成功",
  buzzFoul: "犯规",
  buzzLater: (team, n) => `${team} 第 ${n} 个抢答`,
  judgedRight: (p) => `回答正确${p ? `  +${p}` : ""}`,
  judgedWrong: (p) => `回答错误${p ? `  ${p}` : ""}`,
  judgedTimeout: (p) => `超时未答${p ? `  ${p}` : ""}`,
  verdict: { right: "回答正确", wrong: "回答错误", timeout: "超时未答" },
  chosen: "队伍所选",
  tieWon: "加赛胜出",
  audience: "无人抢答 · 观众作答",
  wrongOut: "回答错误",
  closed: "作答结束",
  rightAnswer: "正确答案",
  explanation: "解析",
  board: "积分榜",
  playersBoard: "个人排行榜",
  podium: "比赛结果",
  champion: "冠军",
  places: ["冠军", "亚军", "季军"],
  scoreUnit: "分",
  riskTurn: (team) => `请 <b>${team}</b> 选择分值`,
  riskPicked: (team, p) => `${team} 选择 <b>${p}</b> 分`,
  riskDeclined: (team) => `${team} 放弃本轮`,
  tiebreakTitle: "加赛队伍",
  reconnecting: "正在重新连接…",
  noGame: "没有找到这场竞赛",
  paused: "暂停",
  noTeams: "暂无成绩",
};

const tv = document.getElementById("tv");
const PIN = tv.dataset.pin;
const scenes = ["lobby", "segment", "question", "board", "podium"];
const $ = (id) => document.getElementById(id);

// --- a 1920×1080 stage that fits any screen ------------------------------------------------------
function fit() {
  const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
  tv.style.transform = `translate(-50%, -50%) scale(${scale})`;
}
window.addEventListener("resize", fit);
fit();

// No controls on the show: a double click goes full screen, and the pointer hides when it rests.
const frame = document.getElementById("tv-frame");
frame.addEventListener("dblclick", () => {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else frame.requestFullscreen?.().catch(() => {});
});
let idleTimer = 0;
document.addEventListener("mousemove", () => {
  frame.classList.remove("idle");
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => frame.classList.add("idle"), 2500);
});

// --- sound: a gesture unlocks it (the badge says so until then); M mutes ------------------------------
function drawSoundBadge() {
  const badge = $("tv-sound");
  badge.hidden = sound.ready() && !sound.isMuted() && !avBlocked;
  badge.textContent = sound.isMuted() ? "已静音（按 M 开启）" : "点击开启声音";
}
// The question's sound or video waits for the same click when the browser refuses to play it before one.
let avBlocked = false;
const avOptions = () => ({ muted: sound.isMuted(), blocked: () => { avBlocked = true; drawSoundBadge(); } });
sound.unlockOn(document, () => {
  avBlocked = false;
  drawSoundBadge();
  if (S.phase === "lobby") sound.startLobby();
  av.apply(avOptions());
});
sound.muteKey(() => {
  drawSoundBadge();
  if (!sound.isMuted() && S.phase === "lobby") sound.startLobby();
  av.apply(avOptions());
});

// What the screen knows is the shared live state (live_state.js); the screen adds only the ranks it drew last.
let S = { ...initialState(), ranksBefore: new Map(), scoresBefore: new Map() };

function teamName(id) {
  const t = S.teams.get(id);
  return t && t.name ? t.name : `${id} 号队`;
}

function show(scene) {
  if (scene === "lobby") sound.startLobby(); else sound.stopLobby();
  if (scene !== "question") av.leave();
  scenes.forEach((s) => { $(`sc-${s}`).hidden = s !== scene; });
  $("tv-top").hidden = scene === "lobby" || scene === "segment" || scene === "podium";
  tv.dataset.scene = scene;
}

function setTitle(title) {
  if (!title) return;
  $("tv-title").textContent = title;
  $("lobby-title").textContent = title;
  document.title = `${title} · 大屏`;
}

// --- lobby --------------------------------------------------------------------------------------
const cloud = [];
function joinedName(name) {
  if (!name) return;
  cloud.push(name);
  if (cloud.length > 18) cloud.shift();
  $("name-cloud").innerHTML = cloud.map((n) => `<span>${escapeHtml(n)}</span>`).join("");
}

function drawJoined() {
  $("joined-num").textContent = S.joined;
}

// --- segment title cards ------------------------------------------------------------------------
function drawSegment(extra = "") {
  const seg = S.segment || {};
  const no = T.segmentNo[(seg.index || 1) - 1] || `第 ${seg.index} 环节`;
  const name = KIND_NAMES[seg.kind] || "";
  $("sc-segment").innerHTML = `<div class="seg-card">
      <p class="seg-no">${escapeHtml(no)}</p>
      <h1 class="seg-kind">${escapeHtml(name)}</h1>
      ${seg.title && seg.title !== name ? `<p class="seg-title">${escapeHtml(seg.title)}</p>` : ""}
      <p class="seg-hint">${escapeHtml(T.segmentHint[seg.kind] || "")}</p>
      ${extra}
    </div>`;
  show("segment");
}

/** A risk segment's card asking the team on turn for its pick, with the values it has left. */
function drawRiskTurn(teamId, values) {
  drawSegment(`<div class="risk-turn">${T.riskTurn(escapeHtml(teamName(teamId)))}</div>
    <div class="risk-values">${(values || []).map((v) => `<span>${escapeHtml(v)}</span>`).join("")}</div>`);
}

// --- the question -------------------------------------------------------------------------------
const RING = 2 * Math.PI * 150;
let total = 0;
let timerKey = "";

function optionsFor(q) {
  if (q.type === "judge") return [{ key: "true", text: T.judgeTrue }, { key: "false", text: T.judgeFalse }];
  return q.options || [];
}

function optClass(question, o, i) {
  if (question.type === "judge") return o.key === "true" ? "opt-judge-true" : "opt-judge-false";
  return `opt-${i % 8}`;
}

/** The option's badge: its shape with its letter on it (judge options: ✓ and ✗ in a circle). */
function optBadge(question, o, i) {
  if (question.type === "judge") return `<span class="tv-key judge-key"><b>${o.key === "true" ? "✓" : "✗"}</b></span>`;
  return `<span class="tv-key">${shapeSvg(i)}<b>${escapeHtml(o.key)}</b><span class="visually-hidden">${escapeHtml(shapeName(i))}</span></span>`;
}

/** Whether the question is one team's (必答, 风险, 抢答, 加赛): its reveal shows the team's choice and verdict, no counts. */
function teamQuestion(q) {
  const kind = q.segment?.kind || S.segment?.kind;
  return !!kind && kind !== "all" && !q.audience_only;
}

/** The answer distribution after `reveal`: one bar per option, the right one(s) in gold. A team's question has
 *  no crowd to count: its options are listed with the right one marked and the team's choice named. */
function distHtml(question, opts, right, dist, team = false) {
  let rows;
  let head = "";
  if (team && !["single", "multiple", "judge"].includes(question.type)) {
    return `<div class="answer-line"><span>${T.rightAnswer}</span><b>${escapeHtml(answerText(question, S.reveal.answer))}</b></div>`;
  }
  if (team) {
    return `<div class="dist team n${opts.length}">${opts.map((o, i) => {
      const isRight = right.has(String(o.key));
      return `<div class="dist-row ${optClass(question, o, i)}${isRight ? " is-right" : ""}">
        ${optBadge(question, o, i)}${o.media ? optionMediaHtml(o) : ""}<span class="dist-text">${escapeHtml(o.text)}</span>
        ${Number(dist[o.key] || 0) > 0 ? `<span class="dist-chosen">${T.chosen}</span>` : ""}<span class="dist-tick">${isRight ? "✓" : ""}</span>
      </div>`;
    }).join("")}</div>`;
  }
  if (["single", "multiple", "judge"].includes(question.type)) {
    rows = opts.map((o, i) => ({ cls: optClass(question, o, i), badge: optBadge(question, o, i), text: o.text,
      media: o.media, count: Number(dist[o.key] || 0), right: right.has(String(o.key)) }));
  } else {
    head = `<div class="answer-line"><span>${T.rightAnswer}</span><b>${escapeHtml(answerText(question, S.reveal.answer))}</b></div>`;
    rows = [
      { cls: "opt-judge-true", badge: '<span class="tv-key judge-key"><b>✓</b></span>', text: T.correct, count: Number(dist.correct || 0), right: true },
      { cls: "opt-judge-false", badge: '<span class="tv-key judge-key"><b>✗</b></span>', text: T.wrong, count: Number(dist.wrong || 0), right: false },
    ];
  }
  const most = Math.max(1, ...rows.map((r) => r.count));
  return `${head}<div class="dist n${rows.length}">${rows.map((r) => `
    <div class="dist-row ${r.cls}${r.right ? " is-right" : ""}">
      ${r.badge}${r.media ? optionMediaHtml(r) : ""}<span class="dist-text">${escapeHtml(r.text)}</span>
      <span class="dist-track"><i data-w="${(r.count / most) * 100}%"></i></span>
      <span class="dist-count">${r.count}</span><span class="dist-tick">${r.right ? "✓" : ""}</span>
    </div>`).join("")}</div>`;
}

/** Custom properties from data attributes (a strict CSP allows no style attributes in markup). */
function applyDataStyles(root) {
  root.querySelectorAll("[data-w]").forEach((el) => el.style.setProperty("--w", el.dataset.w));
}

/** A picture or a video stands beside the options; a sound's badge sits above them, the options keep the width. */
function pictured(question) {
  return (question.media || []).some((m) => m.kind !== "audio");
}

function drawQuestion() {
  const q = S.q;
  const question = q.question;
  const seg = q.segment || S.segment || {};
  const opts = optionsFor(question);
  const reveal = S.reveal;
  const right = new Set(reveal ? (reveal.answer || []).map(String) : []);
  const dist = reveal ? reveal.distribution || {} : null;
  let options = "";
  const team = teamQuestion(q);
  if (reveal) {
    options = distHtml(question, opts, right, dist, team);
  } else if (["single", "multiple", "judge"].includes(question.type)) {
    options = `<div class="tv-opts grid n${opts.length}">${opts.map((o, i) => `
      <div class="tv-opt ${optClass(question, o, i)}">${optBadge(question, o, i)}${optionMediaHtml(o)}
        <span class="tv-text">${escapeHtml(o.text)}</span></div>`).join("")}</div>`;
  } else if (question.type === "fill") {
    options = `<div class="tv-blanks">${Array.from({ length: question.blanks || 1 }, (_, i) => `<span>${i + 1}</span>`).join("")}</div>`;
  }
  const explain = reveal && reveal.explanation
    ? `<div class="tv-explain"><b>${T.explanation}</b>${escapeHtml(reveal.explanation)}</div>` : "";
  $("sc-question").innerHTML = `
    <div class="q-bar">
      <span class="q-seg">${escapeHtml(KIND_NAMES[seg.kind] || "")}${seg.title && seg.title !== KIND_NAMES[seg.kind] ? ` · ${escapeHtml(seg.title)}` : ""}</span>
      <span class="q-no">${T.qNo(q.index, q.count)}</span>
      <span class="q-type">${T.types[question.type] || ""}</span>
      <span class="q-points">${T.points(q.points ?? 0)}</span>
    </div>
    <div class="q-body${reveal ? " revealed" : ""}${reveal && verdicts().length ? " has-verdict" : ""}">
      <div class="q-main${reveal ? " revealed" : ""}" id="q-main">
        <h1 class="q-stem">${escapeHtml(question.stem)}</h1>
        ${pictured(question) ? `<div class="q-split">${stemMediaHtml(question, { sizes: "50vw" })}<div class="q-split-main">${options}</div></div>`
          : `${stemMediaHtml(question)}${options}`}
        ${explain}
      </div>
      <aside class="q-side">
        <div class="ring" id="ring" role="timer" aria-label="剩余时间（秒）">
          <svg viewBox="0 0 340 340" aria-hidden="true"><circle class="ring-track" cx="170" cy="170" r="150"/>
            <circle class="ring-fill" id="ring-fill" cx="170" cy="170" r="150" stroke-dasharray="${RING}" stroke-dashoffset="0"/></svg>
          <span class="ring-num" id="ring-num"></span>
        </div>
        <div class="side-status" id="side-status"></div>
      </aside>
    </div>`;
  show("question");
  av.mount($("sc-question"), question.id, avOptions());
  drawSide();
  applyDataStyles($("sc-question"));
  fitQuestion($("q-main"), $("sc-question").querySelector(".q-bar"));
  // A picture takes its size when it has loaded: fit again then (the text shrinks with it, screen.css).
  $("q-main").querySelectorAll("img").forEach((img) => {
    if (!img.complete) img.addEventListener("load", () => fitQuestion($("q-main"), null), { once: true });
  });
  // The bars grow from zero once they are on the screen: the reveal is a moment of the show.
  requestAnimationFrame(() => requestAnimationFrame(() => $("sc-question").querySelectorAll(".dist-track i").forEach((b) => b.classList.add("grow"))));
  runTimer();
}

/** The teams' verdicts to show beside a revealed answer: the reveal's own (every team judged, in order), or the
 *  judgement seen before it (a server without `team_results`). */
function verdicts() {
  if (!S.q || !teamQuestion(S.q)) return [];
  const listed = S.reveal?.team_results;
  if (listed) return listed.map((r) => ({ team_id: r.team_id, correct: r.correct, timeout: !r.answered, points: r.points }));
  return S.judged && S.judged.team_id != null ? [S.judged] : [];
}

/** One team's verdict: the name, 回答正确/回答错误/超时未答, and the points it earned or lost, big. */
function verdictHtml(j) {
  const text = j.timeout ? T.verdict.timeout : j.correct ? T.verdict.right : T.verdict.wrong;
  const points = Number(j.points) || 0;
  return `<div class="side-judged ${j.correct ? "ok" : "bad"}"><b${longName(j.team_id)}>${escapeHtml(teamName(j.team_id))}</b>
    <span>${escapeHtml(text)}</span>${points ? `<em>${points > 0 ? "+" : ""}${escapeHtml(points)}</em>` : ""}</div>`;
}

function longName(teamId) { return [...teamName(teamId)].length > 5 ? ' class="long"' : ""; }

function drawSide() {
  const box = $("side-status");
  if (!box || !S.q || $("sc-question").hidden) return;
  const q = S.q;
  const kind = q.segment?.kind || S.segment?.kind;
  let html = "";
  if (S.reveal) {
    html = verdicts().map(verdictHtml).join("");
    // A settled tiebreak: the hall is told who won it (the first of each tied group, in the order it settled).
    if (kind === "tiebreak" && S.tiebreak?.resolved) {
      html += S.tiebreak.groups.filter((g) => (g.team_ids || []).length).map((g) => `<div class="side-turn won tie-won">
        <b${longName(g.team_ids[0])}>${escapeHtml(teamName(g.team_ids[0]))}</b><small>${T.tieWon}</small></div>`).join("");
    }
  } else if (S.phase === "closed") {
    html = `<div class="side-big">${T.closed}</div>${S.answered != null && kind === "all" ? `<p>${T.answered(S.answered)}</p>` : ""}`;
  } else if (kind === "required" || kind === "risk") {
    html = `<div class="side-turn${longName(q.team_id) ? " long" : ""}">${q.player_id != null ? T.turnSeat(escapeHtml(teamName(q.team_id))) : T.turn(escapeHtml(teamName(q.team_id)))}</div>`;
  } else if ((kind === "buzzer" || kind === "tiebreak") && !q.audience_only) {
    const b = S.buzz || {};
    if (b.answering != null) html = `<div class="side-turn won"><small>${T.buzzWon}</small><b${longName(b.answering)}>${escapeHtml(teamName(b.answering))}</b></div>`;
    else if (b.armed) html = `<div class="side-big go">${T.buzzOpen}</div>`;
    else html = `<div class="side-big wait">${T.buzzWait}</div><p>${T.buzzWaitHint}</p>`;
    const later = (b.order || []).slice(1);
    if (later.length) html += `<ol class="buzz-order">${later.map((t, i) => `<li>${escapeHtml(T.buzzLater(teamName(t), i + 2))}</li>`).join("")}</ol>`;
    // Buzzing again after a wrong answer: the teams already out stay named (a verdict is not swept away).
    const wrong = (b.out || []).filter((t) => !(b.right || []).includes(t) && t !== b.answering);
    if (wrong.length && !S.judged) html += `<ul class="buzz-out">${wrong.map((t) => `<li><b>${escapeHtml(teamName(t))}</b>${T.wrongOut}</li>`).join("")}</ul>`;
  } else if (q.audience_only) {
    html = `<div class="side-turn">${T.audience}</div>`;
  } else if (S.joined > 0) {
    html = `<p>${T.playing(S.joined)}</p>`;
  }
  if (S.judged && !S.reveal) html += verdictHtml(S.judged);
  box.innerHTML = html;
  $("ring").classList.toggle("done", !!S.reveal || S.phase === "closed");
  fitSide(box.parentElement);
}

const timer = new Countdown({ remaining: (d) => client.remaining(d) }, (ms, frozen) => {
  const num = $("ring-num");
  const fill = $("ring-fill");
  if (!num || !fill) return;
  const ring = $("ring");
  if (ms == null) {
    ring.classList.add("idle");
    num.textContent = "";
    fill.style.strokeDashoffset = "0";
    return;
  }
  ring.classList.remove("idle");
  if (!total || ms > total) total = Math.max(ms, 1000);
  const s = secondsLeft(ms);
  if (num.textContent !== String(s) && !frozen && s > 0 && num.textContent !== "") sound.play(s <= 5 ? "urgent" : "tick");
  num.textContent = s;
  fill.style.strokeDashoffset = String(RING * (1 - Math.max(0, Math.min(1, ms / total))));
  ring.classList.toggle("urgent", s <= 5 && !frozen);
  ring.classList.toggle("frozen", !!frozen);
});

function runTimer() {
  if ($("sc-question").hidden) return;
  if (S.phase === "paused") { timer.freeze(S.remaining); return; }
  if (["question", "buzzing", "answering"].includes(S.phase) && S.deadline != null) {
    const key = `${S.q?.question.id}:${S.phase}:${S.deadline}`;
    if (key !== timerKey) { timerKey = key; total = 0; }
    timer.run(S.deadline);
  } else {
    timer.stop();
    if (S.reveal || S.phase === "closed") {
      const num = $("ring-num");
      if (num) num.textContent = S.reveal ? "✓" : "0";
      const fill = $("ring-fill");
      if (fill) fill.style.strokeDashoffset = String(RING);
    } else {
      timer.tick(null);
    }
  }
}

// --- buzz flashes --------------------------------------------------------------------------------
const VERDICT_MS = 1800; // how long a judgement's flash stays before 抢答开始 may replace it
let flashTimer = 0;
function flash(kind, title, sub, ms = 2600) {
  const box = $("flash");
  box.className = `flash flash-${kind}`;
  box.innerHTML = `<div class="flash-card"><b${[...title].length > 8 ? ' class="long"' : ""}>${escapeHtml(title)}</b><span>${escapeHtml(sub)}</span></div>`;
  box.hidden = false;
  void box.offsetWidth; // restart the animation
  box.classList.add("on");
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { box.hidden = true; }, ms);
}

// --- the scoreboard (FLIP: rows glide from their old place to their new one) ----------------------------
function boardRows(board) {
  const teams = board.teams || [];
  if (teams.length) return { title: T.board, rows: teams.map((t) => ({ id: `t${t.team_id}`, ...t })) };
  return { title: T.playersBoard, rows: (board.players || []).map((p) => ({ id: `p${p.player_id}`, ...p, unit: p.team_id != null ? teamName(p.team_id) : "" })) };
}

function drawBoard() {
  const box = $("sc-board");
  const first = new Map();
  box.querySelectorAll("[data-row]").forEach((row) => first.set(row.dataset.row, row.getBoundingClientRect().top));
  const { title, rows } = boardRows(S.board || {});
  const shown = rows.slice(0, 10);
  const top = Math.max(1, ...shown.map((r) => Math.abs(Number(r.score) || 0)));
  box.innerHTML = `<h1 class="board-title">${title}</h1>
    <ol class="board n${Math.min(10, shown.length)}">${shown.map((r) => {
      const before = S.ranksBefore.get(r.id);
      const move = before == null ? "" : before > r.rank ? "up" : before < r.rank ? "down" : "";
      return `<li data-row="${escapeHtml(r.id)}" class="r${r.rank}${move ? ` moved-${move}` : ""}">
        <span class="b-rank">${escapeHtml(r.rank)}</span>
        <span class="b-name">${escapeHtml(r.name)}${r.unit ? `<small>${escapeHtml(r.unit)}</small>` : ""}</span>
        <span class="b-bar"><i data-w="${Math.max(0, (Number(r.score) || 0) / top) * 100}%"></i></span>
        <span class="b-score" data-score="${escapeHtml(r.score)}">${escapeHtml(r.score)}</span>${gainHtml(r)}
        ${move ? `<span class="b-move ${move}" aria-hidden="true">${move === "up" ? "▲" : "▼"}</span>` : ""}
      </li>`;
    }).join("") || `<li class="empty">${T.noTeams}</li>`}</ol>`;
  show("board");
  applyDataStyles(box);
  box.querySelectorAll("[data-row]").forEach((row) => {
    const was = first.get(row.dataset.row);
    if (was == null) { row.classList.add("enter"); return; }
    const dy = was - row.getBoundingClientRect().top;
    if (!dy) return;
    // FLIP: start where it was (in stage pixels: the stage itself is scaled), then glide to the new place.
    const scale = tv.getBoundingClientRect().height / 1080 || 1;
    row.animate([{ transform: `translateY(${dy / scale}px)` }, { transform: "translateY(0)" }],
      { duration: 900, easing: "cubic-bezier(.2,.8,.2,1)" });
  });
  countUp(box);
  rows.forEach((r) => { S.ranksBefore.set(r.id, r.rank); S.scoresBefore.set(r.id, Number(r.score) || 0); });
}

/** "+20" flying onto a row's score: what the last reveal earned, seen on the board. */
function gainHtml(r) {
  const before = S.scoresBefore.get(r.id);
  const gain = before == null ? 0 : (Number(r.score) || 0) - before;
  return gain ? `<span class="b-gain ${gain > 0 ? "up" : "down"}" aria-hidden="true">${gain > 0 ? "+" : ""}${gain}</span>` : "";
}

/** Scores count up from their old value to the new one while the gain flies in. */
function countUp(box) {
  box.querySelectorAll("[data-row]").forEach((row) => {
    const el = row.querySelector(".b-score");
    const to = Number(el.dataset.score) || 0;
    const from = S.scoresBefore.get(row.dataset.row);
    if (from == null || from === to) return;
    const started = performance.now();
    const step = (now) => {
      const k = Math.min(1, (now - started) / 1200);
      el.textContent = String(Math.round(from + (to - from) * k));
      if (k < 1) requestAnimationFrame(step);
    };
    el.textContent = String(from);
    setTimeout(() => requestAnimationFrame(step), 500);
  });
}

// --- the podium ------------------------------------------------------------------------------------
function drawPodium() {
  const { rows } = boardRows(S.board || {});
  // The server's `prize` when the game has a round's prizes (none for a tie across a prize boundary),
  // else 冠军/亚军/季军 on the podium.
  const prizeOf = (r, i) => ("prize" in r ? r.prize || "" : T.places[i] || "");
  const top = rows.slice(0, 3);
  const order = [1, 0, 2].filter((i) => top[i]);
  const rest = rows.slice(3, 10);
  $("sc-podium").innerHTML = `<div class="confetti" aria-hidden="true">${Array.from({ length: 40 }, (_, i) => `<i data-x="${(i * 37) % 100}" data-d="${(i % 7) * 0.45}s"></i>`).join("")}</div>
    <h1 class="podium-title">${escapeHtml(S.title || T.podium)}</h1>
    <div class="podium">${order.map((i) => {
      const r = top[i];
      return `<div class="step step-${i + 1}">
        <div class="step-who"><span class="medal m${r.rank}">${escapeHtml(r.rank)}</span><b>${escapeHtml(r.name)}</b>
          ${r.unit ? `<small>${escapeHtml(r.unit)}</small>` : ""}</div>
        <div class="step-block"><span class="step-prize">${escapeHtml(prizeOf(r, i))}</span><span class="step-score">${escapeHtml(r.score)}<small>${T.scoreUnit}</small></span></div>
      </div>`;
    }).join("")}</div>
    ${rest.length ? `<ol class="podium-rest">${rest.map((r) => `<li><span>${escapeHtml(r.rank)}</span><b>${escapeHtml(r.name)}</b>
      <em>${escapeHtml(r.prize || "")}</em><i>${escapeHtml(r.score)}</i></li>`).join("")}</ol>` : ""}`;
  show("podium");
  $("sc-podium").querySelectorAll(".confetti i").forEach((el) => {
    el.style.setProperty("--x", el.dataset.x);
    el.style.setProperty("--d", el.dataset.d);
  });
}

// --- messages --------------------------------------------------------------------------------------
let segmentHoldUntil = 0;
let holdTimer = 0;

function fromState(msg) {
  setTitle(msg.title);
  av.setMedia(msg.media);
  drawJoined();
  drawPhase();
}

function drawPhase() {
  $("paused").hidden = S.phase !== "paused";
  if (S.phase === "lobby") { show("lobby"); return; }
  if (S.phase === "finished") { drawPodium(); return; }
  if (S.phase === "leaderboard" && S.board) { drawBoard(); return; }
  if (S.phase === "picking" && S.turn) { drawRiskTurn(S.turn.team_id, S.turn.values_left); return; }
  if (S.q) { drawQuestion(); return; }
  if (S.segment) drawSegment();
}

/** A title card held up for a question is taken down at once when the game moves on (a quick host). */
function flushHold() {
  if (Date.now() >= segmentHoldUntil) return;
  segmentHoldUntil = 0;
  clearTimeout(holdTimer);
  if (S.q && !["leaderboard", "finished", "segment"].includes(S.phase)) drawQuestion();
}

function receive(msg) {
  if (!["question", "segment", "joined", "score", "state", "turn", "risk_pick", "tiebreak"].includes(msg.type)) flushHold();
  const before = S;
  S = reduce(S, msg);
  switch (msg.type) {
    case "state":
      fromState(msg);
      return;
    case "joined":
      drawJoined();
      joinedName(msg.player && msg.player.name);
      return;
    case "kicked":
      drawJoined();
      return;
    case "segment": {
      let extra = "";
      if (msg.groups && msg.groups.length) {
        extra = `<div class="seg-teams">${msg.groups.flatMap((g) => g.team_ids).map((t) => `<span>${escapeHtml(teamName(t))}</span>`).join("")}</div>`;
      } else if (msg.segment?.kind === "risk" && msg.order) {
        extra = `<div class="seg-teams">${msg.order.map((t) => `<span>${escapeHtml(teamName(t))}</span>`).join("")}</div>`;
      }
      drawSegment(extra);
      // The server puts the first question up only when the card's time is over (card_until_ms, its clock):
      // hold the card exactly that long, and no longer, so no countdown runs unseen on the phones.
      segmentHoldUntil = Date.now() + (msg.card_until_ms != null ? client.remaining(msg.card_until_ms) ?? 0 : msg.card_ms ?? 0);
      return;
    }
    case "question":
      if (Date.now() < segmentHoldUntil) {
        clearTimeout(holdTimer);
        holdTimer = setTimeout(() => { if (S.q && !["leaderboard", "finished"].includes(S.phase)) drawQuestion(); },
          segmentHoldUntil - Date.now());
      } else {
        drawQuestion();
      }
      return;
    case "buzz_open": {
      if (!before.q) return;
      drawSide();
      runTimer();
      // After a wrong answer the buzzers open again at once: the hall first sees the verdict, then 抢答开始
      // (unless someone has buzzed meanwhile).
      const go = () => {
        if (!S.buzz?.armed) return;
        flash("go", T.buzzOpen, "", 1200);
        sound.play("go");
      };
      if (before.judged && !before.judged.correct) setTimeout(go, VERDICT_MS); else go();
      return;
    }
    case "buzzed":
      if (!before.q) return;
      if (msg.foul) {
        flash("foul", teamName(msg.team_id), T.buzzFoul);
        sound.play("wrong");
      } else if (msg.order === 1) {
        flash("won", teamName(msg.team_id), T.buzzWon);
        sound.play("buzz");
        runTimer();
      }
      drawSide();
      return;
    case "judged":
      if (!before.q) return;
      drawSide();
      if (msg.team_id != null) {
        const text = msg.timeout ? T.judgedTimeout(msg.points) : msg.correct ? T.judgedRight(msg.points) : T.judgedWrong(msg.points);
        flash(msg.correct ? "right" : "wrong", teamName(msg.team_id), text, 2200);
        sound.play(msg.correct ? "right" : "wrong");
      }
      return;
    case "closed":
      if (S.q) { drawSide(); runTimer(); }
      return;
    case "reveal":
      if (!before.q) return;
      drawQuestion();
      sound.play("reveal");
      return;
    case "turn":
      // The server asks for the next pick only when the host moves on (`next`): the reveal has had its time.
      if (msg.team_id == null) return;
      drawRiskTurn(msg.team_id, msg.values_left);
      return;
    case "risk_pick":
      flash("go", teamName(msg.team_id), msg.declined ? "放弃本轮" : `选择 ${msg.points} 分`, 1800);
      return;
    case "leaderboard":
      drawBoard();
      return;
    case "finished":
      drawPodium();
      // third, second, first (screen.css: the steps rise at 0.6 s, 1.8 s and 3.2 s), a drum roll under them
      sound.play("drumroll", 0, 3.2);
      sound.play("fanfare", 3.2);
      return;
    case "media":
      av.setMedia(msg);
      av.apply(avOptions());
      return;
    case "paused":
      $("paused").hidden = false;
      runTimer();
      return;
    case "resumed":
      $("paused").hidden = true;
      runTimer();
      return;
    default:
  }
}

let netTimer = 0;
function status(kind, info = {}) {
  const box = $("tv-net");
  if (kind === "open") { clearTimeout(netTimer); box.hidden = true; return; }
  if (kind === "failed") {
    $("tv-net-text").textContent = info.message || T.noGame;
    box.hidden = false;
    return;
  }
  if (kind === "reconnecting") {
    $("tv-net-text").textContent = T.reconnecting;
    clearTimeout(netTimer);
    netTimer = setTimeout(() => { box.hidden = client.isOpen(); }, 2000); // a blink is not shown on the big screen
  }
}

const client = new LiveClient({ pin: PIN, role: "screen", onMessage: receive, onStatus: status }).start();
show("lobby");
drawSoundBadge();
