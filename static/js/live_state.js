// One client state for the live game's three views (big screen, host console, phone): a pure reducer.
//
// `reduce(state, message)` returns the next state for a server message (CONTRACT §7) without touching the
// DOM or the clock, so the views only draw from it and node's test runner checks it (tests/js/). The state
// is a plain object; `teams` is a Map from team id to {name, unit, score}. A view may keep its own extras
// beside it (what it drew last, timers), never a second copy of what is here.

export function initialState() {
  return {
    title: "",
    phase: "lobby",
    segment: null,
    q: null, // {question, index, count, points, team_id, player_id, team_ids, audience_only, segment, last}
    deadline: null,
    remaining: null,
    cardUntil: null, // the segment's title card is up until this server time
    teams: new Map(),
    joined: 0,
    answered: null,
    buzz: null, // {armed, answering, order, fouls}
    judged: null,
    reveal: null, // {answer, explanation, distribution}
    turn: null, // {team_id, values_left} of a risk segment
    board: null, // {teams, players, prizes}
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

function freshQuestion(state, msg) {
  return {
    ...state,
    q: questionFrom(msg, state.segment),
    segment: msg.segment || state.segment,
    deadline: msg.deadline_ms ?? null,
    reveal: null,
    judged: null,
    answered: null,
    turn: null,
    buzz: { armed: false, answering: null, order: [], fouls: [] },
  };
}

/** The team's display name: its own, else "N 号队". */
export function teamName(state, id) {
  const t = state.teams.get(id);
  return t && t.name ? t.name : `${id} 号队`;
}

/** The next state after `msg`. Unknown messages return `state` itself. */
export function reduce(state, msg) {
  switch (msg.type) {
    case "state": {
      let next = { ...state, title: msg.title || state.title, teams: withTeams(state.teams, msg.scores), phase: msg.phase,
        segment: msg.segment || null };
      const joined = msg.counts?.joined ?? msg.joined;
      if (typeof joined === "number") next.joined = joined;
      if (msg.question) {
        next = freshQuestion(next, msg);
        next.remaining = msg.remaining_ms ?? null;
        if (msg.buzz) {
          next.buzz = { armed: !!msg.buzz.armed, answering: msg.buzz.answering_team_id ?? null, order: msg.buzz.order || [],
            fouls: msg.buzz.fouls || [] };
        }
        if (msg.phase === "revealed" && msg.distribution) {
          next.reveal = { answer: msg.question.answer ?? msg.answer ?? [], explanation: msg.question.explanation ?? "",
            distribution: msg.distribution };
        }
      } else {
        next.q = null;
      }
      if (msg.leaderboard) next.board = msg.leaderboard;
      return next;
    }
    case "joined":
      return { ...state, joined: msg.count ?? state.joined + 1 };
    case "kicked":
      return typeof msg.count === "number" ? { ...state, joined: msg.count } : state;
    case "segment":
      return { ...state, segment: msg.segment, q: null, phase: "segment", reveal: null, judged: null, turn: null,
        cardUntil: msg.card_until_ms ?? null };
    case "question":
      return { ...freshQuestion(state, msg), phase: "question" };
    case "buzz_open":
      if (!state.q) return state;
      return { ...state, phase: "buzzing", deadline: msg.deadline_ms ?? null, judged: null,
        buzz: { ...(state.buzz || {}), armed: true, answering: null, order: [] } };
    case "buzzed": {
      if (!state.q) return state;
      const buzz = { armed: false, answering: null, order: [], fouls: [], ...(state.buzz || {}) };
      if (msg.foul) return { ...state, buzz: { ...buzz, fouls: [...buzz.fouls, msg.team_id] } };
      const next = { ...state, buzz: { ...buzz, order: [...buzz.order, msg.team_id] } };
      if (msg.order === 1) {
        next.phase = "answering";
        next.buzz.answering = msg.team_id;
        next.buzz.armed = false;
        if (msg.deadline_ms != null) next.deadline = msg.deadline_ms;
      }
      return next;
    }
    case "judged":
      if (!state.q) return state;
      return { ...state, judged: msg, buzz: state.buzz ? { ...state.buzz, answering: null } : state.buzz };
    case "closed":
      return { ...state, phase: "closed", answered: msg.answered ?? state.answered, deadline: null };
    case "reveal":
      if (!state.q) return state;
      return { ...state, phase: "revealed", deadline: null,
        reveal: { answer: msg.answer, explanation: msg.explanation, distribution: msg.distribution } };
    case "score": {
      const teams = new Map(state.teams);
      teams.set(msg.team_id, { ...(teams.get(msg.team_id) || {}), score: msg.total });
      return { ...state, teams };
    }
    case "turn":
      return msg.team_id == null ? state : { ...state, turn: { team_id: msg.team_id, values_left: msg.values_left || [] } };
    case "leaderboard":
      return { ...state, phase: "leaderboard", teams: withTeams(state.teams, msg.teams),
        board: { teams: msg.teams || [], players: msg.players || [], prizes: msg.prizes } };
    case "finished":
      return { ...state, phase: "finished", teams: withTeams(state.teams, msg.teams),
        board: { teams: msg.teams || [], players: msg.players || [], prizes: msg.prizes } };
    case "paused":
      return { ...state, phase: "paused", remaining: msg.remaining_ms ?? null };
    case "resumed":
      return { ...state, phase: msg.phase, deadline: msg.deadline_ms ?? null };
    default:
      return state;
  }
}
