// The live game's WebSocket client (CONTRACT §7), shared by the phone, the big screen and the host console.
//
// - connects to /ws/live/{pin}?role=…&token=…; reconnects by itself with exponential backoff (and at once
//   when the phone comes back online or to the foreground);
// - a player's `resume` token is kept in localStorage per PIN, so a dropped network or a reloaded page
//   comes back as the same player without a new `join`;
// - answers are kept (also in localStorage) until the server acknowledges them, and sent again after a
//   reconnect: the server answers a repeated `id` with the same `ack`, so nothing is counted twice;
// - a ping every 20 s keeps mobile networks from dropping an idle socket, and its `pong.now_ms` gives the
//   server clock: `serverNow()` is what countdowns use, never the phone's own clock.

const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 50_000; // no message at all for this long: the socket is dead even if it looks open
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15_000;
// Close codes a server uses to say "do not come back": the game does not exist, the token is not valid.
const FATAL_CLOSE_CODES = new Set([1008, 4001, 4003, 4004, 4400, 4401, 4403, 4404, 4409, 4410]);
// Close codes after which a player must not join afresh either: no game (4404), finished (4410), kicked (4409).
const FINAL_CLOSE_CODES = new Set([4404, 4409, 4410]);
// An answer not acknowledged this long makes the client check the line (a ping), and a silent line is dropped
// after ACK_PROBE_MS more: a phone whose network died without closing the socket learns it in ~4 s, not 50.
const ACK_WAIT_MS = 2500;
const ACK_PROBE_MS = 1500;
// Error codes that mean the resume token (or user token) cannot be used: join afresh.
const BAD_TOKEN_CODES = new Set(["bad_token", "invalid_token", "unknown_token", "bad_resume", "invalid_resume",
  "resume_invalid", "unknown_player", "not_joined", "token_expired"]);
// The server could not take an answer just now (its database or its queue): the answer is still pending and
// goes again by itself, a little later each time, until it is acknowledged.
const RETRY_CODES = new Set(["store_failed", "busy", "server_error"]);
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 8000;
const NO_GAME_CODES = new Set(["live_not_found", "game_not_found", "not_found", "unknown_game", "bad_pin"]);

function storage(kind) {
  try {
    const store = kind === "session" ? window.sessionStorage : window.localStorage;
    const probe = "__quiz_probe__";
    store.setItem(probe, "1");
    store.removeItem(probe);
    return store;
  } catch {
    return null; // private mode or a locked-down in-app browser: work without it
  }
}

const local = storage("local");

export function loadValue(key, fallback = null) {
  if (!local) return fallback;
  try {
    const raw = local.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function saveValue(key, value) {
  if (!local) return;
  try {
    if (value === null || value === undefined) local.removeItem(key);
    else local.setItem(key, JSON.stringify(value));
  } catch { /* storage full: the in-memory copy still works */ }
}

export function newMessageId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The keys under which a player's resume token and unacknowledged answers are kept for one PIN. */
export function resumeKey(pin) { return `quiz.live.resume.${pin}`; }
function pendingKey(pin) { return `quiz.live.pending.${pin}`; }

export class LiveClient {
  /**
   * @param {object} options
   * @param {string} options.pin          the game's 6-digit PIN
   * @param {"player"|"screen"|"host"} options.role
   * @param {string} [options.token]      host token, or a user token (a player's resume token is found by itself)
   * @param {(msg: object) => void} options.onMessage   every server message, in order
   * @param {(status: string, info?: object) => void} [options.onStatus]
   *        "connecting" | "open" | "reconnecting" {attempt, delayMs} | "failed" {code, message}
   */
  constructor({ pin, role, token = null, onMessage, onStatus = () => {} }) {
    this.pin = pin;
    this.role = role;
    this.token = token;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this.failed = false;
    this.everOpened = false;
    this.offset = null; // server clock minus local clock, ms
    this.bestRtt = Infinity;
    this.retryTimer = null; // a resend of refused answers waiting (`resendPendingSoon`)
    this.retryDelay = 0;
    this.pingSentAt = 0;
    this.lastMessageAt = 0;
    this.timers = { retry: 0, ping: 0 };
    this.joinMessage = null; // a player's `join`, sent on every (re)connect until a `welcome` arrives
    this.resume = role === "player" ? loadValue(resumeKey(pin)) : null;
    this.pending = role === "player" ? loadValue(pendingKey(pin), []) : [];
    this.welcomed = false;
    this.reconnectNow = () => {
      if (!this.stopped && !this.failed && !this.isOpen()) this.connect(true);
    };
    window.addEventListener("online", this.reconnectNow);
    // The phone says its network is gone: say so at once (the socket may take long to notice).
    this.wentOffline = () => {
      if (this.stopped || this.failed) return;
      this.onStatus("reconnecting", { attempt: this.attempt + 1, delayMs: 0, offline: true });
    };
    window.addEventListener("offline", this.wentOffline);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      if (this.isOpen() && Date.now() - this.lastMessageAt > PING_EVERY_MS) this.ping();
      else this.reconnectNow();
    });
  }

  isOpen() { return !!this.socket && this.socket.readyState === WebSocket.OPEN; }

  /** Milliseconds on the server's clock now (the local clock until the server has spoken). */
  serverNow() { return Date.now() + (this.offset ?? 0); }

  /** Milliseconds left until a server-clock deadline (never negative). */
  remaining(deadlineMs) { return deadlineMs == null ? null : Math.max(0, deadlineMs - this.serverNow()); }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ role: this.role });
    const token = this.resume || this.token;
    if (token) params.set("token", token);
    return `${scheme}//${location.host}/ws/live/${encodeURIComponent(this.pin)}?${params}`;
  }

  start() {
    this.stopped = false;
    this.connect(false);
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
    window.removeEventListener("online", this.reconnectNow);
    if (this.socket) this.socket.close(1000);
  }

  /** Forget this game on this phone (a finished game, or a resume token the server refused). */
  forgetPlayer() {
    this.resume = null;
    this.welcomed = false;
    saveValue(resumeKey(this.pin), null);
  }

  connect(now) {
    clearTimeout(this.timers.retry);
    if (this.socket) {
      const old = this.socket;
      this.socket = null;
      old.onclose = old.onmessage = old.onerror = null;
      try { old.close(); } catch { /* already gone */ }
    }
    this.onStatus(this.everOpened || now ? "reconnecting" : "connecting", { attempt: this.attempt, delayMs: 0 });
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.welcomed = false;
    socket.onopen = () => {
      this.everOpened = true;
      this.lastMessageAt = Date.now();
      this.onStatus("open");
      this.ping();
      clearInterval(this.timers.ping);
      this.timers.ping = setInterval(() => this.heartbeat(), PING_EVERY_MS);
      if (this.role === "player" && !this.resume && this.joinMessage) this.send(this.joinMessage);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => { /* onclose follows and decides */ };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      clearInterval(this.timers.ping);
      this.socket = null;
      if (this.stopped) return;
      if (FATAL_CLOSE_CODES.has(event.code)) {
        if (this.role === "player" && this.resume && !FINAL_CLOSE_CODES.has(event.code)) {
          // The resume token was refused: join afresh, once.
          this.forgetPlayer();
          this.onMessage({ type: "resume_refused" });
          this.connect(true);
          return;
        }
        this.fail(event.code, event.reason || "");
        return;
      }
      this.scheduleRetry();
    };
  }

  fail(code, message) {
    this.failed = true;
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
    this.onStatus("failed", { code, message });
  }

  scheduleRetry() {
    if (this.stopped || this.failed) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delayMs = Math.round(base * (0.75 + Math.random() * 0.5)); // jitter: 10,000 phones must not return at once
    this.attempt += 1;
    this.onStatus("reconnecting", { attempt: this.attempt, delayMs });
    this.timers.retry = setTimeout(() => this.connect(true), delayMs);
  }

  heartbeat() {
    if (!this.isOpen()) return;
    if (Date.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
      // A half-open TCP connection (common on 4G after a cell change): drop it and come back.
      this.connect(true);
      return;
    }
    this.ping();
  }

  ping() {
    // The server echoes `t`, so each pong measures its own round trip even if pings overlap.
    this.pingSentAt = Date.now();
    this.send({ type: "ping", t: this.pingSentAt });
  }

  send(message) {
    if (!this.isOpen()) return false;
    try {
      this.socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Send a player's answer; it is kept and re-sent after a reconnect until the server acknowledges it. */
  sendAnswer(question, answer) {
    const existing = this.pending.find((p) => p.question === question);
    const message = existing || { type: "answer", id: newMessageId(), question, answer };
    if (!existing) {
      this.pending.push(message);
      saveValue(pendingKey(this.pin), this.pending);
    }
    if (this.welcomed || this.resume) this.send(message);
    this.watchAck(message);
    return message;
  }

  /** Probe the line if `message` is not acknowledged soon; reconnect if the server stays silent. */
  watchAck(message) {
    setTimeout(() => {
      if (this.stopped || !this.pending.includes(message) || !this.isOpen()) return;
      const probeAt = Date.now();
      this.ping();
      setTimeout(() => {
        if (this.stopped || !this.pending.includes(message)) return;
        if (this.lastMessageAt < probeAt) this.connect(true); // nothing came back: the socket is dead
      }, ACK_PROBE_MS);
    }, ACK_WAIT_MS);
  }

  /** Send the unacknowledged answers again after a growing pause (the server refused them for now). */
  resendPendingSoon() {
    if (this.retryTimer) return;
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay ? this.retryDelay * 2 : RETRY_FIRST_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && this.isOpen()) this.pending.forEach((p) => this.send(p));
    }, this.retryDelay);
  }

  /** The answer sent for `question` and not yet acknowledged, if any. */
  pendingAnswer(question) { return this.pending.find((p) => p.question === question) || null; }

  dropPending(predicate) {
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => !predicate(p));
    if (this.pending.length !== before) saveValue(pendingKey(this.pin), this.pending);
  }

  noteClock(nowMs, rtt) {
    if (typeof nowMs !== "number") return;
    if (rtt !== undefined) {
      // The round trip with the least delay gives the best estimate; it is refreshed now and then because
      // a phone's clock may be set while it plays.
      if (rtt <= this.bestRtt * 1.5 || this.offset === null) {
        this.bestRtt = Math.min(this.bestRtt, Math.max(rtt, 1));
        this.offset = nowMs + rtt / 2 - Date.now();
      }
    } else if (this.offset === null) {
      this.offset = nowMs - Date.now();
    }
  }

  receive(raw) {
    this.lastMessageAt = Date.now();
    let message;
    try { message = JSON.parse(raw); } catch { return; }
    if (!message || typeof message !== "object") return;
    switch (message.type) {
      case "pong": {
        const sent = typeof message.t === "number" ? message.t : this.pingSentAt;
        this.noteClock(message.now_ms, sent ? Date.now() - sent : undefined);
        this.pingSentAt = 0;
        return;
      }
      case "welcome":
        this.attempt = 0;
        this.welcomed = true;
        this.noteClock(message.now_ms);
        if (this.role === "player" && message.resume) {
          this.resume = message.resume;
          saveValue(resumeKey(this.pin), message.resume);
        }
        // Whatever was answered while the connection was down goes out now, with its original id.
        this.pending.forEach((p) => this.send(p));
        break;
      case "state":
        this.attempt = 0;
        this.noteClock(message.now_ms);
        break;
      case "ack":
        this.dropPending((p) => p.id === message.id);
        this.retryDelay = 0;
        break;
      case "error":
        if (!this.welcomed && this.role === "player" && this.resume && BAD_TOKEN_CODES.has(message.code)) {
          this.forgetPlayer();
          this.onMessage({ type: "resume_refused" });
          this.connect(true);
          return;
        }
        if (RETRY_CODES.has(message.code) && this.pending.length) this.resendPendingSoon();
        if (!this.welcomed && NO_GAME_CODES.has(message.code)) {
          this.onMessage(message);
          this.stopped = true;
          this.fail(message.code, message.message);
          if (this.socket) this.socket.close(1000);
          return;
        }
        break;
      default:
        if (typeof message.now_ms === "number") this.noteClock(message.now_ms);
    }
    this.onMessage(message);
  }
}

/** A countdown that redraws from the server clock every 200 ms: `tick(msLeft)` is called until cleared. */
export class Countdown {
  constructor(client, tick) {
    this.client = client;
    this.tick = tick;
    this.timer = 0;
    this.deadline = null;
    this.frozenMs = null;
  }

  run(deadlineMs) {
    this.stop();
    this.deadline = deadlineMs;
    this.frozenMs = null;
    if (deadlineMs == null) { this.tick(null); return; }
    const step = () => {
      const left = this.client.remaining(this.deadline);
      this.tick(left);
      if (left <= 0) this.stop();
    };
    step();
    this.timer = setInterval(step, 200);
  }

  /** Show a frozen value (paused). */
  freeze(remainingMs) {
    this.stop();
    this.frozenMs = remainingMs;
    this.tick(remainingMs, true);
  }

  stop() { clearInterval(this.timer); this.timer = 0; }
}

// The names and formatters every view uses live in format.js (one copy, unit-tested); re-exported here.
export { KIND_NAMES, OPTION_KEYS, PHASE_NAMES, answerText, secondsLeft } from "./format.js";
