// The handoff network as an SVG drawn to the width it gets: functions on a ring (CX
// teams filled purple), one arrow per (from, to) pair, thicker for more handoffs, red
// where it carries silo handoffs.
//
// Readable with 8 to 30 functions:
// - by default only the arrows that matter most are drawn (those with the most silo
//   handoffs, then the busiest others); a button shows them all;
// - the functions are placed on the ring in the order that crosses the fewest of those
//   arrows and keeps busy pairs close; their names are written outward, wrapped, on
//   two sides, one name per row, so that names never overlap;
// - A→B and B→A bend to opposite sides; arrowheads are drawn per arrow, sized by it;
// - every arrow has a wide invisible hit path, and the pointer chooses the arrow
//   nearest to it (not whichever path happens to be on top), with a tooltip naming it;
// - every arrow is a button in the tab order (most silo handoffs first): Enter or Space
//   chooses it, and a focused arrow shows the same tooltip.

import { el, plural } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
/** By default: at most this many arrows with silo handoffs… */
const MOST_SILO = 12;
/** …and the busiest others, up to this many arrows in all (at least BUSY_AT_LEAST). */
const DEFAULT_ARROWS = 16;
const BUSY_AT_LEAST = 4;
/** How far (in CSS pixels) from an arrow the pointer may be and still be on it. */
const HIT_WIDTH = 16;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

const keyOf = (edge) => `${edge.from.id}>${edge.to.id}`;
const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

/** The functions of the edges, each with the handoffs it passed on and received. */
function nodesOf(edges) {
  const nodes = new Map();
  const node = (f) => {
    if (!nodes.has(f.id)) nodes.set(f.id, { ...f, out: 0, in: 0 });
    return nodes.get(f.id);
  };
  for (const edge of edges) {
    node(edge.from).out += edge.count;
    node(edge.to).in += edge.count;
  }
  return [...nodes.values()].sort((a, b) => Number(b.isCxTeam) - Number(a.isCxTeam) || a.name.localeCompare(b.name));
}

/** Most silo handoffs first, then most handoffs, then by name: the tab order too. */
function byImportance(a, b) {
  return (
    b.flags.siloHandoffs - a.flags.siloHandoffs ||
    b.count - a.count ||
    a.from.name.localeCompare(b.from.name) ||
    a.to.name.localeCompare(b.to.name)
  );
}

/** The arrows shown by default, and how to say which they are. */
function mainArrows(edges) {
  const ranked = [...edges].sort(byImportance);
  const silo = ranked.filter((e) => e.flags.siloHandoffs > 0);
  const siloShown = silo.slice(0, MOST_SILO);
  const others = ranked
    .filter((e) => !siloShown.includes(e))
    .sort((a, b) => b.count - a.count || byImportance(a, b));
  const busyShown = others.slice(0, Math.max(BUSY_AT_LEAST, DEFAULT_ARROWS - siloShown.length));
  return { keys: new Set([...siloShown, ...busyShown].map(keyOf)), silo: siloShown.length, siloAll: silo.length, busy: busyShown.length };
}

/**
 * The order of the functions around the ring. A chain that follows the heaviest pairs,
 * improved by moving single functions (and swapping two) while that lowers the cost:
 * the crossings of the arrows shown by default (weighted by them), plus how far apart
 * every pair that hands off sits (weighted by its handoffs, the shown ones more), so
 * that busy pairs sit close and no function drifts far from its partners.
 */
function ringOrder(nodes, shown, edges) {
  const n = nodes.length;
  if (n < 4) return nodes;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const most = Math.max(1, ...edges.map((e) => e.count));
  const merge = (list, weigh) => {
    const pairs = new Map();
    for (const e of list) {
      const a = index.get(e.from.id);
      const b = index.get(e.to.id);
      if (a === b) continue;
      const key = a < b ? `${a}:${b}` : `${b}:${a}`;
      const pair = pairs.get(key) ?? { a: Math.min(a, b), b: Math.max(a, b), w: 0 };
      pair.w += weigh(e);
      pairs.set(key, pair);
    }
    return [...pairs.values()];
  };
  const shownKeys = new Set(shown.map(keyOf));
  const crossing = merge(shown, (e) => e.count / most + (e.flags.siloHandoffs > 0 ? 1 : 0));
  const near = merge(edges, (e) => (shownKeys.has(keyOf(e)) ? 1 : 0.2) * (0.3 + e.count / most));
  if (!near.length) return nodes;

  // A greedy chain: the most connected function first, then again and again the
  // unplaced one most connected to the last placed.
  const strength = new Map(near.map((p) => [`${p.a}:${p.b}`, p.w]));
  const between = (i, j) => strength.get(i < j ? `${i}:${j}` : `${j}:${i}`) ?? 0;
  const degree = nodes.map((_, i) => near.reduce((sum, p) => sum + (p.a === i || p.b === i ? p.w : 0), 0));
  let order = [degree.indexOf(Math.max(...degree))];
  const unplaced = new Set(nodes.map((_, i) => i).filter((i) => i !== order[0]));
  while (unplaced.size) {
    let best = null;
    let bestScore = -1;
    for (const i of unplaced) {
      const score = order.reduce((sum, j, k) => sum + between(j, i) * (k === order.length - 1 ? 100 : 1), 0) * 100 + degree[i];
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    order.push(best);
    unplaced.delete(best);
  }

  const position = new Array(n);
  const cost = (candidate) => {
    candidate.forEach((node, place) => (position[node] = place));
    let total = 0;
    for (const p of near) {
      const d = Math.abs(position[p.a] - position[p.b]);
      total += (0.8 * p.w * (Math.min(d, n - d) - 1)) / (n / 2);
    }
    for (let x = 0; x < crossing.length; x++) {
      const p = crossing[x];
      const pa = Math.min(position[p.a], position[p.b]);
      const pb = Math.max(position[p.a], position[p.b]);
      for (let y = x + 1; y < crossing.length; y++) {
        const q = crossing[y];
        if (q.a === p.a || q.a === p.b || q.b === p.a || q.b === p.b) continue;
        const qa = position[q.a];
        const qb = position[q.b];
        if (qa > pa && qa < pb ? !(qb > pa && qb < pb) : qb > pa && qb < pb) total += p.w + q.w;
      }
    }
    return total;
  };
  let best = cost(order);
  const began = performance.now();
  for (let pass = 0; pass < 20 && performance.now() - began < 150; pass++) {
    let improved = false;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        // Move the function at i to j; then try swapping the two instead.
        const moved = [...order];
        moved.splice(j, 0, moved.splice(i, 1)[0]);
        const swapped = [...order];
        [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
        for (const candidate of [moved, swapped]) {
          const c = cost(candidate);
          if (c < best - 1e-9) {
            best = c;
            order = candidate;
            improved = true;
            break;
          }
        }
      }
    }
    if (!improved) break;
  }
  return order.map((i) => nodes[i]);
}

/** Splits `text` into at most `most` lines of at most `width` pixels (the rest elided). */
function wrap(text, width, measure, most) {
  const words = text.split(/\s+/);
  const lines = [];
  let line = "";
  while (words.length) {
    const next = line ? `${line} ${words[0]}` : words[0];
    if (measure(next) <= width || !line) {
      line = next;
      words.shift();
      if (measure(line) > width) break;
    } else {
      lines.push(line);
      line = "";
      if (lines.length === most) break;
    }
  }
  if (line && lines.length < most) lines.push(line);
  const rest = words.length > 0;
  const last = lines.length - 1;
  if (rest || measure(lines[last]) > width) {
    let cut = lines[last];
    while (cut.length > 1 && measure(`${cut}…`) > width) cut = cut.slice(0, -1);
    lines[last] = `${cut.trimEnd()}…`;
  }
  return lines;
}

/** A point of the quadratic curve a→c→b at t. */
function curvePoint(a, c, b, t) {
  const u = 1 - t;
  return { x: u * u * a.x + 2 * u * t * c.x + t * t * b.x, y: u * u * a.y + 2 * u * t * c.y + t * t * b.y };
}

function distanceToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy || 1;
  const t = clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / length, 0, 1);
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

export class Network {
  /**
   * `figure` receives the drawing, `summary` says which arrows are shown, `toggle` is the
   * button that shows them all; `onSelect(edge)` runs when an arrow is chosen.
   */
  constructor({ figure, summary, toggle, onSelect }) {
    this.figure = figure;
    this.summary = summary;
    this.toggle = toggle;
    this.onSelect = onSelect;
    this.showAll = false;
    this.edges = [];
    this.width = 0;
    toggle.addEventListener("click", () => {
      this.showAll = !this.showAll;
      this.render();
    });
    let pending = null;
    new ResizeObserver(() => {
      const width = this.figure.clientWidth;
      if (!this.edges.length || width === 0 || Math.abs(width - this.width) < 4) return;
      clearTimeout(pending);
      pending = setTimeout(() => this.render(), 80);
    }).observe(figure);
  }

  /** Shows the network of a new period (`name` labels it for screen readers). */
  show(edges, name) {
    this.edges = edges;
    this.name = name;
    this.nodes = nodesOf(edges);
    this.main = mainArrows(edges);
    this.ring = ringOrder(
      this.nodes,
      edges.filter((e) => this.main.keys.has(keyOf(e))),
      edges,
    );
    this.selected = null;
    this.render();
  }

  visibleEdges() {
    return this.showAll ? this.edges : this.edges.filter((e) => this.main.keys.has(keyOf(e)));
  }

  render() {
    const { edges, figure } = this;
    const total = edges.length;
    if (!this.nodes?.length) {
      this.width = figure.clientWidth;
      figure.replaceChildren(el("p", {}, "No handoffs in this period."));
      this.summary.textContent = "";
      this.toggle.hidden = true;
      return;
    }
    const visible = this.visibleEdges();
    const everything = visible.length === total;
    this.toggle.hidden = this.main.keys.size >= total;
    this.toggle.setAttribute("aria-pressed", String(this.showAll));
    this.toggle.textContent = `Show all ${plural(total, "arrow")}`;
    const { silo, siloAll, busy } = this.main;
    this.summary.dataset.shown = String(visible.length);
    this.summary.dataset.total = String(total);
    if (everything) {
      this.summary.textContent = total === 1 ? "The one arrow of the period is shown." : `All ${plural(total, "arrow")} of the period are shown.`;
    } else {
      const siloPart =
        silo === 0
          ? null
          : silo === siloAll
            ? `${silo === 1 ? "the arrow" : `the ${plural(silo, "arrow")}`} with silo handoffs`
            : `the ${plural(silo, "arrow")} with the most silo handoffs (of ${siloAll} with any)`;
      const busyPart = busy === 0 ? null : `the ${busy === 1 ? "busiest" : `${busy} busiest`} ${silo === 0 ? (busy === 1 ? "arrow" : "arrows") : busy === 1 ? "other" : "others"}`;
      this.summary.textContent = `Showing ${visible.length} of ${plural(total, "arrow")}: ${[siloPart, busyPart].filter(Boolean).join(" and ")}.`;
    }
    this.draw(visible);
  }

  draw(visible) {
    const figure = this.figure;
    const width = Math.max(260, figure.clientWidth || 720);
    this.width = figure.clientWidth;
    const narrow = width < 560;
    const font = narrow ? 11 : 12;
    const line = font + 3;
    // A function's circle grows with the handoffs it passed on and received, so that
    // the arrows of a busy one meet it around a wider rim.
    const busiest = Math.max(1, ...this.nodes.map((node) => node.out + node.in));
    const radiusOf = (node) => (narrow ? 6 : 8) + (narrow ? 5 : 8) * Math.sqrt((node.out + node.in) / busiest);
    const nodeRadius = narrow ? 11 : 16;
    const gap = 5;
    const family = getComputedStyle(figure).fontFamily || "sans-serif";
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${font}px ${family}`;
    const measure = (text) => context.measureText(text).width;
    const labelRoom = clamp(width * 0.27, 72, 160);

    const ring = this.ring;
    const n = ring.length;
    const bold = document.createElement("canvas").getContext("2d");
    bold.font = `600 ${font}px ${family}`;
    const measureOf = (node) => (node.isCxTeam ? (text) => bold.measureText(text).width : measure);
    const labels = ring.map((node) => wrap(`${node.name}${node.isCxTeam ? " (CX)" : ""}`, labelRoom, measureOf(node), narrow ? 3 : 2));
    const longest = Math.max(...ring.map((node, i) => Math.max(...labels[i].map(measureOf(node)))));
    const lines = Math.max(...labels.map((l) => l.length));
    const rowGap = Math.max(lines * line + 10, 2 * nodeRadius + 8);
    const leftCount = Math.ceil(n / 2);
    const rightCount = n - leftCount;
    const ry = Math.max((leftCount * rowGap) / 2, narrow ? 130 : 190);
    const rx = clamp(width / 2 - nodeRadius - gap - Math.min(longest, labelRoom) - 4, 36, ry * 1.3);
    const height = Math.ceil(2 * ry + lines * line + 24);
    const centre = { x: width / 2, y: height / 2 };

    // Left side top to bottom, then right side bottom to top: neighbours on the ring
    // are neighbours in the order, and every name has a row of its own on its side.
    const place = new Map();
    ring.forEach((node, i) => {
      const left = i < leftCount;
      const count = left ? leftCount : rightCount;
      const j = left ? i : i - leftCount;
      const step = (2 * ry) / count;
      const y = left ? -ry + (j + 0.5) * step : ry - (j + 0.5) * step;
      const x = (left ? -1 : 1) * rx * Math.sqrt(Math.max(0, 1 - (y / ry) ** 2));
      place.set(node.id, { x: centre.x + x, y: centre.y + y, left, lines: labels[i], r: radiusOf(node) });
    });

    const most = Math.max(1, ...this.edges.map((e) => e.count));
    const keys = new Set(visible.map(keyOf));
    this.geometry = new Map();
    const bows = new Map();
    for (const edge of visible) {
      const a = place.get(edge.from.id);
      const b = place.get(edge.to.id);
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const length = Math.hypot(dx, dy) || 1;
      const both = keys.has(`${edge.to.id}>${edge.from.id}`);
      // Away from the rim: an arrow between functions on the same side would run along
      // it over the functions between them, so it bows towards the middle, the more
      // the longer it is (an arrow across the ring passes near the middle anyway), and
      // further while it still passes over another function's circle.
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const toCentre = Math.hypot(centre.x - mid.x, centre.y - mid.y);
      const inwardUnit = toCentre > 1 ? { x: (centre.x - mid.x) / toCentre, y: (centre.y - mid.y) / toCentre } : { x: 0, y: 0 };
      // A→B and B→A bow to opposite sides of each other, a lone arrow a little.
      const bend = both ? clamp(length * 0.12, 12, 30) : clamp(length * 0.04, 3, 10);
      const normal = { x: -dy / length, y: dx / length };
      const others = ring.map((node) => place.get(node.id)).filter((p) => p !== a && p !== b);
      // How far it bows is the same for A→B and B→A, so that they stay apart.
      const pair = [edge.from.id, edge.to.id].sort().join("|");
      const controlAt = (by, side) => ({
        x: mid.x + inwardUnit.x * by + normal.x * side,
        y: mid.y + inwardUnit.y * by + normal.y * side,
      });
      if (!bows.has(pair)) {
        let inward = 2 * 0.3 * clamp(length / ry, 0, 1) * toCentre;
        for (let attempt = 0; attempt < 16 && toCentre > 1; attempt++) {
          const clear = [bend, -bend].every((side) => {
            const c = controlAt(inward, side);
            for (let k = 1; k < 20; k++) {
              const q = curvePoint(a, c, b, k / 20);
              if (others.some((o) => Math.hypot(q.x - o.x, q.y - o.y) <= o.r + 5)) return false;
            }
            return true;
          });
          if (clear) break;
          inward += 12;
        }
        bows.set(pair, inward);
      }
      const control = controlAt(bows.get(pair), bend);
      const towards = (p, q, by) => {
        const tx = q.x - p.x;
        const ty = q.y - p.y;
        const t = Math.hypot(tx, ty) || 1;
        return { x: p.x + (tx / t) * by, y: p.y + (ty / t) * by };
      };
      const stroke = 1.25 + 6 * Math.sqrt(edge.count / most);
      const start = towards(a, control, a.r + 2);
      const tip = towards(b, control, b.r + 2);
      const head = 7 + stroke * 1.1;
      const half = 3.5 + stroke * 0.75;
      const direction = towards(tip, control, 1);
      const back = { x: direction.x - tip.x, y: direction.y - tip.y };
      const base = { x: tip.x + back.x * head, y: tip.y + back.y * head };
      const end = { x: tip.x + back.x * head * 0.7, y: tip.y + back.y * head * 0.7 };
      const f = (v) => v.toFixed(1);
      const samples = [];
      for (let k = 0; k <= 40; k++) samples.push(curvePoint(start, control, tip, k / 40));
      // The middle by length along the arrow (where a reader points at it).
      const lengths = [0];
      for (let k = 1; k < samples.length; k++) lengths.push(lengths[k - 1] + Math.hypot(samples[k].x - samples[k - 1].x, samples[k].y - samples[k - 1].y));
      const halfway = lengths.at(-1) / 2;
      const k = Math.max(1, lengths.findIndex((l) => l >= halfway));
      const part = (halfway - lengths[k - 1]) / (lengths[k] - lengths[k - 1] || 1);
      const middle = { x: samples[k - 1].x + (samples[k].x - samples[k - 1].x) * part, y: samples[k - 1].y + (samples[k].y - samples[k - 1].y) * part };
      this.geometry.set(keyOf(edge), {
        edge,
        stroke,
        line: `M ${f(start.x)} ${f(start.y)} Q ${f(control.x)} ${f(control.y)} ${f(end.x)} ${f(end.y)}`,
        hit: `M ${f(start.x)} ${f(start.y)} Q ${f(control.x)} ${f(control.y)} ${f(tip.x)} ${f(tip.y)}`,
        head: `M ${f(tip.x)} ${f(tip.y)} L ${f(base.x - back.y * half)} ${f(base.y + back.x * half)} L ${f(base.x + back.y * half)} ${f(base.y - back.x * half)} Z`,
        samples,
        middle,
      });
    }

    const root = svg("svg", {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "group",
      "aria-label": `Handoff network${this.name ? `, ${this.name}` : ""}: ${plural(n, "function")}, ${visible.length} of ${plural(this.edges.length, "arrow")} shown`,
    });
    // Drawn least important first, so that silo arrows lie on top.
    const drawOrder = [...visible].sort(byImportance).reverse();
    this.arrows = new Map();
    const arrowLayer = svg("g", { class: "arrows", "aria-hidden": "true" });
    for (const edge of drawOrder) {
      const g = this.geometry.get(keyOf(edge));
      const arrow = svg(
        "g",
        { class: edge.flags.siloHandoffs > 0 ? "arrow silo" : "arrow" },
        svg("path", { class: "line", d: g.line, "stroke-width": g.stroke.toFixed(1) }),
        svg("path", { class: "head", d: g.head }),
      );
      this.arrows.set(keyOf(edge), arrow);
      arrowLayer.append(arrow);
    }
    // The buttons: most silo handoffs first in the tab order.
    const targetLayer = svg("g", { class: "targets" });
    this.targets = new Map();
    for (const edge of [...visible].sort(byImportance)) {
      const key = keyOf(edge);
      const g = this.geometry.get(key);
      const silo = edge.flags.siloHandoffs;
      const target = svg(
        "g",
        {
          class: silo > 0 ? "edge silo" : "edge",
          tabindex: 0,
          role: "button",
          "aria-label": this.describe(edge),
          "data-from": edge.from.name,
          "data-to": edge.to.name,
          "data-count": edge.count,
          "data-silo": silo,
        },
        svg("path", { class: "hit", d: g.hit, "stroke-width": HIT_WIDTH }),
      );
      target.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.choose(key);
        }
      });
      target.addEventListener("focus", () => {
        this.mark("focus", key);
        this.tip(key, { x: g.middle.x + 12, y: g.middle.y + 14 });
      });
      target.addEventListener("blur", () => {
        this.mark("focus", null);
        this.tip(null);
      });
      this.targets.set(key, target);
      targetLayer.append(target);
    }
    const nodeLayer = svg("g", { class: "nodes" });
    for (const node of ring) {
      const p = place.get(node.id);
      const x = p.left ? p.x - p.r - gap : p.x + p.r + gap;
      const first = p.y - ((p.lines.length - 1) * line) / 2 + font * 0.35;
      nodeLayer.append(
        svg(
          "g",
          { class: node.isCxTeam ? "node cx" : "node", "data-name": node.name },
          svg(
            "title",
            {},
            `${node.name}${node.isCxTeam ? " (CX team)" : ""}: handed on ${plural(node.out, "handoff")}, received ${plural(node.in, "handoff")}`,
          ),
          svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: p.r.toFixed(1) }),
          svg(
            "text",
            { x: x.toFixed(1), y: first.toFixed(1), "text-anchor": p.left ? "end" : "start", "font-size": font },
            p.lines.map((text, k) => svg("tspan", { x: x.toFixed(1), dy: k === 0 ? 0 : line }, text)),
          ),
        ),
      );
    }
    root.append(arrowLayer, targetLayer, nodeLayer);

    // The pointer chooses the arrow nearest to it among those whose hit path it is on.
    const pointer = (event) => {
      const matrix = root.getScreenCTM();
      if (!matrix) return null;
      const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      return { x: point.x, y: point.y };
    };
    const under = (event) => (event.target.closest?.(".edge") ? this.nearest(pointer(event)) : null);
    root.addEventListener("pointermove", (event) => {
      const key = under(event);
      this.mark("hover", key);
      const p = pointer(event);
      this.tip(key, p && { x: p.x + 14, y: p.y + 18 });
    });
    root.addEventListener("pointerleave", () => {
      this.mark("hover", null);
      this.tip(null);
    });
    root.addEventListener("click", (event) => {
      const key = under(event);
      if (key) this.choose(key);
    });

    this.tooltip = el("div", { class: "network-tip", "aria-hidden": "true", hidden: true });
    figure.replaceChildren(root, this.tooltip);
    this.root = root;
    if (this.selected && this.geometry.has(this.selected)) this.mark("selected", this.selected);
    else this.selected = null;
  }

  describe(edge) {
    const silo = edge.flags.siloHandoffs;
    return `${edge.from.name} to ${edge.to.name}: ${plural(edge.count, "handoff")}, ${
      silo === 0 ? "no silo handoff" : silo === edge.count && silo > 1 ? `all ${silo} silo handoffs` : plural(silo, "silo handoff")
    }`;
  }

  /** The key of the shown arrow nearest to `p` (ties: the one whose middle is nearer). */
  nearest(p) {
    if (!p) return null;
    let best = null;
    for (const [key, g] of this.geometry) {
      let d = Infinity;
      for (let k = 1; k < g.samples.length; k++) d = Math.min(d, distanceToSegment(p, g.samples[k - 1], g.samples[k]));
      const middle = Math.hypot(p.x - g.middle.x, p.y - g.middle.y);
      if (!best || d < best.d - 1.5 || (Math.abs(d - best.d) <= 1.5 && middle < best.middle)) best = { key, d, middle };
    }
    return best && best.d <= HIT_WIDTH ? best.key : null;
  }

  /** Marks one arrow (or none) as hovered, focused or selected. */
  mark(kind, key) {
    for (const arrow of this.arrows.values()) arrow.classList.remove(kind);
    if (key && this.arrows.has(key)) this.arrows.get(key).classList.add(kind);
    if (kind === "selected") {
      for (const [k, target] of this.targets) {
        if (k === key) target.setAttribute("aria-current", "true");
        else target.removeAttribute("aria-current");
      }
      this.root.classList.toggle("has-selection", Boolean(key));
    }
  }

  /** Shows the tooltip naming an arrow at `at` (drawing units), or hides it. */
  tip(key, at) {
    const tooltip = this.tooltip;
    if (!key || !at) {
      tooltip.hidden = true;
      return;
    }
    const edge = this.geometry.get(key).edge;
    tooltip.replaceChildren(
      el("strong", {}, `${edge.from.name} → ${edge.to.name}`),
      el("br"),
      `${plural(edge.count, "handoff")}, ${plural(edge.flags.siloHandoffs, "silo handoff")}`,
    );
    tooltip.hidden = false;
    const scale = this.root.getBoundingClientRect().width / (Number(this.root.getAttribute("width")) || 1);
    const left = clamp(at.x * scale, 0, Math.max(0, this.figure.clientWidth - tooltip.offsetWidth));
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${at.y * scale}px`;
  }

  choose(key) {
    this.selected = key;
    this.mark("selected", key);
    this.onSelect(this.geometry.get(key).edge);
  }
}
