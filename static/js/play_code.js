// The /play page without a PIN: join by code (moved out of play.html: the CSP runs no inline script).
// Join by code: six digits (full-width digits from Chinese keyboards count), then the game's own address.
const form = document.getElementById("code-form");
const input = document.getElementById("code");
const error = document.getElementById("code-error");
input.addEventListener("input", () => {
  const digits = input.value.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");
  if (digits !== input.value) input.value = digits.slice(0, 6);
  error.hidden = true;
  if (input.value.length === 6 && /^\d{6}$/.test(input.value)) form.requestSubmit ? form.requestSubmit() : form.submit();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!/^\d{6}$/.test(input.value)) {
    error.textContent = "竞赛码是 6 位数字";
    error.hidden = false;
    input.focus();
    return;
  }
  location.assign(`/play/${input.value}`);
});
if (!error.hidden) input.select(); else input.focus();
