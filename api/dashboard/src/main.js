// siloscope's dashboard: the silos of a period against the period before (or a year
// earlier), their trend, the handoff network, per-function and per-touchpoint tables,
// the ownership findings, the chart against the log (owner on paper against de facto
// owner, promises broken), and from any figure the handoffs, breaches, interactions and
// case chains behind it.
// Everything comes from /graphql with the signed-in token; periods are taken in the
// organization's time zone by the server (siloTrend), never guessed here.

import { ApiError, graphql } from "./api.js";
import { DRIFT, renderDrift } from "./drift.js";
import { delta, duration, el, instant, number, percent, periodName, windowText } from "./format.js";
import { drawNetwork } from "./network.js";
import { sortableTable } from "./tables.js";
import { drawTrend } from "./trend.js";

const $ = (id) => document.getElementById(id);

/** How many periods the trend shows, and about how long one is (to ask for them). */
const PERIODS = {
  WEEK: { count: 13, days: 7 },
  MONTH: { count: 13, days: 31 },
  QUARTER: { count: 8, days: 92 },
};
const COMPARISONS = ["PREVIOUS_PERIOD", "SAME_PERIOD_LAST_YEAR"];
const COMPARE_LABEL = { PREVIOUS_PERIOD: "the period before", SAME_PERIOD_LAST_YEAR: "a year earlier" };

const TOTALS = "cases interactions handoffs siloHandoffs deferralsToCx deferralRate customerBurden pingPongs singlePointOfContactRate";
const TREND = `query Trend($from: DateTime!, $to: DateTime!, $g: Granularity!) {
  siloTrend(from: $from, to: $to, granularity: $g, compareTo: [PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR]) {
    timeZone
    points {
      window { from to }
      totals { ${TOTALS} }
      comparisons { period window { from to } totals { ${TOTALS} } delta { siloHandoffs deferralRate customerBurden pingPongs } }
    }
  }
}`;
const DETAIL = `query Detail($w: WindowInput!) {
  siloReport(window: $w) {
    byFunction { function { id name isCxTeam } handoffsOut handoffsIn siloHandoffs deferralsToCx deferralRate pingPongs customerBurden casesTouched }
    byTouchpoint { touchpoint { id name } handoffs siloHandoffs deferralsToCx pingPongs customerBurden }
  }
  handoffNetwork(window: $w) { edges { from { id name isCxTeam } to { id name isCxTeam } count flags { siloHandoffs } } }
  ownershipFindings { kind severity touchpoint { name } functions { name } role message }
}`;
const HANDOFFS = `query Handoffs($f: HandoffFilterInput, $after: String) {
  handoffs(first: 25, after: $after, filter: $f) {
    totalCount
    edges { node { id caseRef at from { name } to { name } touchpoint { name } flags } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const BREACHES = `query Breaches($f: PromiseBreachFilterInput!, $after: String) {
  promiseBreaches(first: 25, after: $after, filter: $f) {
    totalCount
    nodes { caseRef waited interaction { occurredAt function { name } } next { occurredAt function { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const INTERACTIONS = `query Interactions($f: TouchpointInteractionFilterInput!, $after: String) {
  touchpointInteractions(first: 25, after: $after, filter: $f) {
    totalCount
    nodes { caseRef occurredAt function { name isCxTeam } note customerActionRequired }
    pageInfo { hasNextPage endCursor }
  }
}`;
const CASE = `query Case($ref: String!) {
  case(caseRef: $ref) {
    caseRef
    interactions { id occurredAt function { name isCxTeam } touchpoint { name } note customerActionRequired }
    handoffs { toInteractionId from { name } to { name } flags }
  }
}`;

const TILES = [
  { key: "siloHandoffs", label: "Silo handoffs", rate: false, help: "deferrals to CX where CX was not the designed owner" },
  { key: "deferralRate", label: "Deferral rate", rate: true, help: "share of handoffs that passed the customer to CX" },
  { key: "customerBurden", label: "Customer burden", rate: false, help: "handoffs that left the customer something to do" },
  { key: "pingPongs", label: "Ping-pong", rate: false, help: "handoffs that bounced the customer back" },
];

const state = {
  token: null,
  zone: "UTC",
  granularity: "MONTH",
  compare: "PREVIOUS_PERIOD",
  at: null,
  points: [],
  selected: 0,
  handoffs: null,
  evidence: null,
};

function status(text) {
  $("status").textContent = text;
}

function problem(text) {
  const box = $("problem");
  box.textContent = text || "";
  box.hidden = !text;
}

async function ask(query, variables) {
  try {
    return await graphql(state.token, query, variables);
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
      signOut(`The token was refused (${error.message}). Sign in again.`);
    }
    throw error;
  }
}

function signOut(message) {
  state.token = null;
  $("main").hidden = true;
  $("controls").hidden = true;
  $("org").textContent = "";
  $("sign-in").hidden = false;
  status("");
  problem(message || "");
  $("token-input").focus();
}

/** Keeps the choices in the address (without the token), so a view can be shared. */
function remember() {
  const point = state.points[state.selected];
  const query = new URLSearchParams({ granularity: state.granularity, compare: state.compare });
  if (point) query.set("at", point.window.from);
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

async function start() {
  $("sign-in").hidden = true;
  status("Loading…");
  problem("");
  const { viewer } = await ask("{ viewer { subject organization { name slug timeZone } } }");
  state.zone = viewer.organization.timeZone;
  $("org").textContent = `${viewer.organization.name} (${viewer.organization.slug}) · ${state.zone} · signed in as ${viewer.subject}`;
  $("controls").hidden = false;
  $("main").hidden = false;
  $("granularity").value = state.granularity;
  $("compare").value = state.compare;
  await loadTrend();
}

/** Asks for the trend's periods (ending with the chosen one, or now), then shows one. */
async function loadTrend() {
  status("Loading the trend…");
  const { count, days } = PERIODS[state.granularity];
  const anchored = state.at !== null;
  const end = anchored ? new Date(new Date(state.at).getTime() + 1) : new Date();
  const periods = anchored ? count : count + 1;
  const begin = new Date(end.getTime() - (periods - 1) * days * 86_400_000);
  const { siloTrend } = await ask(TREND, { from: begin.toISOString(), to: end.toISOString(), g: state.granularity });
  state.zone = siloTrend.timeZone;
  state.points = siloTrend.points;
  // The last point holds now and is not over yet: the one before is the default.
  const last = state.points.length - 1;
  state.selected = anchored || last === 0 ? last : last - 1;
  state.at = null;
  const select = $("period");
  select.replaceChildren(
    ...state.points.map((p, i) =>
      el("option", { value: i }, periodName(p.window.from, state.granularity, state.zone) + (!anchored && i === last ? " (so far)" : "")),
    ),
  );
  await showPeriod();
}

function renderTiles(point) {
  const index = COMPARISONS.indexOf(state.compare);
  const comparison = point.comparisons[index];
  $("tiles").replaceChildren(
    ...TILES.map((tile) => {
      const value = point.totals[tile.key];
      const change = comparison.delta[tile.key];
      const before = comparison.totals[tile.key];
      const direction = change === null ? "same" : change > 0 ? "worse" : change < 0 ? "better" : "same";
      const id = `tile-${tile.key}`;
      return el(
        "article",
        { class: "tile", "aria-labelledby": id },
        el("h3", { id }, tile.label),
        el(
          "span",
          { class: "value", dataset: { figure: tile.key, value: value === null ? "" : String(value) } },
          tile.rate ? percent(value) : number(value),
        ),
        el(
          "span",
          { class: `delta ${direction}`, dataset: { figure: `${tile.key}Delta`, value: change === null ? "" : String(change) } },
          `${delta(change, tile.rate)} vs ${COMPARE_LABEL[state.compare]} (${tile.rate ? percent(before) : number(before)})`,
        ),
        el("p", { class: "hint" }, tile.help),
      );
    }),
  );
}

async function showPeriod() {
  const point = state.points[state.selected];
  const name = periodName(point.window.from, state.granularity, state.zone);
  $("period").value = String(state.selected);
  $("period-label").textContent = name;
  $("period-window").textContent = windowText(point.window, state.zone);
  renderTiles(point);
  $("main").dataset.from = point.window.from;
  $("main").dataset.to = point.window.to;
  const compareIndex = COMPARISONS.indexOf(state.compare);
  drawTrend($("trend-chart"), $("trend-table"), state.points, {
    granularity: state.granularity,
    zone: state.zone,
    compareIndex,
    compareLabel: COMPARE_LABEL[state.compare],
    selected: state.selected,
    onChoose: guarded(choose),
  });
  remember();
  status(`Loading ${name}…`);
  document.body.dataset.ready = "false";
  const detail = await ask(DETAIL, { w: point.window });
  drawNetwork($("network"), detail.handoffNetwork.edges, (edge) =>
    showHandoffs(
      { fromFunctionId: edge.from.id, toFunctionId: edge.to.id },
      `${edge.from.name} → ${edge.to.name} in ${name}`,
    ),
  );
  renderTables(detail.siloReport, name);
  renderFindings(detail.ownershipFindings);
  const drift = await ask(DRIFT, { w: point.window, c: [state.compare] });
  renderDrift($("drift-table"), $("drift-findings"), drift, name, {
    openBreaches: (row, element) =>
      showEvidence("breaches", { touchpointId: row.touchpoint.id, element }, `${element === "PROMPT" ? "late answers" : "customers passed on"} at ${row.touchpoint.name} in ${name}`),
    openInteractions: (row) =>
      showEvidence(
        "interactions",
        { touchpointId: row.touchpoint.id, functionId: row.owner?.function?.id ?? null },
        `at ${row.touchpoint.name}${row.owner ? ` by ${row.owner.function?.name}` : ""} in ${name}`,
      ),
  });
  $("evidence-section").hidden = true;
  $("handoffs-section").hidden = true;
  $("case-section").hidden = true;
  status("");
  document.body.dataset.ready = "true";
}

function renderTables(report, name) {
  const count = (key, label) => ({ key, label, numeric: true, value: (r) => r[key], text: (r) => number(r[key]) });
  sortableTable(
    $("functions-table"),
    `Handoffs by the function that passed the customer on, ${name}`,
    [
      { key: "name", label: "Function", value: (r) => r.function?.name ?? "", text: (r) => `${r.function?.name ?? "?"}${r.function?.isCxTeam ? " (CX)" : ""}` },
      count("siloHandoffs", "Silo"),
      count("handoffsOut", "Out"),
      count("handoffsIn", "In"),
      { key: "deferralRate", label: "Deferral rate", numeric: true, value: (r) => r.deferralRate, text: (r) => percent(r.deferralRate) },
      count("pingPongs", "Ping-pong"),
      count("customerBurden", "Burden"),
      count("casesTouched", "Cases"),
    ],
    report.byFunction.filter((r) => r.function),
    {
      label: "Handoffs",
      describe: (r) => `Handoffs from ${r.function.name}`,
      run: (r) => showHandoffs({ fromFunctionId: r.function.id }, `from ${r.function.name} in ${name}`),
    },
  );
  sortableTable(
    $("touchpoints-table"),
    `Handoffs by the touchpoint where they started, ${name}`,
    [
      { key: "name", label: "Touchpoint", value: (r) => r.touchpoint?.name ?? "(none)" },
      count("siloHandoffs", "Silo"),
      count("handoffs", "Handoffs"),
      count("deferralsToCx", "To CX"),
      count("pingPongs", "Ping-pong"),
      count("customerBurden", "Burden"),
    ],
    report.byTouchpoint.filter((r) => r.touchpoint),
    {
      label: "Handoffs",
      describe: (r) => `Handoffs at ${r.touchpoint.name}`,
      run: (r) => showHandoffs({ touchpointId: r.touchpoint.id }, `at ${r.touchpoint.name} in ${name}`),
    },
  );
}

function renderFindings(findings) {
  const list = $("findings");
  if (!findings.length) {
    list.replaceChildren(el("li", {}, "No gaps in the responsibility map."));
    return;
  }
  list.replaceChildren(
    ...findings.map((f) =>
      el(
        "li",
        { class: f.severity },
        el("span", { class: "kind" }, `${f.severity} · ${f.kind.replaceAll("_", " ")}`),
        " — ",
        f.message,
      ),
    ),
  );
}

function flagBadges(flags) {
  return flags.map((flag) => el("span", { class: `flag ${flag}` }, flag.replaceAll("_", " ")));
}

async function openHandoffs(filter, description) {
  const point = state.points[state.selected];
  state.handoffs = { filter: { ...filter, window: point.window }, description, cursor: null };
  $("handoffs-table").querySelector("tbody").replaceChildren();
  $("handoffs-section").hidden = false;
  $("case-section").hidden = true;
  await moreHandoffs();
  $("handoffs-section").focus();
}

async function moreHandoffs() {
  const current = state.handoffs;
  status("Loading handoffs…");
  const { handoffs } = await ask(HANDOFFS, { f: current.filter, after: current.cursor });
  current.cursor = handoffs.pageInfo.endCursor;
  $("handoffs-filter").textContent = `${number(handoffs.totalCount)} handoffs ${current.description}`;
  $("handoffs-filter").dataset.total = String(handoffs.totalCount);
  const rows = handoffs.edges.map(({ node }) =>
    el(
      "tr",
      {},
      el("td", {}, instant(node.at, state.zone)),
      el(
        "td",
        {},
        el("button", { type: "button", class: "link", onclick: () => showCase(node.caseRef), "aria-label": `Case ${node.caseRef}` }, node.caseRef),
      ),
      el("td", {}, node.from?.name ?? "?"),
      el("td", {}, node.to?.name ?? "?"),
      el("td", {}, node.touchpoint?.name ?? "—"),
      el("td", {}, flagBadges(node.flags)),
    ),
  );
  $("handoffs-table").querySelector("tbody").append(...rows);
  $("handoffs-more").hidden = !handoffs.pageInfo.hasNextPage;
  status("");
}

const EVIDENCE = {
  breaches: {
    query: BREACHES,
    field: "promiseBreaches",
    noun: "breaches",
    head: ["At the touchpoint", "Case", "By", "Next", "Next by", "Waited"],
    cells: (n) => [
      instant(n.interaction.occurredAt, state.zone),
      caseButton(n.caseRef),
      n.interaction.function?.name ?? "?",
      instant(n.next.occurredAt, state.zone),
      n.next.function?.name ?? "?",
      duration(n.waited),
    ],
  },
  interactions: {
    query: INTERACTIONS,
    field: "touchpointInteractions",
    noun: "interactions",
    head: ["When", "Case", "Function", "Note"],
    cells: (n) => [
      instant(n.occurredAt, state.zone),
      caseButton(n.caseRef),
      `${n.function?.name ?? "?"}${n.function?.isCxTeam ? " (CX)" : ""}`,
      n.note ?? (n.customerActionRequired ? "customer action required" : ""),
    ],
  },
};

function caseButton(ref) {
  return el("button", { type: "button", class: "link", onclick: () => showCase(ref), "aria-label": `Case ${ref}` }, ref);
}

async function openEvidence(kind, filter, description) {
  const point = state.points[state.selected];
  state.evidence = { kind, filter: { ...filter, window: point.window }, description, cursor: null };
  const table = $("evidence-table");
  table.querySelector("thead").replaceChildren(el("tr", {}, EVIDENCE[kind].head.map((h) => el("th", { scope: "col" }, h))));
  table.querySelector("tbody").replaceChildren();
  $("evidence-section").hidden = false;
  $("case-section").hidden = true;
  await moreEvidence();
  $("evidence-section").focus();
}

async function moreEvidence() {
  const current = state.evidence;
  const kind = EVIDENCE[current.kind];
  status(`Loading ${kind.noun}…`);
  const data = await ask(kind.query, { f: current.filter, after: current.cursor });
  const list = data[kind.field];
  current.cursor = list.pageInfo.endCursor;
  $("evidence-filter").textContent = `${number(list.totalCount)} ${kind.noun} ${current.description}`;
  $("evidence-filter").dataset.total = String(list.totalCount);
  $("evidence-table").querySelector("tbody").append(...list.nodes.map((n) => el("tr", {}, kind.cells(n).map((c) => el("td", {}, c)))));
  $("evidence-more").hidden = !list.pageInfo.hasNextPage;
  status("");
}

async function openCase(ref) {
  status(`Loading case ${ref}…`);
  const { case: found } = await ask(CASE, { ref });
  const section = $("case-section");
  if (!found) {
    $("case-title").textContent = `Case ${ref}`;
    $("case-chain").replaceChildren(el("li", {}, "No interaction of this case is recorded."));
  } else {
    $("case-title").textContent = `Case ${found.caseRef}: ${found.interactions.length} interactions, ${found.handoffs.length} handoffs`;
    const into = new Map(found.handoffs.map((h) => [h.toInteractionId, h]));
    $("case-chain").replaceChildren(
      ...found.interactions.map((i) => {
        const handoff = into.get(i.id);
        return el(
          "li",
          { dataset: { interaction: i.id } },
          handoff
            ? el("div", { class: "handoff" }, `handed from ${handoff.from?.name ?? "?"} to ${handoff.to?.name ?? "?"} `, flagBadges(handoff.flags))
            : null,
          el("strong", {}, i.function?.name ?? "?"),
          i.function?.isCxTeam ? " (CX)" : "",
          ` · ${instant(i.occurredAt, state.zone)}`,
          i.touchpoint ? ` · ${i.touchpoint.name}` : "",
          i.customerActionRequired ? " · customer action required" : "",
          i.note ? el("div", { class: "note" }, `“${i.note}”`) : null,
        );
      }),
    );
  }
  section.hidden = false;
  section.dataset.caseRef = ref;
  section.focus();
  status("");
}

async function choose(index) {
  state.selected = index;
  await showPeriod();
}

/** Runs an action, showing what went wrong instead of failing silently. */
function guarded(action) {
  return (...args) =>
    action(...args).catch((error) => {
      status("");
      if (!(error instanceof ApiError && error.code === "UNAUTHENTICATED")) problem(error.message);
    });
}

function boot() {
  const params = new URLSearchParams(location.search);
  if (PERIODS[params.get("granularity")]) state.granularity = params.get("granularity");
  if (COMPARISONS.includes(params.get("compare"))) state.compare = params.get("compare");
  if (params.get("at") && !Number.isNaN(Date.parse(params.get("at")))) state.at = params.get("at");

  // A token in the fragment (the link `siloscope demo` prints) never reaches the server;
  // it is kept in the page's memory only (no browser storage holds a credential) and
  // taken out of the address, so a reload asks for it again.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    state.token = fragment.get("token");
    history.replaceState(null, "", location.pathname + location.search);
  }

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
    if (!token) return;
    state.token = token;
    $("token-input").value = "";
    guarded(start)();
  });
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("granularity").addEventListener("change", guarded(async (event) => {
    state.granularity = event.target.value;
    await loadTrend();
  }));
  $("period").addEventListener("change", guarded(async (event) => choose(Number(event.target.value))));
  $("compare").addEventListener("change", guarded(async (event) => {
    state.compare = event.target.value;
    await showPeriod();
  }));
  $("handoffs-more").addEventListener("click", guarded(moreHandoffs));
  $("evidence-more").addEventListener("click", guarded(moreEvidence));

  if (state.token) guarded(start)();
  else signOut();
}

// What the page's buttons run: errors are shown, not lost.
const showHandoffs = guarded(openHandoffs);
const showCase = guarded(openCase);
const showEvidence = guarded(openEvidence);

boot();
