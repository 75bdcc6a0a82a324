// The trend: silo handoffs per period with the comparison series, as a chart (uPlot)
// and as a table that also chooses the period the rest of the page shows. The chart's
// period labels are HTML under the plot, as many as fit without touching (always the
// last period), so that they never overlap and are never cut off at either end.

import uPlot from "uplot";

import { axisName, el, number, percent, periodName, windowText, yearOf } from "./format.js";

let chart = null;
let drawn = null; // the arguments of the last drawTrend, to draw the chart again on resize
let observed = null;
let lastWidth = 0;

/** Space between two period labels, in CSS pixels. */
const LABEL_GAP = 8;

/**
 * Draws the trend. `points` are siloTrend points; `compareIndex` picks which of their
 * comparisons is the dashed series; `selected` is the chosen point's index.
 */
export function drawTrend(container, table, points, options) {
  drawn = { container, points, options };
  drawChart();
  if (observed !== container) {
    observed = container;
    let pending = null;
    new ResizeObserver(() => {
      if (container.clientWidth === 0 || Math.abs(container.clientWidth - lastWidth) < 4) return;
      clearTimeout(pending);
      pending = setTimeout(drawChart, 80);
    }).observe(container);
  }
  fillTable(table, points, options);
}

function drawChart() {
  const { container, points, options } = drawn;
  const { granularity, zone, compareIndex, compareLabel, selected, onChoose } = options;
  const names = points.map((p) => periodName(p.window.from, granularity, zone));
  const silo = points.map((p) => p.totals.siloHandoffs);
  const earlier = points.map((p) => p.comparisons[compareIndex]?.totals.siloHandoffs ?? null);

  if (chart) chart.destroy();
  container.replaceChildren();
  const width = Math.max(200, container.clientWidth || 720);
  lastWidth = container.clientWidth;
  const narrow = width < 520;
  const axis = el("div", { class: "trend-axis" });
  chart = new uPlot(
    {
      width,
      height: narrow ? 200 : 250,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: (_, min, max) => [min - 0.5, max + 0.5] },
        y: { range: (_, __, max) => [0, Math.max(4, Math.ceil((max ?? 0) * 1.15))] },
      },
      axes: [
        // Ticks and grid lines at every period; the labels are HTML (placeLabels).
        { splits: () => points.map((_, i) => i), values: (_, ticks) => ticks.map(() => ""), size: 10, gap: 0 },
        // Whole handoffs only.
        { label: narrow ? undefined : "silo handoffs", size: narrow ? 36 : 50, labelSize: 20, incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] },
      ],
      series: [
        { label: "period", value: (_, i) => (i === null ? "" : names[i] ?? "") },
        { label: "silo handoffs", stroke: "#b3261e", width: 2, points: { show: true, size: 6 } },
        { label: compareLabel, stroke: "#5b6473", width: 1.5, dash: [6, 4], points: { show: false } },
      ],
      hooks: {
        // The chosen period as a band behind the lines.
        drawClear: [
          (u) => {
            if (selected === null || selected === undefined) return;
            const left = u.valToPos(selected - 0.5, "x", true);
            const right = u.valToPos(selected + 0.5, "x", true);
            u.ctx.save();
            u.ctx.fillStyle = "rgba(31, 95, 191, 0.08)";
            u.ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
            u.ctx.restore();
          },
        ],
        draw: [(u) => axis.isConnected && placeLabels(u, axis, points, granularity, zone, names)],
      },
    },
    [points.map((_, i) => i), silo, earlier],
    container,
  );
  // The legend goes under the labels.
  chart.root.querySelector(".u-wrap").after(axis);
  placeLabels(chart, axis, points, granularity, zone, names);
  chart.over.addEventListener("click", () => {
    const index = chart.cursor.idx;
    if (index !== null && index !== undefined && onChoose) onChoose(index);
  });
  chart.over.style.cursor = "pointer";
}

/**
 * Puts the period labels under the plot: every `step`-th period counted back from the
 * last, the smallest step whose labels keep `LABEL_GAP` apart once the first and last
 * are pulled inside the plot's width.
 */
function placeLabels(u, axis, points, granularity, zone, names) {
  const n = points.length;
  if (!n) return;
  const plot = u.over.getBoundingClientRect();
  const box = axis.getBoundingClientRect();
  const offset = plot.left - box.left;
  const span = box.width;
  for (let step = 1; step <= n; step++) {
    const shown = [];
    for (let i = n - 1; i >= 0; i -= step) shown.unshift(i);
    let year = null;
    const labels = shown.map((i) => {
      const y = yearOf(points[i].window.from, zone);
      const text = axisName(points[i].window.from, granularity, zone, y !== year);
      year = y;
      return el("span", { class: "tick", title: names[i], dataset: { index: i } }, text);
    });
    axis.replaceChildren(...labels);
    let right = -Infinity;
    let fits = true;
    for (const [k, label] of labels.entries()) {
      const w = label.offsetWidth;
      const centre = offset + u.valToPos(shown[k], "x");
      const left = Math.min(Math.max(0, centre - w / 2), span - w);
      label.style.left = `${left}px`;
      if (left < right + LABEL_GAP) fits = false;
      right = left + w;
    }
    if (fits || step === n) return;
  }
}

function fillTable(table, points, { granularity, zone, compareIndex, compareLabel, selected, onChoose }) {
  const names = points.map((p) => periodName(p.window.from, granularity, zone));
  document.getElementById("trend-compare-head").textContent = `Silo handoffs, ${compareLabel}`;
  const rows = points.map((point, i) => {
    const comparison = point.comparisons[compareIndex];
    return el(
      "tr",
      { class: i === selected ? "selected" : undefined, "aria-current": i === selected ? "true" : undefined },
      el(
        "th",
        { scope: "row" },
        el("button", { type: "button", class: "link", onclick: () => onChoose(i), "aria-label": `Show ${names[i]}` }, names[i]),
      ),
      el("td", { class: "num", dataset: { value: String(point.totals.siloHandoffs) } }, number(point.totals.siloHandoffs)),
      el(
        "td",
        { class: "num", title: comparison ? `${windowText(comparison.window, zone)}` : undefined },
        number(comparison?.totals.siloHandoffs ?? null),
      ),
      el("td", { class: "num" }, percent(point.totals.deferralRate)),
      el("td", { class: "num" }, number(point.totals.handoffs)),
    );
  });
  table.querySelector("tbody").replaceChildren(...rows);
}
