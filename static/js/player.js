// The phone player (/play/{pin}): join, answer with one thumb, buzz, see the result, survive a dropped network.
// Everything shown comes from the server's messages (CONTRACT §7); the phone's clock is never trusted.
import { escapeHtml, markBusy, toast } from "./common.js";
import { KIND_NAMES, TYPE_SHORT, answerText, secondsLeft, signed } from "./format.js";
import { Countdown, LiveClient, loadValue, resumeKey, saveValue } from "./live_client.js";
import { BUZZ_KINDS, LIVE_PHASES, TURN_KINDS, initialState, kindOf, onMyTeam as mine, reduce, teamName as nameOf } from "./live_state.js";
import { optionMediaHtml, stemMediaHtml } from "./media.js";
import { shapeName, shapeSvg } from "./shapes.js";
import { vibrate } from "./sound.js";

// Every text this page writes, in one place.
const T = {
  connecting: "正在连接…",
  reconnecting: "网络中断，正在重新连接…",
  kickedTitle: "已离开比赛",
  kicked: "你已被主持人移出本场比赛",
  reconnectingIn: (s) => `网络中断，${s} 秒后重新连接…`,
  backOnline: "已重新连接",
  nameRequired: "请输入你的名字",
  nameTooLong: "名字最多 20 个字",
  joining: "正在加入…",
  join: "加入比赛",
  noGame: "没有找到这场竞赛，请核对大屏幕上的竞赛码。",
  noGameTitle: "竞赛码无效",
  cannotJoin: "无法加入",
  joinedTitle: "已加入比赛",
  waitStart: "请看大屏幕，等待主持人开始",
  guest: "观众",
  team: (name) => `${name}`,
  segmentNo: (n) => `第 ${n} 环节`,
  // How each kind is played, in a line on the segment's card (older players meet 风险 once a year).
  // Phrase by phrase: a line breaks between phrases, never inside a word (抢 / 到).
  segRules: {
    required: ["各队依次作答，", "轮到本队时在手机上作答"],
    buzzer: ["主持人开启抢答后按下按钮，", "抢到的队伍作答；", "提前按下算犯规"],
    risk: ["各队依次选择风险分值，", "答对得分，", "答错扣分"],
    tiebreak: ["同分队伍加赛：", "抢答，", "先答对的队伍胜出"],
  },
  qHead: (i, n) => `第 ${i}${n ? ` / ${n}` : ""} 题`,
  points: (p) => `${p} 分`,
  judgeTrue: "正确",
  judgeFalse: "错误",
  submit: "提交答案",
  submitMultiple: (n) => (n ? `提交答案（已选 ${n} 项）` : "请选择选项"),
  pickHint: "选择一项即提交",
  multiHint: "可多选，选好后点提交",
  fillHint: "填写后点提交",
  blank: (i) => `第 ${i} 空`,
  shortPlaceholder: "在这里输入你的回答",
  sending: "正在提交…",
  saved: "答案已保存",
  savedWait: "请等待公布答案",
  notSent: "网络中断，答案已保存在手机上，恢复后自动提交",
  refused: { late: "已超过答题时间", duplicate: "本题已经作答", not_your_turn: "还没有轮到你作答",
    closed: "当前不能作答", invalid: "答案格式不正确" },
  teammateAnswered: (name, ans) => `队友${name ? ` ${name}` : ""} 已作答：${ans}`,
  yourAnswer: "你的答案",
  teamAnswer: "本队答案",
  myChoice: "我的选择",
  teamChoice: "本队选择",
  elsewhere: "已在你的另一台手机上作答",
  rightAnswer: "正确答案",
  right: "回答正确",
  wrong: "回答错误",
  noAnswer: "未作答",
  watch: "本题由其他队伍作答",
  turnOf: (team) => `轮到 ${team} 作答`, // `team` is HTML (teamHtml)
  turnMine: "轮到你的队伍作答！",
  seatMine: "轮到你作答！",
  watchHint: "请看大屏幕",
  closedTitle: "作答结束",
  closedWait: "等待主持人公布答案",
  closedNone: "本题你没有作答",
  closedTeam: (team) => `${team} 已作答`,
  buzz: "抢答",
  buzzWait: "等待主持人开启抢答",
  buzzOpen: "抢答开始！",
  buzzSent: "已抢答…",
  buzzWon: "抢答成功！",
  buzzWonHint: "请作答",
  buzzLost: (team) => `${team} 抢到了`,
  buzzLostHint: "正在作答，请看大屏幕",
  buzzFoul: "犯规！",
  buzzFoulHint: "抢答开启前按下按钮",
  buzzFoulOut: "抢答开启前按下按钮，本题不能再抢答",
  buzzFoulLost: "你的队伍犯规，本题不能再抢答",
  buzzOut: "本题你的队伍不能再抢答",
  buzzNotTeam: "抢答题由参赛队伍抢答，请看大屏幕",
  tiebreakWatch: "加赛在同分队伍之间进行，请看大屏幕",
  judgedRight: (p) => `回答正确${p ? ` ${signed(p)}` : ""}`,
  judgedWrong: (p) => `回答错误${p ? ` ${p}` : ""}`,
  judgedTimeout: (p) => `超时未答${p ? ` ${p}` : ""}`,
  judgedNone: "未作答",
  audience: "观众答题：无人抢答，观众可以作答",
  pickMine: ["轮到你的队伍", "选择风险分值"],
  pickMineHint: ["商量好后，", "请向主持人报出所选分值"],
  pickOther: "选择风险分值",
  pickWait: "请等待",
  pickValues: "可选分值",
  stake: "风险分值",
  tieWon: "加赛胜出",
  tieLost: "加赛落败",
  rank: (r) => `第 ${r} 名`,
  rankLabel: "名次",
  score: (s) => `${s} 分`,
  myScore: "我的得分",
  teamScore: "队伍得分",
  boardTitle: "排行榜",
  finalTitle: "比赛结束",
  finalThanks: "感谢参与！",
  paused: "比赛暂停中",
  explanation: "解析",
  thisQuestion: "本题得分",
  notInBoard: "继续加油！",
};

const app = document.getElementById("play-app");
const PIN = app.dataset.pin;
const ME = app.dataset.meName ? { name: app.dataset.meName, unit: app.dataset.meUnit, id: app.dataset.meId } : null;
const NAME_KEY = "quiz.live.name";

const el = {
  name: document.getElementById("v-name"),
  stage: document.getElementById("v-stage"),
  fatal: document.getElementById("v-fatal"),
  banner: document.getElementById("net-banner"),
  bannerText: document.getElementById("net-text"),
  score: document.getElementById("play-score"),
  joinError: document.getElementById("join-error"),
};

// What the phone knows of the game: the shared reducer's state (live_state.js), rebuilt from `state` on every
// (re)connect; the phone's own answer and buzz go through it too (local_answer, local_buzz).
let S = initialState();

let client = null;
let joining = false;
const countdown = { current: null };

// --- joining ---------------------------------------------------------------------------

function showView(name) {
  el.name.hidden = name !== "name";
  el.stage.hidden = name !== "stage";
  el.fatal.hidden = name !== "fatal";
}

function showJoinError(message) {
  el.joinError.textContent = message || "";
  el.joinError.hidden = !message;
}

function fatal(title, text) {
  showView("fatal");
  document.getElementById("fatal-title").textContent = title;
  document.getElementById("fatal-text").textContent = text;
  el.banner.hidden = true;
}

function startClient(joinMessage) {
  if (!client) {
    client = new LiveClient({ pin: PIN, role: "player", onMessage: receive, onStatus: status });
    client.joinMessage = joinMessage;
    client.start();
  } else {
    client.joinMessage = joinMessage;
    if (client.isOpen()) client.send(joinMessage);
    else client.reconnectNow();
  }
}

function joinAs(name, button) {
  showJoinError("");
  joining = true;
  markBusy(button, true, T.joining);
  startClient({ type: "join", name });
}

const nameForm = document.getElementById("name-form");
if (nameForm) {
  const input = document.getElementById("name");
  const error = document.getElementById("name-error");
  input.value = loadValue(NAME_KEY, "") || "";
  nameForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = input.value.trim();
    error.hidden = true;
    if (!name) { error.textContent = T.nameRequired; error.hidden = false; input.focus(); return; }
    if (name.length > 20) { error.textContent = T.nameTooLong; error.hidden = false; input.focus(); return; }
    saveValue(NAME_KEY, name);
    joinAs(name, document.getElementById("join-go"));
  });
}
const joinMe = document.getElementById("join-me");
if (joinMe) joinMe.addEventListener("click", () => joinAs(ME.name, joinMe));

function joinFailed(message) {
  joining = false;
  showView("name");
  markBusy(document.getElementById("join-go") || joinMe, false, T.join);
  showJoinError(message);
}

// --- connection ----------------------------------------------------------------------------

let bannerTimer = 0;
function status(kind, info = {}) {
  if (kind === "open") {
    clearTimeout(bannerTimer);
    if (!el.banner.hidden) {
      el.banner.dataset.kind = "ok";
      el.bannerText.textContent = T.backOnline;
      bannerTimer = setTimeout(() => { el.banner.hidden = true; }, 1200);
    }
    return;
  }
  if (kind === "reconnecting") {
    // A blink is not worth a banner: show it once the connection has been gone for a moment.
    clearTimeout(bannerTimer);
    el.banner.dataset.kind = "";
    el.bannerText.textContent = info.delayMs > 1500 ? T.reconnectingIn(Math.round(info.delayMs / 1000)) : T.reconnecting;
    if (info.attempt >= 1) el.banner.hidden = false;
    else bannerTimer = setTimeout(() => { if (!client.isOpen()) el.banner.hidden = false; }, 800);
    redrawSaveStatus();
    return;
  }
  if (kind === "failed") {
    if (joining && client && !client.welcomed) joinFailed(info.message || T.noGame);
    else fatal(T.noGameTitle, info.message || T.noGame);
  }
}

// --- messages: the reducer keeps the state; here only what the phone does besides drawing -------------

const teamName = (id) => nameOf(S, id);
const kind = () => kindOf(S) || "all";
const buzzKind = () => BUZZ_KINDS.includes(kind());
const turnKind = () => TURN_KINDS.includes(kind());
const onMyTeam = (teamId) => mine(S, teamId);

/** Whether this phone may answer the current question now. */
function mayAnswer() {
  if (!S.q || !S.me || !["question", "answering", "paused"].includes(S.phase)) return false;
  const k = kind();
  if (k === "all") return true;
  if (turnKind()) return S.q.player_id != null ? String(S.q.player_id) === String(S.me.id) : onMyTeam(S.q.team_id);
  if (S.q.audience_only) return S.me.team_id == null;
  return !!S.buzz && S.buzz.answering != null && onMyTeam(S.buzz.answering);
}

function mayBuzz() {
  if (!buzzKind() || !S.me || S.me.team_id == null || !S.q) return false;
  return (S.q.team_ids || []).includes(S.me.team_id);
}

/** The outbox and the state agree: an answer the server has is dropped from it, one still in it is shown. */
function syncOutbox() {
  if (!S.q) return;
  const id = S.q.question.id;
  if (S.mine && S.mine.status === "saved") { client.dropPending((p) => p.question === id); return; }
  const pending = client.pendingAnswer(id);
  if (pending && !S.mine) {
    S = reduce(S, { type: "local_answer", question: id, answer: pending.answer, id: pending.id, status: client.isOpen() ? "sending" : "queued" });
  }
}

/** The same account answered on another phone and the ack did not say what (an older server): a fresh `state` (a reconnect: the
 * snapshot carries `you.answer`) brings the answer to show under 你的答案. Once per question. */
let resyncedFor = null;
function resyncIfElsewhere() {
  if (!S.q || !S.mine || !S.mine.elsewhere || S.mine.answer != null || resyncedFor === S.q.question.id) return;
  resyncedFor = S.q.question.id;
  client.connect(true);
}

function leave(text) {
  client.forgetPlayer();
  client.stop();
  fatal(T.kickedTitle, text);
}

function receive(msg) {
  const before = S;
  S = reduce(S, msg);
  const changed = S !== before;
  switch (msg.type) {
    case "welcome":
      joining = false;
      return;
    case "resume_refused":
      S = reduce(S, { type: "local_forget" });
      showView("name");
      return;
    case "state":
      syncOutbox();
      if (!S.me) { showView("name"); return; } // a state before joining (some servers send one): wait for the name
      showView("stage");
      render(true);
      return;
    case "question":
      syncOutbox();
      vibrate(mayAnswer() ? [60, 40, 60] : 60); // a new question: the phone in a pocket or on the table says so
      render(true);
      return;
    case "ack":
      if (changed) render(false);
      resyncIfElsewhere();
      return;
    case "paused":
    case "resumed":
      if (changed) render(false);
      return;
    case "buzz_open":
      if (!changed) return;
      render(true);
      keepBuzzInView();
      if (mayBuzz() && S.buzz.mine === "idle") vibrate([40, 40, 40]);
      return;
    case "buzzed":
      if (!changed) return;
      render(true);
      keepBuzzInView();
      if (onMyTeam(msg.team_id)) vibrate(msg.foul ? [200, 80, 200] : 150);
      return;
    case "reveal":
      if (!changed) return;
      render(true);
      if (msg.you && msg.you.answered) vibrate(msg.you.correct ? [50, 40, 50] : 250);
      return;
    case "score":
      noteTurnScore(msg);
      renderScore();
      return;
    case "turn": // risk: the team on turn picks its value (the host records it); every phone says who
      if (changed) render(true);
      if (S.turn && onMyTeam(S.turn.team_id)) vibrate([60, 40, 60]);
      return;
    case "risk_pick":
    case "tiebreak":
      return; // the question follows (the screen shows these)
    case "kicked": // the host removed this player (the server also closes the socket, 4409)
      leave(T.kicked);
      return;
    case "error":
      if (msg.code === "kicked") { leave(msg.message || T.kicked); return; }
      if (joining && !client.welcomed) { joinFailed(msg.message); return; } // name_taken among them: pick another name
      if (changed) render(false); // a refused buzz: the button is back
      toast(msg.message || T.cannotJoin, "error");
      return;
    default:
      if (changed) render(true);
  }
}

// --- drawing ---------------------------------------------------------------------------------

function renderScore() {
  if (!S.me) { el.score.hidden = true; return; }
  const teamId = S.me.team_id;
  const [who, score] = teamId != null && S.teams.has(teamId)
    ? [S.teams.get(teamId).name, S.teams.get(teamId).score ?? 0] : [S.me.name || "", S.myScore];
  el.score.innerHTML = `<span class="chip-name">${escapeHtml(who)}</span><b>${escapeHtml(score)}</b><span>分</span>`;
  el.score.hidden = false;
}

let viewKey = "";

/** Draw the stage; `full` rebuilds it, otherwise only the parts that change in place are updated. */
function render(full) {
  renderScore();
  const key = currentViewKey();
  if (full || key !== viewKey) {
    viewKey = key;
    el.stage.innerHTML = stageHtml();
    el.stage.className = `stage stage-${key.split(":")[0]}`;
    bindStage();
    fitCompact();
    mendWidows();
  }
  updateLive();
}

function currentViewKey() {
  const qid = S.q ? S.q.question.id : "-";
  if (S.phase === "finished") return "final";
  if (picking()) return `pick:${S.turn.team_id}:${qid}`; // the standings come with it
  if (S.phase === "leaderboard") return `board:${qid}`;
  if (S.phase === "segment" || S.phase === "card") return `segment:${S.segment?.index}`;
  if (!S.q) return "lobby";
  if (S.phase === "revealed") return `result:${qid}`;
  const phase = S.phase === "paused" ? S.pausedFrom || "question" : S.phase; // pausing must not wipe a half-made choice
  return `question:${qid}:${phase}:${mayAnswer() ? "a" : "w"}:${S.buzz?.mine || ""}:${S.mine?.status || ""}`;
}

function stageHtml() {
  if (S.phase === "finished") return finalHtml();
  if (picking()) return pickHtml();
  if (S.phase === "leaderboard") return boardHtml(T.boardTitle);
  if (S.phase === "segment" || S.phase === "card") return segmentHtml();
  if (!S.q) return lobbyHtml();
  if (S.phase === "revealed") return resultHtml();
  return questionHtml();
}

function whoHtml() {
  if (!S.me) return "";
  const team = S.me.team_id != null ? teamName(S.me.team_id) : T.guest;
  return `<p class="who"><span class="who-name">${escapeHtml(S.me.name)}</span><span class="who-team">${escapeHtml(team)}</span></p>`;
}

function lobbyHtml() {
  return `<div class="play-card lobby">
    <div class="check-badge" aria-hidden="true">✓</div>
    <h1>${T.joinedTitle}</h1>
    ${whoHtml()}
    <p class="lobby-wait"><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>${T.waitStart}</p>
  </div>`;
}

/** Chinese text as phrases that each move to the next line whole (a line breaks only between them). */
function phrases(list) {
  return list.map((p) => `<span class="phrase">${escapeHtml(p)}</span>`).join("");
}

function segmentHtml() {
  const seg = S.segment || {};
  return `<div class="play-card segment-card">
    <p class="seg-no">${T.segmentNo(seg.index || 1)}</p>
    <h1 class="seg-kind">${escapeHtml(KIND_NAMES[seg.kind] || "")}</h1>
    ${seg.title && seg.title !== KIND_NAMES[seg.kind] ? `<p class="seg-title">${escapeHtml(seg.title)}</p>` : ""}
    ${T.segRules[seg.kind] && S.me?.team_id != null ? `<p class="seg-rule">${phrases(T.segRules[seg.kind])}</p>` : ""}
    <p class="muted">${T.watchHint}</p>
  </div>`;
}

/** Risk: a team is on turn to pick its value (the reveal before it stays until the host moves on). */
function picking() {
  return !!S.turn && S.turn.team_id != null && kind() === "risk" && S.phase !== "finished";
}

/** The pick: the team on turn sees the values it has left and is told to give its choice to the host (who records it);
 *  the others see who is choosing. The standings follow (picks go by them). */
function pickHtml() {
  const team = S.turn.team_id;
  const seg = S.segment || {};
  const head = `<p class="pick-head"><span class="q-kind">${escapeHtml(seg.title || KIND_NAMES.risk)}</span></p>`;
  const card = onMyTeam(team)
    ? `<div class="play-card pick-card mine">${head}<h1>${phrases(T.pickMine)}</h1>
        <p class="pick-label">${T.pickValues}</p>
        <ul class="pick-values">${(S.turn.values_left || []).map((v) => `<li><b>${escapeHtml(v)}</b>分</li>`).join("")}</ul>
        <p class="pick-hint">${phrases(T.pickMineHint)}</p></div>`
    : `<div class="play-card pick-card">${head}<p class="pick-wait">${T.pickWait}</p>
        <h1>${teamHtml(team)} <span class="pick-what">${T.pickOther}</span></h1><p class="muted">${T.watchHint}</p></div>`;
  const teams = S.board?.teams || [];
  return card + (teams.length
    ? `<div class="play-card board-card pick-board"><h2>队伍排名</h2><ol class="board">${boardRows(teams, S.me?.team_id, "team_id")}</ol></div>`
    : standingHtml());
}

function qHeadHtml() {
  const q = S.q;
  const seg = q.segment || S.segment || {};
  return `<div class="q-head">
    <span class="q-kind">${escapeHtml(seg.title || KIND_NAMES[seg.kind] || "")}</span>
    <span class="q-no">${T.qHead(q.index, q.count)}</span>
    <span class="q-type">${TYPE_SHORT[q.question.type] || ""} · ${T.points(q.points ?? 0)}</span>
  </div>
  <div class="timer" id="timer" role="timer" aria-label="剩余时间（秒）" hidden><div class="timer-bar" aria-hidden="true"><i id="timer-fill"></i></div><b id="timer-num"></b></div>`;
}

function optionsFor(question) {
  if (question.type === "judge") return [{ key: "true", text: T.judgeTrue }, { key: "false", text: T.judgeFalse }];
  return question.options || [];
}

function answerAreaHtml() {
  const q = S.q.question;
  const locked = !!S.mine && S.mine.status !== "refused";
  const chosen = new Set(S.mine ? (S.mine.answer || []).map(String) : []);
  const dis = locked ? " disabled" : "";
  if (q.type === "judge") {
    return `<div class="judge-pad">${optionsFor(q).map((o) => `
      <button type="button" class="judge-btn judge-${o.key}" data-value="${o.key}" aria-pressed="${chosen.has(o.key)}"${dis}>
        <span class="judge-mark" aria-hidden="true">${o.key === "true" ? "✓" : "✗"}</span><span>${o.text}</span></button>`).join("")}
    </div>`;
  }
  if (q.type === "single" || q.type === "multiple") {
    const multi = q.type === "multiple";
    return `<p class="pad-hint">${multi ? T.multiHint : T.pickHint}</p>
    <div class="answer-pad" role="${multi ? "group" : "radiogroup"}">${(q.options || []).map((o, i) => `
      <button type="button" class="answer-tile tile-${i % 8}" data-key="${escapeHtml(o.key)}" aria-pressed="${chosen.has(o.key)}"${dis}>
        <span class="tile-key">${shapeSvg(i)}<b>${escapeHtml(o.key)}</b><span class="visually-hidden">${shapeName(i)}</span></span>${optionMediaHtml(o)}<span class="tile-text">${escapeHtml(o.text)}</span>
        ${multi ? '<span class="tile-check" aria-hidden="true"></span>' : ""}</button>`).join("")}
    </div>
    ${multi && !locked ? `<button type="button" class="btn block huge submit-btn" id="submit" disabled>${T.submitMultiple(0)}</button>` : ""}`;
  }
  if (q.type === "fill") {
    const blanks = Math.max(1, q.blanks || 1);
    const mine = S.mine ? S.mine.answer || [] : [];
    return `<p class="pad-hint">${T.fillHint}</p><div class="fill-pad">${Array.from({ length: blanks }, (_, i) => `
      <label class="fill-blank"><span>${T.blank(i + 1)}</span>
      <input type="text" data-blank="${i}" maxlength="200" autocomplete="off" value="${escapeHtml(mine[i] || "")}"${dis}></label>`).join("")}
    </div>${locked ? "" : `<button type="button" class="btn block huge submit-btn" id="submit">${T.submit}</button>`}`;
  }
  const text = S.mine ? (S.mine.answer || [""])[0] : "";
  return `<textarea id="short-answer" class="short-input" maxlength="2000" placeholder="${T.shortPlaceholder}"${dis}>${escapeHtml(text)}</textarea>
    ${locked ? "" : `<button type="button" class="btn block huge submit-btn" id="submit">${T.submit}</button>`}`;
}

function buzzHtml() {
  const b = S.buzz || { mine: "idle" };
  if (!mayBuzz()) return `<p class="watch-note">${kind() === "tiebreak" ? T.tiebreakWatch : T.buzzNotTeam}</p>`;
  const states = {
    idle: [b.armed ? T.buzzOpen : T.buzzWait, "", !b.armed],
    sent: [T.buzzSent, "", true],
    won: [T.buzzWon, T.buzzWonHint, true],
    lost: [T.buzzLost(teamName(b.answering)), "", true],
    foul: [T.buzzFoul, T.buzzFoulHint, true],
    out: [T.buzzOut, "", true],
  };
  const other = b.answering != null && !onMyTeam(b.answering);
  if (other) states.lost[1] = T.buzzLostHint; // who answers now is what a team locked out needs to know
  if (b.mine === "foul" && other) states.foul = [T.buzzLost(teamName(b.answering)), T.buzzFoulLost, true];
  else if (b.mine === "foul" && b.armed) states.foul[1] = T.buzzFoulOut; // the buzzer opened without this team
  const [title, hint, disabled] = states[b.mine] || states.idle;
  return `<div class="buzz-zone buzz-${b.mine}${b.armed ? " armed" : ""}">
    <button type="button" class="buzz-btn" id="buzz"${disabled ? " disabled" : ""} aria-describedby="buzz-state">
      <span>${b.mine === "won" ? "✓" : b.mine === "foul" ? "✗" : T.buzz}</span></button>
    <p class="buzz-state" id="buzz-state"><b>${escapeHtml(title)}</b>${hint ? `<small>${escapeHtml(hint)}</small>` : ""}</p>
  </div>`;
}

/** A team's name as one piece: it moves to the next line whole rather than breaking (财政局代 / 表队). */
function teamHtml(id) {
  return `<span class="team-name">${escapeHtml(teamName(id))}</span>`;
}

/** Risk: the value the team on turn picked, on every phone (it is what the question is worth, won or lost). */
function stakeHtml() {
  return kind() === "risk" && S.q ? `<span class="stake">${T.stake} <b>${escapeHtml(S.q.points ?? 0)}</b> 分</span>` : "";
}

/** The buzzer and the line under it (抢答开始, 犯规, who answers) in sight when they change: with 大字 on a short phone
 *  a long stem pushes them below the fold. */
function keepBuzzInView() {
  const line = document.getElementById("buzz-state");
  if (!line) return;
  const below = line.getBoundingClientRect().bottom + 12 - window.innerHeight;
  if (below > 0) window.scrollBy({ top: below, behavior: "smooth" });
}

function watchHtml() {
  const q = S.q;
  if (turnKind()) {
    const mine = onMyTeam(q.team_id);
    return `<div class="turn-note${mine ? " mine" : ""}">${mine ? T.turnMine : T.turnOf(teamHtml(q.team_id))}${stakeHtml()}</div>`;
  }
  return `<p class="watch-note">${T.watch}</p>`;
}

/** Whether the team plays as one here (必答 by team, 风险, 抢答, 加赛): its answer is the team's, not one player's. */
function teamPlay() {
  if (!S.q || S.me?.team_id == null) return false;
  return turnKind() ? S.q.player_id == null : buzzKind() && !S.q.audience_only;
}

function questionHtml() {
  const q = S.q;
  const answering = mayAnswer();
  let body = "";
  if (S.phase === "closed") {
    const wasMine = kind() === "all" || mayAnswerWas() || (q.audience_only && S.me?.team_id == null);
    // Not on turn in 必答/风险: which team answered (a buzzer's team is named by its judgement).
    const other = turnKind() && !onMyTeam(q.team_id) && S.answered ? `<span>${T.closedTeam(teamHtml(q.team_id))}</span>` : "";
    body = `<div class="closed-note"><b>${T.closedTitle}</b>${other}<span>${S.mine || !wasMine ? T.closedWait : T.closedNone}</span></div>
      ${S.mine ? '<div class="save-status" id="save-status" aria-live="polite"></div>' : ""}`;
  } else if (answering) {
    let turnNote = turnKind() ? `<div class="turn-note mine">${q.player_id != null ? T.seatMine : T.turnMine}${stakeHtml()}</div>` : "";
    if (buzzKind() && !q.audience_only) turnNote = `<div class="turn-note mine">${T.buzzWon}${T.buzzWonHint}</div>`;
    const audience = q.audience_only ? `<div class="turn-note">${T.audience}</div>` : "";
    body = `${turnNote}${audience}${answerAreaHtml()}<div class="save-status" id="save-status" aria-live="polite"></div>`;
  } else if (buzzKind()) {
    body = buzzHtml();
  } else {
    body = watchHtml();
  }
  if (S.judged) body = judgedHtml() + body; // the judgement first: it is the news
  return `<div class="q-card">${qHeadHtml()}
    <h1 class="q-stem">${stemHtml(q.question)}</h1>
    ${stemMediaHtml(q.question, { av: false })}
    ${!answering && ["single", "multiple"].includes(q.question.type) ? optionListHtml(buzzKind() && S.phase !== "closed") : ""}
  </div>${body}
  <div class="paused-veil" id="paused-veil" hidden><b>${T.paused}</b></div>`;
}

const BLANK = /（\s*）|\(\s*\)|_{2,}|【\s*】/g;

/** The stem as HTML; a fill-in's blanks ("（）" is hard to see at arm's length) as wide slots, numbered as the
 *  boxes below when there are several. */
function stemHtml(question) {
  const html = escapeHtml(question.stem || "");
  if (question.type !== "fill") return html;
  const found = html.match(BLANK) || [];
  const many = found.length > 1 && found.length === Math.max(1, question.blanks || 1);
  let n = 0;
  return html.replace(BLANK, () => {
    n += 1;
    return `<span class="blank-slot">${many ? `<i>${n}</i>` : ""}<span class="visually-hidden">${many ? `（第 ${n} 空）` : "（填空）"}</span></span>`;
  });
}

function optionListHtml(compact) {
  // Beside the buzzer the options only need to be read: two to a row, so the button stays in sight.
  const short = (S.q.question.options || []).every((o) => [...(o.text || "")].length <= 8);
  return `<ul class="opt-readonly${compact && short ? " compact" : ""}${compact ? " tight" : ""}">${(S.q.question.options || []).map((o, i) => `
    <li class="tile-${i % 8}"><span class="tile-key">${shapeSvg(i)}<b>${escapeHtml(o.key)}</b></span>${optionMediaHtml(o)}<span class="opt-text">${escapeHtml(o.text)}</span></li>`).join("")}</ul>`;
}

/** Two options to a row only while each keeps to one line (a phone's width, 大字): "十九届五中全 / 会" reads worse than a
 *  longer list. Measured once drawn. */
function fitCompact() {
  el.stage.querySelectorAll(".opt-readonly.compact").forEach((list) => {
    const broken = [...list.querySelectorAll(".opt-text")].some((t) => {
      const range = document.createRange();
      range.selectNodeContents(t);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
    });
    if (broken) list.classList.remove("compact");
  });
}

/** No character alone on the last line of a stem, an option or an explanation ("社会主义现代化强 / 国"): its last two
 *  characters are then kept together. WeChat's browser (a Chrome 86 on many phones) has no `text-wrap: pretty`. */
function mendWidows() {
  el.stage.querySelectorAll(".q-stem, .opt-text, .tile-text, .explain p").forEach((box) => {
    const node = [...box.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).pop();
    const text = node ? node.textContent.replace(/\s+$/, "") : "";
    if (text.length < 3 || /\s/.test(text.slice(-2))) return;
    const top = (i) => {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      return rect ? rect.top : 0;
    };
    const n = text.length;
    if (top(n - 1) <= top(n - 2) + 2) return; // the last character shares its line
    const keep = document.createElement("span");
    keep.className = "keep";
    keep.textContent = text.slice(-2);
    node.textContent = text.slice(0, -2);
    node.after(keep);
  });
}

function judgedHtml() {
  const j = S.judged;
  const text = j.timeout ? T.judgedTimeout(j.points) : j.correct ? T.judgedRight(j.points) : T.judgedWrong(j.points);
  return `<div class="judged ${j.correct ? "ok" : "bad"}"><b class="team-name">${escapeHtml(teamName(j.team_id))}</b> ${phrases([text])}</div>`;
}

/** The phone's own answer as text; one sent from another phone of the same account, until it is known. */
function mineText() {
  return S.mine.answer == null ? T.elsewhere : answerText(S.q.question, S.mine.answer);
}

function mineHtml() {
  if (!S.mine) return "";
  return `<p class="mine-line">${teamPlay() ? T.teamAnswer : T.yourAnswer}：<b>${escapeHtml(mineText())}</b></p>`;
}

function resultHtml() {
  const q = S.q.question;
  const r = S.reveal || {};
  const you = r.you;
  let verdict;
  if (you && you.answered) {
    // A tiebreak settles places, not points: no "+0 分" there, but whether the team won or lost it.
    const pts = you.points || kind() !== "tiebreak" ? `<span class="verdict-points">${signed(you.points || 0)} 分</span>`
      : tieOutcome() ? `<span class="verdict-points">${tieOutcome()}</span>` : "";
    verdict = `<div class="verdict-big ${you.correct ? "ok" : "bad"}">
      <span class="verdict-icon" aria-hidden="true">${you.correct ? "✓" : "✗"}</span>
      <b>${you.correct ? T.right : T.wrong}</b>${pts}</div>`;
  } else if (you && !you.answered && (kind() === "all" || mayAnswerWas())) {
    verdict = `<div class="verdict-big none"><span class="verdict-icon" aria-hidden="true">–</span><b>${T.noAnswer}</b>
      ${you.points ? `<span class="verdict-points">${you.points} 分</span>` : ""}</div>`;
  } else {
    verdict = S.judged ? judgedHtml() : turnResultHtml();
  }
  const right = new Set((r.answer || []).map(String));
  const badge = teamPlay() ? T.teamChoice : T.myChoice;
  const options = ["single", "multiple"].includes(q.type) ? `<ul class="opt-readonly result">${(q.options || []).map((o, i) => {
    const mine = S.mine && (S.mine.answer || []).map(String).includes(o.key);
    return `<li class="tile-${i % 8}${right.has(o.key) ? " is-right" : " is-dim"}${mine ? " is-mine" : ""}">
      <span class="tile-key">${shapeSvg(i)}<b>${escapeHtml(o.key)}</b></span>${optionMediaHtml(o)}<span class="opt-text">${escapeHtml(o.text)}${mine ? `<em>${badge}</em>` : ""}</span></li>`;
  }).join("")}</ul>` : `<p class="right-line">${T.rightAnswer}：<b>${escapeHtml(answerText(q, r.answer))}</b></p>${mineHtml()}`;
  return `${verdict}
  <div class="q-card">${qHeadHtml()}<h2 class="q-stem small">${stemHtml(q)}</h2>
    ${stemMediaHtml(q, { av: false, sizes: "(max-width: 760px) 60vw, 420px" }).replace('class="q-media"', 'class="q-media at-result"')}${options}
    ${r.explanation ? `<div class="explain"><h3>${T.explanation}</h3><p>${escapeHtml(r.explanation)}</p></div>` : ""}
  </div>
  ${standingHtml()}`;
}

/** 加赛: whether this phone's team has won (or lost) its place, from the `tiebreak` groups. */
function tieOutcome() {
  const team = S.me?.team_id;
  const group = team == null ? null : (S.tiebreak?.groups || []).find((g) => (g.team_ids || []).includes(team));
  if (!group) return "";
  return (group.winners || []).includes(team) ? T.tieWon : (group.losers || []).includes(team) ? T.tieLost : "";
}

/** The score change of the team on turn at this reveal (a `score` message follows the reveal), for the other phones. */
let turnScore = null; // {question, team_id, delta}

function noteTurnScore(msg) {
  if (!S.q || S.phase !== "revealed" || !turnKind() || msg.team_id == null || msg.team_id !== S.q.team_id) return;
  if (!["correct", "wrong", "timeout"].includes(msg.reason) || onMyTeam(msg.team_id)) return;
  turnScore = { question: S.q.question.id, team_id: msg.team_id, delta: msg.delta };
  const points = document.getElementById("turn-points");
  if (points) points.textContent = ` ${signed(msg.delta)}`;
}

/** 必答/风险, on a phone not on turn: how the team on turn did. The reveal's `team_results` says it; from a server without
 *  them, the distribution does (one team answers: it is that team's answer) and the `score` after the reveal the points.
 *  Judged aloud, the host's judgement says it instead (`judged`). */
function turnResultHtml() {
  const q = S.q;
  const r = S.reveal || {};
  if (!turnKind() || q.team_id == null || onMyTeam(q.team_id)) return "";
  const given = (r.team_results || []).find((t) => t.team_id === q.team_id);
  let answered;
  let correct;
  let known;
  if (given) {
    ({ answered, correct } = given);
    known = given.points;
  } else {
    const dist = r.distribution || {};
    const picked = Object.keys(dist).filter((k) => dist[k] > 0).sort();
    answered = picked.length > 0;
    correct = answered && ("correct" in dist || "wrong" in dist ? dist.correct > 0
      : picked.join() === (r.answer || []).map(String).sort().join());
    known = turnScore && turnScore.question === q.question.id ? turnScore.delta : correct ? q.points : null;
  }
  const text = !answered ? T.judgedNone : correct ? T.right : T.wrong;
  const points = `<span id="turn-points">${known ? ` ${signed(known)}` : ""}</span>`;
  return `<div class="judged turn-result ${correct ? "ok" : answered ? "bad" : "none"}">${teamHtml(q.team_id)} <span class="phrase">${text}${points}</span></div>`;
}

function mayAnswerWas() {
  // In team segments a player who was not on turn has no result of their own to show.
  return turnKind() ? onMyTeam(S.q.team_id) : buzzKind() ? (S.buzz?.order || []).includes(S.me?.team_id) : false;
}

function myPlace() {
  const board = S.board;
  if (!board || !S.me) return null;
  if (S.me.team_id != null) {
    const row = (board.teams || []).find((t) => t.team_id === S.me.team_id);
    if (row) return { rank: row.rank, score: row.score, label: T.teamScore };
  }
  const row = (board.players || []).find((p) => String(p.player_id) === String(S.me.id));
  if (row) return { rank: row.rank, score: row.score, label: T.myScore };
  return null;
}

function standingHtml() {
  const place = myPlace();
  const teamId = S.me?.team_id;
  const score = teamId != null && S.teams.has(teamId) ? S.teams.get(teamId).score : S.myScore;
  const label = teamId != null && S.teams.has(teamId) ? T.teamScore : T.myScore;
  // The rank is known once a leaderboard has been shown (or when the server sends it with the result).
  const rank = place ? place.rank : S.reveal?.you?.rank;
  return `<div class="standing${rank ? "" : " one"}">
    <div><small>${label}</small><b>${escapeHtml(place ? place.score : score ?? 0)}</b></div>
    ${rank ? `<div><small>${T.rankLabel}</small><b>${escapeHtml(T.rank(rank))}</b></div>` : ""}
  </div>`;
}

function boardRows(rows, mineId, idKey) {
  return rows.slice(0, 10).map((r) => `<li class="${String(r[idKey]) === String(mineId) ? "is-me" : ""}">
    <span class="b-rank r${r.rank}">${escapeHtml(r.rank)}</span><span class="b-name">${escapeHtml(r.name)}</span>
    <span class="b-score">${escapeHtml(r.score)}</span></li>`).join("");
}

function boardHtml(title) {
  const board = S.board || { teams: [], players: [] };
  const place = myPlace();
  const teams = board.teams && board.teams.length ? `<h2>队伍排名</h2><ol class="board">${boardRows(board.teams, S.me?.team_id, "team_id")}</ol>` : "";
  const players = board.players && board.players.length ? `<h2>个人排名</h2><ol class="board">${boardRows(board.players, S.me?.id, "player_id")}</ol>` : "";
  return `<div class="play-card board-card">
    <h1>${title}</h1>
    <div class="my-place">${place ? `<b>${escapeHtml(T.rank(place.rank))}</b><span>${escapeHtml(place.label)} ${escapeHtml(place.score)} 分</span>`
      : `<b>${escapeHtml(S.myScore)} 分</b><span>${T.notInBoard}</span>`}</div>
    ${teams}${players}
  </div>`;
}

function finalHtml() {
  return boardHtml(T.finalTitle).replace('<div class="play-card board-card">',
    `<div class="play-card board-card final"><p class="final-thanks">${T.finalThanks}</p>`);
}

// --- live parts: countdown, save state, paused ---------------------------------------------------

const timer = new Countdown({ remaining: (d) => (client ? client.remaining(d) : null) }, drawTimer);
let timerTotal = 0;

function drawTimer(ms, frozen) {
  const box = document.getElementById("timer");
  if (!box) return;
  if (ms == null) { box.hidden = true; return; }
  box.hidden = false;
  if (!timerTotal || ms > timerTotal) timerTotal = Math.max(ms, 1000);
  const s = secondsLeft(ms);
  document.getElementById("timer-num").textContent = s;
  document.getElementById("timer-fill").style.transform = `scaleX(${Math.max(0, Math.min(1, ms / timerTotal))})`;
  box.classList.toggle("urgent", s <= 5 && !frozen);
  box.classList.toggle("frozen", !!frozen);
}

let timerFor = null;
function updateLive() {
  const veil = document.getElementById("paused-veil");
  if (veil) veil.hidden = S.phase !== "paused";
  if (S.phase === "paused") {
    timer.freeze(S.remaining);
  } else if (LIVE_PHASES.includes(S.phase) && S.deadline != null) {
    const key = `${S.q?.question.id}:${S.deadline}`;
    if (timerFor !== key) { timerFor = key; timerTotal = 0; }
    timer.run(S.deadline);
  } else {
    timer.stop();
    drawTimer(null);
  }
  redrawSaveStatus();
}

function redrawSaveStatus() {
  const box = document.getElementById("save-status");
  if (!box || !S.mine) { if (box) box.innerHTML = ""; return; }
  const ans = escapeHtml(mineText());
  let html;
  if (S.mine.status === "saved") {
    // Closed, the note above already says to wait for the answer.
    const wait = S.phase === "closed" ? "" : `<small>${T.savedWait}</small>`;
    html = `<div class="saved ok"><span class="saved-icon" aria-hidden="true">✓</span><div><b>${T.saved}</b><small>${teamPlay() ? T.teamAnswer : T.yourAnswer}：${ans}</small>${wait}</div></div>`;
  } else if (S.mine.status === "teammate") {
    html = `<div class="saved ok"><span class="saved-icon" aria-hidden="true">✓</span><div><b>${T.saved}</b><small>${escapeHtml(T.teammateAnswered("", answerText(S.q.question, S.mine.answer)))}</small></div></div>`;
  } else if (S.mine.status === "refused") {
    html = `<div class="saved bad"><b>${escapeHtml(T.refused[S.mine.reason] || T.refused.closed)}</b></div>`;
  } else if (client && !client.isOpen()) {
    html = `<div class="saved wait"><span class="spinner" aria-hidden="true"></span><div><b>${T.yourAnswer}：${ans}</b><small>${T.notSent}</small></div></div>`;
  } else {
    html = `<div class="saved wait"><span class="spinner" aria-hidden="true"></span><b>${T.sending}</b></div>`;
  }
  box.innerHTML = html;
}

// --- input ---------------------------------------------------------------------------------------

function submit(answer) {
  if (!S.q || !mayAnswer() || (S.mine && S.mine.status !== "refused")) return;
  if (S.mine && S.mine.status === "refused") client.dropPending((p) => p.question === S.q.question.id);
  const sent = client.sendAnswer(S.q.question.id, answer);
  S = reduce(S, { type: "local_answer", question: S.q.question.id, answer, id: sent.id, status: "sending" });
  render(true);
}

function bindStage() {
  const stage = el.stage;
  const q = S.q?.question;
  stage.querySelectorAll(".judge-btn").forEach((b) => b.addEventListener("click", () => submit([b.dataset.value === "true"])));
  stage.querySelectorAll(".answer-tile").forEach((b) => b.addEventListener("click", () => {
    if (q.type === "single") { submit([b.dataset.key]); return; }
    b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true");
    const n = stage.querySelectorAll(".answer-tile[aria-pressed=true]").length;
    const go = document.getElementById("submit");
    go.disabled = n === 0;
    go.textContent = T.submitMultiple(n);
  }));
  const go = document.getElementById("submit");
  if (go && q) {
    go.addEventListener("click", () => {
      if (q.type === "multiple") {
        const keys = [...stage.querySelectorAll(".answer-tile[aria-pressed=true]")].map((b) => b.dataset.key);
        if (keys.length) submit(keys);
      } else if (q.type === "fill") {
        const inputs = [...stage.querySelectorAll("[data-blank]")];
        const values = inputs.map((i) => i.value.trim());
        const empty = inputs.find((i) => !i.value.trim());
        if (empty) { empty.focus(); toast("请填写每一个空", "error"); return; }
        submit(values);
      } else {
        const text = document.getElementById("short-answer").value.trim();
        if (!text) { toast("请先输入回答", "error"); return; }
        submit([text]);
      }
    });
  }
  const buzz = document.getElementById("buzz");
  if (buzz) {
    // pointerdown, not click: a buzz is decided in milliseconds, and click waits for the finger to lift.
    const press = (event) => {
      event.preventDefault();
      if (buzz.disabled || !S.buzz || S.buzz.mine !== "idle") return;
      if (client.send({ type: "buzz", question: S.q.question.id })) {
        S = reduce(S, { type: "local_buzz" });
        vibrate(30);
        render(false);
      }
    };
    buzz.addEventListener("pointerdown", press);
    if (!window.PointerEvent) { // older in-app browsers: touch first, the mouse for the rest
      buzz.addEventListener("touchstart", press, { passive: false });
      buzz.addEventListener("mousedown", press);
    }
    buzz.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") press(e); });
  }
}

// --- start ---------------------------------------------------------------------------------------

if (PIN) {
  if (loadValue(resumeKey(PIN))) {
    // Back on a game this phone already joined (a reload, a dropped network): no name needed.
    showView("stage");
    el.stage.innerHTML = `<div class="play-card lobby"><span class="spinner big" aria-hidden="true"></span><p>${T.connecting}</p></div>`;
    startClient(null);
  } else {
    showView("name");
  }
}
