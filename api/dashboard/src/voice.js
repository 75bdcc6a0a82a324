// "Scores vs. silos": what customers said in the period against the silo handoffs of
// their cases. Per survey kind, the raw score beside the reweighted one (as if every
// silo bucket had answered alike), and per bucket the response rate and mean score;
// who absorbed the scores; complaints; and the finding when good scores hide the
// customers who were bounced. Every count opens the feedback it was counted from.

import { renderFindings } from "./findings.js";
import { el, number, percent, plural } from "./format.js";
import { sortableTable } from "./tables.js";

export const VOICE = `query Voice($w: WindowInput!, $c: [ComparisonPeriod!]!) {
  voiceReport(window: $w, compareTo: $c) {
    minResponses
    figures {
      surveys {
        kind
        overall { offered answered responseRate meanScore topBoxRate nps }
        buckets { siloHandoffs figures { offered answered responseRate meanScore topBoxRate } }
        raw { meanScore topBoxRate } reweighted { meanScore topBoxRate } gap { meanScore topBoxRate }
      }
      complaints { total withTopBox buckets { siloHandoffs complaints } }
      absorbed { function { id name isCxTeam } kind lastTouch { answers meanScore } touched { answers meanScore } }
      findings { kind severity message feedbackKind }
    }
    comparisons { figures { surveys { kind raw { meanScore topBoxRate } } } }
  }
}`;

export const BUCKETS = {
  NONE: "no silo handoff",
  ONE: "1 silo handoff",
  TWO: "2 silo handoffs",
  THREE_OR_MORE: "3 or more",
};

/** The buckets as the table's rows name them. */
const SHORT = { NONE: "none", ONE: "1", TWO: "2", THREE_OR_MORE: "3+" };

const SCALE = { CSAT: 5, CES: 7, NPS: 10 };

function score(value) {
  return value === null || value === undefined ? "—" : value.toFixed(2);
}

/** One bar of a bucket's response rate, with its figures beside it. */
function bucketRow(kind, bucket, open) {
  const f = bucket.figures;
  // The bar takes at most 60 % of its cell, leaving room for the figure.
  const width = f.responseRate === null ? 0 : Math.round(f.responseRate * 60);
  return el(
    "tr",
    { dataset: { bucket: bucket.siloHandoffs, offered: f.offered, answered: f.answered } },
    el("th", { scope: "row", title: BUCKETS[bucket.siloHandoffs] }, SHORT[bucket.siloHandoffs]),
    el(
      "td",
      { class: "num" },
      el(
        "button",
        { type: "button", class: "link", onclick: (e) => open({ kind, siloHandoffs: bucket.siloHandoffs }, `offered as ${kind} surveys in cases with ${BUCKETS[bucket.siloHandoffs]}`, e.currentTarget) },
        number(f.offered),
      ),
    ),
    el("td", { class: "num" }, number(f.answered)),
    el(
      "td",
      { class: "bar-cell" },
      el("span", { class: "bar", style: `width: ${width}%`, "aria-hidden": "true" }),
      el("span", { class: "bar-label" }, percent(f.responseRate)),
    ),
    el("td", { class: "num" }, score(f.meanScore)),
    el("td", { class: "num" }, percent(f.topBoxRate)),
  );
}

function kindCard(survey, earlier, open) {
  const o = survey.overall;
  const gap = survey.gap.topBoxRate;
  const flattered = gap !== null && gap >= 0.05;
  const before = earlier?.raw?.meanScore;
  return el(
    "article",
    { class: `voice-kind${flattered ? " flattered" : ""}`, dataset: { kind: survey.kind, raw: survey.raw.topBoxRate ?? "", reweighted: survey.reweighted.topBoxRate ?? "" } },
    el("h3", {}, `${survey.kind} `, el("span", { class: "hint" }, `${plural(o.answered, "answer")} of ${plural(o.offered, "survey")} (${percent(o.responseRate)})`)),
    el(
      "div",
      { class: "voice-scores" },
      el("div", { class: "tile" }, el("span", { class: "label" }, "Raw"), el("span", { class: "value" }, score(survey.raw.meanScore)), el("span", { class: "hint" }, `top box ${percent(survey.raw.topBoxRate)}${survey.kind === "NPS" && o.nps !== null ? ` · NPS ${o.nps.toFixed(1)}` : ""}`)),
      el("div", { class: "tile" }, el("span", { class: "label" }, "Reweighted"), el("span", { class: "value" }, score(survey.reweighted.meanScore)), el("span", { class: "hint" }, `top box ${percent(survey.reweighted.topBoxRate)}`)),
      el("div", { class: "tile" }, el("span", { class: "label" }, "Gap"), el("span", { class: "value" }, gap === null ? "—" : `${(gap * 100).toFixed(1)} pp`), el("span", { class: "hint" }, before === undefined || before === null ? `scale 0–${SCALE[survey.kind]}` : `raw mean before: ${score(before)}`)),
    ),
    el(
      "div",
      { class: "scroll" },
      el(
      "table",
      { class: "data voice-buckets" },
      el("caption", {}, `${survey.kind} per silo bucket of the case`),
      el("thead", {}, el("tr", {}, ["Silo handoffs", "Offered", "Answered", "Answer rate", "Mean", "Top box"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, survey.buckets.map((b) => bucketRow(survey.kind, b, open))),
      ),
    ),
  );
}

/**
 * Fills the panel's parts from the Voice query's answer. `open(filter, description,
 * from)` lists the feedback behind a figure.
 */
export function renderVoice({ cards, absorbed, complaints, findings }, data, name, open) {
  const report = data.voiceReport;
  const surveys = report.figures.surveys.filter((s) => s.overall.offered > 0);
  const earlier = report.comparisons[0]?.figures.surveys ?? [];
  cards.replaceChildren(
    ...(surveys.length
      ? surveys.map((s) => kindCard(s, earlier.find((e) => e.kind === s.kind), open))
      : [el("p", { class: "none" }, `No survey was offered in ${name}.`)]),
  );
  const c = report.figures.complaints;
  complaints.replaceChildren(
    el(
      "p",
      { dataset: { complaints: c.total, withTopBox: c.withTopBox } },
      el("button", { type: "button", class: "link", onclick: (e) => open({ kind: "COMPLAINT" }, "made as complaints", e.currentTarget) }, plural(c.total, "complaint")),
      c.total ? ` — ${c.buckets.map((b) => `${number(b.complaints)} with ${BUCKETS[b.siloHandoffs]}`).join(", ")}; ${number(c.withTopBox)} from customers who also gave a top-box answer.` : ".",
    ),
  );
  const credit = (key, part) => ({
    key: `${part}${key}`,
    label: `${part === "lastTouch" ? "Last touch" : "Touched"} ${key === "answers" ? "answers" : "mean"}`,
    numeric: true,
    value: (r) => r[part][key],
    text: (r) => (key === "answers" ? number(r[part][key]) : score(r[part][key])),
  });
  sortableTable(
    absorbed,
    `Who absorbed the scores in ${name}: answers credited to the function of the last interaction before the survey, against every function the case touched`,
    [
      { key: "name", label: "Function", value: (r) => r.function?.name ?? "?" },
      { key: "kind", label: "Kind", value: (r) => r.kind },
      credit("answers", "lastTouch"),
      credit("meanScore", "lastTouch"),
      credit("answers", "touched"),
      credit("meanScore", "touched"),
    ],
    report.figures.absorbed,
  );
  renderFindings(
    findings,
    report.figures.findings,
    `No sign that scores hide the silos (a kind is judged from ${plural(report.minResponses, "answer")} in the period).`,
  );
}
