// The audit log page: filters in the query string (so a filtered view can be bookmarked or shared),
// 50 entries a page, and the export links carrying the same filters.
import { api, escapeHtml } from "./common.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 50;
const form = $("audit-filters");
const body = $("audit-table").querySelector("tbody");
let offset = 0;

function filters() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (String(value).trim()) params.set(key, String(value).trim());
  }
  return params;
}

function localText(iso) {
  return String(iso || "").replace("T", " ").slice(0, 19);
}

function detailText(details) {
  // One "key: value" a line; changes as "from → to".
  return Object.entries(details || {}).map(([key, value]) => {
    if (value && typeof value === "object" && "from" in value && "to" in value) {
      return `${key}: ${JSON.stringify(value.from)} → ${JSON.stringify(value.to)}`;
    }
    return `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`;
  }).join("\n");
}

function render(data) {
  if (!data.items.length) {
    body.innerHTML = '<tr><td colspan="5" class="muted">没有符合条件的记录。</td></tr>';
  } else {
    body.innerHTML = data.items.map((e) => `
      <tr>
        <td class="nowrap">${escapeHtml(localText(e.at))}</td>
        <td>${escapeHtml(e.actor || "—")}</td>
        <td>${escapeHtml(e.action_name)}</td>
        <td>${escapeHtml(e.target_name)}${e.target_id ? ` #${e.target_id}` : ""}</td>
        <td><pre class="audit-details">${escapeHtml(detailText(e.details))}</pre></td>
      </tr>`).join("");
  }
  const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
  $("audit-pager").hidden = data.total <= PAGE_SIZE;
  $("audit-page-info").textContent = `第 ${Math.floor(offset / PAGE_SIZE) + 1} / ${pages} 页，共 ${data.total} 条`;
  $("audit-prev").disabled = offset === 0;
  $("audit-next").disabled = offset + PAGE_SIZE >= data.total;
}

async function load() {
  const params = filters();
  for (const fmt of ["xlsx", "csv"]) {
    const link = new URLSearchParams(params);
    link.set("format", fmt);
    $(`export-${fmt}`).href = `/api/audit/export?${link}`;
  }
  const query = new URLSearchParams(params);
  query.set("limit", PAGE_SIZE);
  query.set("offset", offset);
  history.replaceState(null, "", `${location.pathname}?${params}`);
  try {
    render(await api("GET", `/api/audit?${query}`));
  } catch (error) {
    body.innerHTML = `<tr><td colspan="5"><div class="alert error" role="alert">${escapeHtml(error.message || error)}</div></td></tr>`;
  }
}

function restore() {
  const params = new URLSearchParams(location.search);
  for (const element of form.elements) {
    if (element.name && params.has(element.name)) element.value = params.get(element.name);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  load();
});
$("audit-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE_SIZE); load(); });
$("audit-next").addEventListener("click", () => { offset += PAGE_SIZE; load(); });
restore();
load();
