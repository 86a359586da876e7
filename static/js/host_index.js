// The host's games (/host): the list, a quick open game from a bank, and a game built from segments
// (the form is static/js/segment_builder.js). A new game's host token goes into this tab's sessionStorage,
// never into an address.
import { api, escapeHtml, toast } from "./common.js";
import { mountBuilder } from "./segment_builder.js";

const T = {
  none: "还没有比赛。用右侧表单创建一场。",
  status: { lobby: "等待开始", running: "进行中", finished: "已结束" },
  console: "控制台",
  screen: "大屏",
  join: "加入页",
  noBanks: "还没有题库",
  pickBank: "请选择题库",
  badJson: "“高级：编辑 JSON”中的内容有误，请改正或收起后再创建",
  roundTeams: (n) => `这一轮有 ${n} 支参赛队伍`,
  creating: "正在创建…",
  create: "创建并进入控制台",
  kinds: { all: "全员答题", required: "必答题", buzzer: "抢答题", risk: "风险题", tiebreak: "加赛" },
  segments: (list) => list.map((s) => `${s.title || T.kinds[s.kind] || s.kind}（${s.questions} 题）`).join(" · "),
};

const $ = (id) => document.getElementById(id);
const builder = mountBuilder(document, { api, escapeHtml, toast, confirm: (text) => window.confirm(text) });

async function loadGames() {
  const box = $("games");
  try {
    const data = await api("GET", "/api/live?limit=50");
    const items = data.items || [];
    box.innerHTML = items.length ? items.map((g) => `<div class="game-row">
      <span class="g-pin">${escapeHtml(g.pin)}</span>
      <div class="g-main"><b>${escapeHtml(g.title)}<span class="status-chip ${escapeHtml(g.status)}">${escapeHtml(T.status[g.status] || g.status)}</span></b>
        <small class="muted">${escapeHtml(T.segments(g.segments || []))}</small></div>
      <a class="btn small" href="/host/${g.id}">${T.console}</a>
      <a class="btn small secondary" href="${escapeHtml(g.screen_url)}" target="_blank" rel="noopener">${T.screen}</a>
      <a class="btn small ghost" href="${escapeHtml(g.join_url)}" target="_blank" rel="noopener">${T.join}</a>
    </div>`).join("") : `<p class="muted">${T.none}</p>`;
  } catch (error) {
    box.innerHTML = `<p class="form-error">${escapeHtml(error.message)}</p>`;
  }
}

async function loadBanks() {
  try {
    const data = await api("GET", "/api/banks?limit=200");
    const options = (data.items || []).map((b) => `<option value="${b.id}">${escapeHtml(b.name)}（${b.question_count} 题）</option>`).join("");
    const html = options ? `<option value="">${T.pickBank}</option>${options}` : `<option value="">${T.noBanks}</option>`;
    $("quick-bank").innerHTML = html;
    $("custom-bank").innerHTML = html;
    if ((data.items || []).length === 1) { $("quick-bank").selectedIndex = 1; $("custom-bank").selectedIndex = 1; }
    builder.setBank(Number($("custom-bank").value) || null);
  } catch (error) {
    $("quick-bank").innerHTML = `<option value="">${escapeHtml(error.message)}</option>`;
  }
}

function showError(id, error) {
  const box = $(id);
  const details = (error.details || []).map((d) => d.message).filter(Boolean);
  box.textContent = details.length > 1 ? `${error.message}：${details.join("；")}` : error.message || String(error);
  box.hidden = false;
}

function enter(game) {
  try { window.sessionStorage.setItem(`quiz.live.host.${game.id}`, game.host_token); } catch { /* the login cookie still works */ }
  location.assign(`/host/${game.id}`);
}

async function create(button, errorId, url, body) {
  $(errorId).hidden = true;
  button.disabled = true;
  button.textContent = T.creating;
  try {
    enter(await api("POST", url, body));
  } catch (error) {
    showError(errorId, error);
    button.disabled = false;
    button.textContent = T.create;
  }
}

$("quick-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const bank = Number($("quick-bank").value);
  if (!bank) { showError("quick-error", { message: T.pickBank }); return; }
  const tags = $("quick-tags").value.split(/[,，、\s]+/).map((t) => t.trim()).filter(Boolean);
  create($("quick-go"), "quick-error", "/api/live/quick", {
    bank_id: bank, title: $("quick-title-input").value.trim(), count: Number($("quick-count").value) || 10,
    time_limit_s: Number($("quick-time").value) || 20, points: Number($("quick-points").value) || 10,
    speed_bonus: $("quick-speed").checked, tags,
  });
});

function customGame() {
  const game = { title: $("custom-title-input").value.trim() };
  const bank = Number($("custom-bank").value);
  if (bank) game.bank_id = bank;
  const round = Number($("custom-round").value);
  if (round) game.round_id = round;
  const group = $("custom-group").value.trim();
  if (group) game.group = group;
  const base = $("custom-base").value.trim();
  if (base !== "" && base !== "0") game.base_score = Number(base); // a typo is the server's 422, shown as such
  return game;
}

$("custom-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("custom-error").hidden = true;
  if (builder.jsonPending()) { showError("custom-error", { message: T.badJson }); return; }
  const game = customGame();
  if (!builder.check({ bankId: game.bank_id, roundId: game.round_id })) return;
  const button = $("custom-go");
  button.disabled = true;
  button.textContent = T.creating;
  api("POST", "/api/live", { ...game, segments: builder.segments() }).then(enter, (error) => {
    builder.showServerError(error);
    button.disabled = false;
    button.textContent = T.create;
  });
});

$("custom-bank").addEventListener("change", () => builder.setBank(Number($("custom-bank").value) || null));

// An organizer may read the round: its team count then sets "questions per team" (a host just types it).
$("custom-round").addEventListener("change", async () => {
  const round = Number($("custom-round").value);
  if (!round) return;
  try {
    const data = await api("GET", `/api/rounds/${round}`);
    const teams = (data.team_ids || []).length;
    if (teams) { builder.setTeams(teams); toast(T.roundTeams(teams)); }
  } catch { /* not readable by a host: the typed team count stays */ }
});

$("games-refresh").addEventListener("click", loadGames);
loadGames();
loadBanks();
