// Organiser pages: the list of banks (/admin) and one bank (/admin/banks/{id}): import with a dry run
// first, browse with filters, edit, delete, export.
import { api, busy, escapeHtml, toast, TYPE_NAMES } from "./common.js";
import { mediaItemHtml, optionMediaHtml, stemMediaHtml } from "./media.js";

const $ = (id) => document.getElementById(id);
const CHOICE = new Set(["single", "multiple"]);
const KEYS = "ABCDEFGH";
const DIFFICULTY = { 1: "易", 2: "较易", 3: "中", 4: "较难", 5: "难" };
const PAGE_SIZE = 20;

function textHtml(text) {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

function showFailure(box, error, retry) {
  box.innerHTML = `<div class="alert error" role="alert"><span>${escapeHtml(error.message || error)}</span>${
    retry ? '<button type="button" class="btn small secondary">重试</button>' : ""}</div>`;
  if (retry) box.querySelector("button").addEventListener("click", () => { box.innerHTML = ""; retry(); });
}

function formatAnswer(q) {
  const answer = q.answer || [];
  if (CHOICE.has(q.type)) return answer.join("");
  if (q.type === "judge") return answer[0] === true ? "正确" : answer[0] === false ? "错误" : "";
  if (q.type === "fill") return answer.map((alts) => (Array.isArray(alts) ? alts.join(" | ") : alts)).join("；");
  return answer.join("\n");
}

/** A question as an organiser reads it: meta line, stem, options with the right ones marked, answer, explanation. */
function questionHtml(q, { actions = false } = {}) {
  const marks = new Set((q.answer || []).map(String));
  const options = CHOICE.has(q.type) && q.options?.length
    ? `<ul class="opt-list">${q.options.map((o) => `<li class="${marks.has(String(o.key)) ? "is-right" : ""}">` +
      `<b>${escapeHtml(o.key)}</b> ${optionMediaHtml(o)}${textHtml(o.text)}</li>`).join("")}</ul>` : "";
  const tags = (q.tags || []).map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join("");
  const id = q.id ? `<span class="qid">#${q.id}</span>` : "";
  const row = q.row ? `<span class="muted">第 ${q.row} 行</span>` : "";
  return `<div class="q-meta">${id}${row}<span class="badge">${TYPE_NAMES[q.type] || q.type}</span>` +
    `<span class="muted">难度 ${q.difficulty ?? 3}</span>${tags}</div>
    <p class="stem small">${textHtml(q.stem)}</p>${stemMediaHtml(q)}${options}
    <p class="right-answer"><span class="label">${q.type === "short" ? "参考答案" : "答案"}</span>${textHtml(formatAnswer(q))}</p>
    ${q.explanation ? `<p class="muted explain-line"><span class="label">解析</span>${textHtml(q.explanation)}</p>` : ""}
    ${actions ? `<div class="actions right">
      <button type="button" class="btn secondary small" data-edit="${q.id}">编辑</button>
      <button type="button" class="btn danger small" data-delete="${q.id}">删除</button></div>` : ""}`;
}

// --- /admin: banks -------------------------------------------------------------------

async function loadBankList() {
  const box = $("banks");
  box.innerHTML = '<p class="muted">正在加载…</p>';
  let data;
  try {
    data = await api("GET", "/api/banks?limit=500");
  } catch (error) {
    showFailure(box, error, loadBankList);
    return;
  }
  if (!data.items.length) {
    box.innerHTML = '<p class="muted">还没有题库。先在右侧新建一个，再导入题目。</p>';
    return;
  }
  box.innerHTML = data.items.map((b) => `<a class="bank-row" href="/admin/banks/${b.id}">
      <span class="bank-name">${escapeHtml(b.name)}${b.description ? `<small class="muted">${escapeHtml(b.description)}</small>` : ""}</span>
      <span class="bank-count"><strong>${b.question_count}</strong> 题</span>
      <span class="chev" aria-hidden="true">›</span></a>`).join("");
}

function initBankList() {
  loadBankList();
  const form = $("create-bank");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errorBox = $("create-error");
    const fieldError = form.querySelector('[data-error-for="name"]');
    errorBox.hidden = true;
    fieldError.hidden = true;
    const name = $("bank-name").value.trim();
    if (!name) {
      fieldError.textContent = "请填写题库名称";
      fieldError.hidden = false;
      $("bank-name").focus();
      return;
    }
    await busy(form.querySelector("button[type=submit]"), "正在创建…", async () => {
      try {
        const bank = await api("POST", "/api/banks", { name, description: $("bank-description").value });
        toast(`已创建题库“${bank.name}”`, "ok");
        location.assign(`/admin/banks/${bank.id}`);
      } catch (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
      }
    });
  });
}

// --- /admin/banks/{id}: counts -------------------------------------------------------

function countsHtml(bank) {
  const types = Object.entries({ single: "单选", multiple: "多选", judge: "判断", fill: "填空", short: "简答" });
  const tags = Object.entries(bank.counts_by_tag || {});
  return `<p class="total-line">共 <strong id="bank-total">${bank.question_count}</strong> 题</p>
    <div class="stat-chips" aria-label="按题型">${types.map(([kind, name]) =>
      `<span class="stat-chip"><span>${name}</span><strong>${bank.counts_by_type?.[kind] ?? 0}</strong></span>`).join("")}</div>
    ${tags.length ? `<div class="stat-chips tags" aria-label="按标签">${tags.map(([tag, n]) =>
      `<span class="stat-chip tag"><span>${escapeHtml(tag)}</span><strong>${n}</strong></span>`).join("")}</div>`
      : '<p class="muted">还没有标签。</p>'}`;
}

async function refreshCounts(bankId) {
  try {
    const bank = await api("GET", `/api/banks/${bankId}`);
    $("bank-counts").innerHTML = countsHtml(bank);
    const select = $("f-tag");
    const current = select.value;
    select.innerHTML = '<option value="">全部</option>' + Object.keys(bank.counts_by_tag || {}).map((t) =>
      `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`).join("");
    select.value = current;
  } catch (error) {
    toast(error.message, "error");
  }
}

// --- import: dry run, report, confirm --------------------------------------------------

/** The pending upload: what the dry run checked, so 确认导入 sends the same content. */
let pending = null;

function importUrl(bankId, { dryRun, format, skip }) {
  const params = new URLSearchParams();
  if (dryRun) params.set("dry_run", "1");
  if (format) params.set("format", format);
  if (skip) params.set("skip_unsupported", "1");
  return `/api/banks/${bankId}/import?${params}`;
}

async function sendImport(bankId, upload, dryRun) {
  const form = new FormData();
  form.append("file", upload.blob, upload.filename);
  try {
    return { ok: true, body: await api("POST", importUrl(bankId, { ...upload, dryRun }), form, { form: true }) };
  } catch (error) {
    if (error.status === 422 && error.body && Array.isArray(error.body.errors)) return { ok: false, body: error.body };
    throw error;
  }
}

function reportHtml(body, ok, dryRun, upload) {
  const warnings = (body.warnings || []).length
    ? `<details class="warnings" open><summary>提示 ${body.warnings.length} 条</summary><ul>${body.warnings.map((w) =>
      `<li>${escapeHtml(typeof w === "string" ? w : w.message || JSON.stringify(w))}</li>`).join("")}</ul></details>` : "";
  const source = `<p class="muted">文件：${escapeHtml(upload.label)}</p>`;
  if (!ok) {
    const rows = body.errors.map((e) => `<tr><td>${e.row ? `第 ${e.row} 行` : "整个文件"}</td>` +
      `<td>${escapeHtml(e.field || "—")}</td><td>${escapeHtml(e.message)}</td></tr>`).join("");
    return `<div class="report-box bad">
      <h3>发现 ${body.errors.length} 处错误，未导入任何题目</h3>${source}
      <p>请按下表修改后重新上传：</p>
      <div class="table-wrap"><table class="error-table"><thead><tr><th>位置</th><th>字段</th><th>问题</th></tr></thead>
      <tbody>${rows}</tbody></table></div>${warnings}</div>`;
  }
  if (!dryRun) {
    return `<div class="report-box ok"><h3>导入完成：新增 ${body.imported} 题</h3>${source}
      <p>${body.duplicates ? `跳过重复 ${body.duplicates} 题。` : "没有重复题目。"}</p>${warnings}</div>`;
  }
  const preview = body.preview || [];
  const shown = preview.slice(0, 5);
  const more = body.total_rows - shown.length;
  return `<div class="report-box ${body.imported ? "ok" : "warn"}">
    <h3>检查通过：可导入 ${body.imported} 题</h3>${source}
    <div class="stat-chips"><span class="stat-chip"><span>可导入</span><strong>${body.imported}</strong></span>
      <span class="stat-chip"><span>重复（将跳过）</span><strong>${body.duplicates}</strong></span>
      <span class="stat-chip"><span>文件中共</span><strong>${body.total_rows ?? body.imported}</strong></span></div>
    ${warnings}
    ${shown.length ? `<h4>预览前 ${shown.length} 题</h4><div class="preview">${shown.map((q) =>
      `<article class="qitem">${questionHtml(q)}</article>`).join("")}</div>
      ${more > 0 ? `<p class="muted">另有 ${more} 题未显示。</p>` : ""}` : ""}
    <div class="actions">
      <button type="button" class="btn big" id="confirm-import" ${body.imported ? "" : "disabled"}>
        ${body.imported ? `确认导入 ${body.imported} 题` : "没有可导入的新题目"}</button>
      <button type="button" class="btn secondary" id="cancel-import">取消</button>
    </div></div>`;
}

async function runImport(bankId, upload, button, dryRun) {
  const box = $("import-report");
  await busy(button, dryRun ? "正在检查…" : "正在导入…", async () => {
    let result;
    try {
      result = await sendImport(bankId, upload, dryRun);
    } catch (error) {
      showFailure(box, error, () => runImport(bankId, upload, button, dryRun));
      return;
    }
    pending = result.ok && dryRun ? upload : null;
    box.innerHTML = reportHtml(result.body, result.ok, dryRun, upload);
    const confirm = $("confirm-import");
    if (confirm) {
      confirm.addEventListener("click", () => runImport(bankId, pending, confirm, false));
      $("cancel-import").addEventListener("click", () => { pending = null; box.innerHTML = ""; });
    }
    if (result.ok && !dryRun) {
      toast(`已导入 ${result.body.imported} 题`, "ok");
      resetImportInputs(upload);
      await refreshCounts(bankId);
      await loadQuestions(bankId, 0);
    }
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  });
}

/** After a real import, clear what was imported so it is not sent twice by mistake. */
function resetImportInputs(upload) {
  if (upload.format === "text") {
    $("import-text").value = "";
  } else {
    $("import-file").value = "";
    $("import-file-name").textContent = "点击选择文件";
  }
}

function initImport(bankId) {
  const input = $("import-file");
  input.addEventListener("change", () => {
    $("import-file-name").textContent = input.files[0] ? input.files[0].name : "点击选择文件";
  });
  $("import-file-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) { showFailure($("import-report"), "请先选择要上传的文件"); return; }
    const upload = { blob: file, filename: file.name, label: file.name, skip: $("skip-unsupported").checked };
    runImport(bankId, upload, $("check-file"), true);
  });
  $("import-text-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("import-text").value;
    if (!text.trim()) { showFailure($("import-report"), "请先粘贴题目文本"); return; }
    const upload = { blob: new Blob([text], { type: "text/plain;charset=utf-8" }), filename: "paste.txt",
      label: "粘贴的文本", format: "text" };
    runImport(bankId, upload, $("check-text"), true);
  });
}

// --- browse ------------------------------------------------------------------------

let listOffset = 0;
let listItems = new Map();

async function loadQuestions(bankId, offset = listOffset) {
  const box = $("questions");
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  for (const name of ["type", "tag", "difficulty", "q"]) {
    const value = $(`f-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  box.setAttribute("aria-busy", "true");
  let data;
  try {
    data = await api("GET", `/api/banks/${bankId}/questions?${params}`);
  } catch (error) {
    showFailure(box, error, () => loadQuestions(bankId, offset));
    return;
  } finally {
    box.removeAttribute("aria-busy");
  }
  if (data.total > 0 && offset >= data.total) return loadQuestions(bankId, Math.max(0, offset - PAGE_SIZE));
  listOffset = offset;
  listItems = new Map(data.items.map((q) => [q.id, q]));
  box.innerHTML = data.items.length
    ? data.items.map((q) => `<article class="qitem" id="q-${q.id}">${questionHtml(q, { actions: true })}</article>`).join("")
    : '<p class="muted">没有符合条件的题目。</p>';
  const pager = $("pager");
  pager.hidden = data.total <= PAGE_SIZE;
  $("page-info").textContent = data.total
    ? `第 ${offset + 1}–${offset + data.items.length} 题，共 ${data.total} 题` : "";
  $("prev-page").disabled = offset === 0;
  $("next-page").disabled = offset + PAGE_SIZE >= data.total;
}

async function deleteQuestion(bankId, button) {
  if (!button.dataset.armed) {
    // Two taps instead of a browser dialog: a deletion is never one slip of the thumb.
    button.dataset.armed = "1";
    button.textContent = "确认删除？";
    setTimeout(() => { if (button.isConnected) { delete button.dataset.armed; button.textContent = "删除"; } }, 4000);
    return;
  }
  await busy(button, "正在删除…", async () => {
    try {
      await api("DELETE", `/api/questions/${button.dataset.delete}`);
      toast("已删除", "ok");
      await refreshCounts(bankId);
      await loadQuestions(bankId);
    } catch (error) {
      toast(error.message, "error");
    }
  });
}

// --- edit ---------------------------------------------------------------------------

const FIELD_ALIASES = {
  type: ["type", "题型"], stem: ["stem", "题干"], options: ["options", "选项"], answer: ["answer", "答案"],
  explanation: ["explanation", "解析"], tags: ["tags", "标签"], difficulty: ["difficulty", "难度"],
  media: ["media", "图片", "file"],
};
const MEDIA_ACCEPT = "image/png,image/jpeg,image/gif,image/webp,audio/mpeg,audio/mp4,audio/ogg,video/mp4,video/webm,.m4a,.mp3";

function fieldFor(name) {
  const text = String(name || "").toLowerCase();
  for (const [field, aliases] of Object.entries(FIELD_ALIASES)) {
    if (aliases.some((a) => text.includes(a))) return field;
  }
  return null;
}

let editing = null; // the question being edited ({} for a new one)

function optionRow(key, text, media = null) {
  return `<div class="option-edit" data-key="${key}"${media ? ` data-media="${escapeHtml(JSON.stringify(media))}"` : ""}><span class="opt-key">${key}</span>
    <span class="opt-thumb">${media ? mediaItemHtml(media) : ""}</span>
    <input type="text" class="opt-input" value="${escapeHtml(text)}" aria-label="选项 ${key}"${media ? ' placeholder="（可只有图片）"' : ""}>
    <label class="btn ghost small file-btn">${media ? "换图" : "图片"}<input type="file" class="opt-file" accept="image/png,image/jpeg,image/gif,image/webp" hidden></label>
    ${media ? `<button type="button" class="btn ghost small" data-remove-option-media aria-label="去掉选项 ${key} 的图片">去图</button>` : ""}
    <button type="button" class="btn ghost small" data-remove-option aria-label="删除选项 ${key}">删除</button></div>`;
}

/** One of the stem's media in the editor: the picture or player, its alt text, remove. */
function mediaRow(m) {
  return `<div class="media-edit" data-media="${escapeHtml(JSON.stringify(m))}">${mediaItemHtml(m)}
    <input type="text" class="media-alt" value="${escapeHtml(m.alt || "")}" maxlength="500" aria-label="说明文字（读屏软件朗读）" placeholder="说明文字（读屏软件朗读）">
    <button type="button" class="btn ghost small" data-remove-media>移除</button></div>`;
}

async function uploadMedia(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return api("POST", "/api/media", form, { form: true });
}

function answerEditor(type, q) {
  const answer = q.answer || [];
  if (CHOICE.has(type)) {
    return `<div class="chips" id="e-answer-keys" role="group" aria-label="正确选项">${(q.options || []).map((o) =>
      `<button type="button" class="chip" data-key="${o.key}" aria-pressed="${answer.includes(o.key)}">${o.key}</button>`).join("")}</div>
      <p class="muted">点选正确的选项${type === "multiple" ? "（可多选）" : ""}</p>`;
  }
  if (type === "judge") {
    return `<select id="e-answer"><option value="true"${answer[0] === true ? " selected" : ""}>正确</option>` +
      `<option value="false"${answer[0] === false ? " selected" : ""}>错误</option></select>`;
  }
  if (type === "fill") {
    const text = answer.map((alts) => (Array.isArray(alts) ? alts.join("|") : alts)).join("\n");
    return `<textarea id="e-answer" rows="3">${escapeHtml(text)}</textarea>
      <p class="muted">每行一个空；同一个空的多个可接受答案用 | 分隔</p>`;
  }
  return `<textarea id="e-answer" rows="4">${escapeHtml(answer.join("\n"))}</textarea>`;
}

function readOptions() {
  return [...document.querySelectorAll("#e-options .option-edit")].map((row, i) => {
    const option = { key: KEYS[i], text: row.querySelector(".opt-input").value.trim() };
    if (row.dataset.media) option.media = JSON.parse(row.dataset.media); // the server keeps url and alt
    return option;
  });
}

function readMedia() {
  return [...document.querySelectorAll("#e-media .media-edit")].map((row) => ({
    ...JSON.parse(row.dataset.media), alt: row.querySelector(".media-alt").value.trim(),
  }));
}

function renderEditor(q, type = q.type || "single") {
  const form = $("editor");
  const options = CHOICE.has(type) ? (q.options?.length ? q.options : [..."ABCD"].map((key) => ({ key, text: "" }))) : [];
  const draft = { ...q, type, options };
  form.innerHTML = `
    <p class="form-error" id="e-error" role="alert" hidden></p>
    <div class="form-grid">
      <div><label for="e-type">题型</label><select id="e-type">${Object.entries(TYPE_NAMES).map(([k, v]) =>
        `<option value="${k}"${k === type ? " selected" : ""}>${v}</option>`).join("")}</select>
        <p class="field-error" data-error-for="type" hidden></p></div>
      <div><label for="e-difficulty">难度</label><select id="e-difficulty">${[1, 2, 3, 4, 5].map((d) =>
        `<option value="${d}"${d === (q.difficulty ?? 3) ? " selected" : ""}>${d} ${DIFFICULTY[d]}</option>`).join("")}</select>
        <p class="field-error" data-error-for="difficulty" hidden></p></div>
    </div>
    <label for="e-stem">题干</label>
    <textarea id="e-stem" rows="3">${escapeHtml(q.stem || "")}</textarea>
    <p class="field-error" data-error-for="stem" hidden></p>
    <div class="field-label">图片、音频、视频 <small class="muted">PNG、JPEG、GIF、WebP、MP3、M4A、OGG、MP4、WebM，每个不超过 10 MB</small></div>
    <div id="e-media">${(q.media || []).map(mediaRow).join("")}</div>
    <label class="btn ghost small file-btn">＋ 上传<input type="file" id="e-media-file" accept="${MEDIA_ACCEPT}" hidden></label>
    <p class="field-error" data-error-for="media" hidden></p>
    ${CHOICE.has(type) ? `<div class="field-label">选项</div><div id="e-options">${options.map((o, i) =>
      optionRow(KEYS[i], o.text, o.media)).join("")}</div>
      <button type="button" class="btn ghost small" id="e-add-option">＋ 添加选项</button>
      <p class="field-error" data-error-for="options" hidden></p>` : ""}
    <div class="field-label">答案</div>
    <div id="e-answer-box">${answerEditor(type, draft)}</div>
    <p class="field-error" data-error-for="answer" hidden></p>
    <label for="e-explanation">解析</label>
    <textarea id="e-explanation" rows="3">${escapeHtml(q.explanation || "")}</textarea>
    <p class="field-error" data-error-for="explanation" hidden></p>
    <label for="e-tags">标签 <small class="muted">多个用顿号或逗号分隔</small></label>
    <input id="e-tags" type="text" value="${escapeHtml((q.tags || []).join("、"))}">
    <p class="field-error" data-error-for="tags" hidden></p>
    <div class="actions">
      <button type="submit" class="btn" id="e-save">保存</button>
      <button type="button" class="btn secondary" id="e-cancel">取消</button>
    </div>`;
}

function refreshAnswerKeys() {
  const box = $("e-answer-keys");
  if (!box) return;
  const chosen = new Set([...box.querySelectorAll('[aria-pressed="true"]')].map((b) => b.dataset.key));
  const options = readOptions();
  box.innerHTML = options.map((o) =>
    `<button type="button" class="chip" data-key="${o.key}" aria-pressed="${chosen.has(o.key)}">${o.key}</button>`).join("");
}

function readEditor() {
  const type = $("e-type").value;
  const body = {
    type,
    stem: $("e-stem").value.trim(),
    explanation: $("e-explanation").value.trim(),
    difficulty: Number($("e-difficulty").value),
    tags: $("e-tags").value.split(/[、,，;；/]/).map((t) => t.trim()).filter(Boolean),
    options: CHOICE.has(type) ? readOptions() : [],
    media: readMedia(),
  };
  if (CHOICE.has(type)) {
    body.answer = [...document.querySelectorAll('#e-answer-keys [aria-pressed="true"]')].map((b) => b.dataset.key).sort();
  } else if (type === "judge") {
    body.answer = [$("e-answer").value === "true"];
  } else if (type === "fill") {
    body.answer = $("e-answer").value.split("\n").map((line) => line.split("|").map((a) => a.trim()).filter(Boolean))
      .filter((alts) => alts.length);
  } else {
    body.answer = [$("e-answer").value.trim()];
  }
  return body;
}

function showFieldErrors(error) {
  const form = $("editor");
  form.querySelectorAll(".field-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
  const general = [];
  for (const detail of error.details || []) {
    const field = fieldFor(detail.field);
    const el = field && form.querySelector(`[data-error-for="${field}"]`);
    if (el) {
      el.textContent = el.textContent ? `${el.textContent}；${detail.message}` : detail.message;
      el.hidden = false;
    } else {
      general.push(detail.message);
    }
  }
  const box = $("e-error");
  const shown = general.length || !(error.details || []).length;
  box.textContent = shown ? (general.join("；") || error.message) : "请修改标红的字段后再保存";
  box.hidden = false;
}

function openEditor(question) {
  editing = question;
  $("editor-title").textContent = question.id ? `编辑题目 #${question.id}` : "新增题目";
  renderEditor(question);
  $("editor-card").hidden = false;
  $("editor-card").scrollIntoView({ behavior: "smooth", block: "start" });
  $("e-stem").focus({ preventScroll: true });
}

function closeEditor() {
  editing = null;
  $("editor-card").hidden = true;
  $("editor").innerHTML = "";
}

function initEditor(bankId) {
  const form = $("editor");
  form.addEventListener("change", (event) => {
    if (event.target.id === "e-type") {
      const draft = { ...editing, ...readEditor() };
      draft.answer = [];
      renderEditor(draft, event.target.value);
    }
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches(".opt-input")) refreshAnswerKeys();
  });
  // Uploads: the file is checked and stored at once (POST /api/media); the question names it when saved.
  form.addEventListener("change", async (event) => {
    const input = event.target;
    if (!input.matches("#e-media-file, .opt-file") || !input.files.length) return;
    const file = input.files[0];
    const errorBox = form.querySelector('[data-error-for="media"]');
    errorBox.hidden = true;
    try {
      const stored = await uploadMedia(file);
      const m = { kind: stored.kind, url: stored.url, width: stored.width, height: stored.height, alt: "",
        variants: stored.variants };
      if (input.id === "e-media-file") {
        $("e-media").insertAdjacentHTML("beforeend", mediaRow(m));
      } else {
        const row = input.closest(".option-edit");
        const text = row.querySelector(".opt-input").value;
        row.outerHTML = optionRow(row.dataset.key, text, m);
      }
      toast(`已上传 ${file.name}`, "ok");
    } catch (error) {
      errorBox.textContent = error.message || String(error);
      errorBox.hidden = false;
    }
    input.value = "";
  });
  form.addEventListener("click", (event) => {
    const target = event.target;
    if (target.id === "e-cancel") closeEditor();
    if (target.id === "e-add-option") {
      const rows = document.querySelectorAll("#e-options .option-edit").length;
      if (rows >= KEYS.length) { toast("最多 8 个选项"); return; }
      $("e-options").insertAdjacentHTML("beforeend", optionRow(KEYS[rows], ""));
      refreshAnswerKeys();
    }
    if (target.matches("[data-remove-media]")) target.closest(".media-edit").remove();
    if (target.matches("[data-remove-option-media]")) {
      const row = target.closest(".option-edit");
      row.outerHTML = optionRow(row.dataset.key, row.querySelector(".opt-input").value);
    }
    if (target.matches("[data-remove-option]")) {
      if (document.querySelectorAll("#e-options .option-edit").length <= 2) { toast("至少保留 2 个选项"); return; }
      target.closest(".option-edit").remove();
      document.querySelectorAll("#e-options .option-edit").forEach((row, i) => {
        row.dataset.key = KEYS[i];
        row.querySelector(".opt-key").textContent = KEYS[i];
      });
      refreshAnswerKeys();
    }
    const chip = target.closest("#e-answer-keys .chip");
    if (chip) {
      const single = $("e-type").value === "single";
      if (single) document.querySelectorAll("#e-answer-keys .chip").forEach((c) => c.setAttribute("aria-pressed", "false"));
      chip.setAttribute("aria-pressed", String(single || chip.getAttribute("aria-pressed") !== "true"));
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = readEditor();
    await busy($("e-save"), "正在保存…", async () => {
      try {
        const saved = editing.id
          ? await api("PUT", `/api/questions/${editing.id}`, body)
          : await api("POST", `/api/banks/${bankId}/questions`, body);
        toast(editing.id ? `已保存题目 #${saved.id}` : `已新增题目 #${saved.id}`, "ok");
        closeEditor();
        await refreshCounts(bankId);
        await loadQuestions(bankId);
      } catch (error) {
        showFieldErrors(error);
      }
    });
  });
}

// --- wiring --------------------------------------------------------------------------

function initBankPage(root) {
  const bankId = Number(root.dataset.bankId);
  initImport(bankId);
  initEditor(bankId);
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); loadQuestions(bankId, 0); });
  for (const id of ["f-type", "f-tag", "f-difficulty"]) $(id).addEventListener("change", () => loadQuestions(bankId, 0));
  $("prev-page").addEventListener("click", () => loadQuestions(bankId, Math.max(0, listOffset - PAGE_SIZE)));
  $("next-page").addEventListener("click", () => loadQuestions(bankId, listOffset + PAGE_SIZE));
  $("new-question").addEventListener("click", () => openEditor({ type: "single", difficulty: 3, tags: [] }));
  $("questions").addEventListener("click", (event) => {
    const edit = event.target.closest("[data-edit]");
    if (edit) openEditor(listItems.get(Number(edit.dataset.edit)));
    const del = event.target.closest("[data-delete]");
    if (del) deleteQuestion(bankId, del);
  });
  loadQuestions(bankId, 0);
}

const bankPage = $("bank-page");
if (bankPage) initBankPage(bankPage);
else if ($("banks")) initBankList();
