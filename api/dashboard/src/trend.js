// The trend: silo handoffs per period with the comparison series, as a chart (uPlot)
// and as a table that also chooses the period the rest of the page shows.

import uPlot from "uplot";

import { el, number, percent, periodName } from "./format.js";

let chart = null;

/**
 * Draws the trend. `points` are siloTrend points; `compareIndex` picks which of their
 * comparisons is the dashed series; `selected` is the chosen point's index.
 */
export function drawTrend(container, table, points, { granularity, zone, compareIndex, compareLabel, selected, onChoose }) {
  const labels = points.map((p) => periodName(p.window.from, granularity, zone));
  const silo = points.map((p) => p.totals.siloHandoffs);
  const earlier = points.map((p) => p.comparisons[compareIndex]?.totals.siloHandoffs ?? null);

  if (chart) chart.destroy();
  const width = Math.max(320, container.clientWidth || 720);
  chart = new uPlot(
    {
      width,
      height: 260,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { values: (_, ticks) => ticks.map((t) => labels[t] ?? ""), space: 70 },
        { label: "silo handoffs" },
      ],
      series: [
        { label: "period", value: (_, i) => (i === null ? "" : labels[i] ?? "") },
        { label: "silo handoffs", stroke: "#b3261e", width: 2, points: { show: true, size: 6 } },
        { label: compareLabel, stroke: "#5b6473", width: 1.5, dash: [6, 4], points: { show: false } },
      ],
    },
    [points.map((_, i) => i), silo, earlier],
    container,
  );

  document.getElementById("trend-compare-head").textContent = `Silo handoffs, ${compareLabel}`;
  const rows = points.map((point, i) =>
    el(
      "tr",
      { class: i === selected ? "selected" : undefined, "aria-current": i === selected ? "true" : undefined },
      el(
        "th",
        { scope: "row" },
        el(
          "button",
          { type: "button", class: "link", onclick: () => onChoose(i), "aria-label": `Show ${labels[i]}` },
          labels[i],
        ),
      ),
      el("td", { class: "num", dataset: { value: String(point.totals.siloHandoffs) } }, number(point.totals.siloHandoffs)),
      el("td", { class: "num" }, number(earlier[i])),
      el("td", { class: "num" }, percent(point.totals.deferralRate)),
      el("td", { class: "num" }, number(point.totals.handoffs)),
    ),
  );
  table.querySelector("tbody").replaceChildren(...rows);
}
