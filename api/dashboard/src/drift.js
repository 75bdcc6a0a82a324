// "Chart vs. log": per touchpoint, who owns it on paper against who handled most of its
// interactions in the period, the findings where they part, and how often its promises
// broke, against the comparison period. Every figure opens what it was counted from.

import { renderFindings } from "./findings.js";
import { delta, el, functionName, number, percent, plural } from "./format.js";
import { sortableTable } from "./tables.js";

export const DRIFT = `query Drift($w: WindowInput!, $c: [ComparisonPeriod!]!) {
  touchpointOwnership(window: $w) {
    minInteractions
    touchpoints {
      touchpoint { id name promptWithin }
      interactions judged findings
      deFactoOwner { function { id name isCxTeam } interactions share }
      accountable { function { id name } share }
      responsible { function { id name } share }
    }
    findings { kind severity message }
  }
  promiseReport(window: $w, compareTo: $c) {
    promises { touchpoint { id } element measured opportunities breaches breachRate comparisons { breachRate breachRateDelta } }
  }
}`;

const MEASURED = [
  { element: "SINGLE_POINT_OF_CONTACT", key: "spoc", label: "Passed on" },
  { element: "PROMPT", key: "prompt", label: "Late" },
];

function owners(list) {
  return list.map((s) => `${s.function?.name ?? "?"} ${percent(s.share)}`).join(", ") || "—";
}

/**
 * Fills `table` and `findings` from the Drift query's answer. `openBreaches(row,
 * element)` and `openInteractions(row)` open what a figure was counted from.
 */
export function renderDrift(table, findings, data, name, { openBreaches, openInteractions }) {
  const { touchpointOwnership: ownership, promiseReport } = data;
  const promises = new Map();
  for (const p of promiseReport.promises) {
    if (p.measured) promises.set(`${p.touchpoint.id}/${p.element}`, p);
  }
  const rows = ownership.touchpoints.map((t) => {
    const row = { ...t, owner: t.deFactoOwner };
    for (const m of MEASURED) row[m.key] = promises.get(`${t.touchpoint.id}/${m.element}`) ?? null;
    return row;
  });
  const rate = (m) => ({
    key: m.key,
    label: m.label,
    numeric: true,
    value: (r) => r[m.key]?.breachRate ?? null,
    text: (r) => {
      const p = r[m.key];
      if (!p) return "not measured";
      const change = p.comparisons[0]?.breachRateDelta ?? null;
      const direction = change === null ? "same" : change > 0 ? "worse" : change < 0 ? "better" : "same";
      return el(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => openBreaches(r, m.element),
          "aria-label": `${m.label} at ${r.touchpoint.name}: ${p.breaches === 1 ? "the breach" : `the ${plural(p.breaches, "breach", "breaches")}`}`,
        },
        `${percent(p.breachRate)} (${number(p.breaches)}/${number(p.opportunities)}) `,
        el("span", { class: `delta ${direction}`, dataset: { figure: `${m.key}Delta`, value: change === null ? "" : String(change) } }, delta(change, true)),
      );
    },
  });
  sortableTable(
    table,
    `Owner on paper against de facto owner, and promises broken, ${name} (findings from ${plural(ownership.minInteractions, "interaction")})`,
    [
      { key: "name", label: "Touchpoint", value: (r) => r.touchpoint.name },
      { key: "onPaper", label: "On paper (A · R)", value: (r) => `${owners(r.accountable)} · ${owners(r.responsible)}` },
      {
        key: "owner",
        label: "De facto owner",
        value: (r) => r.owner?.function?.name ?? null,
        text: (r) => (r.owner ? [functionName(r.owner.function), ` ${percent(r.owner.share)}`] : "—"),
      },
      { key: "interactions", label: "Interactions", numeric: true, value: (r) => r.interactions, text: (r) => number(r.interactions) },
      {
        key: "findings",
        label: "Finding",
        value: (r) => r.findings.join(" "),
        text: (r) =>
          r.findings.length
            ? r.findings.map((f) => el("span", { class: `flag ${f}` }, f.replaceAll("_", " ")))
            : r.judged
              ? "—"
              : "too few to judge",
      },
      rate(MEASURED[0]),
      rate(MEASURED[1]),
    ],
    rows,
    {
      label: "Interactions",
      describe: (r) => `Interactions at ${r.touchpoint.name}${r.owner ? ` by ${r.owner.function?.name}` : ""}`,
      run: (r) => openInteractions(r),
    },
  );
  const judged = rows.filter((r) => r.judged).length;
  renderFindings(
    findings,
    ownership.findings,
    judged
      ? `The log agrees with the chart on the ${plural(judged, "touchpoint")} with enough interactions to judge.`
      : `No touchpoint had ${plural(ownership.minInteractions, "interaction")} in ${name}: too few to judge any.`,
  );
}
