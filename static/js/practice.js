// Practice page: choose a bank, tags, mode and count; answer one question at a time with instant
// feedback; the wrong-answer book and personal statistics. Questions come from the practice API
// without their answers: the answer and the explanation only arrive in the reply to an answer.
import { answerLong, api, escapeHtml, toast, TYPE_NAMES } from "./common.js";
import { optionMediaHtml, stemMediaHtml } from "./media.js";

const $ = (id) => document.getElementById(id);
const STORE_BANK = "quiz.practice.bank";
const STORE_SESSION = "quiz.practice.session";
const BLANK = /（\s*）|\(\s*\)|_{2,}|【\s*】/g;
const CHOICE = new Set(["single", "multiple"]);

const state = {
  banks: [],
  bankId: null,
  tags: new Set(),
  mode: "sequential",
  count: 10,
  practiceId: null,
  question: null,
  selection: new Set(),
  answered: false,
  next: null,
  progress: { done: 0, correct: 0, total: 0 },
  ungraded: 0,
  tab: "practice",
};

// --- small helpers ---------------------------------------------------------------

function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch { /* private mode: nothing to keep */ }
}

function load(key) {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
}

/** Show an error in ``box``, with a 重试 button when ``retry`` is given. */
function showFailure(box, error, retry) {
  box.innerHTML = `<div class="alert error" role="alert"><span>${escapeHtml(error.message || error)}</span>${
    retry ? '<button type="button" class="btn small secondary">重试</button>' : ""}</div>`;
  if (retry) {
    box.querySelector("button").addEventListener("click", () => { box.innerHTML = ""; retry(); });
  }
}

/** Run ``work`` with ``button`` disabled (and relabelled) while the request is in flight. */
async function busy(button, label, work) {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (label) button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (label) button.textContent = before;
  }
}

function percent(rate) {
  return `${Math.round((rate || 0) * 100)}%`;
}

function rateClass(rate) {
  if (rate >= 0.8) return "good";
  if (rate >= 0.6) return "fair";
  return "poor";
}

function textHtml(text) {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

function blankCount(stem) {
  return Math.max(1, (String(stem).match(BLANK) || []).length);
}

/** The right answer (or a given one) as a person reads it. */
export function formatAnswer(question, answer) { return answerLong(question, answer); }

function setSegment(group, value) {
  group.querySelectorAll("[role=radio]").forEach((b) => {
    const on = b.dataset.value === String(value);
    b.setAttribute("aria-checked", String(on));
    b.tabIndex = on ? 0 : -1;
  });
}

function show(view) {
  for (const id of ["setup-view", "quiz-view", "summary-view"]) $(id).hidden = id !== view;
  window.scrollTo(0, 0);
}

// --- banks and tags --------------------------------------------------------------

async function loadBanks() {
  const select = $("bank");
  $("bank-error").innerHTML = "";
  try {
    const data = await api("GET", "/api/banks?limit=500");
    state.banks = data.items || [];
  } catch (error) {
    select.innerHTML = "<option>加载失败</option>";
    showFailure($("bank-error"), error, loadBanks);
    return;
  }
  if (state.banks.length === 0) {
    select.innerHTML = "<option>暂无题库</option>";
    $("tags").innerHTML = '<span class="muted">还没有题库，请联系组织者导入题目。</span>';
    return;
  }
  select.innerHTML = state.banks.map((b) =>
    `<option value="${b.id}">${escapeHtml(b.name)}（${b.question_count} 题）</option>`).join("");
  const saved = load(STORE_BANK);
  const chosen = state.banks.find((b) => b.id === saved) || state.banks[0];
  select.value = String(chosen.id);
  select.disabled = false;
  await chooseBank(chosen.id);
}

async function chooseBank(bankId) {
  state.bankId = bankId;
  state.tags.clear();
  store(STORE_BANK, bankId);
  $("start").disabled = false;
  const box = $("tags");
  box.innerHTML = '<span class="muted">正在加载专题…</span>';
  try {
    const bank = await api("GET", `/api/banks/${bankId}`);
    if (state.bankId !== bankId) return;
    renderTags(bank.counts_by_tag || {}, bank.question_count);
  } catch (error) {
    showFailure(box, error, () => chooseBank(bankId));
  }
  if (state.tab === "wrong") loadWrongBook();
  if (state.tab === "stats") loadStats();
}

function renderTags(counts, total) {
  const box = $("tags");
  const entries = Object.entries(counts);
  const chip = (tag, count, pressed) =>
    `<button type="button" class="chip" data-tag="${escapeHtml(tag)}" aria-pressed="${pressed}">` +
    `${escapeHtml(tag)}<span class="chip-count">${count}</span></button>`;
  box.innerHTML = `<button type="button" class="chip" data-all aria-pressed="true">全部<span class="chip-count">${total}</span></button>` +
    entries.map(([tag, count]) => chip(tag, count, false)).join("");
}

function toggleTag(button) {
  const box = $("tags");
  if (button.hasAttribute("data-all")) {
    state.tags.clear();
  } else {
    const tag = button.dataset.tag;
    if (state.tags.has(tag)) state.tags.delete(tag);
    else state.tags.add(tag);
  }
  box.querySelectorAll(".chip").forEach((chip) => {
    const on = chip.hasAttribute("data-all") ? state.tags.size === 0 : state.tags.has(chip.dataset.tag);
    chip.setAttribute("aria-pressed", String(on));
  });
}

// --- a practice session -----------------------------------------------------------

async function start(mode = state.mode, count = state.count) {
  if (!state.bankId) return;
  const box = $("start-error");
  box.innerHTML = "";
  await busy($("start"), "正在出题…", async () => {
    try {
      const body = { bank_id: state.bankId, mode, tags: [...state.tags], count };
      const data = await api("POST", "/api/practice", body);
      beginSession(data);
    } catch (error) {
      if (error.code === "practice_empty" && mode === "wrong_book") {
        showFailure(box, "这个题库的错题本是空的，换个方式练习吧。");
      } else if (error.code === "practice_empty") {
        showFailure(box, "没有符合条件的题目，请换个专题试试。");
      } else {
        showFailure(box, error, error.status === 0 ? () => start(mode, count) : null);
      }
    }
  });
}

function beginSession(data) {
  state.practiceId = data.id;
  state.progress = data.progress || { done: 0, correct: 0, total: data.total };
  state.ungraded = 0;
  store(STORE_SESSION, { id: data.id, bankId: state.bankId });
  $("resume-card").hidden = true;
  show("quiz-view");
  if (data.question) renderQuestion(data.question);
  else finish();
}

function renderProgress() {
  const { done, correct, total } = state.progress;
  const current = state.answered ? done : Math.min(done + 1, total);
  $("progress-text").innerHTML =
    `第 <strong>${current}</strong> / ${total} 题 · 答对 <strong class="ok-text">${correct}</strong>`;
  $("progress-bar").style.width = `${total ? (done / total) * 100 : 0}%`;
}

function renderQuestion(question) {
  state.question = question;
  state.selection = new Set();
  state.answered = false;
  state.next = null;
  const tags = (question.tags || []).map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join("");
  let body = "";
  let hint = "";
  if (CHOICE.has(question.type)) {
    hint = question.type === "multiple" ? "可选多项，选好后点提交" : "选择一项后点提交";
    body = `<div class="options" role="group" aria-label="选项">${(question.options || []).map((o) =>
      `<button type="button" class="option" data-key="${escapeHtml(o.key)}" aria-pressed="false">` +
      `<span class="opt-key">${escapeHtml(o.key)}</span>${optionMediaHtml(o)}<span class="opt-text">${textHtml(o.text)}</span></button>`).join("")}</div>`;
  } else if (question.type === "judge") {
    hint = "判断对错后点提交";
    body = `<div class="options judge" role="group" aria-label="判断">
      <button type="button" class="option" data-value="true" aria-pressed="false"><span class="opt-key">✓</span><span class="opt-text">正确</span></button>
      <button type="button" class="option" data-value="false" aria-pressed="false"><span class="opt-key">✗</span><span class="opt-text">错误</span></button>
    </div>`;
  } else if (question.type === "fill") {
    const n = blankCount(question.stem);
    hint = n > 1 ? `共 ${n} 个空，依次填写` : "填写答案后点提交";
    body = `<div class="blanks">${Array.from({ length: n }, (_, i) =>
      `<label class="blank"><span>${n > 1 ? `第 ${i + 1} 空` : "答案"}</span>` +
      `<input type="text" class="blank-input" autocomplete="off" enterkeyhint="done"></label>`).join("")}</div>`;
  } else {
    hint = "简答题不自动判分，提交后可对照参考答案";
    body = '<label class="visually-hidden" for="short-answer">你的回答</label>' +
      '<textarea id="short-answer" class="short-input" rows="5" placeholder="写下你的回答"></textarea>';
  }
  $("question").innerHTML = `
    <div class="q-meta"><span class="badge">${TYPE_NAMES[question.type] || ""}</span>${tags}</div>
    <h2 class="stem">${textHtml(question.stem)}</h2>
    ${stemMediaHtml(question)}
    <p class="hint">${hint}</p>
    ${body}`;
  $("feedback").hidden = true;
  $("feedback").innerHTML = "";
  $("quiz-error").innerHTML = "";
  $("submit").hidden = false;
  $("submit").disabled = true;
  $("next").hidden = true;
  renderProgress();
}

function currentAnswer() {
  const q = state.question;
  if (CHOICE.has(q.type)) return [...state.selection].sort();
  if (q.type === "judge") return [...state.selection].map((v) => v === "true");
  if (q.type === "fill") return [...document.querySelectorAll(".blank-input")].map((i) => i.value.trim());
  return $("short-answer").value.trim();
}

function updateSubmit() {
  const q = state.question;
  let ready = false;
  if (CHOICE.has(q.type) || q.type === "judge") ready = state.selection.size > 0;
  else if (q.type === "fill") ready = [...document.querySelectorAll(".blank-input")].some((i) => i.value.trim());
  else ready = Boolean($("short-answer").value.trim());
  $("submit").disabled = !ready;
}

function pick(button) {
  if (state.answered) return;
  const q = state.question;
  const value = button.dataset.key ?? button.dataset.value;
  if (q.type === "multiple") {
    if (state.selection.has(value)) state.selection.delete(value);
    else state.selection.add(value);
  } else {
    state.selection = new Set([value]);
  }
  document.querySelectorAll("#question .option").forEach((b) => {
    b.setAttribute("aria-pressed", String(state.selection.has(b.dataset.key ?? b.dataset.value)));
  });
  updateSubmit();
}

async function submit() {
  const q = state.question;
  if (!q || state.answered) return;
  const box = $("quiz-error");
  box.innerHTML = "";
  await busy($("submit"), "正在提交…", async () => {
    try {
      const result = await api("POST", `/api/practice/${state.practiceId}/answers`, {
        question_id: q.id, answer: currentAnswer(),
      });
      showFeedback(result);
    } catch (error) {
      if (error.code === "practice_already_answered") {
        // The first try reached the server but its reply was lost: carry on from where the server is.
        toast("这道题已经提交过了，继续下一题");
        await resume(state.practiceId);
      } else {
        showFailure(box, error, error.status === 0 || error.status >= 500 ? submit : null);
      }
    }
  });
  if (state.answered) $("submit").hidden = true;
}

function showFeedback(result) {
  const q = state.question;
  state.answered = true;
  state.next = result.next;
  state.progress = result.progress;
  if (result.correct === null || result.correct === undefined) state.ungraded += 1;
  const answer = result.answer || [];
  const marks = new Set(q.type === "judge" ? answer.map(String) : answer.map(String));
  document.querySelectorAll("#question .option").forEach((b) => {
    const value = b.dataset.key ?? b.dataset.value;
    b.disabled = true;
    if (marks.has(value)) {
      b.classList.add("is-right");
      // A right option the member did not pick: shown apart, so 漏选 is visible at a glance.
      if (!state.selection.has(value) && result.correct === false) b.classList.add("is-missed");
    } else if (state.selection.has(value)) {
      b.classList.add("is-wrong");
    }
  });
  document.querySelectorAll("#question input, #question textarea").forEach((el) => {
    el.readOnly = true;
    if (result.correct !== null) el.classList.add(result.correct ? "is-right" : "is-wrong");
  });
  let verdict;
  if (result.correct === true) verdict = '<div class="verdict ok"><span aria-hidden="true">✓</span> 答对了</div>';
  else if (result.correct === false) verdict = '<div class="verdict bad"><span aria-hidden="true">✗</span> 答错了</div>';
  else verdict = '<div class="verdict neutral">已提交 · 请对照参考答案自查</div>';
  const label = q.type === "short" ? "参考答案" : "正确答案";
  const explanation = result.explanation ? textHtml(result.explanation) : '<span class="muted">本题暂无解析</span>';
  const feedback = $("feedback");
  feedback.innerHTML = `${verdict}
    <p class="right-answer"><span class="label">${label}</span>${textHtml(formatAnswer(q, answer))}</p>
    <div class="explain"><h3>解析</h3><p>${explanation}</p></div>`;
  feedback.className = `feedback ${result.correct === true ? "ok" : result.correct === false ? "bad" : "neutral"}`;
  feedback.hidden = false;
  $("submit").hidden = true;
  const next = $("next");
  next.textContent = result.next ? "下一题" : "查看本组结果";
  next.hidden = false;
  renderProgress();
  next.focus({ preventScroll: true });
  feedback.scrollIntoView({ behavior: "smooth", block: "nearest" });
}

function goNext() {
  if (state.next) renderQuestion(state.next);
  else finish();
  window.scrollTo(0, 0);
}

function finish() {
  const { done, correct, total } = state.progress;
  store(STORE_SESSION, null);
  const graded = Math.max(0, done - state.ungraded);
  const rate = graded ? correct / graded : 0;
  $("summary-rate").textContent = percent(rate);
  const ring = $("summary-ring");
  ring.style.setProperty("--p", String(Math.round(rate * 100)));
  ring.className = `score-ring ${rateClass(rate)}`;
  const wrong = graded - correct;
  let text = `共 ${total} 题，已答 ${done} 题，答对 ${correct} 题`;
  if (wrong > 0) text += `，答错 ${wrong} 题（已收入错题本）`;
  if (state.ungraded) text += `；简答 ${state.ungraded} 题不计入正确率`;
  $("summary-text").textContent = `${text}。`;
  show("summary-view");
}

async function resume(practiceId) {
  try {
    const data = await api("GET", `/api/practice/${practiceId}`);
    state.practiceId = data.id;
    state.progress = data.progress;
    show("quiz-view");
    if (data.question) renderQuestion(data.question);
    else finish();
  } catch (error) {
    showFailure($("quiz-error"), error, () => resume(practiceId));
  }
}

async function checkUnfinished() {
  const saved = load(STORE_SESSION);
  if (!saved || !saved.id) return;
  try {
    const data = await api("GET", `/api/practice/${saved.id}`);
    if (!data.question) { store(STORE_SESSION, null); return; }
    const p = data.progress;
    $("resume-text").textContent = `已答 ${p.done} / ${p.total} 题，答对 ${p.correct} 题`;
    $("resume-card").hidden = false;
    $("resume-go").onclick = () => {
      state.ungraded = 0;
      $("resume-card").hidden = true;
      state.practiceId = data.id;
      state.progress = p;
      show("quiz-view");
      renderQuestion(data.question);
    };
  } catch (error) {
    if (error.status === 404 || error.status === 401) store(STORE_SESSION, null);
  }
}

// --- tabs: wrong-answer book and statistics -------------------------------------------

function selectTab(name) {
  state.tab = name;
  for (const tab of ["practice", "wrong", "stats"]) {
    const button = $(`tab-${tab}`);
    const on = tab === name;
    button.setAttribute("aria-selected", String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
  }
  if (name === "wrong") loadWrongBook();
  if (name === "stats") loadStats();
}

async function loadWrongBook() {
  const box = $("wrong-book");
  if (!state.bankId) { box.innerHTML = '<p class="muted card">请先选择题库。</p>'; return; }
  box.innerHTML = '<p class="muted">正在加载…</p>';
  let data;
  try {
    data = await api("GET", `/api/me/wrong-book?bank_id=${state.bankId}&limit=100`);
  } catch (error) {
    showFailure(box, error, loadWrongBook);
    return;
  }
  if (!data.total) {
    box.innerHTML = '<div class="card empty"><p class="big-emoji" aria-hidden="true">✓</p><p>错题本是空的。</p>' +
      '<p class="muted">练习中答错的题会自动收进来，连续答对 2 次后移出。</p></div>';
    return;
  }
  const items = data.items.map((q) => {
    const marks = new Set((q.answer || []).map(String));
    const options = CHOICE.has(q.type) ? `<ul class="opt-list">${q.options.map((o) =>
      `<li class="${marks.has(String(o.key)) ? "is-right" : ""}"><b>${escapeHtml(o.key)}</b> ${optionMediaHtml(o)}${textHtml(o.text)}</li>`).join("")}</ul>` : "";
    const mine = q.last_answer ? `<p class="mine"><span class="label">我的答案</span>${textHtml(formatAnswer(q, q.last_answer))}</p>` : "";
    return `<article class="card wb-item">
      <div class="q-meta"><span class="badge">${TYPE_NAMES[q.type] || ""}</span><span class="muted">答错 ${q.wrong_count} 次</span></div>
      <p class="stem small">${textHtml(q.stem)}</p>${stemMediaHtml(q)}${options}
      <p class="right-answer"><span class="label">正确答案</span>${textHtml(formatAnswer(q, q.answer))}</p>${mine}
      ${q.explanation ? `<details><summary>解析</summary><p>${textHtml(q.explanation)}</p></details>` : ""}
    </article>`;
  }).join("");
  box.innerHTML = `<div class="card wb-head">
      <p>这个题库有 <strong>${data.total}</strong> 道错题待巩固，连续答对 2 次即可移出。</p>
      <button type="button" class="btn block big" id="wb-practice">练习错题</button>
      <div id="wb-error"></div>
    </div>${items}`;
  $("wb-practice").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    await busy(button, "正在出题…", async () => {
      try {
        const practice = await api("POST", "/api/practice", {
          bank_id: state.bankId, mode: "wrong_book", tags: [], count: Math.min(data.total, 100),
        });
        beginSession(practice);
      } catch (error) {
        showFailure($("wb-error"), error);
      }
    });
  });
}

async function loadStats() {
  const box = $("stats");
  box.innerHTML = '<p class="muted">正在加载…</p>';
  let data;
  try {
    data = await api("GET", `/api/me/stats${state.bankId ? `?bank_id=${state.bankId}` : ""}`);
  } catch (error) {
    showFailure(box, error, loadStats);
    return;
  }
  const overview = `<div class="card stats-overview">
    <div class="stat"><strong>${data.answered}</strong><span>已答题</span></div>
    <div class="stat"><strong class="ok-text">${data.correct}</strong><span>答对</span></div>
    <div class="stat"><strong>${percent(data.rate)}</strong><span>正确率</span></div>
    <div class="stat"><strong class="bad-text">${data.wrong_book}</strong><span>待巩固错题</span></div>
  </div>`;
  if (!data.tags || data.tags.length === 0) {
    box.innerHTML = `${overview}<div class="card empty"><p>还没有练习记录，去练几道题吧。</p></div>`;
    return;
  }
  const rows = data.tags.map((t) => `<div class="rate-row">
      <div class="rate-label"><span>${escapeHtml(t.tag)}</span><span class="muted">${t.correct}/${t.answered} · ${percent(t.rate)}</span></div>
      <div class="rate-track" role="img" aria-label="${escapeHtml(t.tag)} 正确率 ${percent(t.rate)}">
        <div class="rate-fill ${rateClass(t.rate)}" style="width:${Math.round(t.rate * 100)}%"></div></div>
    </div>`).join("");
  box.innerHTML = `${overview}<div class="card"><h2>各专题正确率</h2>${rows}</div>`;
}

// --- wiring ------------------------------------------------------------------------

function wireRadioGroup(group, onChange) {
  group.addEventListener("click", (event) => {
    const button = event.target.closest("[role=radio]");
    if (!button) return;
    setSegment(group, button.dataset.value);
    onChange(button.dataset.value);
  });
  group.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const buttons = [...group.querySelectorAll("[role=radio]")];
    const index = buttons.indexOf(document.activeElement);
    const next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    next.click();
  });
}

function init() {
  $("bank").addEventListener("change", (event) => chooseBank(Number(event.target.value)));
  $("tags").addEventListener("click", (event) => {
    const chip = event.target.closest(".chip");
    if (chip) toggleTag(chip);
  });
  wireRadioGroup($("mode"), (value) => { state.mode = value; });
  wireRadioGroup($("count"), (value) => { state.count = Number(value); });
  $("start").addEventListener("click", () => start());
  $("question").addEventListener("click", (event) => {
    const option = event.target.closest(".option");
    if (option) pick(option);
  });
  $("question").addEventListener("input", updateSubmit);
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches(".blank-input") && !$("submit").disabled) submit();
  });
  $("submit").addEventListener("click", submit);
  $("next").addEventListener("click", goNext);
  $("quit").addEventListener("click", () => {
    show("setup-view");
    selectTab("practice");
    checkUnfinished();
  });
  $("again").addEventListener("click", () => { show("setup-view"); selectTab("practice"); });
  $("to-wrong").addEventListener("click", () => { show("setup-view"); selectTab("wrong"); });
  $("resume-drop").addEventListener("click", () => { store(STORE_SESSION, null); $("resume-card").hidden = true; });
  for (const tab of ["practice", "wrong", "stats"]) $(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const order = ["practice", "wrong", "stats"];
    const index = order.indexOf(state.tab);
    const next = order[(index + (event.key === "ArrowRight" ? 1 : order.length - 1)) % order.length];
    selectTab(next);
    $(`tab-${next}`).focus();
  });
  document.addEventListener("keydown", (event) => {
    // On a laptop: letters pick options, Enter submits or goes on.
    if ($("quiz-view").hidden || event.target.matches("input, textarea, select")) return;
    if (event.key === "Enter" && event.target.matches("button")) return;
    const key = event.key.toUpperCase();
    if (!state.answered && /^[A-H]$/.test(key)) {
      const option = document.querySelector(`#question .option[data-key="${key}"]`);
      if (option) pick(option);
    } else if (event.key === "Enter") {
      if (state.answered) goNext();
      else if (!$("submit").disabled) submit();
    }
  });
  loadBanks();
  checkUnfinished();
}

init();
