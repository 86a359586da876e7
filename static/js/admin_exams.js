// Organisers' pages for discipline tests: the list, the form (rules with a live count of what each
// rule can draw from), progress and results of one test, and the short-answer grading queue.
import { api, escapeHtml, toast, TYPE_NAMES } from "./common.js";

const $ = (id) => document.getElementById(id);
const root = $("admin-exams");
const PAGE = root ? root.dataset.page : "";
const EXAM_ID = root && root.dataset.examId ? Number(root.dataset.examId) : null;
const STATE_NAMES = { upcoming: "未开始", open: "进行中", closed: "已结束" };
const REVIEW_NAMES = { after_submit: "交卷后可查看答案", after_close: "结束后可查看答案", never: "不公布答案" };

function percent(rate) {
  return `${((rate || 0) * 100).toFixed(1)}%`;
}

function localText(iso) {
  return String(iso || "").replace("T", " ").slice(0, 16);
}

/** A date and time that never breaks inside ("2027-01-06 09:00", not "2027-" and "01-06" on two lines). */
function dateHtml(iso) {
  return `<span class="nowrap">${escapeHtml(localText(iso))}</span>`;
}

function failure(box, error, retry) {
  box.innerHTML = `<div class="alert error" role="alert"><span>${escapeHtml(error.message || error)}</span>${
    retry ? '<button type="button" class="btn small secondary">重试</button>' : ""}</div>`;
  if (retry) box.querySelector("button").addEventListener("click", retry);
}

function rateClass(rate) {
  if (rate >= 0.8) return "";
  return rate >= 0.6 ? "fair" : "poor";
}

// --- the list -------------------------------------------------------------------------------------

async function loadList() {
  const box = $("exam-list");
  try {
    const data = await api("GET", "/api/exams?limit=200");
    if (!data.items.length) {
      box.innerHTML = '<p class="empty muted">还没有测试。点“新建测试”按规则组卷。</p>';
      return;
    }
    box.innerHTML = data.items.map((e) => `
      <a class="exam-row" href="/admin/exams/${e.id}">
        <span class="grow"><strong>${escapeHtml(e.title)}</strong>
          <small>${dateHtml(e.opens_at)} 至 ${dateHtml(e.closes_at)} · ${e.question_count} 题 · 满分 ${e.max_score}</small></span>
        <span class="badge exam-badge ${e.state}">${STATE_NAMES[e.state]}</span>
        <span class="counts"><strong>${e.submitted}</strong> 人交卷<br>${e.in_progress} 人作答中</span>
        <span class="chev" aria-hidden="true">›</span>
      </a>`).join("");
  } catch (error) {
    failure(box, error, loadList);
  }
}

// --- the form -------------------------------------------------------------------------------------

const form = { tags: [], rules: [], previewTimer: null, previewSeq: 0, units: new Set() };

function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function ruleHtml(rule, index) {
  const types = Object.entries(TYPE_NAMES).map(([value, name]) =>
    `<option value="${value}"${rule.type === value ? " selected" : ""}>${name}</option>`).join("");
  const levels = (selected) => [1, 2, 3, 4, 5].map((n) => `<option value="${n}"${n === selected ? " selected" : ""}>${n}</option>`).join("");
  const tags = form.tags.length ? form.tags.map((tag) =>
    `<button type="button" class="chip" data-tag="${escapeHtml(tag)}" aria-pressed="${rule.tags.includes(tag)}">${escapeHtml(tag)}</button>`).join("")
    : '<span class="muted">题库没有标签</span>';
  return `<div class="rule-row" data-index="${index}">
    <div class="rule-row-head"><strong>规则 ${index + 1}</strong>
      <button type="button" class="btn ghost small" data-remove ${form.rules.length === 1 ? "disabled" : ""}>删除</button></div>
    <div class="rule-grid">
      <div><label for="rule-${index}-type">题型</label><select id="rule-${index}-type" data-field="type">${types}</select></div>
      <div><label for="rule-${index}-count">题数</label><input id="rule-${index}-count" type="number" min="1" max="500" data-field="count" value="${rule.count}" inputmode="numeric"></div>
      <div class="span2"><label>难度范围</label><div class="form-grid">
        <select data-field="low" aria-label="最低难度">${levels(rule.difficulty[0])}</select>
        <select data-field="high" aria-label="最高难度">${levels(rule.difficulty[1])}</select></div></div>
      <div><label for="rule-${index}-points">每题分值</label><input id="rule-${index}-points" type="number" min="0" step="0.5" data-field="points" value="${rule.points}" inputmode="decimal"></div>
    </div>
    <label>标签 <small class="muted">不选为不限</small></label>
    <div class="chips rule-tags">${tags}</div>
    <div class="keywords" ${rule.type === "short" ? "" : "hidden"}>
      <label for="rule-${index}-keywords">评分关键词 <small class="muted">选填，逗号分隔，用于预评分</small></label>
      <input id="rule-${index}-keywords" type="text" data-field="keywords" value="${escapeHtml(rule.keywords.join("，"))}">
    </div>
    <div class="rule-avail idle" data-avail>正在统计可抽题数…</div>
  </div>`;
}

function renderRules() {
  $("rules").innerHTML = form.rules.map(ruleHtml).join("");
  schedulePreview();
}

function readRule(row) {
  const rule = form.rules[Number(row.dataset.index)];
  const get = (name) => row.querySelector(`[data-field="${name}"]`);
  rule.type = get("type").value;
  rule.count = Number(get("count").value) || 0;
  rule.points = Number(get("points").value) || 0;
  let low = Number(get("low").value);
  let high = Number(get("high").value);
  if (low > high) [low, high] = [high, low];
  rule.difficulty = [low, high];
  rule.keywords = get("keywords").value.split(/[,，、;；\s]+/).map((k) => k.trim()).filter(Boolean);
  row.querySelector(".keywords").hidden = rule.type !== "short";
}

function schedulePreview() {
  clearTimeout(form.previewTimer);
  form.previewTimer = setTimeout(preview, 250);
  updateTotal();
}

function updateTotal(server) {
  const count = form.rules.reduce((s, r) => s + (r.count || 0), 0);
  const max = server ? server.max_score : form.rules.reduce((s, r) => s + (r.count || 0) * (r.points || 0), 0);
  $("total").innerHTML = `共 <strong>${count}</strong> 题 · 满分 <strong>${Math.round(max * 100) / 100}</strong> 分`;
}

async function preview() {
  const bankId = Number($("bank").value);
  if (!bankId) return;
  const seq = ++form.previewSeq;
  try {
    const data = await api("POST", "/api/exams/preview", { bank_id: bankId, rules: form.rules.map(ruleBody) });
    if (seq !== form.previewSeq) return;
    data.rules.forEach((r, i) => {
      const box = document.querySelector(`.rule-row[data-index="${i}"] [data-avail]`);
      if (!box) return;
      if (!r.count) {
        box.className = "rule-avail idle";
        box.textContent = `符合条件的题目 ${r.available} 题`;
      } else if (r.ok) {
        box.className = "rule-avail";
        box.textContent = `✓ 可从 ${r.available} 道符合条件的题中抽 ${r.count} 题，小计 ${r.subtotal} 分`;
      } else {
        box.className = "rule-avail short";
        box.textContent = r.available < r.count ? `✗ 需要 ${r.count} 题，题库中只有 ${r.available} 题符合条件`
          : `✗ 需要 ${r.count} 题，与其他规则共用题目后只能抽到 ${r.drawable} 题`;
      }
    });
    updateTotal(data);
  } catch (error) {
    if (seq === form.previewSeq) toast(error.message, "error");
  }
}

function ruleBody(rule) {
  return { type: rule.type, count: rule.count, tags: rule.tags, difficulty: rule.difficulty, points: rule.points,
    keywords: rule.type === "short" ? rule.keywords : [] };
}

async function loadTags() {
  const bankId = Number($("bank").value);
  form.tags = [];
  if (bankId) {
    try {
      const bank = await api("GET", `/api/banks/${bankId}`);
      form.tags = Object.keys(bank.counts_by_tag || {});
    } catch (error) {
      toast(error.message, "error");
    }
  }
  for (const rule of form.rules) rule.tags = rule.tags.filter((t) => form.tags.includes(t));
  renderRules();
}

async function loadUnits(selected) {
  const box = $("units");
  try {
    const data = await api("GET", "/api/exams/units");
    const names = new Set([...data.items.map((u) => u.unit), ...selected]);
    form.units = new Set(selected);
    const counts = new Map(data.items.map((u) => [u.unit, u.members]));
    box.innerHTML = names.size ? [...names].sort().map((unit) =>
      `<button type="button" class="chip" data-unit="${escapeHtml(unit)}" aria-pressed="${form.units.has(unit)}">${escapeHtml(unit)}` +
      `<span class="chip-count">${counts.get(unit) || 0}</span></button>`).join("")
      : '<span class="muted">用户表中还没有单位</span>';
  } catch (error) {
    failure(box, error, () => loadUnits([...form.units]));
  }
}

function formBody() {
  const toIso = (value) => (value ? `${value}:00` : "");
  const pass = $("pass-score").value;
  return {
    title: $("title").value.trim(),
    description: $("description").value,
    bank_id: Number($("bank").value),
    rules: form.rules.map(ruleBody),
    duration_s: Math.round(Number($("duration").value) * 60),
    opens_at: toIso($("opens").value),
    closes_at: toIso($("closes").value),
    max_attempts: Number($("max-attempts").value) || 1,
    shuffle_questions: $("shuffle-questions").checked,
    shuffle_options: $("shuffle-options").checked,
    pass_score: pass === "" ? null : Number(pass),
    multiple_partial: $("multiple-partial").checked,
    review: $("review").value,
    audience: { units: [...form.units] },
  };
}

async function initForm() {
  let exam = null;
  if (EXAM_ID) {
    try {
      exam = await api("GET", `/api/exams/${EXAM_ID}`);
    } catch (error) {
      failure($("form-error"), error);
      $("form-error").hidden = false;
      return;
    }
    if (!exam.can_edit) {
      $("form-error").textContent = "测试已开放或已有人作答，不能再修改。";
      $("form-error").hidden = false;
      $("save").disabled = true;
    }
    $("title").value = exam.title;
    $("description").value = exam.description;
    $("bank").value = String(exam.bank_id);
    $("opens").value = toLocalInput(exam.opens_ms);
    $("closes").value = toLocalInput(exam.closes_ms);
    $("duration").value = String(Math.round(exam.duration_s / 60 * 100) / 100);
    $("max-attempts").value = String(exam.max_attempts);
    $("pass-score").value = String(exam.pass_score);
    $("review").value = exam.review;
    $("shuffle-questions").checked = exam.shuffle_questions;
    $("shuffle-options").checked = exam.shuffle_options;
    $("multiple-partial").checked = exam.multiple_partial;
    form.rules = exam.rules.map((r) => ({ ...r, tags: [...r.tags], keywords: [...(r.keywords || [])] }));
  } else {
    const start = new Date();
    start.setMinutes(0, 0, 0);
    start.setHours(start.getHours() + 1);
    $("opens").value = toLocalInput(start.getTime());
    $("closes").value = toLocalInput(start.getTime() + 7 * 86400000);
    form.rules = [
      { type: "single", count: 10, tags: [], difficulty: [1, 5], points: 2, keywords: [] },
      { type: "judge", count: 10, tags: [], difficulty: [1, 5], points: 2, keywords: [] },
    ];
  }
  const keepTags = form.rules.map((r) => [...r.tags]);
  await loadTags();
  if (exam) {
    form.rules.forEach((r, i) => { r.tags = keepTags[i]; });
    renderRules();
  }
  loadUnits(exam ? exam.audience.units : []);
}

async function saveForm(event) {
  event.preventDefault();
  const error = $("form-error");
  error.hidden = true;
  const body = formBody();
  if (!body.title) {
    error.textContent = "请填写测试名称";
    error.hidden = false;
    $("title").focus();
    return;
  }
  const button = $("save");
  button.disabled = true;
  try {
    const exam = await api(EXAM_ID ? "PUT" : "POST", EXAM_ID ? `/api/exams/${EXAM_ID}` : "/api/exams", body);
    toast("已保存", "ok");
    location.href = `/admin/exams/${exam.id}`;
  } catch (failure_) {
    const details = (failure_.details || []).map((d) => d.message).filter(Boolean);
    error.innerHTML = escapeHtml(failure_.message) + (details.length > 1 ? `<br>${details.map(escapeHtml).join("<br>")}` : "");
    error.hidden = false;
    error.scrollIntoView({ block: "center" });
  } finally {
    button.disabled = false;
  }
}

function bindForm() {
  $("admin-exams").addEventListener("submit", saveForm);
  $("bank").addEventListener("change", loadTags);
  $("add-rule").addEventListener("click", () => {
    form.rules.push({ type: "multiple", count: 5, tags: [], difficulty: [1, 5], points: 2, keywords: [] });
    renderRules();
  });
  $("rules").addEventListener("input", (event) => {
    const row = event.target.closest(".rule-row");
    if (row) { readRule(row); schedulePreview(); }
  });
  $("rules").addEventListener("change", (event) => {
    const row = event.target.closest(".rule-row");
    if (row) { readRule(row); schedulePreview(); }
  });
  $("rules").addEventListener("click", (event) => {
    const row = event.target.closest(".rule-row");
    if (!row) return;
    const rule = form.rules[Number(row.dataset.index)];
    const chip = event.target.closest(".chip[data-tag]");
    if (chip) {
      const tag = chip.dataset.tag;
      rule.tags = rule.tags.includes(tag) ? rule.tags.filter((t) => t !== tag) : [...rule.tags, tag];
      chip.setAttribute("aria-pressed", String(rule.tags.includes(tag)));
      schedulePreview();
    }
    if (event.target.closest("[data-remove]") && form.rules.length > 1) {
      form.rules.splice(Number(row.dataset.index), 1);
      renderRules();
    }
  });
  $("units").addEventListener("click", (event) => {
    const chip = event.target.closest(".chip[data-unit]");
    if (!chip) return;
    const unit = chip.dataset.unit;
    if (form.units.has(unit)) form.units.delete(unit);
    else form.units.add(unit);
    chip.setAttribute("aria-pressed", String(form.units.has(unit)));
  });
}

// --- one test: progress, results, statistics ----------------------------------------------------

const detail = { offset: 0, limit: 50, timer: null };

async function loadDetail() {
  try {
    const [exam, progress] = await Promise.all([
      api("GET", `/api/exams/${EXAM_ID}`), api("GET", `/api/exams/${EXAM_ID}/progress`)]);
    $("edit-link").hidden = !exam.can_edit;
    $("exam-facts").innerHTML = `${STATE_NAMES[exam.state]} · ${dateHtml(exam.opens_at)} 至 ${dateHtml(exam.closes_at)} · ` +
      `限时 ${Math.round(exam.duration_s / 60)} 分钟 · ${exam.question_count} 题 · 满分 ${exam.max_score} · ${exam.pass_score} 分及格 · ` +
      escapeHtml(`${REVIEW_NAMES[exam.review]}${exam.audience.units.length ? ` · 范围：${exam.audience.units.join("、")}` : " · 范围：全体"}`);
    const t = progress.totals;
    $("kpis").innerHTML = [["应考", t.expected], ["已交卷", t.submitted], ["作答中", t.in_progress], ["未开始", t.not_started]]
      .map(([label, value]) => `<div class="kpi"><strong>${value}</strong><span>${label}</span></div>`).join("");
    $("pending-count").textContent = progress.pending_grading ? `（${progress.pending_grading} 待阅）` : "";
    $("progress-time").textContent = `进度每 10 秒刷新 · ${new Date().toLocaleTimeString("zh-CN")}`;
    const units = new Map(progress.units.map((u) => [u.unit, u]));
    const results = await api("GET", `/api/exams/${EXAM_ID}/results?limit=${detail.limit}&offset=${detail.offset}`);
    renderUnits(results.units, units);
    renderRows(results);
  } catch (error) {
    failure($("kpis"), error, loadDetail);
  }
}

function renderUnits(summary, progress) {
  const head = "<thead><tr><th>单位</th><th class=num>应考</th><th class=num>作答中</th><th class=num>已交卷</th>" +
    "<th class=num>参考率</th><th class=num>平均分</th><th class=num>及格率</th></tr></thead>";
  const rows = summary.map((s) => {
    const p = progress.get(s.unit);
    return `<tr${s.unit === "合计" ? ' class="total-row"' : ""}><td>${escapeHtml(s.unit)}</td><td class=num>${s.expected}</td>` +
      `<td class=num>${p ? p.in_progress : (s.unit === "合计" ? "" : 0)}</td><td class=num>${s.participants}</td>` +
      `<td class="num bar-cell">${percent(s.participation_rate)}<div class="mini-bar"><span class="${rateClass(s.participation_rate)}" style="width:${s.participation_rate * 100}%"></span></div></td>` +
      // nobody has submitted: no average and no pass rate (an average of nobody is not 0)
      `<td class=num>${s.participants ? s.average : "—"}</td><td class=num>${s.participants ? percent(s.pass_rate) : "—"}</td></tr>`;
  }).join("");
  $("units-table").innerHTML = head + `<tbody>${rows}</tbody>`;
}

function renderRows(results) {
  $("rows-total").textContent = `（${results.total} 人）`;
  if (!results.items.length) {
    $("rows-table").innerHTML = '<tbody><tr><td class="muted">还没有人交卷</td></tr></tbody>';
    $("rows-pager").innerHTML = "";
    return;
  }
  $("rows-table").innerHTML = "<thead><tr><th>姓名</th><th>账号</th><th>单位</th><th class=num>得分</th><th>用时</th><th>及格</th><th>提交时间</th><th class=num>切屏</th></tr></thead><tbody>" +
    results.items.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.username)}</td><td>${escapeHtml(r.unit)}</td>` +
      `<td class=num>${r.score}</td><td>${r.elapsed}</td><td>${r.passed === null ? "待阅卷" : (r.passed ? '<span class="ok-text">是</span>' : '<span class="bad-text">否</span>')}</td>` +
      `<td>${dateHtml(r.submitted_at)}</td><td class=num>${r.blur_count}</td></tr>`).join("") + "</tbody>";
  const pages = Math.ceil(results.total / detail.limit);
  const page = Math.floor(detail.offset / detail.limit) + 1;
  $("rows-pager").innerHTML = pages > 1 ? `<button type="button" class="btn small secondary" data-step="-1" ${page === 1 ? "disabled" : ""}>上一页</button>` +
    `<span class="muted">第 ${page} / ${pages} 页</span><button type="button" class="btn small secondary" data-step="1" ${page === pages ? "disabled" : ""}>下一页</button>` : "";
}

async function loadStats() {
  try {
    const data = await api("GET", `/api/exams/${EXAM_ID}/stats`);
    if (!data.items.length) {
      $("stats-table").innerHTML = '<tbody><tr><td class="muted">交卷后显示每道题的正确率</td></tr></tbody>';
      return;
    }
    $("stats-table").innerHTML = "<thead><tr><th>题目</th><th>题型</th><th class=num>出现</th><th class=num>作答</th><th class=num>正确率</th><th class=num>得分率</th></tr></thead><tbody>" +
      data.items.map((q) => `<tr><td>${escapeHtml(q.stem.length > 60 ? `${q.stem.slice(0, 60)}…` : q.stem)}</td><td>${TYPE_NAMES[q.type] || ""}</td>` +
        `<td class=num>${q.appeared}</td><td class=num>${q.answered}</td>` +
        `<td class="num bar-cell">${percent(q.correct_rate)}<div class="mini-bar"><span class="${rateClass(q.correct_rate)}" style="width:${q.correct_rate * 100}%"></span></div></td>` +
        `<td class=num>${percent(q.score_rate)}</td></tr>`).join("") + "</tbody>";
  } catch (error) {
    failure($("stats-table"), error, loadStats);
  }
}

function initDetail() {
  loadDetail();
  loadStats();
  detail.timer = setInterval(() => { if (document.visibilityState === "visible") loadDetail(); }, 10000);
  $("rows-pager").addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    detail.offset = Math.max(0, detail.offset + Number(button.dataset.step) * detail.limit);
    loadDetail();
  });
}

// --- grading ------------------------------------------------------------------------------------------

const grading = { state: "pending", offset: 0, limit: 20, total: 0 };

async function loadGrading() {
  const box = $("grading-list");
  try {
    const data = await api("GET", `/api/exams/${EXAM_ID}/grading?state=${grading.state}&limit=${grading.limit}&offset=${grading.offset}`);
    if (!data.items.length && grading.offset > 0) {
      grading.offset = 0;
      loadGrading();
      return;
    }
    if (!data.items.length) {
      box.innerHTML = `<p class="empty muted">${grading.state === "pending" ? "没有待阅的简答题 🎉" : "还没有已阅的简答题"}</p>`;
      $("grading-pager").innerHTML = "";
      return;
    }
    box.innerHTML = data.items.map((item) => `
      <article class="grade-item" data-id="${item.id}">
        <div class="q-meta"><strong>${escapeHtml(item.candidate.name)}</strong><span class="muted">${escapeHtml(item.candidate.unit)} · ${escapeHtml(item.candidate.username)}</span></div>
        <p class="stem small">${escapeHtml(item.stem)}</p>
        <p><span class="label">参考答案</span>${escapeHtml(item.reference)}</p>
        ${item.keywords.length ? `<p class="muted">关键词：${item.keywords.map(escapeHtml).join("、")}</p>` : ""}
        <div class="grade-answer">${escapeHtml(item.answer)}</div>
        <form class="grade-form">
          <div><label for="grade-${item.id}-score">得分（满分 ${item.points}）</label>
            <input id="grade-${item.id}-score" type="number" name="score" min="0" max="${item.points}" step="0.5" inputmode="decimal" required
              value="${item.score ?? item.pre_score ?? ""}" placeholder="${item.pre_score !== null ? `预评 ${item.pre_score}` : ""}"></div>
          <div><label for="grade-${item.id}-comment">评语 <small class="muted">选填</small></label><input id="grade-${item.id}-comment" type="text" name="comment" maxlength="500" value="${escapeHtml(item.comment)}"></div>
          <div class="span2"><button class="btn block" type="submit">${item.state === "manual" ? "修改分数" : "给分"}</button></div>
        </form>
      </article>`).join("");
    grading.total = data.total;
    const pages = Math.ceil(data.total / grading.limit);
    const page = Math.floor(grading.offset / grading.limit) + 1;
    $("grading-pager").innerHTML = `<span class="muted">共 ${data.total} 份</span>` + (pages > 1
      ? `<button type="button" class="btn small secondary" data-step="-1" ${page === 1 ? "disabled" : ""}>上一页</button>` +
        `<button type="button" class="btn small secondary" data-step="1" ${page === pages ? "disabled" : ""}>下一页</button>` : "");
  } catch (error) {
    failure(box, error, loadGrading);
  }
}

function initGrading() {
  loadGrading();
  document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => {
    grading.state = tab.dataset.state;
    grading.offset = 0;
    document.querySelectorAll("[role=tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
    loadGrading();
  }));
  $("grading-list").addEventListener("submit", async (event) => {
    event.preventDefault();
    const item = event.target.closest(".grade-item");
    const data = new FormData(event.target);
    const button = event.target.querySelector("button");
    button.disabled = true;
    try {
      const result = await api("PUT", `/api/exams/${EXAM_ID}/grading/${item.dataset.id}`, {
        score: Number(data.get("score")), comment: String(data.get("comment") || ""),
      });
      toast(result.attempt.final ? `已给分，该考生成绩已确定：${result.attempt.score} 分` : "已给分", "ok");
      if (grading.state === "pending") {
        item.remove();
        grading.total = Math.max(0, (grading.total || 1) - 1);
        const count = $("grading-pager").querySelector(".muted");
        if (count) count.textContent = `共 ${grading.total} 份`;
        if (!document.querySelector(".grade-item")) loadGrading();
      }
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  $("grading-pager").addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    grading.offset = Math.max(0, grading.offset + Number(button.dataset.step) * grading.limit);
    loadGrading();
  });
  $("accept-prescores").addEventListener("click", async () => {
    if (!window.confirm("把所有有关键词预评分的待阅答案按预评分给分？")) return;
    try {
      const result = await api("POST", `/api/exams/${EXAM_ID}/grading/accept-prescores`);
      toast(`已按预评分给分 ${result.graded} 份`, "ok");
      loadGrading();
    } catch (error) {
      toast(error.message, "error");
    }
  });
}

if (PAGE === "list") loadList();
if (PAGE === "form") { bindForm(); initForm(); }
if (PAGE === "detail") initDetail();
if (PAGE === "grading") initGrading();
