// How answers, times and names read in Chinese: one module for every page (pure: no DOM, tested by node).

export const KIND_NAMES = { all: "全员答题", required: "必答题", buzzer: "抢答题", risk: "风险题", tiebreak: "加赛" };
export const PHASE_NAMES = {
  lobby: "等待开始", question: "答题中", buzzing: "抢答中", answering: "作答中", closed: "作答结束",
  revealed: "已公布答案", leaderboard: "排行榜", paused: "已暂停", finished: "比赛结束",
  segment: "环节开场", card: "环节开场", picking: "选择风险分值",
};
export const TYPE_NAMES = { single: "单选题", multiple: "多选题", judge: "判断题", fill: "填空题", short: "简答题" };
/** The type as the live pages' small labels read it. */
export const TYPE_SHORT = { single: "单选", multiple: "多选", judge: "判断", fill: "填空", short: "简答" };
export const OPTION_KEYS = ["A", "B", "C", "D", "E", "F", "G", "H"];
const CHOICE = new Set(["single", "multiple"]);

/** A score change as it reads: "+10", "-5", "0". */
export function signed(points) { return `${points > 0 ? "+" : ""}${points}`; }

/** A question's sound and video (the big screen plays them; the host starts and pauses them). */
export function avMedia(question) {
  const list = question && Array.isArray(question.media) ? question.media : [];
  return list.filter((m) => m && (m.kind === "audio" || m.kind === "video"));
}

/** Seconds shown for a number of milliseconds left (3.2 s shows 4: zero only when time is really up). */
export function secondsLeft(ms) { return ms == null ? null : Math.ceil(ms / 1000); }

/** A short answer line, as the live show reads it: "A、C", "正确", "嘉兴 / 南湖". */
export function answerText(question, answer) {
  if (!Array.isArray(answer) || !answer.length) return "";
  if (question && question.type === "judge") return answer[0] === true ? "正确" : answer[0] === false ? "错误" : "";
  if (question && question.type === "fill") return answer.map((b) => (Array.isArray(b) ? b[0] : b)).join(" / ");
  if (question && question.type === "short") return String(answer[0]);
  return answer.join("、");
}

/** A full answer, as practice, the exam review and the admin list read it: "A．上海；C．南昌", "第 1 空：南湖 或 嘉兴南湖".
 *  `empty` is what no answer reads as (practice: （无）, the exam: （未作答）). */
export function answerLong(question, answer, empty = "（无）") {
  if (!Array.isArray(answer) || answer.length === 0 || answer.every((a) => a == null || a === "")) return empty;
  if (CHOICE.has(question.type)) {
    const texts = new Map((question.options || []).map((o) => [String(o.key), o.text]));
    return answer.map((key) => `${key}${texts.has(String(key)) ? `．${texts.get(String(key))}` : ""}`).join("；");
  }
  if (question.type === "judge") return answer[0] === true ? "正确" : answer[0] === false ? "错误" : empty;
  if (question.type === "fill") {
    return answer.map((alts, i) => {
      const text = Array.isArray(alts) ? alts.join(" 或 ") : String(alts);
      return answer.length > 1 ? `第 ${i + 1} 空：${text}` : text;
    }).join("；");
  }
  return answer.map(String).join("\n");
}

/** An average for a table cell: "—" when nobody is in it (an average of nothing is not 0). */
export function averageText(total, count, digits = 1) {
  if (!count) return "—";
  return (total / count).toFixed(digits).replace(/\.0+$/, "");
}
