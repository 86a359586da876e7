// The big screen's draw ceremony (/screen/draw/{round_id}): the round's teams dealt into the groups one by
// one, in the order the draw dealt them. Space (or a click) deals the next card, A deals the rest by itself,
// M mutes. Without JavaScript every card simply shows: the page is the result, the ceremony only its telling.
import { muteKey, play, unlockOn } from "./sound.js";
import { textOverflows } from "./screen_fit.js";

const tv = document.getElementById("tv");
const grid = document.getElementById("draw-grid");
const progress = document.getElementById("draw-progress");
const cards = [...document.querySelectorAll(".draw-card")].sort((a, b) => a.dataset.turn - b.dataset.turn);
const AUTO_EVERY_MS = 1400;
let dealt = 0;
let timer = null;

function scaleStage() {
  const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
  tv.style.transform = `translate(-50%, -50%) scale(${scale})`;
}

const UNITS_FROM_U = 0.8; // below this, the units give their line to the names (a full board of long names)

/** The largest text at which no team name is cut: the grid and every card are measured with all cards shown. */
function fitAt() {
  let u = 1.6;
  grid.style.setProperty("--u", String(u));
  const cut = () => grid.scrollHeight > grid.clientHeight + 1 || grid.scrollWidth > grid.clientWidth + 1
    || cards.some((card) => [...card.children].some((el) => el.offsetParent !== null && textOverflows(el)));
  while (u > 0.35 && cut()) {
    u -= 0.05;
    grid.style.setProperty("--u", u.toFixed(2));
  }
  return u;
}

function fit() {
  if (!grid) return;
  grid.classList.add("measuring");
  grid.classList.remove("no-units");
  if (fitAt() < UNITS_FROM_U) {
    grid.classList.add("no-units");
    fitAt();
  }
  grid.classList.remove("measuring");
}

function show() {
  cards.forEach((card, i) => {
    card.classList.toggle("pending", i >= dealt);
    card.classList.toggle("latest", i === dealt - 1);
  });
  if (progress) progress.textContent = dealt >= cards.length ? "抽签完成" : `已抽 ${dealt} / ${cards.length}`;
  tv.classList.toggle("draw-done", dealt >= cards.length);
}

function deal() {
  if (dealt >= cards.length) { stopAuto(); return; }
  dealt += 1;
  play(dealt === cards.length ? "fanfare" : "buzz");
  show();
}

function stopAuto() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

function auto() {
  if (timer !== null) { stopAuto(); return; }
  deal();
  timer = setInterval(deal, AUTO_EVERY_MS);
}

scaleStage();
window.addEventListener("resize", scaleStage);
if (grid) {
  document.fonts?.ready.then(fit);
  fit();
  tv.classList.add("draw-live");
  show();
  unlockOn(document);
  muteKey();
  document.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "ArrowRight" || event.key === "Enter") { event.preventDefault(); stopAuto(); deal(); }
    else if (event.key === "a" || event.key === "A") auto();
  });
  tv.addEventListener("click", () => { stopAuto(); deal(); });
}
