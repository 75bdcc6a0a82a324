// Findings (ownership gaps, and where the log contradicts the chart) grouped by
// severity: errors first, then warnings, both open; notes for information folded away
// in a <details>. Names the API quotes in backticks are shown as code.

import { el, number, plural, withCode } from "./format.js";

const GROUPS = [
  { severity: "ERROR", title: (n) => plural(n, "error"), open: true },
  { severity: "WARNING", title: (n) => plural(n, "warning"), open: true },
  { severity: "INFO", title: (n) => `${plural(n, "note")} for information`, open: false },
];

function item(finding) {
  return el(
    "li",
    { class: finding.severity, dataset: { severity: finding.severity } },
    el("span", { class: "kind" }, finding.kind.replaceAll("_", " ").toLowerCase()),
    " — ",
    withCode(finding.message),
  );
}

/**
 * Fills `container` with `findings` ({ kind, severity, message }) by severity, or with
 * `none` when there are none.
 */
export function renderFindings(container, findings, none) {
  if (!findings.length) {
    container.replaceChildren(el("ul", {}, el("li", { class: "none" }, none)));
    return;
  }
  const known = new Set(GROUPS.map((g) => g.severity));
  const groups = [
    ...GROUPS,
    // Any severity this page does not know yet is shown, open, after the others.
    ...[...new Set(findings.map((f) => f.severity).filter((s) => !known.has(s)))].map((severity) => ({
      severity,
      title: (n) => `${number(n)} ${severity.toLowerCase()}`,
      open: true,
    })),
  ];
  container.replaceChildren(
    ...groups.flatMap((group) => {
      const items = findings.filter((f) => f.severity === group.severity);
      if (!items.length) return [];
      const list = el("ul", {}, items.map(item));
      const title = group.title(items.length);
      return group.open
        ? [el("div", { class: `severity ${group.severity}`, dataset: { severity: group.severity, count: items.length } }, el("h3", {}, title), list)]
        : [
            el(
              "details",
              { class: `severity ${group.severity}`, dataset: { severity: group.severity, count: items.length } },
              el("summary", {}, title),
              list,
            ),
          ];
    }),
  );
}
