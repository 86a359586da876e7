// The show's soundtrack, synthesised with the Web Audio API (no files to ship or license).
//
// Browsers start audio only after a user gesture: `unlockOn(el)` resumes the context on the first click or
// key. One mute switch (key M, remembered in localStorage) for the screen and the console. Every cue is a
// few oscillators with envelopes; nothing here is loud for long.

const MUTE_KEY = "quiz.sound.muted";
let ctx = null;
let master = null;
let muted = readMuted();
let lobbyTimer = 0;

function readMuted() {
  try { return window.localStorage.getItem(MUTE_KEY) === "1"; } catch { return false; }
}

function audio() {
  if (ctx) return ctx;
  const Ctor = window.AudioContext || window.webkitAudioContext;
  if (!Ctor) return null;
  ctx = new Ctor();
  master = ctx.createGain();
  master.gain.value = muted ? 0 : 0.5;
  master.connect(ctx.destination);
  return ctx;
}

/** Whether sound can play now (a context that a gesture has resumed, and not muted). */
export function ready() { return !!ctx && ctx.state === "running" && !muted; }
export function isMuted() { return muted; }

export function setMuted(value) {
  muted = !!value;
  try { window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0"); } catch { /* private mode */ }
  if (master) master.gain.value = muted ? 0 : 0.5;
  if (muted) stopLobby();
}

/** Resume audio on the first click or key anywhere; `onUnlock` runs once it plays. */
export function unlockOn(target, onUnlock = () => {}) {
  const go = () => {
    const c = audio();
    if (!c) return;
    c.resume().then(() => {
      target.removeEventListener("pointerdown", go);
      target.removeEventListener("keydown", go);
      onUnlock();
    }).catch(() => {});
  };
  target.addEventListener("pointerdown", go);
  target.addEventListener("keydown", go);
}

/** Key M toggles mute; `onChange(muted)` redraws the page's indicator. */
export function muteKey(onChange = () => {}) {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "m" && event.key !== "M") return;
    if (event.target instanceof HTMLElement && event.target.closest("input, textarea, select")) return;
    setMuted(!muted);
    onChange(muted);
  });
}

function tone(freq, start, length, { type = "sine", gain = 0.3, slide = null } = {}) {
  const c = ctx;
  const osc = c.createOscillator();
  const env = c.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(freq, start);
  if (slide) osc.frequency.exponentialRampToValueAtTime(slide, start + length);
  env.gain.setValueAtTime(0.0001, start);
  env.gain.exponentialRampToValueAtTime(gain, start + 0.01);
  env.gain.exponentialRampToValueAtTime(0.0001, start + length);
  osc.connect(env).connect(master);
  osc.start(start);
  osc.stop(start + length + 0.02);
}

function noise(start, length, gain) {
  const c = ctx;
  const buffer = c.createBuffer(1, Math.max(1, Math.floor(c.sampleRate * length)), c.sampleRate);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < data.length; i += 1) data[i] = Math.random() * 2 - 1;
  const src = c.createBufferSource();
  const env = c.createGain();
  const band = c.createBiquadFilter();
  band.type = "bandpass";
  band.frequency.value = 180;
  src.buffer = buffer;
  env.gain.setValueAtTime(gain, start);
  env.gain.exponentialRampToValueAtTime(0.0001, start + length);
  src.connect(band).connect(env).connect(master);
  src.start(start);
}

const CUES = {
  tick: (t) => tone(1000, t, 0.05, { type: "square", gain: 0.08 }),
  // the last five seconds: lower, louder, two beats
  urgent: (t) => { tone(660, t, 0.12, { type: "square", gain: 0.2 }); tone(660, t + 0.16, 0.08, { type: "square", gain: 0.12 }); },
  buzz: (t) => tone(220, t, 0.45, { type: "sawtooth", gain: 0.3, slide: 180 }),
  go: (t) => { tone(880, t, 0.15, { type: "triangle", gain: 0.3 }); tone(1320, t + 0.12, 0.25, { type: "triangle", gain: 0.3 }); },
  right: (t) => [523, 659, 784, 1047].forEach((f, i) => tone(f, t + i * 0.09, 0.3, { type: "triangle", gain: 0.25 })),
  wrong: (t) => { tone(196, t, 0.35, { type: "sawtooth", gain: 0.22 }); tone(147, t + 0.3, 0.5, { type: "sawtooth", gain: 0.22 }); },
  reveal: (t) => tone(392, t, 0.5, { type: "triangle", gain: 0.25, slide: 784 }),
  drumroll: (t, seconds = 2.4) => {
    for (let x = 0; x < seconds; x += 0.045) noise(t + x, 0.05, 0.12 + 0.25 * (x / seconds));
  },
  fanfare: (t) => [[523, 0], [523, 0.15], [523, 0.3], [659, 0.45], [784, 0.75], [1047, 1.05]]
    .forEach(([f, at]) => { tone(f, t + at, 0.5, { type: "sawtooth", gain: 0.14 }); tone(f / 2, t + at, 0.5, { type: "triangle", gain: 0.14 }); }),
};

/** Play a cue now (or `delay` seconds from now): tick, urgent, buzz, go, right, wrong, reveal, drumroll, fanfare. */
export function play(name, delay = 0, ...args) {
  if (!ready() || !CUES[name]) return;
  CUES[name](ctx.currentTime + delay, ...args);
}

/** The lobby's loop: a soft four-chord pattern every 4 s until `stopLobby()`. */
export function startLobby() {
  if (lobbyTimer) return;
  const bar = () => {
    if (!ready()) return;
    const t = ctx.currentTime;
    [[262, 330, 392], [220, 262, 330], [175, 220, 262], [196, 247, 294]].forEach((chord, i) => {
      chord.forEach((f) => tone(f, t + i, 0.9, { type: "sine", gain: 0.05 }));
      tone(chord[0] / 2, t + i, 0.4, { type: "triangle", gain: 0.08 });
    });
  };
  bar();
  lobbyTimer = setInterval(bar, 4000);
}

export function stopLobby() {
  clearInterval(lobbyTimer);
  lobbyTimer = 0;
}

/** A short vibration on phones that can (Android; iOS ignores it). */
export function vibrate(pattern) {
  try { if (navigator.vibrate) navigator.vibrate(pattern); } catch { /* not allowed in this frame */ }
}
