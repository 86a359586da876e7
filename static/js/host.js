// The host console (/host/{live_id}): every host action of CONTRACT §7, the legal ones enabled and the
// expected next one highlighted, live counts, the answer (for the host alone), judgements, risk picks,
// score corrections with a reason, and the ledger. The server remains the judge of what is legal: a refused
// action comes back as an `error` and changes nothing.
import { api, escapeHtml, toast } from "./common.js";
import { KIND_NAMES, PHASE_NAMES, TYPE_SHORT, answerText, avMedia, secondsLeft, signed } from "./format.js";
import { Countdown, LiveClient } from "./live_client.js";
import { BUZZ_KINDS, LIVE_PHASES, TURN_KINDS, initialState, kindOf, reduce, teamName as nameOf } from "./live_state.js";
import { stemMediaHtml } from "./media.js";
import * as sound from "./sound.js";

// Every text this page writes, in one place.
const T = {
  connecting: "正在连接…",
  connected: "已连接",
  reconnecting: "连接中断，正在重连…",
  forbidden: "主持令牌不正确或已失效。",
  noGame: "没有这场比赛。",
  untitled: "现场竞赛",
  consoleTitle: "主持控制台",
  notConnected: "未连接",
  needToken: "请从“我的比赛”进入控制台，或登录为这场比赛的主持人或组织者。也可以粘贴创建比赛时得到的主持令牌：",
  next: {
    start: "下一步：开始比赛", next: "下一步：下一题", open_buzz: "下一步：开启抢答", close: "下一步：停止作答（或等待倒计时结束）",
    reveal: "下一步：公布答案", judge: (team) => `下一步：评判 ${team} 的回答`,
    buzzing: "下一步：等待各队抢答（无人抢答时可按“停止作答”）", risk: "下一步：为轮到的队伍选择风险分值",
    resume: "比赛已暂停：继续比赛", leaderboard: "下一步：显示排行榜", finish: "题目已全部完成：可以结束比赛", none: "比赛已结束",
    card: "大屏幕正在展示环节开场，第一题随后自动出现",
    turn: (team) => `下一步：等待 ${team} 作答（口头回答请判 ✓ 或 ✗）`,
  },
  segmentNo: (n) => `第 ${n} 环节`,
  qNo: (i, n) => `第 ${i}${n ? ` / ${n}` : ""} 题`,
  points: (p) => `${p} 分`,
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
  matches: (ok) => (ok ? "（与正确答案一致）" : "（与正确答案不符）"),
  gradedByReveal: (team) => `${team} 已在手机上作答，公布答案时自动计分；如需改判：`,
  judged: (team, ok, p, timeout) => `${team} ${timeout ? "超时未答" : ok ? "判定正确" : "判定错误"}（${signed(p)}）`,
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
  teamsTitle: (risk) => (risk ? "队伍 · 评判 · 风险选分" : "队伍 · 评判"),
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
  ledgerHead: (teams) => ["#", "时间", teams ? "队伍" : "选手", "变化", "原因", "题目", "操作人", ""],
  leaderboard: "排行榜",
  riskWaiting: (team) => `等待 ${team} 选择本题的风险分值（在右侧“主持操作”中录入）`,
  finished: "比赛已结束",
  media: { play: "▶ 播放音视频", pause: "❚❚ 暂停音视频", label: "大屏幕上播放本题的声音或视频" },
};

const app = document.getElementById("host-app");
const LIVE_ID = app.dataset.liveId;
// A page served to someone not yet known as this game's host carries none of these (data-locked="1"):
// they come from the API once the host token is known (`unlock`).
let PIN = app.dataset.pin;
const LOGGED_IN = app.dataset.loggedIn === "1";
const LOCKED = app.dataset.locked === "1";
let SEGMENTS = JSON.parse(app.dataset.segments || "[]"); // [{kind, title, questions}] as configured
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
const hostGet = (url) => api("GET", url, undefined, { token: HOST_TOKEN });

// --- what the console knows: the shared reducer's state (live_state.js) ------------------------------
let S = initialState();

const kind = () => kindOf(S);
const teamName = (id) => nameOf(S, id);
const revealed = () => !!S.reveal;
const turnTeam = () => S.turn?.team_id ?? null;
const players = () => S.board?.players || [];

/** Which actions are legal now (mirrors the engine; the server still refuses anything out of order). */
function legal() {
  const p = S.phase;
  const k = kind();
  // "picking": a risk team picks its value (the phase a reloaded console gets; live, the reveal's phase stays).
  const between = ["revealed", "leaderboard", "picking"].includes(p);
  const riskPending = S.segment?.kind === "risk" && turnTeam() != null && between;
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
  if (!S.q || revealed()) return null;
  if (BUZZ_KINDS.includes(k)) return S.phase === "answering" && S.buzz?.answering != null ? S.buzz.answering : null;
  if (TURN_KINDS.includes(k) && ["question", "closed"].includes(S.phase) && !S.judged) return S.q.team_id;
  return null;
}

/** Whether the question just revealed was the last of the last segment (a tiebreak may still follow). */
function lastQuestionDone() {
  if (S.q?.last && revealed()) return true; // the server says so (question.last_question)
  if (!S.q || !revealed() || !SEGMENTS.length) return false;
  const seg = S.q.segment || S.segment || {};
  const later = SEGMENTS.slice(seg.index || 1).filter((s) => s.questions > 0 && s.kind !== "tiebreak");
  // A settled tiebreak plays none of its remaining questions.
  const segmentDone = S.q.index >= S.q.count || (seg.kind === "tiebreak" && !!S.tiebreak?.resolved);
  return segmentDone && !later.length && !SEGMENTS.slice(seg.index || 1).some((s) => s.kind === "tiebreak");
}

/** The action the stage most likely wants next (highlighted, and what Space does). */
function expected(l) {
  const p = S.phase;
  if (p === "finished") return "none";
  if (p === "paused") return "resume";
  if (p === "lobby") return "start";
  if (p === "segment" || p === "card") return "card"; // the title card ends by itself
  // A team's phone answer to an objective question is graded by the reveal (or, after a buzz, at once):
  // judging is the next step only for a short answer, or for a team on turn whose time ran out unanswered.
  if (l.judge && S.teamAnswer?.pendingJudge) return "judge";
  if (l.judge && p === "closed" && TURN_KINDS.includes(kind()) && !S.teamAnswer) return "judge";
  // A team on turn (or the buzz winner) has not answered yet: the host waits for its phone, or judges it aloud.
  if (l.judge && LIVE_PHASES.includes(p) && !S.teamAnswer) return "turn";
  if (p === "question" && l.open_buzz) return "open_buzz";
  if (p === "buzzing") return "buzzing"; // the teams buzz; 停止作答 only if nobody does
  if (LIVE_PHASES.includes(p)) return "close";
  if (p === "closed") return "reveal";
  if (l.risk) return "risk";
  if (p === "revealed" || p === "leaderboard") return S.noMore || lastQuestionDone() ? "finish" : "next";
  return "";
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
  const hint = T.next[want];
  $("next-hint").textContent = typeof hint === "function" ? hint(teamName(l.judgeTeam)) : hint || "";
  const badge = $("phase-badge");
  // While a team picks its risk value the game is "between" questions, but the hall waits for that pick.
  badge.textContent = legal().risk ? "等待选择风险分值" : PHASE_NAMES[S.phase] || S.phase;
  badge.dataset.phase = S.phase;
  $("count-joined").textContent = S.counts.joined;
  $("count-answered").textContent = S.counts.answered;
  $("count-buzzes").textContent = S.counts.buzzes;
  drawNow();
  drawMedia();
  drawDecision(l, want);
  drawTeams(l, want);
  runTimer();
}

function drawNow() {
  const box = $("now");
  // A risk team picking its value: the last question is done; the stage waits for the pick.
  if (!S.q || legal().risk) {
    if (S.segment) {
      const name = KIND_NAMES[S.segment.kind] || "";
      box.innerHTML = `<p class="now-seg"><span class="seg-chip">${escapeHtml(T.segmentNo(S.segment.index))}</span>
        <b>${escapeHtml(name)}</b> ${S.segment.title && S.segment.title !== name ? escapeHtml(S.segment.title) : ""}</p>
        <p class="muted">${S.phase === "finished" ? T.finished : legal().risk ? T.riskWaiting(teamName(turnTeam()))
          : S.phase === "leaderboard" ? T.leaderboard : ""}</p>`;
    } else {
      box.innerHTML = `<p class="muted now-empty">${S.phase === "finished" ? T.finished : "比赛尚未开始。点击“开始比赛”进入第一个环节。"}</p>`;
    }
    return;
  }
  const q = S.q;
  const question = q.question;
  const seg = q.segment || S.segment || {};
  const answer = S.key?.answer || null;
  const explanation = S.key?.explanation || "";
  const right = new Set((answer || []).map(String));
  const dist = S.reveal?.distribution || null;
  let options = "";
  if (["single", "multiple"].includes(question.type)) {
    // Short options side by side: the status of the step and the answer stay on the laptop's one screen.
    const short = question.options.length >= 4 && question.options.every((o) => [...String(o.text)].length <= 14 && !o.media?.length);
    options = `<ul class="host-options${short ? " two" : ""}">${question.options.map((o) => `
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
  if (S.teamAnswer) {
    const ok = matchesKey(question, S.teamAnswer.answer, answer);
    status += `<p class="team-answer${ok == null ? "" : ok ? " ok" : " bad"}">${escapeHtml(T.teamAnswered(teamName(S.teamAnswer.team_id),
      answerText(question, S.teamAnswer.answer)))}${ok == null ? "" : `<span>${T.matches(ok)}</span>`}</p>`;
  }
  if (S.shortAnswers.size) status += shortAnswersHtml(question);
  // After the reveal every team's verdict (a wrong answer before a right one after a buzz again), else the last one.
  const verdicts = S.reveal?.team_results?.length ? S.reveal.team_results.filter((r) => r.answered || r.points)
    : S.judged ? [S.judged] : [];
  status += verdicts.map((j) => `<p class="judged-line ${j.correct ? "ok" : "bad"}">${escapeHtml(T.judged(teamName(j.team_id), j.correct, j.points, j.timeout || j.answered === false))}</p>`).join("");
  box.innerHTML = `
    <p class="now-seg"><span class="seg-chip">${escapeHtml(T.segmentNo(seg.index || 1))}</span><b>${escapeHtml(KIND_NAMES[seg.kind] || "")}</b>
      ${seg.title && seg.title !== KIND_NAMES[seg.kind] ? escapeHtml(seg.title) : ""}
      <span class="q-meta">${T.qNo(q.index, q.count)} · ${TYPE_SHORT[question.type] || ""} · ${T.points(q.points ?? 0)}</span></p>
    ${status ? `<div class="now-status">${status}</div>` : ""}
    <p class="host-stem">${escapeHtml(question.stem)}</p>
    ${stemMediaHtml(question)}
    ${options}
    <div class="host-answer"><span>${T.answer}${revealed() ? "（已公布）" : "（仅主持人可见）"}</span><b>${escapeHtml(answerText(question, answer) || "—")}</b></div>
    ${explanation ? `<p class="host-explain"><b>${T.explanation}：</b>${escapeHtml(explanation)}</p>` : ""}`;
}

/** Whether a team's choice (single, multiple, judge) is the key: true/false, or null where only a judge can tell. */
function matchesKey(question, given, key) {
  if (!["single", "multiple", "judge"].includes(question.type) || given == null || !key) return null;
  const norm = (v) => (Array.isArray(v) ? v : [v]).map(String).sort().join("|");
  return norm(given) === norm(key);
}

/** Everyone's short answers, each with ✓/✗ for the host (judging is open until the reveal). */
function shortAnswersHtml(question) {
  const rows = [...S.shortAnswers.entries()];
  const left = rows.filter(([, a]) => a.correct == null).length;
  const open = !revealed();
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

/** 播放/暂停: the current question's sound or video on the big screen (shown only for such a question). */
function drawMedia() {
  const button = $("media-toggle");
  if (!button) return;
  const show = !!S.q && avMedia(S.q.question).length > 0 && !["leaderboard", "finished", "segment"].includes(S.phase);
  button.hidden = !show;
  if (!show) return;
  const playing = !!S.media?.playing;
  button.setAttribute("aria-pressed", String(playing));
  button.textContent = playing ? T.media.pause : T.media.play;
  button.disabled = !client || !client.isOpen();
}

/** The judgement or risk pick the stage waits for, as big buttons next to the actions. */
function drawDecision(l, want) {
  const box = $("decide");
  let html = "";
  if (l.judge) {
    const graded = TURN_KINDS.includes(kind()) && S.teamAnswer && !S.teamAnswer.pendingJudge;
    html = `<p>${escapeHtml(graded ? T.gradedByReveal(teamName(l.judgeTeam)) : T.judgeWho(teamName(l.judgeTeam)))}</p>
      <div class="decide-row"><button type="button" class="btn big ok-btn" data-judge="${l.judgeTeam}" data-correct="1">✓ ${T.right} <kbd>Y</kbd></button>
      <button type="button" class="btn big bad-btn" data-judge="${l.judgeTeam}" data-correct="0">✗ ${T.wrong} <kbd>X</kbd></button></div>`;
  } else if (l.risk) {
    const team = turnTeam();
    const values = S.valuesLeft.get(team) || [];
    html = `<p>${escapeHtml(T.riskWho(teamName(team)))}</p>
      <div class="decide-row">${values.map((v) => `<button type="button" class="btn big" data-risk="${team}" data-points="${v}">${escapeHtml(v)} 分</button>`).join("")}
      <button type="button" class="btn big secondary" data-risk="${team}" data-points="0">${T.decline}</button></div>`;
  }
  box.innerHTML = html;
  box.hidden = !html;
  box.classList.toggle("hot", ["judge", "risk", "turn"].includes(want));
  box.classList.toggle("quiet", want !== "judge" && !!l.judge && TURN_KINDS.includes(kind()) && !!S.teamAnswer);
}

function drawTeams(l, want) {
  const box = $("teams");
  const select = $("adjust-team");
  $("adjust-panel").hidden = !S.teams.size;
  if (!S.teams.size) {
    // An open game: no teams to judge or correct; the players' own board instead.
    $("teams-title").textContent = T.playersTitle;
    box.innerHTML = players().length ? `<table class="team-table"><thead><tr><th>名次</th><th>选手</th><th>得分</th></tr></thead><tbody>
      ${players().map((p) => `<tr><td>${escapeHtml(p.rank)}</td><td><b>${escapeHtml(p.name)}</b></td><td class="num">${escapeHtml(p.score)}</td></tr>`).join("")}
      </tbody></table>` : `<p class="muted">${T.noTeams}</p>`;
    select.innerHTML = "";
    return;
  }
  // The risk values have a column only in a risk segment (elsewhere it would be a column of dashes).
  const risk = S.segment?.kind === "risk";
  $("teams-title").textContent = T.teamsTitle(risk);
  // Seat order (team id), never by score: during play the ✓/✗ buttons must not move under the cursor.
  const rows = [...S.teams.entries()].sort((a, b) => a[0] - b[0]);
  box.innerHTML = `<table class="team-table"><thead><tr><th>队伍</th><th>得分</th><th>评判</th>${risk ? "<th>风险选分</th>" : ""}</tr></thead><tbody>${rows.map(([id, t]) => {
    const canJudge = l.judge && l.judgeTeam === id;
    const onTurn = l.risk && turnTeam() === id;
    // A team that has not picked yet has the segment's every value (a live console learns them at the first turn).
    const values = S.valuesLeft.get(id) || (risk ? riskValues || [] : []);
    const hot = (["judge", "turn"].includes(want) && canJudge) || (want === "risk" && onTurn);
    return `<tr class="${hot ? "hot" : ""}${S.q && S.q.team_id === id && !revealed() ? " turn" : ""}">
      <td><b>${escapeHtml(t.name)}</b>${t.unit ? `<small>${escapeHtml(t.unit)}</small>` : ""}${onTurn ? `<span class="tag">${T.onTurn}</span>` : ""}</td>
      <td class="num">${escapeHtml(t.score ?? 0)}</td>
      <td class="judge-cell"><button type="button" class="btn small ok-btn" data-judge="${id}" data-correct="1"${canJudge ? "" : " disabled"}>✓ ${T.right}</button>
        <button type="button" class="btn small bad-btn" data-judge="${id}" data-correct="0"${canJudge ? "" : " disabled"}>✗ ${T.wrong}</button></td>
      ${risk ? `<td class="risk-cell">${onTurn ? `${values.map((v) => `<button type="button" class="btn small secondary" data-risk="${id}" data-points="${v}">${escapeHtml(v)}</button>`).join("")}
        <button type="button" class="btn small ghost" data-risk="${id}" data-points="0">${T.decline}</button>`
        : values.length ? `<span class="muted">${T.valuesLeft(values.join(" / "))}</span>` : '<span class="muted">—</span>'}</td>` : ""}
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

// --- messages: the reducer keeps the state; here only what the console does besides drawing -----------
// A risk segment's values, as the first team on turn may pick them all (for the teams not on turn yet).
let riskValues = null;

function receive(msg) {
  const before = S;
  S = reduce(S, msg);
  if (msg.type === "segment") riskValues = null;
  if (msg.type === "turn" && msg.team_id != null && !before.valuesLeft.has(msg.team_id)) riskValues = msg.values_left || null;
  switch (msg.type) {
    case "welcome":
      if (msg.game?.title) $("game-title").textContent = msg.game.title;
      return;
    case "state":
      if (msg.title) $("game-title").textContent = msg.title;
      draw();
      loadLedger();
      if (msg.phase === "finished") loadResults();
      return;
    case "joined":
      if (msg.player) noteGuest(msg.player);
      break;
    case "kicked":
      recentPlayers.delete(JSON.stringify(msg.player_id));
      drawGuests();
      break;
    case "counts": // pushed by the server after a burst of answers/buzzes/joins (at most ~2 a second)
      lastCountsPush = Date.now();
      break;
    case "buzzed":
      if (before.q && !msg.foul && !(before.buzz?.order || []).length && S.buzz?.order.length) sound.play("buzz");
      break;
    case "score":
    case "reveal": // an open game's players score at the reveal, without a `score` each: the ledger has them
      loadLedgerSoon();
      break;
    case "finished":
      loadResults();
      break;
    case "error":
      toast(msg.message || msg.code, "error");
      break;
    default:
      if (S === before) return; // nothing the console shows changed
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

$("media-toggle")?.addEventListener("click", (event) => {
  event.currentTarget.blur();
  act("media", { play: !S.media?.playing });
});

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
  box.innerHTML = `<table class="ledger-table"><thead><tr>${T.ledgerHead(S.teams.size > 0).map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>
    ${items.slice().reverse().map((e) => `<tr class="${e.reverses ? "is-reverse" : ""}${reversed.has(e.id) ? " is-reversed" : ""}">
      <td>${e.id}</td><td>${escapeHtml((e.at || "").slice(11, 19))}</td><td>${escapeHtml(e.team_name || e.player_name || teamName(e.team_id))}</td>
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
        S = reduce(S, { type: "counts", counts: state.counts });
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
  if (!client) { $("conn").dataset.state = "failed"; $("conn-text").textContent = T.notConnected; }
  $("auth-text").textContent = text;
  $("host-grid").classList.add("locked");
}

function status(kind, info = {}) {
  const conn = $("conn");
  conn.dataset.state = kind;
  if (kind === "open") { $("conn-text").textContent = T.connected; $("auth-box").hidden = true; $("host-grid").classList.remove("locked"); $("host-grid").hidden = false; $("phase-badge").hidden = false; }
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

/** A page without the game (locked): read it with the host token, show it, then connect. */
async function unlock(token) {
  let game;
  try {
    game = await api("GET", `/api/live/${LIVE_ID}`, undefined, { token });
  } catch (e) {
    if (e.status === 404) { $("conn-text").textContent = T.noGame; showAuth(T.noGame); return; }
    session()?.removeItem(TOKEN_KEY);
    showAuth(e.status === 0 ? e.message : `${T.forbidden}${T.needToken}`);
    return;
  }
  PIN = game.pin;
  SEGMENTS = game.segments || [];
  $("game-title").textContent = game.title || T.untitled;
  document.title = `${T.consoleTitle} · ${game.title || game.pin}`;
  $("head-pin").textContent = game.pin;
  $("head-pin-box").hidden = false;
  $("copy-join").dataset.url = game.join_url;
  for (const [id, url] of [["screen-link", game.screen_url], ["join-link", game.join_url]]) {
    const link = $(id);
    if (link) { link.href = url; link.hidden = false; }
  }
  connect(token);
}

function begin(token) {
  HOST_TOKEN = token;
  if (LOCKED) unlock(token);
  else connect(token);
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token-input").value.trim();
  if (!token) return;
  session()?.setItem(TOKEN_KEY, token);
  begin(token);
});

const token = hostToken();
HOST_TOKEN = token;
if (!token && (LOCKED || !LOGGED_IN)) showAuth(T.needToken);
else begin(token);
draw();
pollCounts();
