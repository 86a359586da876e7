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

/** The stem's media, or "" for a text question. `av: false` (a live game's phone): sound and video
 *  play on the big screen only, the phone says so. */
export function stemMediaHtml(question, { av = true, sizes } = {}) {
  const list = Array.isArray(question && question.media) ? question.media : [];
  if (!list.length) return "";
  const items = list.map((m) => (m.kind === "image" || av ? mediaItemHtml(m, sizes ? { sizes } : {}) :
    `<p class="q-av-note">${m.kind === "audio" ? "🔊 请听大屏幕播放" : "🎬 请看大屏幕播放"}</p>`));
  return `<figure class="q-media">${items.join("")}</figure>`;
}

/** An option's picture (shown above its text), or "". */
export function optionMediaHtml(option) {
  return option && option.media ? `<span class="opt-media">${mediaItemHtml(option.media, { sizes: "(max-width: 760px) 45vw, 340px" })}</span>` : "";
}
