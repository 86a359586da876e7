// Pictures, sound and video of a question (CONTRACT §3): the stem's list and an option's own.
// A phone loads the ~720 px copy of a large photo (srcset); urls are content hashes, so nothing
// here says which option is right.
import { escapeHtml } from "./common.js";

function imageHtml(m, sizes) {
  const variants = Array.isArray(m.variants) ? m.variants : [];
  const srcset = [...variants, m].filter((v) => v.width).map((v) => `${escapeHtml(v.url)} ${v.width}w`).join(", ");
  const size = m.width && m.height ? ` width="${m.width}" height="${m.height}"` : "";
  return `<img class="q-img" src="${escapeHtml((variants[0] || m).url)}"${srcset ? ` srcset="${srcset}" sizes="${sizes}"` : ""}` +
    `${size} alt="${escapeHtml(m.alt || "题目图片")}" loading="lazy" decoding="async">`;
}

/** One media object as HTML: an image, or an audio/video player. */
export function mediaItemHtml(m, { sizes = "(max-width: 760px) 100vw, 720px" } = {}) {
  if (!m || !m.url) return "";
  if (m.kind === "audio") {
    return `<audio class="q-audio" controls preload="metadata" src="${escapeHtml(m.url)}" aria-label="${escapeHtml(m.alt || "题目音频")}"></audio>`;
  }
  if (m.kind === "video") {
    return `<video class="q-video" controls playsinline preload="metadata" src="${escapeHtml(m.url)}" aria-label="${escapeHtml(m.alt || "题目视频")}"></video>`;
  }
  return imageHtml(m, sizes);
}

// Drawn, not emoji (older phones show 🔊 and 🎬 as a box): a speaker and a film frame, in the text's colour.
const ICONS = {
  audio: `<svg class="q-av-icon" viewBox="0 0 24 24" width="1.2em" height="1.2em" aria-hidden="true" focusable="false" fill="currentColor">` +
    `<path d="M3 9h4l5-4v14l-5-4H3z"/><path d="M16 8a5 5 0 0 1 0 8M18.5 5.5a8.5 8.5 0 0 1 0 13" fill="none" stroke="currentColor" stroke-width="2"/></svg>`,
  video: `<svg class="q-av-icon" viewBox="0 0 24 24" width="1.2em" height="1.2em" aria-hidden="true" focusable="false" fill="currentColor">` +
    `<rect x="2" y="5" width="20" height="14" rx="2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M10 9v6l5-3z"/></svg>`,
};

function avNoteHtml(m) {
  const audio = m.kind === "audio";
  return `<p class="q-av-note">${ICONS[audio ? "audio" : "video"]}<span>${audio ? "请听大屏幕播放" : "请看大屏幕播放"}</span></p>`;
}

/** The stem's media, or "" for a text question. `av: false` (a live game's phone): sound and video
 *  play on the big screen only, the phone says so. */
export function stemMediaHtml(question, { av = true, sizes } = {}) {
  const list = Array.isArray(question && question.media) ? question.media : [];
  if (!list.length) return "";
  const items = list.map((m) => (m.kind === "image" || av ? mediaItemHtml(m, sizes ? { sizes } : {}) :
    avNoteHtml(m)));
  return `<figure class="q-media">${items.join("")}</figure>`;
}

/** An option's picture (shown above its text), or "". */
export function optionMediaHtml(option) {
  return option && option.media ? `<span class="opt-media">${mediaItemHtml(option.media, { sizes: "(max-width: 760px) 45vw, 340px" })}</span>` : "";
}
