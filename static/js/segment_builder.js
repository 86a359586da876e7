// The segment builder's form on the host page (/host): builds a live game's `segments` (CONTRACT §7)
// without JSON. What it edits is the very array POST /api/live takes; what the segments mean, their
// checks and texts live in the pure segment_model.js.
import {
  FIELDS, KINDS, KIND_FIELDS, LIMITS, QUESTION_TYPES, TEMPLATES, TEXTS as T, explainError, fieldHint, fieldValue,
  fromJson, move, newSegment, perTeamHint, rescaleForTeams, setField, setRule, setSource, sourceOf, summarize, toJson,
  validate,
} from "./segment_model.js";
import { TYPE_NAMES } from "./format.js";

const OPTIONAL_EXTRA = ["team_ids", "speed_bonus", "team_score", "answerer", "buzz_window_s", "foul_points", "foul_policy",
  "rebuzz_after_wrong", "no_buzz", "risk_values", "pick_order", "allow_decline", "risk_once", "rounds", "mode",
  "places_that_matter", "points", "wrong_points", "timeout_points", "time_limit_s"];

/** Draw the builder into the host page's form. `deps`: `{api, escapeHtml}` (common.js, passed in so this
 *  module stays importable by node). Returns `{segments(), teams(), setBank(id), check(game), showErrors(error),
 *  clearErrors()}`. */
export function mountBuilder(doc, deps) {
  const { api, escapeHtml: esc } = deps;
  const $ = (id) => doc.getElementById(id);
  const list = $("sb-segments");
  const preview = $("sb-preview");
  const json = $("custom-segments");
  const jsonError = $("sb-json-error");
  const picker = $("sb-picker");
  const state = { segments: [], stash: new WeakMap(), bank: null, bankInfo: null, questions: new Map(),
    teams: Number($("custom-teams").value) || 8, errors: { game: [], segments: {} }, pickFor: null, pickOffset: 0 };

  // -- rendering ------------------------------------------------------------------------------------
  function fieldHtml(i, s, name) {
    const spec = FIELDS[name];
    const id = `sb-${i}-${name}`;
    const hint = fieldHint(s.kind, name);
    const hintId = hint ? `${id}-hint` : "";
    const described = hintId ? ` aria-describedby="${hintId}"` : "";
    const hintHtml = hint ? `<small id="${hintId}" class="sb-hint">${esc(hint)}</small>` : "";
    const value = fieldValue(s, name);
    if (spec.type === "check") {
      return `<label class="check sb-check"><input type="checkbox" data-field="${name}"${value ? " checked" : ""}> ${esc(T.fields[name])}</label>`;
    }
    if (spec.type === "choice") {
      const options = Object.entries(T.choices[name]).map(([k, text]) => `<option value="${k}"${k === value ? " selected" : ""}>${esc(text)}</option>`).join("");
      return `<div class="sb-field"><label for="${id}">${esc(T.fields[name])}</label><select id="${id}" data-field="${name}"${described}>${options}</select>${hintHtml}</div>`;
    }
    const shown = value === null || value === undefined ? "" : Array.isArray(value) ? value.join("，") : String(value);
    const numeric = spec.type === "number" || spec.type === "int";
    const attrs = numeric ? ` type="number" inputmode="decimal" min="${spec.exclusiveMin ? spec.min + 1 : spec.min}" max="${spec.max}" step="${spec.type === "int" ? 1 : "any"}"`
      : ` type="text" inputmode="numeric"`;
    const placeholder = spec.optional ? ` placeholder="${T.ui.defaultValue}"` : "";
    return `<div class="sb-field"><label for="${id}">${esc(T.fields[name])}</label><input id="${id}" data-field="${name}"${attrs}${placeholder} value="${esc(shown)}"${described}>${hintHtml}</div>`;
  }

  function questionsHtml(i, s) {
    const ids = s.question_ids || [];
    const rows = ids.map((id, n) => {
      const q = state.questions.get(id);
      const stem = q ? q.stem : T.ui.unknownStem(id);
      return `<li data-q="${n}"><span class="sb-qno">${n + 1}</span><span class="sb-qtype">${esc(q ? TYPE_NAMES[q.type] || q.type : "")}</span>
        <span class="sb-stem">${esc(stem)}</span>
        <span class="sb-qtools">
          <button type="button" class="btn small ghost icon" data-q-move="-1" aria-label="${T.ui.qUp(n + 1)}"${n === 0 ? " disabled" : ""}>↑</button>
          <button type="button" class="btn small ghost icon" data-q-move="1" aria-label="${T.ui.qDown(n + 1)}"${n === ids.length - 1 ? " disabled" : ""}>↓</button>
          <button type="button" class="btn small ghost icon" data-q-remove aria-label="${T.ui.qRemove(n + 1)}">✕</button>
        </span></li>`;
    }).join("");
    return `<div class="sb-picked"><div class="sb-picked-head"><b>${T.ui.picked(ids.length)}</b>
      <button type="button" class="btn small secondary" data-pick>${T.ui.choose}</button></div>
      ${ids.length ? `<ol class="sb-qlist">${rows}</ol>` : `<p class="muted">${T.ui.noneChosen}</p>`}</div>`;
  }

  function ruleHtml(i, s) {
    const r = s.rule || {};
    const id = `sb-${i}-rule`;
    const types = QUESTION_TYPES.map((t) => `<option value="${t}"${t === r.type ? " selected" : ""}>${esc(TYPE_NAMES[t])}</option>`).join("");
    const [lo, hi] = r.difficulty == null ? [1, 5] : Array.isArray(r.difficulty) ? [r.difficulty[0], r.difficulty[1] ?? r.difficulty[0]] : [r.difficulty, r.difficulty];
    const levels = (selected) => [1, 2, 3, 4, 5].map((d) => `<option value="${d}"${d === selected ? " selected" : ""}>${d}</option>`).join("");
    const bankTags = state.bankInfo ? Object.keys(state.bankInfo.counts_by_tag || {}) : [];
    const tags = [...new Set([...bankTags, ...(r.tags || [])])];
    const tagHtml = tags.length ? tags.map((tag) => `<label class="sb-tag"><input type="checkbox" data-rule-tag value="${esc(tag)}"${(r.tags || []).includes(tag) ? " checked" : ""}> ${esc(tag)}${
      state.bankInfo && state.bankInfo.counts_by_tag[tag] != null ? ` <small>${state.bankInfo.counts_by_tag[tag]}</small>` : ""}</label>`).join("")
      : `<span class="muted">${T.ui.noTags}</span>`;
    const available = state.bankInfo && r.type ? `<small class="sb-hint">${T.ui.available((state.bankInfo.counts_by_type || {})[r.type] || 0, r.type)}</small>` : "";
    return `<div class="sb-rule">
      <div class="sb-field"><label for="${id}-type">${T.fields["rule.type"]}</label><select id="${id}-type" data-rule="type">${r.type ? "" : `<option value="">${T.ui.anyType}</option>`}${types}</select>${available}</div>
      <div class="sb-field"><label for="${id}-count">${T.fields["rule.count"]}</label><input id="${id}-count" type="number" min="1" max="${LIMITS.ruleCount}" step="1" data-rule="count" value="${esc(r.count ?? "")}" aria-describedby="${id}-per-team"><small id="${id}-per-team" class="sb-hint" data-per-team>${esc(perTeamHint(s, state.teams))}</small></div>
      <fieldset class="sb-field sb-diff"><legend>${T.ui.difficulty}</legend>
        <label for="${id}-lo" class="sb-inline">${T.ui.from}</label><select id="${id}-lo" data-rule-diff="0">${levels(lo)}</select>
        <label for="${id}-hi" class="sb-inline">${T.ui.to}</label><select id="${id}-hi" data-rule-diff="1">${levels(hi)}</select></fieldset>
      <fieldset class="sb-tags"><legend>${T.ui.tags}</legend><div class="sb-tag-box">${tagHtml}</div></fieldset>
    </div>`;
  }

  function segmentHtml(s, i, count) {
    const source = sourceOf(s);
    const fields = (KIND_FIELDS[s.kind] || []).map((name) => fieldHtml(i, s, name)).join("");
    const shown = new Set(["kind", "title", "question_ids", "rule", ...(KIND_FIELDS[s.kind] || [])]);
    const extra = Object.keys(s).filter((k) => !shown.has(k) && OPTIONAL_EXTRA.includes(k)).map((k) => T.fields[k] || k);
    const errors = state.errors.segments[i] || [];
    const radios = Object.entries(T.ui.sources).map(([k, text]) => `<label class="sb-radio"><input type="radio" name="sb-${i}-source" value="${k}" data-source${
      k === source ? " checked" : ""}> ${text}</label>`).join("");
    return `<fieldset class="sb-seg" data-seg="${i}" data-kind="${s.kind}" aria-labelledby="sb-${i}-head">
      <div class="sb-seg-head">
        <h3 id="sb-${i}-head"><span class="sb-kind">${esc(T.ui.heading(i, s))}</span></h3>
        <div class="sb-seg-tools">
          <button type="button" class="btn small secondary" data-move="-1" aria-label="${T.ui.upLabel(i)}"${i === 0 ? " disabled" : ""}>↑ ${T.ui.up}</button>
          <button type="button" class="btn small secondary" data-move="1" aria-label="${T.ui.downLabel(i)}"${i === count - 1 ? " disabled" : ""}>↓ ${T.ui.down}</button>
          <button type="button" class="btn small danger" data-remove aria-label="${T.ui.removeLabel(i)}">${T.ui.remove}</button>
        </div>
      </div>
      <div class="sb-grid">
        <div class="sb-field sb-title"><label for="sb-${i}-title">${T.fields.title}</label><input id="sb-${i}-title" type="text" maxlength="${LIMITS.title}" data-field="title" value="${esc(s.title || "")}"></div>
        ${fields}
      </div>
      ${extra.length ? `<p class="muted small">${esc(T.ui.extra(extra))}</p>` : ""}
      <fieldset class="sb-source"><legend>${T.ui.sourceLegend}</legend><div class="sb-radios">${radios}</div></fieldset>
      ${source !== "rule" ? questionsHtml(i, s) : ""}
      ${source !== "pick" ? ruleHtml(i, s) : ""}
      <div class="sb-seg-errors form-error" role="alert"${errors.length ? "" : " hidden"}>${errors.map((e) => `<p>${esc(e)}</p>`).join("")}</div>
    </fieldset>`;
  }

  function render(focus) {
    list.innerHTML = state.segments.length ? state.segments.map((s, i) => segmentHtml(s, i, state.segments.length)).join("")
      : `<p class="sb-empty muted">${T.ui.empty}</p>`;
    refresh();
    if (focus) {
      const el = list.querySelector(focus);
      if (el && !el.disabled) el.focus();
      else if (el) (el.closest("[data-seg]")?.querySelector("[data-move]:not([disabled]), [data-remove]") || el).focus();
    }
  }

  function renderPreview() {
    const sum = summarize(state.segments, state.teams);
    if (!sum.rows.length) { preview.innerHTML = `<p class="muted">${T.ui.empty}</p>`; return; }
    preview.innerHTML = `<div class="sb-table-wrap"><table class="sb-table"><thead><tr>${T.ui.previewHead.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>
      <tbody>${sum.rows.map((r) => `<tr><td><b>${r.index + 1}. ${esc(r.title)}</b>${r.title !== r.kindName ? `<small class="muted">${esc(r.kindName)}</small>` : ""}</td>
        <td>${T.ui.count(r.count)}<small class="muted">${esc(r.source)}</small></td><td>${esc(r.details)}</td><td class="num">${esc(T.minutes(r.seconds))}</td></tr>`).join("")}</tbody>
      </table></div><p class="sb-total"><b>${esc(sum.text)}</b></p>${sum.tiebreak ? `<p class="muted small">${esc(sum.tiebreak)}</p>` : ""}`;
  }

  function syncJson() {
    if (doc.activeElement === json) return; // the power user is typing there
    json.value = toJson(state.segments);
    jsonError.hidden = true;
  }

  function refresh() {
    renderPreview();
    syncJson();
    list.querySelectorAll("[data-per-team]").forEach((el) => {
      const s = state.segments[segmentOf(el)];
      if (s) el.textContent = perTeamHint(s, state.teams);
    });
  }

  function forget() {
    // What was shown is about the data as it was sent (a draw short in one segment leaves the next ones
    // short too): any edit clears it, and the next check or the server says again what is still wrong.
    if (!state.errors.game.length && !Object.keys(state.errors.segments).length) return;
    state.errors = { game: [], segments: {} };
    list.querySelectorAll(".sb-seg-errors").forEach((box) => { box.hidden = true; });
    summary();
  }

  // -- questions ------------------------------------------------------------------------------------
  async function learn(ids) {
    const missing = ids.filter((id) => !state.questions.has(id) && Number.isInteger(id));
    if (!missing.length) return;
    await Promise.all(missing.slice(0, 100).map(async (id) => {
      try { state.questions.set(id, await api("GET", `/api/questions/${id}`)); } catch { /* shown as 题目 #id */ }
    }));
    render();
  }

  function usedIn(id) {
    return state.segments.findIndex((s) => (s.question_ids || []).includes(id));
  }

  async function search(append = false) {
    const box = $("sb-results");
    const status = $("sb-result-status");
    if (!state.bank) { box.innerHTML = ""; status.textContent = T.ui.pickBankFirst; return; }
    if (!append) state.pickOffset = 0;
    const params = new URLSearchParams({ limit: "20", offset: String(state.pickOffset) });
    const text = $("sb-search").value.trim();
    if (text) params.set("q", text);
    if ($("sb-filter-type").value) params.set("type", $("sb-filter-type").value);
    if ($("sb-filter-tag").value) params.set("tag", $("sb-filter-tag").value);
    status.textContent = T.ui.searching;
    try {
      const data = await api("GET", `/api/banks/${state.bank}/questions?${params}`);
      for (const q of data.items) state.questions.set(q.id, q);
      const rows = data.items.map((q) => `<li data-id="${q.id}">${resultInner(q)}</li>`).join("");
      if (append) box.insertAdjacentHTML("beforeend", rows); else box.innerHTML = rows;
      state.pickOffset += data.items.length;
      const shown = box.children.length;
      status.textContent = data.total ? T.ui.results(shown, data.total) : T.ui.noResults;
      $("sb-more").hidden = shown >= data.total;
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function resultInner(q) {
    const seg = state.segments[state.pickFor];
    const chosen = seg && (seg.question_ids || []).includes(q.id);
    const other = usedIn(q.id);
    const elsewhere = !chosen && other >= 0 && other !== state.pickFor;
    const tags = (q.tags || []).map((t) => `<span class="sb-chip">${esc(t)}</span>`).join("");
    return `<div class="sb-r-main"><span class="sb-qtype">${esc(TYPE_NAMES[q.type] || q.type)}</span> <span class="sb-stem">${esc(q.stem)}</span>
      <div class="sb-r-meta">${tags}<small class="muted">${esc(T.ui.meta(q))}</small></div></div>
      ${elsewhere ? `<span class="muted small sb-r-used">${T.ui.usedElsewhere(other)}</span>`
        : `<button type="button" class="btn small ${chosen ? "secondary" : ""}" data-toggle-q="${q.id}" aria-pressed="${chosen}">${chosen ? T.ui.addedQ : T.ui.addQ}</button>`}`;
  }

  function fillTagFilter() {
    const tags = state.bankInfo ? Object.keys(state.bankInfo.counts_by_tag || {}) : [];
    const chosen = $("sb-filter-tag").value;
    $("sb-filter-tag").innerHTML = `<option value="">${T.ui.allTags}</option>${tags.map((t) => `<option value="${esc(t)}"${
      t === chosen ? " selected" : ""}>${esc(t)}</option>`).join("")}`;
  }

  function openPicker(i) {
    state.pickFor = i;
    $("sb-picker-title").textContent = T.ui.pickerTitle(i, state.segments[i]);
    $("sb-filter-tag").value = "";
    fillTagFilter();
    $("sb-filter-type").innerHTML = `<option value="">${T.ui.allTypes}</option>${QUESTION_TYPES.map((t) => `<option value="${t}">${TYPE_NAMES[t]}</option>`).join("")}`;
    if (typeof picker.showModal === "function") picker.showModal(); else picker.setAttribute("open", "");
    $("sb-search").focus();
    search();
  }

  function closePicker() {
    if (picker.open && typeof picker.close === "function") picker.close();
    else picker.removeAttribute("open");
  }

  picker.addEventListener("close", () => {
    const i = state.pickFor;
    state.pickFor = null;
    render(i != null ? `[data-seg="${i}"] [data-pick]` : null);
  });
  $("sb-picker-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  $("sb-filter-type").addEventListener("change", () => search());
  $("sb-filter-tag").addEventListener("change", () => search());
  $("sb-more").addEventListener("click", () => search(true));
  $("sb-picker-done").addEventListener("click", closePicker);
  $("sb-results").addEventListener("click", (event) => {
    const button = event.target.closest("[data-toggle-q]");
    const seg = state.segments[state.pickFor];
    if (!button || !seg) return;
    const id = Number(button.dataset.toggleQ);
    const ids = seg.question_ids || (seg.question_ids = []);
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1); else ids.push(id);
    const row = button.closest("li");
    row.innerHTML = resultInner(state.questions.get(id));
    row.querySelector("[data-toggle-q]")?.focus();
    refresh();
  });

  // -- editing --------------------------------------------------------------------------------------
  function segmentOf(target) {
    const box = target.closest("[data-seg]");
    return box ? Number(box.dataset.seg) : -1;
  }

  function onEdit(event) {
    const target = event.target;
    const i = segmentOf(target);
    const s = state.segments[i];
    if (!s) return;
    forget();
    if (target.dataset.field) {
      setField(s, target.dataset.field, target.type === "checkbox" ? target.checked : target.value);
      if (target.dataset.field === "title") list.querySelector(`#sb-${i}-head .sb-kind`).textContent = T.ui.heading(i, s);
      refresh();
    } else if (target.dataset.rule) {
      setRule(s, target.dataset.rule, target.value);
      if (event.type === "change" && target.dataset.rule === "type") render(`#sb-${i}-rule-type`); else refresh();
    } else if (target.dataset.ruleDiff !== undefined) {
      const box = target.closest(".sb-diff");
      setRule(s, "difficulty", [...box.querySelectorAll("select")].map((el) => el.value));
      refresh();
    } else if (target.hasAttribute("data-rule-tag")) {
      const box = target.closest(".sb-tags");
      setRule(s, "tags", [...box.querySelectorAll("[data-rule-tag]:checked")].map((el) => el.value));
      refresh();
    } else if (target.hasAttribute("data-source") && event.type === "change") {
      const stash = state.stash.get(s) || {};
      state.stash.set(s, stash);
      setSource(s, target.value, stash);
      render(`[data-seg="${i}"] [data-source][value="${target.value}"]`);
    }
  }
  list.addEventListener("input", onEdit);
  list.addEventListener("change", onEdit);

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const i = segmentOf(button);
    const s = state.segments[i];
    if (!s) return;
    if (button.dataset.move || button.hasAttribute("data-remove")) clearErrors(); // they name segments by place
    if (button.dataset.move) {
      const to = move(state.segments, i, Number(button.dataset.move));
      render(`[data-seg="${to}"] [data-move="${button.dataset.move}"]`);
    } else if (button.hasAttribute("data-remove")) {
      state.segments.splice(i, 1);
      const next = Math.min(i, state.segments.length - 1);
      render(next >= 0 ? `[data-seg="${next}"] [data-remove]` : null);
      if (next < 0) $("sb-add").querySelector("button").focus();
    } else if (button.hasAttribute("data-pick")) {
      openPicker(i);
    } else if (button.dataset.qMove || button.hasAttribute("data-q-remove")) {
      const n = Number(button.closest("[data-q]").dataset.q);
      if (button.hasAttribute("data-q-remove")) {
        s.question_ids.splice(n, 1);
        const left = s.question_ids.length;
        render(left ? `[data-seg="${i}"] [data-q="${Math.min(n, left - 1)}"] [data-q-remove]` : `[data-seg="${i}"] [data-pick]`);
      } else {
        const to = move(s.question_ids, n, Number(button.dataset.qMove));
        render(`[data-seg="${i}"] [data-q="${to}"] [data-q-move="${button.dataset.qMove}"]`);
      }
    }
  });

  $("sb-add").innerHTML = KINDS.map((k) => `<button type="button" class="btn small secondary" data-add="${k}">${T.ui.add(k)}</button>`).join("");
  $("sb-add").addEventListener("click", (event) => {
    const button = event.target.closest("[data-add]");
    if (!button) return;
    state.segments.push(newSegment(button.dataset.add));
    clearErrors();
    render(`[data-seg="${state.segments.length - 1}"] [data-field="title"]`);
  });

  $("sb-templates").innerHTML = TEMPLATES.map((t) => `<button type="button" class="btn small secondary sb-template" data-template="${t.id}">
    <b>${esc(t.name)}</b><small>${esc(t.description)}</small></button>`).join("");
  $("sb-templates").addEventListener("click", (event) => {
    const button = event.target.closest("[data-template]");
    if (!button) return;
    const template = TEMPLATES.find((t) => t.id === button.dataset.template);
    if (state.segments.length && !deps.confirm(T.ui.templateConfirm)) return;
    state.segments = template.build(state.teams);
    clearErrors();
    render();
    deps.toast?.(T.ui.applied(template.name));
  });

  $("custom-teams").addEventListener("input", () => {
    const teams = Number($("custom-teams").value);
    if (!Number.isInteger(teams) || teams < 1 || teams > LIMITS.teams) return;
    rescaleForTeams(state.segments, state.teams, teams);
    state.teams = teams;
    render();
  });

  json.addEventListener("input", () => {
    const read = fromJson(json.value);
    if (read.error) { jsonError.textContent = read.error; jsonError.hidden = false; return; }
    jsonError.hidden = true;
    state.segments = read.segments;
    render();
    learn(state.segments.flatMap((s) => s.question_ids || []));
  });
  json.addEventListener("blur", () => { if (jsonError.hidden) syncJson(); });

  function clearErrors() {
    state.errors = { game: [], segments: {} };
    $("custom-error").hidden = true;
  }

  function summary() {
    const box = $("custom-error");
    const count = Object.keys(state.errors.segments).length;
    const lines = [...state.errors.game];
    if (count) lines.push(T.ui.fix(count));
    box.innerHTML = lines.map((l) => `<span>${esc(l)}</span>`).join("<br>");
    box.hidden = !lines.length;
  }

  function showErrors(errors) {
    state.errors = errors;
    render();
    summary();
    const box = $("custom-error");
    const first = list.querySelector(".sb-seg-errors:not([hidden])");
    (first || box).scrollIntoView({ block: "center", behavior: "smooth" });
  }

  render();

  return {
    segments: () => JSON.parse(JSON.stringify(state.segments)),
    teams: () => state.teams,
    jsonPending: () => !jsonError.hidden,
    async setBank(id) {
      state.bank = id || null;
      state.bankInfo = null;
      let info = null;
      if (id) { try { info = await api("GET", `/api/banks/${id}`); } catch { /* tags unknown */ } }
      if (state.bank !== (id || null)) return; // another bank was chosen meanwhile
      state.bankInfo = info;
      if (state.pickFor != null) fillTagFilter(); // the picker opened before the bank's tags came
      render();
    },
    setTeams(n) {
      if (!Number.isInteger(n) || n < 1) return;
      rescaleForTeams(state.segments, state.teams, n);
      state.teams = n;
      $("custom-teams").value = String(n);
      render();
    },
    /** Check before sending: shows the problems and returns false, or clears them and returns true. */
    check(game) {
      const problems = validate(state.segments, game);
      if (!problems.length) { clearErrors(); return true; }
      const errors = { game: [], segments: {} };
      for (const p of problems) {
        const label = p.field === "title" || FIELDS[p.field] ? `“${T.fields[p.field]}”` : "";
        if (p.segment == null) errors.game.push(p.message);
        else (errors.segments[p.segment] = errors.segments[p.segment] || []).push(`${label}${p.message}`);
      }
      showErrors(errors);
      return false;
    },
    showServerError(error) { showErrors(explainError(error)); },
    clearErrors,
  };
}
