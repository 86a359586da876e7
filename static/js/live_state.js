// One client state for the live game's three views (big screen, host console, phone): a pure reducer.
//
// `reduce(state, message)` returns the next state for a server message (CONTRACT §7) without touching the
// DOM or the clock, so the views only draw from it and node's test runner checks it (tests/js/). The state
// is a plain object; `teams` is a Map from team id to {name, unit, score}. A view may keep its own extras
// beside it (what it drew last, timers), never a second copy of what is here.
//
// Besides the server's messages the phone feeds in three of its own (they change what it shows, and only it
// knows them): `local_answer` {question, answer, status, id} (an answer it is sending, or one still waiting in its
// outbox: status "sending" or "queued"; `id` the answer message's, so its ack is told from another phone's), `local_buzz` (its buzz is on its way) and `local_forget` (the resume
// token was refused: no player any more).

export const BUZZ_KINDS = ["buzzer", "tiebreak"];
export const TURN_KINDS = ["required", "risk"];
export const LIVE_PHASES = ["question", "buzzing", "answering"];

export function initialState() {
  return {
    title: "",
    phase: "lobby",
    segment: null,
    q: null, // {question, index, count, points, team_id, player_id, team_ids, audience_only, segment, last}
    deadline: null,
    remaining: null,
    pausedFrom: null, // the phase a pause interrupted
    cardUntil: null, // the segment's title card is up until this server time
    teams: new Map(),
    joined: 0,
    counts: { joined: 0, answered: 0, buzzes: 0 },
    answered: null,
    key: null, // {answer, explanation} of the current question as far as this view knows it (the host: at once)
    buzz: null, // {armed, answering, order, fouls, out, right, eligible, mine}
    judged: null,
    teamAnswer: null, // {team_id, player_id, answer, pendingJudge}: a team segment's answer, as the host sees it
    shortAnswers: new Map(), // an everyone-answers `short` question: player id (as JSON) -> {name, team_id, answer, correct}
    reveal: null, // {answer, explanation, distribution, you, team_results: [{team_id, answered, correct, points}] in team segments}
    turn: null, // {team_id, values_left} of a risk segment: the team that picks next
    valuesLeft: new Map(), // risk: team id -> the values it may still pick
    tiebreak: null, // {groups, resolved}
    media: null, // {playing, question}: the current question's sound or video on the big screen
    board: null, // {teams, players, prizes}
    noMore: false, // the server said there is no question left (the host's `next` was refused so)
    me: null, // the phone's player {id, name, team_id}
    myScore: 0, // the phone's own points (a guest without a team)
    mine: null, // the phone's answer to the current question: {answer, status: sending|queued|saved|refused|teammate, reason}
  };
}

function withTeams(teams, list) {
  if (!list || !list.length) return teams;
  const next = new Map(teams);
  list.forEach((t) => {
    const old = next.get(t.team_id) || {};
    next.set(t.team_id, { ...old, name: t.name ?? old.name, unit: t.unit ?? old.unit, score: t.score ?? old.score });
  });
  return next;
}

function questionFrom(msg, segment) {
  return {
    question: msg.question, index: msg.index, count: msg.count, points: msg.points, team_id: msg.team_id ?? null,
    player_id: msg.player_id ?? null, team_ids: msg.team_ids || null, audience_only: !!msg.audience_only,
    segment: msg.segment || segment, last: !!msg.last_question,
  };
}

const idKey = (id) => JSON.stringify(id);

/** The kind of the segment being played ("all", "required", ...), or null before the first. */
export function kindOf(state) {
  return state.q?.segment?.kind || state.segment?.kind || null;
}

/** Whether `teamId` is the phone's own team. */
export function onMyTeam(state, teamId) {
  return !!state.me && state.me.team_id != null && teamId != null && teamId === state.me.team_id;
}

function freshQuestion(state, msg) {
  const q = questionFrom(msg, state.segment);
  return {
    ...state,
    q,
    segment: msg.segment || state.segment,
    deadline: msg.deadline_ms ?? null,
    remaining: null,
    key: { answer: msg.question.answer ?? msg.answer ?? null, explanation: msg.question.explanation ?? msg.explanation ?? "" },
    reveal: null,
    judged: null,
    answered: null,
    teamAnswer: null,
    shortAnswers: new Map(),
    counts: { ...state.counts, answered: 0, buzzes: 0 },
    turn: null,
    media: null,
    board: null, // a rank from an earlier board would be stale by the time this question is revealed
    mine: null,
    buzz: { armed: false, answering: null, order: [], fouls: [], out: [], right: [], eligible: msg.team_ids || null, mine: "idle" },
  };
}

/** The phone's own buzz state after the buzz snapshot of a `state` message. */
function mineFromSnapshot(state, buzz) {
  const team = state.me?.team_id;
  if (team == null) return "idle";
  if (buzz.answering === team) return "won";
  if (buzz.armed && (buzz.eligible || []).includes(team)) return "idle";
  if (buzz.fouls.includes(team)) return "foul";
  if (buzz.out.includes(team)) return "out";
  if (buzz.answering != null) return "lost";
  return "idle";
}

function fromState(state, msg) {
  let next = { ...state, title: msg.title || state.title, teams: withTeams(state.teams, msg.scores), phase: msg.phase,
    segment: msg.segment || null, noMore: false, cardUntil: msg.card_until_ms ?? null };
  if (msg.you) {
    const me = state.me || {};
    next.me = { id: msg.you.id ?? me.id, name: msg.you.name ?? me.name, team_id: msg.you.team_id ?? me.team_id ?? null };
    if (typeof msg.you.score === "number") next.myScore = msg.you.score;
  }
  const joined = msg.counts?.joined ?? msg.joined;
  if (typeof joined === "number") next.joined = joined;
  if (msg.question) {
    next = freshQuestion(next, msg);
    next.remaining = msg.remaining_ms ?? null;
    if (msg.buzz) {
      next.buzz = { armed: !!msg.buzz.armed, answering: msg.buzz.answering_team_id ?? null, order: msg.buzz.order || [],
        fouls: msg.buzz.fouls || [], out: msg.buzz.out || [], right: [], eligible: msg.buzz.eligible || null, mine: "idle" };
      next.buzz.mine = mineFromSnapshot(next, next.buzz);
    }
    const you = msg.you;
    if (you && you.answered) next.mine = { answer: you.answer, status: "saved" };
    if (msg.distribution || (you && you.result) || ["revealed", "leaderboard", "finished"].includes(msg.phase) && msg.question.answer) {
      next.reveal = { answer: msg.question.answer ?? msg.answer ?? [], explanation: msg.question.explanation ?? msg.explanation ?? "",
        distribution: msg.distribution || null, you: you ? you.result ?? null : null, team_results: msg.team_results || null };
    }
    next.shortAnswers = new Map((msg.short_answers || []).map((a) => [idKey(a.player_id), { ...a }]));
    next.media = msg.media ? { playing: !!msg.media.playing, question: msg.media.question ?? msg.question.id } : null;
  } else {
    next = { ...next, q: null, key: null, reveal: null, judged: null, mine: null, buzz: null, teamAnswer: null,
      shortAnswers: new Map(), media: null };
  }
  if (msg.counts) next.counts = { ...next.counts, ...msg.counts };
  if (typeof joined === "number") next.counts = { ...next.counts, joined };
  next.board = msg.leaderboard || (msg.question ? null : state.board);
  if (msg.phase === "paused") {
    next.pausedFrom = msg.buzz?.answering_team_id != null ? "answering" : msg.buzz?.armed ? "buzzing" : "question";
  }
  // Risk: the team that picks next (while a question of its own is open, nobody is picking).
  next.valuesLeft = new Map((msg.risk?.values_left || []).map((v) => [v.team_id, v.values || []]));
  const turnTeam = msg.turn_team_id ?? null;
  const picking = turnTeam != null && msg.segment?.kind === "risk" && !(next.q && !next.reveal && next.q.team_id === turnTeam);
  next.turn = picking ? { team_id: turnTeam, values_left: next.valuesLeft.get(turnTeam) || [] } : null;
  next.tiebreak = Array.isArray(msg.tiebreak) && msg.tiebreak.length
    ? { groups: msg.tiebreak, resolved: msg.tiebreak.every((g) => g.resolved) } : null;
  return next;
}

/** The team's display name: its own, else "N 号队" ("" for no team). */
export function teamName(state, id) {
  if (id == null) return "";
  const t = state.teams.get(id);
  return t && t.name ? t.name : `${id} 号队`;
}

/** Whether a message about question `msg.question` is about another question than the one shown. */
function stale(state, msg) {
  return msg.question != null && typeof msg.question !== "object" && state.q && msg.question !== state.q.question.id;
}

/** The next state after `msg`. Unknown messages return `state` itself. */
export function reduce(state, msg) {
  switch (msg.type) {
    case "welcome":
      return msg.player ? { ...state, me: msg.player, title: msg.game?.title || state.title } : state;
    case "state":
      return fromState(state, msg);
    case "joined": {
      const joined = msg.count ?? state.joined + 1;
      return { ...state, joined, counts: { ...state.counts, joined } };
    }
    case "kicked":
      return typeof msg.count === "number" ? { ...state, joined: msg.count, counts: { ...state.counts, joined: msg.count } } : state;
    case "counts": {
      const counts = { ...state.counts, ...(msg.counts || {}) };
      return { ...state, counts, joined: typeof counts.joined === "number" ? counts.joined : state.joined };
    }
    case "segment":
      return { ...state, segment: msg.segment, q: null, phase: "segment", key: null, reveal: null, judged: null, turn: null,
        mine: null, buzz: null, teamAnswer: null, media: null, noMore: false, tiebreak: null,
        valuesLeft: msg.segment?.kind === "risk" ? new Map() : state.valuesLeft, cardUntil: msg.card_until_ms ?? null };
    case "question":
      return { ...freshQuestion(state, msg), phase: "question" };
    case "player_answered":
      if (!state.q || stale(state, msg)) return state;
      return { ...state, shortAnswers: new Map(state.shortAnswers).set(idKey(msg.player_id),
        { player_id: msg.player_id, name: msg.name, team_id: msg.team_id ?? null, answer: msg.answer, correct: null }) };
    case "team_answered": {
      if (!state.q || stale(state, msg)) return state;
      const next = { ...state, counts: { ...state.counts, answered: state.counts.answered + 1 },
        teamAnswer: { team_id: msg.team_id, player_id: msg.player_id, answer: msg.answer, pendingJudge: state.q.question.type === "short" } };
      if (state.me && (!state.mine || state.mine.status === "refused" || state.mine.answer == null)) {
        next.mine = { answer: msg.answer, status: String(msg.player_id) === String(state.me.id) ? "saved" : "teammate" };
      }
      return next;
    }
    case "ack":
      if (!state.q || stale(state, msg)) return state;
      if (msg.accepted) {
        // The server acknowledges an answer to all the player's connections: the same account on a second
        // phone hears of an answer it did not send. The ack carries the stored answer (`submitted`), so that phone shows
        // it; never this phone's own different choice. (An older server's ack has no answer: `answer: null`,
        // `elsewhere`, until a `state` or the reveal's `you.answer` brings it.)
        const own = state.mine && state.mine.answer != null && (!msg.id || !state.mine.id || msg.id === state.mine.id);
        if (!own) return { ...state, mine: msg.submitted != null ? { answer: msg.submitted, status: "saved" }
          : { answer: null, status: "saved", elsewhere: true } };
        return { ...state, mine: { ...state.mine, status: "saved" } };
      }
      if (state.mine && state.mine.status !== "saved") return { ...state, mine: { ...state.mine, status: "refused", reason: msg.reason } };
      return state;
    case "local_answer":
      if (!state.q || stale(state, msg)) return state;
      return { ...state, mine: { answer: msg.answer, status: msg.status || "sending", ...(msg.id ? { id: msg.id } : {}) } };
    case "local_buzz":
      if (!state.q || !state.buzz || state.buzz.mine !== "idle") return state;
      return { ...state, buzz: { ...state.buzz, mine: "sent" } };
    case "local_forget":
      return { ...state, me: null };
    case "buzz_open": {
      if (!state.q || stale(state, msg)) return state;
      // The server names who may buzz now: a foul costs points or the turn, depending on the segment.
      const before = state.buzz?.mine;
      const team = state.me?.team_id;
      let mine = before === "foul" || before === "out" ? before : "idle";
      if (msg.team_ids && team != null) mine = msg.team_ids.includes(team) ? "idle" : before === "foul" ? "foul" : "out";
      return { ...state, phase: "buzzing", deadline: msg.deadline_ms ?? null, judged: null, teamAnswer: null,
        buzz: { fouls: [], out: [], right: [], ...(state.buzz || {}), armed: true, answering: null, order: [],
          eligible: msg.team_ids || null, mine } };
    }
    case "buzzed": {
      if (!state.q || stale(state, msg)) return state;
      const buzz = { armed: false, answering: null, order: [], fouls: [], out: [], right: [], mine: "idle", ...(state.buzz || {}) };
      const counts = { ...state.counts, buzzes: state.counts.buzzes + 1 };
      if (msg.foul) {
        return { ...state, counts, buzz: { ...buzz, fouls: [...buzz.fouls, msg.team_id], mine: onMyTeam(state, msg.team_id) ? "foul" : buzz.mine } };
      }
      const next = { ...state, counts, buzz: { ...buzz, order: [...buzz.order, msg.team_id] } };
      if (msg.order === 1) {
        next.phase = "answering";
        next.buzz.answering = msg.team_id;
        next.buzz.armed = false;
        next.buzz.mine = onMyTeam(state, msg.team_id) ? "won" : buzz.mine === "foul" ? "foul" : "lost";
        if (msg.deadline_ms != null) next.deadline = msg.deadline_ms;
      }
      return next;
    }
    case "judged": {
      if (!state.q || stale(state, msg)) return state;
      const kind = kindOf(state);
      const key = msg.player_id != null ? idKey(msg.player_id) : null;
      if (key != null && state.shortAnswers.has(key) && !BUZZ_KINDS.includes(kind) && !TURN_KINDS.includes(kind)) {
        // One player's short answer, judged by the host (it scores at the reveal).
        return { ...state, shortAnswers: new Map(state.shortAnswers).set(key, { ...state.shortAnswers.get(key), correct: msg.correct }) };
      }
      const next = { ...state, judged: msg,
        teamAnswer: state.teamAnswer ? { ...state.teamAnswer, pendingJudge: false } : state.teamAnswer };
      if (state.buzz && msg.team_id != null) {
        next.buzz = { ...state.buzz, answering: null, out: [...(state.buzz.out || []), msg.team_id],
          right: msg.correct ? [...(state.buzz.right || []), msg.team_id] : state.buzz.right || [],
          mine: !msg.correct && onMyTeam(state, msg.team_id) ? "out" : state.buzz.mine };
      }
      return next;
    }
    case "closed":
      if (stale(state, msg)) return state;
      return { ...state, phase: "closed", answered: msg.answered ?? state.answered, deadline: null,
        counts: { ...state.counts, answered: msg.answered ?? state.counts.answered } };
    case "reveal": {
      if (!state.q || stale(state, msg)) return state;
      const you = msg.you || null;
      const next = { ...state, phase: "revealed", deadline: null,
        key: { answer: msg.answer ?? state.key?.answer ?? null, explanation: msg.explanation ?? state.key?.explanation ?? "" },
        reveal: { answer: msg.answer, explanation: msg.explanation, distribution: msg.distribution, you,
          team_results: msg.team_results || null } };
      if (you && you.answered && you.answer != null && (!state.mine || state.mine.answer == null)) {
        next.mine = { answer: you.answer, status: "saved" }; // answered on another phone of the same account
      }
      if (you && typeof you.team_score === "number" && state.me?.team_id != null) {
        next.teams = new Map(state.teams).set(state.me.team_id, { ...(state.teams.get(state.me.team_id) || {}), score: you.team_score });
      }
      if (you && typeof you.score === "number") next.myScore = you.score;
      else if (you && you.points && (kindOf(state) === "all" || state.q.audience_only || state.me?.team_id == null)) {
        next.myScore = state.myScore + you.points;
      }
      return next;
    }
    case "score": {
      let next = state;
      if (msg.team_id != null) {
        next = { ...state, teams: new Map(state.teams).set(msg.team_id, { ...(state.teams.get(msg.team_id) || {}), score: msg.total }) };
      }
      if (state.me && state.me.team_id == null && String(msg.player_id) === String(state.me.id)
          && !["answers", "average"].includes(msg.reason)) {
        next = { ...next, myScore: state.myScore + msg.delta };
      }
      return next;
    }
    case "turn":
      if (msg.team_id == null) return { ...state, turn: null };
      return { ...state, turn: { team_id: msg.team_id, values_left: msg.values_left || [] },
        valuesLeft: new Map(state.valuesLeft).set(msg.team_id, msg.values_left || []) };
    case "risk_pick": {
      if (msg.declined) return { ...state, turn: null };
      const left = (state.valuesLeft.get(msg.team_id) || []).filter((v) => v !== msg.points);
      return { ...state, turn: null, valuesLeft: new Map(state.valuesLeft).set(msg.team_id, left) };
    }
    case "tiebreak":
      return { ...state, tiebreak: { groups: msg.groups || [], resolved: !!msg.resolved } };
    case "media":
      if (!state.q || stale(state, msg)) return state;
      return { ...state, media: { playing: !!msg.playing, question: msg.question ?? state.q.question.id } };
    case "leaderboard":
      return { ...state, phase: "leaderboard", teams: withTeams(state.teams, msg.teams),
        board: { teams: msg.teams || [], players: msg.players || [], prizes: msg.prizes } };
    case "finished":
      return { ...state, phase: "finished", teams: withTeams(state.teams, msg.teams),
        board: { teams: msg.teams || [], players: msg.players || [], prizes: msg.prizes } };
    case "paused":
      return { ...state, phase: "paused", pausedFrom: state.phase === "paused" ? state.pausedFrom : state.phase,
        remaining: msg.remaining_ms ?? null };
    case "resumed":
      return { ...state, phase: msg.phase, deadline: msg.deadline_ms ?? null, remaining: null };
    case "error":
      if (msg.code === "no_more_questions") return { ...state, noMore: true };
      if (state.buzz && state.buzz.mine === "sent") return { ...state, buzz: { ...state.buzz, mine: "idle" } };
      return state;
    default:
      return state;
  }
}
