// Entry page: log in (then go where the member was heading, or to their role's home), or join a game by code.
import { api } from "./common.js";

const ORGANIZER_ROLES = new Set(["organizer", "admin"]);

function homeFor(user) {
  if (ORGANIZER_ROLES.has(user.role)) return "/admin";
  return user.role === "host" ? "/host" : "/practice"; // a host logs in to run a game
}

function showError(el, message) {
  el.textContent = message;
  el.hidden = !message;
}

const loginForm = document.getElementById("login-form");
if (loginForm) {
  const button = document.getElementById("login-button");
  const errorBox = document.getElementById("login-error");
  const username = document.getElementById("username");
  const password = document.getElementById("password");

  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errorBox, "");
    if (!username.value.trim()) { showError(errorBox, "请输入账号"); username.focus(); return; }
    if (!password.value) { showError(errorBox, "请输入密码"); password.focus(); return; }
    button.disabled = true;
    button.textContent = "正在登录…";
    try {
      const data = await api("POST", "/api/auth/login", { username: username.value.trim(), password: password.value });
      button.textContent = "登录成功，正在进入…";
      location.assign(loginForm.dataset.next || homeFor(data.user));
    } catch (error) {
      let message = error.message;
      if (error.status === 401) message = "账号或密码错误，请重新输入";
      else if (error.status === 429) message = error.message || "登录失败次数过多，请稍后再试";
      else if (error.status === 422) message = "请输入账号和密码";
      showError(errorBox, message);
      button.disabled = false;
      button.textContent = "登录";
      if (error.status === 401) { password.select(); password.focus(); }
    }
  });
}

const joinForm = document.getElementById("join-form");
if (joinForm) {
  const pin = document.getElementById("pin");
  const errorBox = document.getElementById("join-error");
  pin.addEventListener("input", () => {
    // Full-width digits typed on some Chinese keyboards count too.
    const digits = pin.value.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");
    if (digits !== pin.value) pin.value = digits.slice(0, 6);
    showError(errorBox, "");
  });
  joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!/^\d{6}$/.test(pin.value)) {
      showError(errorBox, "竞赛码是 6 位数字");
      pin.focus();
      return;
    }
    location.assign(`/play/${pin.value}`);
  });
}
