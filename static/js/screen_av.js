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

// Drawn, not an emoji: a projector's PC may have no emoji font (a box instead of 🔊).
const SPEAKER = `<svg viewBox="0 0 24 24" width="1.1em" height="1.1em" aria-hidden="true" fill="currentColor">
  <path d="M3 9h4l5-4v14l-5-4H3z"/><path d="M16 8a5 5 0 0 1 0 8M18.5 5.5a8.5 8.5 0 0 1 0 13" fill="none" stroke="currentColor" stroke-width="2"/></svg>`;

let current = { question: null, playing: false, els: new Map() };

/** Silence what played and start afresh for `questionId` (a new question starts silent). */
function follow(questionId) {
  if (questionId === current.question) return;
  current.els.forEach((el) => el.pause());
  current = { question: questionId, playing: false, els: new Map() };
}

/** The `{question, playing}` the server said last (a `media` message, or `state.media`). */
export function setMedia(media) {
  if (!media) return;
  follow(media.question);
  current.playing = !!media.playing;
}

/** Put this question's kept players into the freshly drawn `root` (or keep the new ones), then play or pause. */
export function mount(root, questionId, { muted, blocked }) {
  follow(questionId);
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
      el.insertAdjacentHTML("afterend", `<div class="tv-audio" role="status">${SPEAKER}${T.audio}<b></b></div>`);
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
  follow(null);
}
