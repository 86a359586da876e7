// Shared helpers for every page: JSON calls in the contract's error shape, a toast, logout.

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `请求失败（${status}）`);
    this.status = status;
    this.code = err.code || "network_error";
    this.details = err.details || [];
    this.body = body;
  }
}

/** Call the JSON API; throws ApiError with the server's Chinese message. */
export async function api(method, url, body, { form = false, signal, token = null } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
  if (token) init.headers.Authorization = `Bearer ${token}`; // e.g. a live game's host token instead of the login
  if (body !== undefined && body !== null) {
    if (form) init.body = body;
    else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, { error: { code: "network_error", message: "网络连接失败，请检查网络后重试" } });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let toastTimer = null;
/** Show a short message at the bottom of the screen. */
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export { TYPE_NAMES, TYPE_SHORT, answerLong, answerText, signed } from "./format.js";

/** Mark `button` busy (disabled, aria-busy) or not, optionally relabelled `label`: for work that ends with a
 *  later message rather than a promise (joining a live game). */
export function markBusy(button, on, label) {
  if (!button) return;
  button.disabled = on;
  if (on) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
  if (label) button.textContent = label;
}

/** Run `work` with `button` disabled and marked busy (optionally relabelled `label`), whatever happens. */
export async function busy(button, label, work) {
  if (typeof label === "function") { work = label; label = null; }
  const before = button.textContent;
  markBusy(button, true, label);
  try {
    return await work();
  } finally {
    markBusy(button, false, label ? before : null);
  }
}

document.querySelectorAll("[data-logout]").forEach((button) => {
  button.addEventListener("click", async () => {
    try { await api("POST", "/api/auth/logout"); } catch { /* leaving anyway */ }
    location.href = "/";
  });
});

// --- 大字模式: one toggle on every page, remembered on this device -------------------------------------------
const LARGE_TEXT_KEY = "quiz.largeText";
function largeTextOn() {
  try { return window.localStorage.getItem(LARGE_TEXT_KEY) === "1"; } catch { return false; }
}
function applyLargeText(on) {
  document.documentElement.classList.toggle("large-text", on);
  document.querySelectorAll("[data-large-text]").forEach((b) => {
    b.setAttribute("aria-pressed", String(on));
    b.textContent = on ? "标准字" : "大字";
  });
}
applyLargeText(largeTextOn());
document.querySelectorAll("[data-large-text]").forEach((button) => {
  button.addEventListener("click", () => {
    const on = !document.documentElement.classList.contains("large-text");
    try { window.localStorage.setItem(LARGE_TEXT_KEY, on ? "1" : "0"); } catch { /* private mode: this visit only */ }
    applyLargeText(on);
  });
});
