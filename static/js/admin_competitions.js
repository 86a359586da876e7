// Organiser pages for competitions: the list (/admin/competitions) and one competition
// (/admin/competitions/{id}): teams and their import, rounds, rankings with ties flagged,
// tie-break results, score entry, advancement, prizes and exports; groups (drawn or set by hand) with each
// group's live game and its state; substitutes; the results notice and certificates; and, on top of each
// round, its next step (the server's ranking.next_step) with the one button that does it.
import { api, escapeHtml, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const STAGES = { prelim: "初赛", semifinal: "复赛", final: "决赛" };
const FORMATS = { exam: "线上测试", live: "现场竞赛" };

function fmtTime(ms) {
  if (ms === null || ms === undefined) return "";
  const seconds = ms / 1000;
  const m = Math.floor(seconds / 60);
  const s = (seconds - m * 60).toFixed(ms % 1000 ? 1 : 0);
  return m ? `${m}分${s.padStart(2, "0")}秒` : `${s}秒`;
}

async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try { return await work(); } finally { button.disabled = false; button.removeAttribute("aria-busy"); }
}

function errorsTable(errors) {
  return `<div class="table-wrap"><table class="error-table"><thead><tr><th>行</th><th>列</th><th>问题</th></tr></thead><tbody>${
    errors.map((e) => `<tr><td>${e.row ?? ""}</td><td>${escapeHtml(e.field || "")}</td><td>${escapeHtml(e.message)}</td></tr>`).join("")
  }</tbody></table></div>`;
}

// --- the list ------------------------------------------------------------------------------------

async function loadList() {
  const box = $("competitions");
  try {
    const data = await api("GET", "/api/competitions?limit=200");
    box.innerHTML = data.items.length ? data.items.map((c) => `<a class="bank-row" href="/admin/competitions/${c.id}">
      <span class="bank-name">${escapeHtml(c.title)}<small class="muted">${c.round_count} 个轮次</small></span>
      <span class="bank-count"><strong>${c.team_count}</strong> 队</span><span class="chev" aria-hidden="true">›</span></a>`).join("")
      : '<p class="muted">还没有竞赛，在右侧新建一个。</p>';
  } catch (e) {
    box.innerHTML = `<div class="alert error" role="alert">${escapeHtml(e.message)}</div>`;
  }
}

function initList() {
  loadList();
  $("create-competition").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const error = $("create-error");
    error.hidden = true;
    try {
      const made = await busy(form.querySelector("button"), () => api("POST", "/api/competitions", {
        title: form.title.value, description: form.description.value }));
      location.href = `/admin/competitions/${made.id}`;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  });
}

// --- one competition -----------------------------------------------------------------------------

const state = { id: null, competition: null, roundId: null, ranking: null, editing: false, tieOrders: {}, banks: null };
const GAME_STATES = { none: "未创建", lobby: "未开始", running: "进行中", finished: "已结束" };

function ruleText(round) {
  if (!round.advance) return "不晋级";
  if (round.advance.top_per_group !== undefined) {
    return `每组前 ${round.advance.top_per_group} 名晋级` + (round.advance.best_of_rest ? `，另取其余成绩最好的 ${round.advance.best_of_rest} 名` : "");
  }
  if (round.advance.top !== undefined) return `前 ${round.advance.top} 名晋级`;
  return `${round.advance.min_score} 分及以上晋级`;
}

function prizesText(prizes) {
  return (prizes || []).map((p) => `${p.name} ${p.count}`).join("，");
}

function parsePrizes(text) {
  const prizes = [];
  for (const part of text.split(/[,，;；、\n]+/).map((s) => s.trim()).filter(Boolean)) {
    const match = part.match(/^(.*?)[\s×xX*:：]*(\d+)\s*[名个队]?$/);
    if (!match || !match[1].trim()) throw new Error(`奖项“${part}”应写成“名称 数量”，如“一等奖 2”`);
    prizes.push({ name: match[1].trim(), count: Number(match[2]) });
  }
  return prizes;
}

async function loadCompetition(selectId) {
  const c = await api("GET", `/api/competitions/${state.id}`);
  state.competition = c;
  const members = c.teams.reduce((n, t) => n + t.members.length, 0);
  $("competition-summary").innerHTML = [`<span class="stat-chip"><strong>${c.teams.length}</strong> 支队伍</span>`,
    `<span class="stat-chip"><strong>${members}</strong> 名队员</span>`,
    `<span class="stat-chip"><strong>${c.rounds.length}</strong> 个轮次</span>`].join("");
  $("team-count").textContent = `共 ${c.teams.length} 队`;
  $("teams-table").querySelector("tbody").innerHTML = c.teams.map((t) => `<tr><td>${escapeHtml(t.name)}</td>
    <td>${escapeHtml(t.unit)}</td><td>${t.members.map((m) => escapeHtml(`${m.name}（${m.username}）`)).join("、")}</td>
    <td><button type="button" class="btn ghost small" data-substitute="${t.id}">更换队员</button></td></tr>`).join("")
    || '<tr><td colspan="4" class="muted">还没有队伍</td></tr>';
  const wanted = selectId ?? state.roundId ?? Number(location.hash.replace("#round-", "")) ?? null;
  state.roundId = c.rounds.some((r) => r.id === wanted) ? wanted : (c.rounds[0]?.id ?? null);
  renderTabs();
  if (state.roundId) await loadRanking();
  else $("round-view").innerHTML = '<p class="muted">还没有轮次。点“添加轮次”，先建初赛。</p>';
}

function renderTabs() {
  $("round-tabs").innerHTML = state.competition.rounds.map((r) => `<button type="button" class="chip" role="tab"
    aria-pressed="${r.id === state.roundId}" aria-selected="${r.id === state.roundId}" data-round="${r.id}">
    ${escapeHtml(r.name)}<span class="chip-count">${r.team_count}</span></button>`).join("");
}

async function loadRanking() {
  history.replaceState(null, "", `#round-${state.roundId}`);
  state.ranking = await api("GET", `/api/rounds/${state.roundId}/ranking`);
  renderRound();
}

function statusCells(row, round) {
  const flags = [];
  if (row.tied) flags.push('<span class="flag tie">并列</span>');
  if (row.tiebreak) flags.push('<span class="flag tb">加赛决出</span>');
  let advanced = "";
  if (row.advanced === null) advanced = '<span class="flag wait">待加赛</span>';
  else if (row.advanced) advanced = '<span class="flag yes">晋级</span>';
  else if (round.advance) advanced = '<span class="muted">未晋级</span>';
  const index = (round.prizes || []).findIndex((p) => p.name === row.prize);
  const prize = row.prize ? `<span class="prize p${Math.min(index < 0 ? 2 : index, 2)}">${escapeHtml(row.prize)}</span>` : "";
  return `<td>${advanced}</td><td>${prize}</td><td>${flags.join(" ")}</td>`;
}

function tieBox(tie, index) {
  const names = Object.fromEntries(state.ranking.teams.map((t) => [t.team_id, t.name]));
  const order = state.tieOrders[index] || [...tie.team_ids];
  state.tieOrders[index] = order;
  const decides = tie.decides.map((d) => (d === "advance" ? "晋级" : "奖项")).join("、");
  return `<div class="tie-box" data-tie="${index}"><h3>并列待决（影响${decides}）</h3><p>${escapeHtml(tie.message)}</p>
    <p class="muted">加赛后，按加赛名次排列以下队伍（第一位名次最高），然后保存：</p>
    <ol class="tie-order">${order.map((id, i) => `<li><span>${escapeHtml(names[id] || id)}</span>
      <button type="button" class="btn ghost small" data-move="-1" data-pos="${i}" aria-label="上移" ${i ? "" : "disabled"}>↑</button>
      <button type="button" class="btn ghost small" data-move="1" data-pos="${i}" aria-label="下移" ${i < order.length - 1 ? "" : "disabled"}>↓</button>
      </li>`).join("")}</ol>
    <button type="button" class="btn small" data-save-tie="${index}">保存加赛结果</button></div>`;
}

function renderRound() {
  const { round, teams, players, ties } = state.ranking;
  const locked = round.advanced || round.awarded;
  const meta = [STAGES[round.stage], FORMATS[round.format], round.team_score === "average" ? "队员平均分" : "队员得分之和",
    ruleText(round), round.prizes.length ? `奖项：${prizesText(round.prizes)}` : "", round.exam_id ? `测试 #${round.exam_id}` : "",
    round.live_id ? `现场竞赛 #${round.live_id}` : "", round.advanced ? "已晋级" : "", round.awarded ? "已颁奖" : ""]
    .filter(Boolean).map((m) => `<span class="stat-chip">${escapeHtml(m)}</span>`).join("");
  const editing = state.editing && !locked;
  const grouped = round.groups.length > 0;
  const rows = teams.map((t) => `<tr class="${t.tied ? "is-tied" : ""} ${round.advance && t.advanced === false ? "is-out" : ""}">
    ${grouped ? `<td>${escapeHtml(t.group || "")}</td><td class="num">${t.group_rank ?? ""}</td>` : ""}
    <td class="num">${t.rank}</td><td class="team">${escapeHtml(t.name)}</td><td class="wide-only">${escapeHtml(t.unit)}</td>
    <td class="members-cell wide-only">${(t.players.length ? t.players : t.members).map(escapeHtml).join("、")}</td>
    ${editing ? `<td class="num"><input type="number" step="any" data-score="${t.team_id}" value="${t.source === "manual" ? t.score : ""}"
      placeholder="${t.score}" aria-label="${escapeHtml(t.name)} 得分"></td><td class="num"><input type="number" min="0" step="any"
      data-time="${t.team_id}" value="${t.source === "manual" ? t.time_ms / 1000 : ""}" placeholder="秒" aria-label="${escapeHtml(t.name)} 用时（秒）"></td>`
    : `<td class="num"><strong>${t.score}</strong></td><td class="num">${fmtTime(t.time_ms)}</td>`}
    ${statusCells(t, round)}</tr>`).join("");
  const playerRows = players.map((p) => `<tr><td class="num">${p.rank ?? "—"}</td><td>${escapeHtml(p.name)}</td>
    <td class="wide-only">${escapeHtml(p.username)}</td><td class="wide-only">${escapeHtml(p.unit)}</td><td>${escapeHtml(p.team_name)}</td>
    <td class="num">${p.score ?? "未参加"}</td><td class="num">${fmtTime(p.time_ms)}</td></tr>`).join("");
  $("round-view").innerHTML = `${nextStepBox(state.ranking)}<div class="round-meta">${meta}</div>
    ${groupsBox(round, teams, locked)}
    ${ties.map(tieBox).join("")}
    <div class="actions">
      ${locked ? "" : `<button type="button" class="btn secondary small" id="edit-scores">${editing ? "取消录入" : "录入成绩"}</button>`}
      ${editing ? '<button type="button" class="btn small" id="save-scores">保存成绩</button>' : ""}
      ${round.advance && !round.advanced ? '<button type="button" class="btn small" id="advance">晋级到下一轮</button>' : ""}
      ${round.advanced && round.next_round_id ? `<button type="button" class="btn ghost small" data-round="${round.next_round_id}">查看下一轮 ›</button>` : ""}
      ${round.prizes.length && !round.awarded ? '<button type="button" class="btn small" id="award">确定奖项</button>' : ""}
      <button type="button" class="btn ghost small" id="edit-round">轮次设置</button>
      <a class="btn ghost small" href="/api/competitions/${state.id}/rankings?format=xlsx&round=${round.id}" download>导出本轮 Excel</a>
      <a class="btn ghost small" href="/api/competitions/${state.id}/rankings?format=csv&round=${round.id}" download>CSV</a>
      <a class="btn ghost small" href="/admin/rounds/${round.id}/notice" target="_blank" rel="noopener">成绩通报</a>
      ${teams.some((t) => t.prize) ? `<a class="btn ghost small" href="/api/rounds/${round.id}/certificates.pdf" target="_blank" rel="noopener">获奖证书 PDF</a>` : ""}
    </div>
    ${editing ? '<p class="muted">留空表示不录入（沿用测试或现场成绩）；用时以秒为单位，同分时用时少者名次在前。</p>' : ""}
    <div class="table-wrap"><table class="rank-table"><thead><tr>${grouped ? '<th>小组</th><th class="num">组内</th>' : ""}<th class="num">名次</th><th>队伍</th><th class="wide-only">单位</th><th class="wide-only">队员</th>
      <th class="num">得分</th><th class="num">用时</th><th>晋级</th><th>奖项</th><th>备注</th></tr></thead>
      <tbody>${rows || '<tr><td colspan="11" class="muted">本轮还没有参赛队伍（由上一轮晋级产生）。</td></tr>'}</tbody></table></div>
    ${players.length ? `<details><summary>个人成绩（${players.length} 人）</summary><div class="table-wrap"><table class="rank-table">
      <thead><tr><th class="num">名次</th><th>姓名</th><th class="wide-only">账号</th><th class="wide-only">单位</th><th>队伍</th><th class="num">得分</th><th class="num">用时</th></tr></thead>
      <tbody>${playerRows}</tbody></table></div></details>` : ""}`;
}

function nextStepBox(ranking) {
  const step = ranking.next_step;
  const round = ranking.round;
  if (!step) return "";
  let button = "";
  if (step.step === "enter_teams") {
    const previous = state.competition.rounds.filter((r) => r.id !== round.id && ["prelim", "semifinal", "final"].indexOf(r.stage)
      < ["prelim", "semifinal", "final"].indexOf(round.stage)).pop();
    button = previous ? `<button type="button" class="btn small" data-round="${previous.id}">去${escapeHtml(previous.name)}晋级</button>`
      : '<button type="button" class="btn small" id="go-teams">导入队伍</button>';
  } else if (step.step === "draw_groups") {
    button = `<button type="button" class="btn small" id="draw-groups" data-count="${step.count}">蛇形抽签分 ${step.count} 组</button>`;
  } else if (step.step === "create_games") {
    const group = step.groups[0];
    button = `<button type="button" class="btn small" id="create-game" data-group="${escapeHtml(group || "")}">创建${escapeHtml(group || "本轮")}的比赛</button>`;
  } else if (step.step === "play") {
    const open = round.groups.find((g) => g.state !== "finished" && g.live_id) || (round.live_id ? { live_id: round.live_id, name: "" } : null);
    button = open ? `<a class="btn small" href="/host/${open.live_id}" target="_blank" rel="noopener">打开${escapeHtml(open.name)}主持台</a>` : "";
  } else if (step.step === "settle_ties") {
    button = '<button type="button" class="btn small" id="go-ties">记录加赛结果</button>';
  } else if (step.step === "advance") {
    button = '<button type="button" class="btn small" id="step-advance">晋级到下一轮</button>';
  } else if (step.step === "award") {
    button = '<button type="button" class="btn small" id="step-award">确定奖项</button>';
  } else if (step.step === "done") {
    button = `<a class="btn small" href="/admin/rounds/${round.id}/notice" target="_blank" rel="noopener">打印成绩通报</a>`;
  }
  return `<div class="next-step" role="status"><strong>下一步：</strong><span>${escapeHtml(step.message)}</span>${button}</div>`;
}

function groupsBox(round, teams, locked) {
  const names = Object.fromEntries(teams.map((t) => [t.team_id, t.name]));
  const draw = locked || round.groups.some((g) => g.live_id) ? "" : `<div class="draw-controls">
    <label for="g-count">分组数</label><input id="g-count" type="number" min="1" max="50" value="${round.groups.length || 2}">
    <label for="g-seeding">方式</label><select id="g-seeding"><option value="snake">按上一轮名次蛇形分组</option><option value="random">随机抽签</option></select>
    <button type="button" class="btn secondary small" id="draw-groups-custom">${round.groups.length ? "重新分组" : "分组"}</button></div>`;
  if (!round.groups.length) return round.format === "live" && !locked && teams.length ? `<details class="groups-box"><summary>分组赛（一个舞台约 8 队）</summary>${draw}</details>` : "";
  const how = round.groups[0].seeding === "random" ? `随机抽签（种子 ${round.groups[0].seed}，可复核）`
    : round.groups[0].seeding === "snake" ? "按上一轮名次蛇形分组" : "手工分组";
  return `<div class="groups-box"><h3>分组（${escapeHtml(how)}）</h3>
    <p><a class="btn ghost small" href="/screen/draw/${round.id}" target="_blank" rel="noopener">大屏抽签仪式</a></p><div class="groups-grid">${round.groups.map((g) => `
    <div class="group-card"><div class="group-head"><strong>${escapeHtml(g.name)}</strong>
      <span class="flag ${g.state === "finished" ? "yes" : g.state === "running" ? "tie" : ""}">${GAME_STATES[g.state] || g.state}</span></div>
      <ol>${g.team_ids.map((id) => `<li>${escapeHtml(names[id] || String(id))}</li>`).join("")}</ol>
      ${g.live_id ? `<p><a href="/host/${g.live_id}" target="_blank" rel="noopener">主持台</a> · <a href="/screen/${g.pin}" target="_blank" rel="noopener">大屏</a> · 比赛码 ${escapeHtml(g.pin || "")}</p>`
      : `<button type="button" class="btn ghost small" data-create-game="${escapeHtml(g.name)}">创建本组比赛</button>`}
    </div>`).join("")}</div>${draw}</div>`;
}

async function chooseBank() {
  if (!state.banks) {
    const data = await api("GET", "/api/banks?limit=200");
    state.banks = data.items || [];
  }
  if (!state.banks.length) throw new Error("还没有题库：先导入题库，再创建现场比赛");
  if (state.banks.length === 1) return state.banks[0].id;
  const list = state.banks.map((b, i) => `${i + 1}. ${b.name}`).join("\n");
  const answer = prompt(`用哪个题库出题？输入序号：\n${list}`, "1");
  const bank = state.banks[Number(answer) - 1];
  if (!bank) throw new Error("没有选择题库");
  return bank.id;
}

async function createGame(button, group) {
  const round = state.ranking.round;
  const bankId = await chooseBank();
  const body = { title: `${round.name}${group ? ` · ${group}` : ""}`, round_id: round.id, bank_id: bankId,
    segments: [{ kind: "all", title: "全员答题", rule: { type: "single", count: 10 }, time_limit_s: 20, points: 10 }] };
  if (group) body.group = group;
  const game = await busy(button, () => api("POST", "/api/live", body));
  toast(`${group || round.name}的比赛已创建，比赛码 ${game.pin}`, "ok");
}

async function drawGroups(button, count, seeding) {
  const result = await busy(button, () => api("PUT", `/api/rounds/${state.roundId}/groups`, { count, seeding }));
  toast(`已分为 ${result.groups.length} 组`, "ok");
}

async function roundAction(event) {
  const target = event.target.closest("button");
  if (!target) return;
  const rid = state.roundId;
  try {
    if (target.dataset.round) {
      state.roundId = Number(target.dataset.round);
      state.editing = false;
      state.tieOrders = {};
      renderTabs();
      await loadRanking();
    } else if (target.dataset.move) {
      const box = target.closest("[data-tie]");
      const order = state.tieOrders[box.dataset.tie];
      const i = Number(target.dataset.pos);
      const j = i + Number(target.dataset.move);
      [order[i], order[j]] = [order[j], order[i]];
      renderRound();
    } else if (target.dataset.saveTie !== undefined) {
      await busy(target, () => api("POST", `/api/rounds/${rid}/tiebreak`, { team_ids: state.tieOrders[target.dataset.saveTie] }));
      state.tieOrders = {};
      toast("加赛结果已记录", "ok");
      await loadRanking();
    } else if (target.id === "draw-groups") {
      await drawGroups(target, Number(target.dataset.count), "snake");
      await loadRanking();
    } else if (target.id === "draw-groups-custom") {
      await drawGroups(target, Number($("g-count").value), $("g-seeding").value);
      await loadRanking();
    } else if (target.id === "create-game" || target.dataset.createGame !== undefined) {
      await createGame(target, target.dataset.group ?? target.dataset.createGame);
      await loadRanking();
    } else if (target.id === "go-ties") {
      document.querySelector(".tie-box")?.scrollIntoView({ behavior: "smooth", block: "center" });
    } else if (target.id === "go-teams") {
      $("team-import-form").scrollIntoView({ behavior: "smooth", block: "start" });
    } else if (target.id === "edit-scores") {
      state.editing = !state.editing;
      renderRound();
    } else if (target.id === "save-scores") {
      const teams = state.ranking.teams.map((t) => {
        const score = document.querySelector(`[data-score="${t.team_id}"]`).value.trim();
        const time = document.querySelector(`[data-time="${t.team_id}"]`).value.trim();
        return { team_id: t.team_id, score: score === "" ? null : Number(score), time_ms: Math.round(Number(time || 0) * 1000) };
      }).filter((t) => t.score !== null || state.ranking.teams.find((x) => x.team_id === t.team_id).source === "manual");
      state.ranking = await busy(target, () => api("PUT", `/api/rounds/${rid}/scores`, { teams }));
      state.editing = false;
      toast("成绩已保存", "ok");
      renderRound();
    } else if (target.id === "advance" || target.id === "step-advance") {
      if (!confirm("按当前排名把晋级队伍送入下一轮？晋级后本轮成绩不能再修改。")) return;
      const result = await busy(target, () => api("POST", `/api/rounds/${rid}/advance`));
      toast(`${result.team_ids.length} 支队伍已晋级`, "ok");
      await loadCompetition(result.next_round_id);
    } else if (target.id === "award" || target.id === "step-award") {
      if (!confirm("按当前排名确定奖项？确定后本轮成绩不能再修改。")) return;
      const result = await busy(target, () => api("POST", `/api/rounds/${rid}/prizes`));
      toast(`已确定 ${result.awards.length} 支队伍的奖项`, "ok");
      await loadRanking();
    } else if (target.id === "edit-round") {
      openRoundForm(state.ranking.round);
    }
  } catch (e) {
    toast(e.message, "error");
    if (e.status === 409) await loadRanking().catch(() => {});
  }
}

// --- the round form --------------------------------------------------------------------------------

async function loadExams() {
  const select = $("r-exam");
  try {
    const data = await api("GET", "/api/exams?limit=200");
    const items = Array.isArray(data) ? data : data.items || [];
    select.insertAdjacentHTML("beforeend", items.map((e) => `<option value="${e.id}">${escapeHtml(e.title)}（#${e.id}）</option>`).join(""));
  } catch { /* no tests area here: rounds use entered scores */ }
}

function openRoundForm(round) {
  const form = $("round-form");
  form.hidden = false;
  $("round-error").hidden = true;
  $("round-form-title").textContent = round ? `设置：${round.name}` : "添加轮次";
  form.round_id.value = round?.id ?? "";
  const taken = new Set(state.competition.rounds.map((r) => r.stage));
  form.stage.value = round?.stage ?? (["prelim", "semifinal", "final"].find((s) => !taken.has(s)) || "final");
  form.name.value = round && round.name !== STAGES[round.stage] ? round.name : "";  // empty: named after the stage
  form.format.value = round?.format ?? (form.stage.value === "prelim" ? "exam" : "live");
  if (round?.exam_id && !form.exam_id.querySelector(`option[value="${round.exam_id}"]`)) {
    form.exam_id.insertAdjacentHTML("beforeend", `<option value="${round.exam_id}">测试 #${round.exam_id}</option>`);
  }
  form.exam_id.value = round?.exam_id ?? "";
  form.team_score.value = round?.team_score ?? "sum";
  const advance = round?.advance || null;
  form.advance_kind.value = advance ? (advance.top_per_group !== undefined ? "top_per_group"
    : advance.top !== undefined ? "top" : "min_score") : "";
  form.advance_value.value = advance ? (advance.top_per_group ?? advance.top ?? advance.min_score) : "";
  form.advance_rest.value = advance?.best_of_rest ?? "";
  form.prizes.value = round ? prizesText(round.prizes) : (form.stage.value === "final" ? "一等奖 2，二等奖 3，三等奖 3" : "");
  syncFormat();
  form.scrollIntoView({ behavior: "smooth", block: "start" });
}

function syncFormat() {
  $("r-exam-field").hidden = $("r-format").value !== "exam";
}

async function submitRound(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $("round-error");
  error.hidden = true;
  try {
    const kind = form.advance_kind.value;
    const value = form.advance_value.value.trim();
    if (kind && value === "") throw new Error("请填写晋级名额或分数线");
    const body = {
      stage: form.stage.value, name: form.name.value.trim(), format: form.format.value,
      exam_id: form.format.value === "exam" && form.exam_id.value ? Number(form.exam_id.value) : null,
      team_score: form.team_score.value, advance: kind ? { [kind]: Number(value) } : null,
      prizes: parsePrizes(form.prizes.value),
    };
    if (kind === "top_per_group" && Number(form.advance_rest.value || 0) > 0) {
      body.advance.best_of_rest = Number(form.advance_rest.value);
    }
    const id = form.round_id.value;
    const saved = await busy($("round-submit"), () => (id ? api("PATCH", `/api/rounds/${id}`, body)
      : api("POST", `/api/competitions/${state.id}/rounds`, body)));
    form.hidden = true;
    toast("轮次已保存", "ok");
    await loadCompetition(saved.id);
  } catch (e) {
    error.textContent = e.details?.length ? e.details.map((d) => d.message).join("；") : e.message;
    error.hidden = false;
  }
}

// --- teams ---------------------------------------------------------------------------------------

async function importTeams(event) {
  event.preventDefault();
  const file = $("team-file").files[0];
  const report = $("team-report");
  if (!file) { toast("请先选择文件", "error"); return; }
  const data = new FormData();
  data.append("file", file);
  try {
    const result = await busy(event.currentTarget.querySelector("button"), () =>
      api("POST", `/api/competitions/${state.id}/teams/import`, data, { form: true }));
    report.innerHTML = `<div class="report-box ok"><h3>导入成功</h3><p>${result.teams} 支队伍，${result.members} 名队员，
      新建账号 ${result.created_users} 个。</p></div>`;
    await loadCompetition();
  } catch (e) {
    const errors = e.body?.errors || e.details || [];
    report.innerHTML = `<div class="report-box bad"><h3>${escapeHtml(e.message)}</h3>${errors.length ? errorsTable(errors) : ""}</div>`;
  }
}

async function substitute(button) {
  const team = state.competition.teams.find((t) => t.id === Number(button.dataset.substitute));
  const current = team.members.map((m) => `${m.name} ${m.username}`).join("\n");
  const text = prompt(`更换“${team.name}”的队员（替补）：每行一人“姓名 账号”，按座次顺序。\n已比赛轮次的成绩仍记在当时上场的队员名下。`, current);
  if (text === null) return;
  const members = text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const parts = line.split(/[\s,，]+/);
    return parts.length > 1 ? { name: parts.slice(0, -1).join(""), username: parts[parts.length - 1] } : { username: parts[0] };
  });
  try {
    await busy(button, () => api("PUT", `/api/competitions/${state.id}/teams/${team.id}`, { members }));
    toast("队员已更换", "ok");
    await loadCompetition();
  } catch (e) {
    toast(e.message, "error");
  }
}

async function addTeam(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const members = form.members.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const parts = line.split(/[\s,，]+/);
    return parts.length > 1 ? { name: parts.slice(0, -1).join(""), username: parts[parts.length - 1] } : { username: parts[0] };
  });
  try {
    await busy(form.querySelector("button"), () => api("POST", `/api/competitions/${state.id}/teams`, {
      name: form.name.value, unit: form.unit.value, members }));
    form.reset();
    toast("队伍已添加", "ok");
    await loadCompetition();
  } catch (e) {
    toast(e.details?.length ? e.details.map((d) => d.message || d.team || "").join("；") || e.message : e.message, "error");
  }
}

function initDetail(page) {
  state.id = Number(page.dataset.competitionId);
  $("round-tabs").addEventListener("click", roundAction);
  $("round-view").addEventListener("click", roundAction);
  $("show-round-form").addEventListener("click", () => openRoundForm(null));
  $("round-cancel").addEventListener("click", () => { $("round-form").hidden = true; });
  $("r-format").addEventListener("change", syncFormat);
  $("round-form").addEventListener("submit", submitRound);
  $("team-import-form").addEventListener("submit", importTeams);
  $("team-file").addEventListener("change", (e) => { $("team-file-name").textContent = e.target.files[0]?.name || "点击选择文件"; });
  $("team-form").addEventListener("submit", addTeam);
  $("teams-table").addEventListener("click", (event) => {
    const button = event.target.closest("[data-substitute]");
    if (button) substitute(button);
  });
  loadExams();
  loadCompetition().catch((e) => {
    $("round-view").innerHTML = `<div class="alert error" role="alert">${escapeHtml(e.message)}</div>`;
  });
}

const detail = $("competition-page");
if (detail) initDetail(detail);
else if ($("competitions-page")) initList();
