// Sound and video of the question on the big screen, started and paused by the host (CONTRACT §7 `media`).
//
// The screen redraws the question area as a whole (a reveal, a buzz); a media element made anew would start
// again from 0. So the first element drawn for a question's url is kept and put back into every later drawing
// of that question, with its position. Phones never play it: the hall hears the screen's speakers only.

const T = {
  audio: "音频",
  playing: "正在播放",
  paused: "已暂停",
};

let current = { question: null, playing: false, els: new Map() };

function stopAll() {
  current.els.forEach((el) => el.pause());
}

/** The `{question, playing}` the server said last (a `media` message, or `state.media`). */
export function setMedia(media) {
  if (!media) return;
  if (media.question !== current.question) {
    stopAll();
    current = { question: media.question, playing: false, els: new Map() };
  }
  current.playing = !!media.playing;
}

/** Put this question's kept players into the freshly drawn `root` (or keep the new ones), then play or pause. */
export function mount(root, questionId, { muted, blocked }) {
  if (questionId !== current.question) {
    stopAll();
    current = { question: questionId, playing: false, els: new Map() };
  }
  root.querySelectorAll(".q-media audio, .q-media video").forEach((fresh) => {
    const url = fresh.getAttribute("src");
    const kept = current.els.get(url);
    const el = kept || fresh;
    if (kept) fresh.replaceWith(kept);
    else {
      el.removeAttribute("controls"); // the show has no controls: the host drives it from the console
      el.preload = "auto";
      current.els.set(url, el);
    }
    if (el.tagName === "AUDIO" && !el.nextElementSibling?.classList.contains("tv-audio")) {
      el.insertAdjacentHTML("afterend", `<div class="tv-audio" role="status"><span aria-hidden="true">🔊</span> ${T.audio}<b></b></div>`);
    }
  });
  apply({ muted, blocked });
}

/** Play or pause what the server said; `blocked()` is told when the browser wants a click first. */
export function apply({ muted, blocked }) {
  current.els.forEach((el) => {
    el.muted = muted;
    if (current.playing && el.paused && el.isConnected) el.play().catch(() => blocked());
    else if (!current.playing && !el.paused) el.pause();
    const label = el.nextElementSibling?.classList.contains("tv-audio") ? el.nextElementSibling.querySelector("b") : null;
    if (label) label.textContent = ` · ${current.playing ? T.playing : T.paused}`;
  });
}

/** Leave the question (board, podium, lobby): silence. */
export function leave() {
  stopAll();
  current = { question: null, playing: false, els: new Map() };
}

/** For tests and the console's status: whether the screen is playing now. */
export function playingNow() {
  return [...current.els.values()].some((el) => !el.paused);
}
