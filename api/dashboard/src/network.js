// The handoff network as an SVG: functions on a circle (CX teams filled), one arrow
// per (from, to) pair sized by its handoffs, red where it carries silo handoffs. Every
// arrow is a button (mouse, Enter or Space) that asks for its handoffs.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 760;
const HEIGHT = 520;
const NODE_RADIUS = 16;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

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
  // CX teams first, so that they sit at the top of the circle.
  return [...nodes.values()].sort(
    (a, b) => Number(b.isCxTeam) - Number(a.isCxTeam) || a.name.localeCompare(b.name),
  );
}

function marker(id, colour) {
  return svg(
    "marker",
    // Sized in the drawing's units, not by the line: a thick arrow keeps a small head.
    { id, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 12, markerHeight: 12, markerUnits: "userSpaceOnUse", orient: "auto" },
    svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: colour }),
  );
}

/**
 * Draws `edges` ({ from, to, count, flags: { siloHandoffs } }) into `container`;
 * `onSelect(edge)` runs when an arrow is chosen.
 */
export function drawNetwork(container, edges, onSelect) {
  const nodes = nodesOf(edges);
  if (!nodes.length) {
    container.replaceChildren(Object.assign(document.createElement("p"), { textContent: "No handoffs in this period." }));
    return;
  }
  const centre = { x: WIDTH / 2, y: HEIGHT / 2 };
  const radius = Math.min(WIDTH, HEIGHT) / 2 - 80;
  const place = new Map();
  nodes.forEach((node, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
    place.set(node.id, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle), angle });
  });
  const most = Math.max(...edges.map((e) => e.count));
  const pairs = new Set(edges.map((e) => `${e.from.id}>${e.to.id}`));

  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "group",
    "aria-label": `Handoff network: ${nodes.length} functions, ${edges.length} pairs`,
  });
  root.append(svg("defs", {}, marker("arrow", "#8a94a3"), marker("arrow-silo", "#b3261e")));

  for (const edge of edges) {
    const a = place.get(edge.from.id);
    const b = place.get(edge.to.id);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy) || 1;
    // Both directions drawn: bend each to its own right so they do not overlap.
    const bend = pairs.has(`${edge.to.id}>${edge.from.id}`) ? 28 : 0;
    const normal = { x: -dy / length, y: dx / length };
    const control = { x: (a.x + b.x) / 2 + normal.x * bend, y: (a.y + b.y) / 2 + normal.y * bend };
    const trim = (p, toward) => {
      const tx = toward.x - p.x;
      const ty = toward.y - p.y;
      const t = Math.hypot(tx, ty) || 1;
      return { x: p.x + (tx / t) * (NODE_RADIUS + 3), y: p.y + (ty / t) * (NODE_RADIUS + 3) };
    };
    const start = trim(a, control);
    const end = trim(b, control);
    const d = `M ${start.x.toFixed(1)} ${start.y.toFixed(1)} Q ${control.x.toFixed(1)} ${control.y.toFixed(1)} ${end.x.toFixed(1)} ${end.y.toFixed(1)}`;
    const silo = edge.flags.siloHandoffs;
    const label = `${edge.from.name} to ${edge.to.name}: ${edge.count} handoffs, ${silo} silo`;
    const group = svg(
      "g",
      {
        class: silo > 0 ? "edge silo" : "edge",
        tabindex: 0,
        role: "button",
        "aria-label": label,
        "data-from": edge.from.name,
        "data-to": edge.to.name,
        "data-count": edge.count,
        "data-silo": silo,
      },
      svg("title", {}, label),
      // A wide transparent stroke makes thin arrows easy to hit.
      svg("path", { d, class: "hit", "stroke-width": 14 }),
      svg("path", {
        d,
        "stroke-width": (1 + 9 * Math.sqrt(edge.count / most)).toFixed(1),
        "marker-end": `url(#${silo > 0 ? "arrow-silo" : "arrow"})`,
      }),
    );
    const choose = () => {
      for (const other of root.querySelectorAll(".edge.selected")) other.classList.remove("selected");
      group.classList.add("selected");
      onSelect(edge);
    };
    group.addEventListener("click", choose);
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose();
      }
    });
    root.append(group);
  }

  for (const node of nodes) {
    const p = place.get(node.id);
    const outward = { x: Math.cos(p.angle), y: Math.sin(p.angle) };
    const anchor = Math.abs(outward.x) < 0.3 ? "middle" : outward.x > 0 ? "start" : "end";
    root.append(
      svg(
        "g",
        { class: node.isCxTeam ? "node cx" : "node" },
        svg("title", {}, `${node.name}${node.isCxTeam ? " (CX team)" : ""}: ${node.out} handed on, ${node.in} received`),
        svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: NODE_RADIUS }),
        svg(
          "text",
          {
            x: (p.x + outward.x * (NODE_RADIUS + 8)).toFixed(1),
            y: (p.y + outward.y * (NODE_RADIUS + 8) + 4).toFixed(1),
            "text-anchor": anchor,
          },
          `${node.name}${node.isCxTeam ? " (CX)" : ""}`,
        ),
      ),
    );
  }
  container.replaceChildren(root);
}
