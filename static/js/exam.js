// Taking a discipline test on a phone. The server is the clock and the judge: the countdown runs on
// the server's time (deadline_ms and now_ms from the attempt), every answer is saved as it is given
// (PUT, one question at a time, the newest value wins), answers not yet saved are kept in
// localStorage and sent again after a reload or when the network comes back, and a reload resumes
// the open attempt (POST attempts again returns it with the saved answers).
import { answerLong, api, escapeHtml, toast, TYPE_NAMES } from "./common.js";
import { optionMediaHtml, stemMediaHtml } from "./media.js";

const $ = (id) => document.getElementById(id);
const EXAM_ID = Number($("exam-app").dataset.examId);
const CHOICE = new Set(["single", "multiple"]);
const RETRY_MS = 4000;
const TEXT_DELAY_MS = 700;

const state = {
  exam: null,
  attempt: null,
  offset: 0, // server clock minus this phone's clock
  index: 0,
  answers: {}, // question id -> the answer as last given (null: none)
  dirty: new Map(), // question id -> answer not yet confirmed by the server
  inflight: new Set(),
  failing: false,
  submitting: false,
  done: false,
  ticker: null,
  retryTimer: null,
  textTimers: new Map(),
};

// --- helpers ------------------------------------------------------------------------------

function textHtml(text) {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

function isBlank(answer) {
  if (answer === null || answer === undefined) return true;
  if (typeof answer === "string") return !answer.trim();
  if (Array.isArray(answer)) return answer.every(isBlank);
  return false;
}

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

function elapsedText(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  return `${m} 分 ${String(total % 60).padStart(2, "0")} 秒`;
}

function serverNow() {
  return Date.now() + state.offset;
}

function showFailure(box, error, retry) {
  box.innerHTML = `<div class="alert error" role="alert"><span>${escapeHtml(error.message || error)}</span>${
    retry ? '<button type="button" class="btn small secondary">重试</button>' : ""}</div>`;
  if (retry) box.querySelector("button").addEventListener("click", () => { box.innerHTML = ""; retry(); });
}

function show(view) {
  for (const id of ["intro-view", "paper-view", "result-view"]) $(id).hidden = id !== view;
  window.scrollTo(0, 0);
}

function unsavedKey() {
  return `quiz.exam.attempt.${state.attempt.id}.unsaved`;
}

function persistUnsaved() {
  try {
    if (state.dirty.size) localStorage.setItem(unsavedKey(), JSON.stringify(Object.fromEntries(state.dirty)));
    else localStorage.removeItem(unsavedKey());
  } catch { /* private mode: the in-memory queue still retries */ }
}

function loadUnsaved() {
  try { return JSON.parse(localStorage.getItem(unsavedKey()) || "{}") || {}; } catch { return {}; }
}

/** An answer as a person reads it (for the review). */
function formatAnswer(item, answer) {
  return isBlank(answer) ? "（未作答）" : answerLong(item, Array.isArray(answer) ? answer : [answer], "（未作答）");
}

// --- start or resume ------------------------------------------------------------------------

async function init() {
  const button = $("start");
  $("intro-error").innerHTML = "";
  try {
    state.exam = await api("GET", `/api/exams/${EXAM_ID}`);
  } catch (error) {
    button.textContent = "加载失败";
    showFailure($("intro-error"), error, init);
    return;
  }
  const { my } = state.exam;
  if (my.open_attempt_id) {
    await begin();
    return;
  }
  if (!my.can_start && my.best) {
    await showAttemptResult(my.best.attempt_id);
    return;
  }
  renderIntro();
}

function renderIntro() {
  const { my } = state.exam;
  const button = $("start");
  const status = $("intro-status");
  show("intro-view");
  status.innerHTML = "";
  if (my.best) {
    status.innerHTML = `<p>上次得分 <strong>${my.best.score}</strong> 分${my.best.final ? "" : "（简答题待阅卷）"}，还可作答 ${my.attempts_left} 次。</p>`;
  }
  if (my.can_start) {
    button.disabled = false;
    button.textContent = my.attempts_used ? "再考一次" : "开始答题";
  } else {
    button.disabled = true;
    if (state.exam.state === "upcoming") button.textContent = "尚未开始";
    else if (state.exam.state === "closed") button.textContent = "测试已结束";
    else button.textContent = "作答次数已用完";
  }
}

async function begin() {
  const button = $("start");
  button.disabled = true;
  button.textContent = "正在准备试卷…";
  $("intro-error").innerHTML = "";
  try {
    const sent = Date.now();
    const data = await api("POST", `/api/exams/${EXAM_ID}/attempts`);
    enterPaper(data, sent);
  } catch (error) {
    show("intro-view");
    renderIntro();
    const retry = error.status === 0 || error.status >= 500 ? begin : null;
    showFailure($("intro-error"), error, retry);
  }
}

function enterPaper(data, sentAt) {
  state.attempt = data;
  // The server's clock at the middle of the round trip, against this phone's clock.
  state.offset = data.now_ms - Math.round((sentAt + Date.now()) / 2);
  state.answers = {};
  for (const q of data.questions) state.answers[q.id] = data.answers[String(q.id)] ?? null;
  if (data.status !== "open") {
    showResult(data.result);
    return;
  }
  state.done = false;
  state.submitting = false;
  state.dirty = new Map();
  const unsaved = loadUnsaved();
  for (const [qid, answer] of Object.entries(unsaved)) {
    if (qid in state.answers) {
      state.answers[qid] = answer;
      state.dirty.set(Number(qid), answer);
    }
  }
  const firstOpen = data.questions.findIndex((q) => isBlank(state.answers[q.id]));
  state.index = firstOpen >= 0 ? firstOpen : 0;
  show("paper-view");
  renderNavigator();
  renderQuestion();
  renderSaveStatus();
  tick();
  clearInterval(state.ticker);
  state.ticker = setInterval(tick, 250);
  for (const qid of state.dirty.keys()) pump(qid);
  if (state.dirty.size) toast("正在补交上次未保存的答案…");
}

// --- one question ----------------------------------------------------------------------------

function currentQuestion() {
  return state.attempt.questions[state.index];
}

function renderQuestion() {
  const q = currentQuestion();
  const answer = state.answers[q.id];
  const total = state.attempt.questions.length;
  let body;
  let hint = "";
  if (CHOICE.has(q.type)) {
    const chosen = new Set(Array.isArray(answer) ? answer : []);
    hint = q.type === "multiple" ? "可选多项" : "选择一项";
    body = `<div class="options" role="group" aria-label="选项">${q.options.map((o) =>
      `<button type="button" class="option" data-key="${escapeHtml(o.key)}" aria-pressed="${chosen.has(o.key)}">` +
      `<span class="opt-key">${escapeHtml(o.key)}</span>${optionMediaHtml(o)}<span class="opt-text">${textHtml(o.text)}</span></button>`).join("")}</div>`;
  } else if (q.type === "judge") {
    const value = Array.isArray(answer) ? answer[0] : null;
    body = `<div class="options judge" role="group" aria-label="判断">
      <button type="button" class="option" data-value="true" aria-pressed="${value === true}"><span class="opt-key">✓</span><span class="opt-text">正确</span></button>
      <button type="button" class="option" data-value="false" aria-pressed="${value === false}"><span class="opt-key">✗</span><span class="opt-text">错误</span></button>
    </div>`;
  } else if (q.type === "fill") {
    const n = q.blanks || 1;
    const values = Array.isArray(answer) ? answer : [];
    hint = n > 1 ? `共 ${n} 个空，依次填写` : "填写答案";
    body = `<div class="blanks">${Array.from({ length: n }, (_, i) =>
      `<label class="blank"><span>${n > 1 ? `第 ${i + 1} 空` : "答案"}</span>` +
      `<input type="text" class="blank-input" autocomplete="off" enterkeyhint="done" value="${escapeHtml(values[i] ?? "")}"></label>`).join("")}</div>`;
  } else {
    hint = "简答题由阅卷人评分";
    body = '<label class="visually-hidden" for="short-answer">你的回答</label>' +
      `<textarea id="short-answer" class="short-input" rows="6" placeholder="写下你的回答">${escapeHtml(answer ?? "")}</textarea>`;
  }
  $("question").innerHTML = `
    <div class="q-meta"><span class="q-number">第 ${state.index + 1} / ${total} 题</span>
      <span class="badge">${TYPE_NAMES[q.type] || ""}</span><span class="muted">${q.points} 分</span></div>
    <h2 class="stem">${textHtml(q.stem)}</h2>
    ${stemMediaHtml(q)}
    ${hint ? `<p class="hint">${hint}</p>` : ""}
    ${body}`;
  $("prev").disabled = state.index === 0;
  $("next").textContent = state.index === total - 1 ? "检查并交卷" : "下一题";
  renderNavigator();
}

function setAnswer(qid, answer, { now = true } = {}) {
  state.answers[qid] = isBlank(answer) ? null : answer;
  state.dirty.set(qid, state.answers[qid]);
  persistUnsaved();
  renderNavigator();
  renderSaveStatus();
  clearTimeout(state.textTimers.get(qid));
  if (now) pump(qid);
  else state.textTimers.set(qid, setTimeout(() => pump(qid), TEXT_DELAY_MS));
}

function pick(button) {
  const q = currentQuestion();
  if (q.type === "judge") {
    setAnswer(q.id, [button.dataset.value === "true"]);
  } else {
    const key = button.dataset.key;
    const chosen = new Set(Array.isArray(state.answers[q.id]) ? state.answers[q.id] : []);
    if (q.type === "multiple") {
      if (chosen.has(key)) chosen.delete(key);
      else chosen.add(key);
    } else {
      chosen.clear();
      chosen.add(key);
    }
    setAnswer(q.id, [...chosen].sort());
  }
  document.querySelectorAll("#question .option").forEach((b) => {
    const value = b.dataset.key ?? b.dataset.value;
    const answer = state.answers[q.id] || [];
    b.setAttribute("aria-pressed", String(answer.map(String).includes(value)));
  });
}

function typed(final) {
  const q = currentQuestion();
  let answer;
  if (q.type === "fill") answer = [...document.querySelectorAll("#question .blank-input")].map((i) => i.value);
  else answer = $("short-answer").value;
  setAnswer(q.id, answer, { now: final });
}

function go(index) {
  const total = state.attempt.questions.length;
  if (index < 0 || index >= total) return;
  state.index = index;
  renderQuestion();
  window.scrollTo(0, 0);
}

// --- saving ----------------------------------------------------------------------------------

async function pump(qid) {
  if (state.done || state.submitting || state.inflight.has(qid) || !state.dirty.has(qid)) return;
  clearTimeout(state.textTimers.get(qid));
  const value = state.dirty.get(qid);
  state.inflight.add(qid);
  renderSaveStatus();
  try {
    await api("PUT", `/api/attempts/${state.attempt.id}/answers/${qid}`, { answer: value });
    if (state.dirty.get(qid) === value) state.dirty.delete(qid);
    persistUnsaved();
    if (state.failing) {
      // The network is back: send whatever else is waiting.
      state.failing = false;
      for (const other of state.dirty.keys()) if (other !== qid) setTimeout(() => pump(other), 0);
    }
  } catch (error) {
    if (error.status === 409) {
      state.dirty.delete(qid);
      persistUnsaved();
      finish(error.code === "deadline_passed" ? "答题时间已到，系统已自动交卷" : "试卷已提交");
      return;
    }
    if (error.status === 422 || error.status === 404) {
      state.dirty.delete(qid);
      persistUnsaved();
      toast(error.message, "error");
    } else {
      state.failing = true;
      scheduleRetry();
    }
  } finally {
    state.inflight.delete(qid);
    renderNavigator();
    renderSaveStatus();
  }
  if (state.dirty.has(qid) && !state.failing) pump(qid);
}

function scheduleRetry() {
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(retryAll, RETRY_MS);
}

function retryAll() {
  // "failing" stays set until a save gets through, so the notice stays up while retrying.
  clearTimeout(state.retryTimer);
  for (const qid of [...state.dirty.keys()]) pump(qid);
}

function renderSaveStatus() {
  if (!state.attempt) return;
  const box = $("save-status");
  const waiting = state.dirty.size;
  if (state.failing && waiting) {
    box.textContent = `${waiting} 题未保存`;
    box.dataset.kind = "error";
    $("save-alert").hidden = false;
    $("save-alert-text").textContent = state.inflight.size ? `正在重新保存 ${waiting} 题答案…`
      : `网络异常，${waiting} 题答案尚未保存，将自动重试`;
  } else if (waiting) {
    box.textContent = "保存中…";
    box.dataset.kind = "busy";
    $("save-alert").hidden = true;
  } else {
    box.textContent = "✓ 已保存";
    box.dataset.kind = "ok";
    $("save-alert").hidden = true;
  }
}

/** Wait until every answer is saved (true) or a save failed (false). */
async function flush(timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  retryAll();
  while (state.dirty.size && Date.now() < until) {
    if (state.failing && !state.inflight.size) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return state.dirty.size === 0;
}

// --- navigator and countdown ------------------------------------------------------------------

function renderNavigator() {
  if (!state.attempt) return;
  const qs = state.attempt.questions;
  const answered = qs.filter((q) => !isBlank(state.answers[q.id])).length;
  $("answered-count").textContent = `已答 ${answered} / ${qs.length}`;
  $("navigator-legend").textContent = `已答 ${answered}，未答 ${qs.length - answered}`;
  $("navigator").innerHTML = qs.map((q, i) => {
    const classes = ["nav-item"];
    if (!isBlank(state.answers[q.id])) classes.push("answered");
    if (state.dirty.has(q.id)) classes.push("unsaved");
    if (i === state.index) classes.push("current");
    const label = `第 ${i + 1} 题${isBlank(state.answers[q.id]) ? "，未答" : "，已答"}`;
    return `<button type="button" role="listitem" class="${classes.join(" ")}" data-index="${i}" aria-label="${label}"` +
      `${i === state.index ? ' aria-current="true"' : ""}>${i + 1}</button>`;
  }).join("");
}

function tick() {
  if (!state.attempt || state.done || state.submitting) return;
  const left = state.attempt.deadline_ms - serverNow();
  const box = $("countdown");
  box.textContent = clock(left);
  box.classList.toggle("warn", left <= 5 * 60 * 1000);
  box.classList.toggle("danger", left <= 60 * 1000);
  if (left <= 0) finish("答题时间已到，系统已自动交卷");
}

// --- submitting -------------------------------------------------------------------------------

function openConfirm() {
  const qs = state.attempt.questions;
  const open = qs.filter((q) => !isBlank(state.answers[q.id])).length;
  const missing = qs.length - open;
  let text = missing ? `还有 <strong>${missing}</strong> 题未作答。` : "所有题目均已作答。";
  if (state.dirty.size) text += `<br>${state.dirty.size} 题答案正在保存，交卷前会先保存。`;
  text += "<br>交卷后不能再修改答案。";
  $("confirm-text").innerHTML = text;
  $("confirm").hidden = false;
  $("confirm-submit").focus();
}

async function confirmSubmit() {
  const button = $("confirm-submit");
  button.disabled = true;
  button.textContent = "正在交卷…";
  try {
    const saved = await flush();
    if (!saved && !state.done) {
      $("confirm-text").innerHTML = `<span class="error-text">有 ${state.dirty.size} 题答案因网络问题未能保存。</span><br>请检查网络后再点“确认交卷”。`;
      return;
    }
    await submitNow();
  } finally {
    button.disabled = false;
    button.textContent = "确认交卷";
  }
}

async function submitNow(note) {
  if (!state.attempt || state.submitting || state.done) return;
  state.submitting = true;
  clearInterval(state.ticker);
  try {
    for (let round = 0; round < 30; round += 1) {
      try {
        const result = await api("POST", `/api/attempts/${state.attempt.id}/submit`);
        state.dirty.clear();
        persistUnsaved();
        showResult(result, note);
        return;
      } catch (error) {
        if (error.status && error.status < 500) {
          toast(error.message, "error");
          break;
        }
        toast("网络异常，正在重试交卷…", "error");
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  } finally {
    state.submitting = false;
  }
  // Not submitted (no network for a minute): the server submits at the deadline anyway.
  if (!state.done) {
    toast("交卷失败，请检查网络后重试；到时系统也会自动交卷", "error");
    clearInterval(state.ticker);
    state.ticker = setInterval(tick, 250);
  }
}

function finish(note) {
  if (state.submitting || state.done) return;
  $("countdown").textContent = "00:00";
  submitNow(note);
}

async function showAttemptResult(attemptId) {
  try {
    const data = await api("GET", `/api/attempts/${attemptId}`);
    state.attempt = data;
    if (data.status === "open") enterPaper(data, Date.now());
    else showResult(data.result);
  } catch (error) {
    show("intro-view");
    showFailure($("intro-error"), error, () => showAttemptResult(attemptId));
  }
}

function showResult(result, note) {
  state.done = true;
  clearInterval(state.ticker);
  show("result-view");
  $("confirm").hidden = true;
  const ratio = result.max_score ? result.score / result.max_score : 0;
  $("result-score").textContent = String(result.score);
  $("result-max").textContent = `满分 ${result.max_score}`;
  const ring = $("result-ring");
  ring.style.setProperty("--p", String(Math.round(ratio * 100)));
  const verdict = $("result-verdict");
  if (!result.final) {
    ring.className = "score-ring fair";
    verdict.innerHTML = '<span class="verdict neutral">简答题待阅卷</span>';
  } else if (result.passed) {
    ring.className = "score-ring";
    verdict.innerHTML = '<span class="verdict ok">✓ 及格</span>';
  } else {
    ring.className = "score-ring poor";
    verdict.innerHTML = `<span class="verdict bad">未及格</span> <span class="muted">（${result.pass_score} 分及格）</span>`;
  }
  const parts = [`共 ${result.total} 题，作答 ${result.answered} 题，答对 ${result.correct} 题`,
    `用时 ${elapsedText(result.elapsed_ms)}`];
  if (result.pending) parts.push(`${result.pending} 道简答题待阅卷，当前为客观题得分`);
  if (note || result.submitted_by === "auto") parts.unshift(note || "答题时间已到，系统已自动交卷");
  $("result-text").textContent = `${parts.join("；")}。`;
  renderReview(result);
  refreshAgain();
}

async function refreshAgain() {
  try {
    const exam = await api("GET", `/api/exams/${EXAM_ID}`);
    state.exam = exam;
    $("again").hidden = !exam.my.can_start;
  } catch { /* the button stays hidden */ }
}

const STATUS_NAMES = { correct: "正确", wrong: "错误", partial: "部分正确", unanswered: "未作答", pending: "待阅卷" };

function renderReview(result) {
  const box = $("review");
  const review = result.review || {};
  if (!review.allowed) {
    let text = "本测试不公布答案。";
    if (review.mode === "after_close") text = `测试结束后（${(review.available_at || "").replace("T", " ").slice(0, 16)}）可查看答案与解析。`;
    box.innerHTML = `<div class="card muted center">${escapeHtml(text)}</div>`;
    return;
  }
  box.innerHTML = `<h2 class="review-title">答题详情</h2>${result.details.map((d) => {
    const mine = new Set((d.your_answer || []).map(String));
    const right = new Set((d.answer || []).map(String));
    let options = "";
    if (CHOICE.has(d.type)) {
      options = `<ul class="opt-list">${d.options.map((o) => {
        const cls = right.has(o.key) ? "is-right" : (mine.has(o.key) ? "is-mine" : "");
        return `<li class="${cls}"><b>${escapeHtml(o.key)}</b>．${optionMediaHtml(o)}${textHtml(o.text)}${mine.has(o.key) ? ' <span class="mine-mark">（你的选择）</span>' : ""}</li>`;
      }).join("")}</ul>`;
    }
    const label = d.type === "short" ? "参考答案" : "正确答案";
    return `<article class="card review-item status-${d.status}">
      <div class="q-meta"><span class="q-number">第 ${d.index} 题</span><span class="badge">${TYPE_NAMES[d.type] || ""}</span>
        <span class="review-status">${STATUS_NAMES[d.status] || ""}</span><span class="muted">${d.score} / ${d.points} 分</span></div>
      <p class="stem small">${textHtml(d.stem)}</p>
      ${stemMediaHtml(d)}
      ${options}
      <p class="mine${d.status === "correct" ? " is-right" : d.status === "partial" || d.status === "pending" ? " is-neutral" : ""}"><span class="label">你的答案</span>${textHtml(formatAnswer(d, d.your_answer))}</p>
      <p class="right-answer"><span class="label">${label}</span>${textHtml(formatAnswer(d, d.answer))}</p>
      ${d.comment ? `<p><span class="label">阅卷意见</span>${textHtml(d.comment)}</p>` : ""}
      ${d.explanation ? `<div class="explain"><h3>解析</h3><p>${textHtml(d.explanation)}</p></div>` : ""}
    </article>`;
  }).join("")}`;
}

// --- events ------------------------------------------------------------------------------------

$("start").addEventListener("click", begin);
$("again").addEventListener("click", () => { state.attempt = null; begin(); });
$("question").addEventListener("click", (event) => {
  const button = event.target.closest(".option");
  if (button) pick(button);
});
$("question").addEventListener("input", (event) => {
  if (event.target.matches(".blank-input, #short-answer")) typed(false);
});
$("question").addEventListener("change", (event) => {
  if (event.target.matches(".blank-input, #short-answer")) typed(true);
});
$("prev").addEventListener("click", () => go(state.index - 1));
$("next").addEventListener("click", () => {
  if (state.index === state.attempt.questions.length - 1) openConfirm();
  else go(state.index + 1);
});
$("navigator").addEventListener("click", (event) => {
  const item = event.target.closest(".nav-item");
  if (item) go(Number(item.dataset.index));
});
$("open-submit").addEventListener("click", openConfirm);
$("confirm-submit").addEventListener("click", confirmSubmit);
$("confirm-cancel").addEventListener("click", () => { $("confirm").hidden = true; });
$("retry-save").addEventListener("click", retryAll);
window.addEventListener("online", retryAll);
// 切屏 is leaving the page, not reloading it (the intro says reloading is safe). A reload hides the page
// too, but `pagehide` comes first: a hidden page is reported only if it is still alive a moment later, or
// when it comes back (a phone freezes timers of a page in the background).
let leaving = false;
let hiddenReport = 0;
let hiddenUnsent = false;
function reportHidden() {
  clearTimeout(hiddenReport);
  if (!hiddenUnsent || leaving || !state.attempt) return;
  hiddenUnsent = false;
  fetch(`/api/attempts/${state.attempt.id}/events`, {
    method: "POST", credentials: "same-origin", keepalive: true,
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ type: "hidden" }),
  }).catch(() => {});
}
window.addEventListener("pagehide", () => { leaving = true; clearTimeout(hiddenReport); });
window.addEventListener("pageshow", () => { leaving = false; });
document.addEventListener("visibilitychange", () => {
  if (!state.attempt || state.done || state.attempt.status !== "open") return;
  if (document.visibilityState === "hidden") {
    if (leaving) return;
    hiddenUnsent = true;
    hiddenReport = setTimeout(reportHidden, 1000);
  } else {
    reportHidden();
    tick();
    retryAll();
  }
});
window.addEventListener("beforeunload", (event) => {
  if (state.attempt && !state.done && state.dirty.size) {
    event.preventDefault();
    event.returnValue = "";
  }
});

init();
