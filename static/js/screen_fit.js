// Fitting the big screen's question to its stage: the screen cannot scroll, so the text size follows the content.
//
// Every size in the question area is a multiple of --u (screen.css). fitQuestion tries each layout that suits
// the content (options in two columns or one; a long distribution in one or two columns), finds for each the
// largest --u at which nothing overflows (binary search: a handful of layouts, not a pixel-by-pixel loop), and
// keeps the layout with the largest text. The stage is always 1920×1080 stage pixels (scaled as a whole to the
// projector), so the fit is the same at 1280×720, 1920×1080 and 3840×2160.

/** Largest and smallest option text, in stage pixels. 34 is the floor we promise for reading at 20 m; below it
 *  only for text no real bank has, because a cut question is worse than a small one. */
export const FIT_MAX = 60;
export const FIT_READABLE = 34;
const FIT_MIN = 16;

const TEXT_BOXES = ".q-stem, .tv-text, .dist-text, .tv-explain, .answer-line b";

/** Whether a box's text runs out of it. CJK glyphs reach a little above and below a tight line box (their
 *  ink is 1.45 em tall, the line 1.2–1.35 em): that counts as scroll overflow but cuts nothing, so a third
 *  of an em is allowed; a cut line is a whole line height. */
export function textOverflows(el) {
  const slack = 1 + parseFloat(getComputedStyle(el).fontSize) / 3;
  return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + slack;
}

function overflows(main) {
  if (main.scrollHeight > main.clientHeight + 1 || main.scrollWidth > main.clientWidth + 1) return true;
  for (const el of main.querySelectorAll(TEXT_BOXES)) {
    if (textOverflows(el)) return true;
  }
  return false;
}

/** The largest whole --u in [FIT_MIN, FIT_MAX] at which `main` shows everything. */
function largestFit(main) {
  let lo = FIT_MIN;
  let hi = FIT_MAX;
  main.style.setProperty("--u", `${hi}px`);
  if (!overflows(main)) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    main.style.setProperty("--u", `${mid}px`);
    if (overflows(main)) hi = mid; else lo = mid;
  }
  return lo;
}

/** The layouts worth trying for what the question area holds now: [apply, name] pairs. */
function layouts(main) {
  const opts = main.querySelector(".tv-opts");
  if (opts) {
    const set = (grid) => () => { opts.classList.toggle("grid", grid); opts.classList.toggle("rows", !grid); };
    return [[set(true), "grid"], [set(false), "rows"]];
  }
  const dist = main.querySelector(".dist");
  if (dist && dist.children.length >= 5) {
    const set = (two) => () => dist.classList.toggle("cols2", two);
    return [[set(false), "rows"], [set(true), "cols2"]];
  }
  return [[() => {}, "single"]];
}

/** Fit the question area `main` (and the bar above it, `bar`); returns the chosen --u and layout. */
export function fitQuestion(main, bar) {
  if (bar) fitBar(bar);
  if (!main) return null;
  let best = null;
  for (const [apply, name] of layouts(main)) {
    apply();
    const u = largestFit(main);
    if (!best || u > best.u) best = { u, name, apply };
  }
  best.apply();
  main.style.setProperty("--u", `${best.u}px`);
  main.dataset.fit = String(best.u);
  main.dataset.layout = best.name;
  return best;
}

/** The bar over the question (segment, number, type, points) in one line: smaller text for a long segment title. */
function fitBar(bar) {
  for (let size = 40; size >= 22; size -= 2) {
    bar.style.fontSize = `${size}px`;
    if (bar.scrollWidth <= bar.clientWidth + 1) return;
  }
}

/** The side column (countdown, whose turn, buzz order): smaller text until it fits its column. */
export function fitSide(side) {
  if (!side) return;
  for (let size = 38; size >= 20; size -= 2) {
    side.style.setProperty("--side", `${size}px`);
    const inside = [...side.querySelectorAll(".side-turn, .side-turn b, .side-judged, .side-judged b, .buzz-order li, .buzz-out li")]
      .every((el) => el.scrollWidth <= el.clientWidth + 1);
    if (side.scrollHeight <= side.clientHeight + 1 && inside) return;
  }
}
