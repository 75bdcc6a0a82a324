// siloscope's dashboard: the silos of a period against the period before (or a year
// earlier), their trend, the handoff network, per-function and per-touchpoint tables,
// the ownership findings, the chart against the log (owner on paper against de facto
// owner, promises broken), and from any figure the handoffs, breaches, interactions and
// case chains behind it.
// Everything comes from /graphql with the signed-in token; periods are taken in the
// organization's time zone by the server (siloTrend), never guessed here.

import { ApiError, graphql } from "./api.js";
import { DRIFT, renderDrift } from "./drift.js";
import { renderFindings } from "./findings.js";
import { delta, duration, el, functionName, instant, number, percent, periodName, plural, windowDates, windowText } from "./format.js";
import { Network } from "./network.js";
import { sortableTable } from "./tables.js";
import { drawTrend } from "./trend.js";
import { VOICE, renderVoice } from "./voice.js";

const $ = (id) => document.getElementById(id);

/** How many periods the trend shows, and about how long one is (to ask for them). */
const PERIODS = {
  WEEK: { count: 13, days: 7, noun: "week", nouns: "weeks" },
  MONTH: { count: 13, days: 31, noun: "month", nouns: "months" },
  QUARTER: { count: 8, days: 92, noun: "quarter", nouns: "quarters" },
};
const COMPARISONS = ["PREVIOUS_PERIOD", "SAME_PERIOD_LAST_YEAR"];
const COMPARE_LABEL = { PREVIOUS_PERIOD: "the period before", SAME_PERIOD_LAST_YEAR: "a year earlier" };
/** What the address may hold (the token never: it travels in the fragment). */
const PARAMETERS = ["granularity", "compare", "at"];

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
// The tiles' figures and their comparison are the API's siloReport over the period
// with the chosen comparison: the page never works out a period before itself.
const DETAIL = `query Detail($w: WindowInput!, $c: [ComparisonPeriod!]!) {
  siloReport(window: $w, compareTo: $c) {
    window { from to }
    totals { ${TOTALS} }
    comparisons { period window { from to } totals { ${TOTALS} } delta { siloHandoffs deferralRate customerBurden pingPongs } }
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
const FEEDBACK = `query Feedback($f: VoiceFeedbackFilterInput!, $after: String) {
  voiceFeedback(first: 25, after: $after, filter: $f) {
    totalCount
    nodes { caseRef kind at answeredAt score channel siloHandoffs }
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
  refused: [],
  generation: 0,
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

/** The notes above the figures: refused address parameters, then the period's. */
function notes() {
  const point = state.points[state.selected];
  const list = [
    ...state.refused.map((r) => ({ kind: "param", param: r.param, text: r.text })),
    ...(point && state.periodNotes ? state.periodNotes : []),
  ];
  $("notes").replaceChildren(
    ...list.map((n) => el("p", { class: "note", dataset: { note: n.kind, param: n.param } }, n.text)),
  );
}

function signOut(message) {
  state.token = null;
  state.points = [];
  state.periodNotes = null;
  $("main").hidden = true;
  $("controls").hidden = true;
  $("sign-out").hidden = true;
  document.querySelector(".skip").hidden = true;
  $("org").textContent = "";
  $("notes").replaceChildren();
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
  $("sign-out").hidden = false;
  document.querySelector(".skip").hidden = false;
  $("main").hidden = false;
  notes();
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

/** The tiles: the period's totals and their change, from siloReport(window, compareTo). */
function renderTiles(report) {
  const comparison = report.comparisons.find((c) => c.period === state.compare) ?? report.comparisons[0];
  const compareWindow = $("compare-window");
  compareWindow.textContent = `Compared with ${windowText(comparison.window, state.zone)}, ${COMPARE_LABEL[state.compare]}.`;
  compareWindow.dataset.from = comparison.window.from;
  compareWindow.dataset.to = comparison.window.to;
  compareWindow.dataset.period = comparison.period;
  $("tiles").replaceChildren(
    ...TILES.map((tile) => {
      const value = report.totals[tile.key];
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
          {
            class: `delta ${direction}`,
            dataset: {
              figure: `${tile.key}Delta`,
              value: change === null ? "" : String(change),
              before: before === null ? "" : String(before),
            },
          },
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
  // A later choice wins: what an earlier one asked for is dropped when it arrives.
  const generation = ++state.generation;
  const detail = await ask(DETAIL, { w: point.window, c: [state.compare] });
  if (generation !== state.generation) return;
  renderTiles(detail.siloReport);
  state.periodNotes = periodNotes(point, detail.siloReport, name);
  notes();
  closePanels();
  network.show(detail.handoffNetwork.edges, name);
  renderTables(detail.siloReport, name);
  renderFindings($("findings"), detail.ownershipFindings, "No gaps in the responsibility map.");
  const drift = await ask(DRIFT, { w: point.window, c: [state.compare] });
  if (generation !== state.generation) return;
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
  const voice = await ask(VOICE, { w: point.window, c: [state.compare] });
  if (generation !== state.generation) return;
  renderVoice(
    { cards: $("voice-kinds"), absorbed: $("voice-absorbed"), complaints: $("voice-complaints"), findings: $("voice-findings") },
    voice,
    name,
    (filter, description) => showEvidence("feedback", filter, `${description} in ${name}`, $("voice-section")),
  );
  status("");
  document.body.dataset.ready = "true";
}

/** What the reader should know about the period: in the future, empty, not over yet. */
function periodNotes(point, report, name) {
  const now = Date.now();
  const list = [];
  if (Date.parse(point.window.from) > now) {
    list.push({ kind: "future", text: `${name} lies in the future: nothing can have been recorded in it yet.` });
  } else {
    if (report.totals.interactions === 0) {
      list.push({ kind: "empty", text: `No interaction was recorded in ${name} (${windowDates(point.window, state.zone)}): the period has nothing to show.` });
    }
    if (Date.parse(point.window.to) > now) {
      list.push({ kind: "partial", text: `${name} is not over yet: the figures are those so far.` });
    }
  }
  const comparison = report.comparisons.find((c) => c.period === state.compare);
  if (comparison && comparison.totals.interactions === 0 && report.totals.interactions > 0) {
    list.push({
      kind: "compare-empty",
      text: `No interaction was recorded in the period compared with (${windowDates(comparison.window, state.zone)}), so every change is against nothing.`,
    });
  }
  return list;
}

/** Hides the panels that show what is behind a figure (for a new period). */
function closePanels() {
  for (const id of ["evidence-section", "handoffs-section", "case-section"]) $(id).hidden = true;
  $("network-placeholder").hidden = false;
}

/**
 * Puts `panel` right after what opened it: into the network's side column for an
 * arrow, else after the block of the page (section, or the two tables) holding `from`.
 */
function placePanel(panel, from) {
  if (from === "network") {
    $("network-side").append(panel);
  } else {
    const block = from?.closest?.("#network-side > section, main > *");
    if (block && block !== panel) block.after(panel);
  }
  $("network-placeholder").hidden = $("network-side").contains($("handoffs-section")) && !$("handoffs-section").hidden;
}

/** Shows a panel just opened: focused (for keyboards and screen readers) and in view. */
function reveal(panel) {
  panel.focus({ preventScroll: true });
  // Its beginning in view: where it is, if it is there already; else at the top.
  const top = panel.getBoundingClientRect().top;
  if (top < 0 || top > innerHeight - 120) panel.scrollIntoView({ block: "start", behavior: "instant" });
}

function renderTables(report, name) {
  const count = (key, label) => ({ key, label, numeric: true, value: (r) => r[key], text: (r) => number(r[key]) });
  sortableTable(
    $("functions-table"),
    `Handoffs by the function that passed the customer on, ${name}`,
    [
      { key: "name", label: "Function", value: (r) => r.function?.name ?? "", text: (r) => functionName(r.function) },
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
      run: (r, button) => showHandoffs({ fromFunctionId: r.function.id }, `from ${r.function.name} in ${name}`, button),
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
      run: (r, button) => showHandoffs({ touchpointId: r.touchpoint.id }, `at ${r.touchpoint.name} in ${name}`, button),
    },
  );
}

function flagBadges(flags) {
  return flags.map((flag) => el("span", { class: `flag ${flag}` }, flag.replaceAll("_", " ")));
}

/** The handoffs behind a figure, opened next to `from` ("network", or the button). */
async function openHandoffs(filter, description, from) {
  const point = state.points[state.selected];
  // An arrow fixes both ends: its rows need not repeat them.
  const pair = Boolean(filter.fromFunctionId && filter.toFunctionId);
  state.handoffs = { filter: { ...filter, window: point.window }, description, cursor: null, pair };
  const section = $("handoffs-section");
  const table = $("handoffs-table");
  const head = ["When", "Case", ...(pair ? [] : ["From", "To"]), "Touchpoint", "Flags"];
  table.querySelector("thead").replaceChildren(el("tr", {}, head.map((h) => el("th", { scope: "col" }, h))));
  table.querySelector("tbody").replaceChildren();
  $("handoffs-filter").textContent = "Loading…";
  $("case-section").hidden = true;
  section.hidden = false;
  placePanel(section, from);
  await moreHandoffs();
  reveal(section);
}

async function moreHandoffs() {
  const current = state.handoffs;
  status("Loading handoffs…");
  const { handoffs } = await ask(HANDOFFS, { f: current.filter, after: current.cursor });
  // Another figure was chosen meanwhile: its handoffs are the ones to show.
  if (current !== state.handoffs) return;
  current.cursor = handoffs.pageInfo.endCursor;
  $("handoffs-filter").textContent = `${plural(handoffs.totalCount, "handoff")} ${current.description}`;
  $("handoffs-filter").dataset.total = String(handoffs.totalCount);
  const rows = handoffs.edges.map(({ node }) =>
    el(
      "tr",
      {},
      el("td", { class: "when" }, instant(node.at, state.zone)),
      el(
        "td",
        {},
        caseButton(node.caseRef, $("handoffs-section")),
      ),
      current.pair ? null : el("td", {}, node.from?.name ?? "?"),
      current.pair ? null : el("td", {}, node.to?.name ?? "?"),
      el("td", {}, node.touchpoint?.name ?? "—"),
      el("td", {}, flagBadges(node.flags)),
    ),
  );
  $("handoffs-table").querySelector("tbody").append(...rows);
  $("handoffs-more").hidden = !handoffs.pageInfo.hasNextPage;
  status("");
}

const EVIDENCE = {
  feedback: {
    query: FEEDBACK,
    field: "voiceFeedback",
    noun: ["piece of feedback", "pieces of feedback"],
    head: ["Offered or made", "Case", "Kind", "Answered", "Score", "Silo handoffs"],
    cells: (n) => [
      instant(n.at, state.zone),
      caseButton(n.caseRef, $("evidence-section")),
      n.kind,
      n.answeredAt ? instant(n.answeredAt, state.zone) : n.kind === "COMPLAINT" ? "" : "not answered",
      n.score ?? "",
      number(n.siloHandoffs),
    ],
  },
  breaches: {
    query: BREACHES,
    field: "promiseBreaches",
    noun: ["breach", "breaches"],
    head: ["At the touchpoint", "Case", "By", "Next", "Next by", "Waited"],
    cells: (n) => [
      instant(n.interaction.occurredAt, state.zone),
      caseButton(n.caseRef, $("evidence-section")),
      n.interaction.function?.name ?? "?",
      instant(n.next.occurredAt, state.zone),
      n.next.function?.name ?? "?",
      duration(n.waited),
    ],
  },
  interactions: {
    query: INTERACTIONS,
    field: "touchpointInteractions",
    noun: ["interaction", "interactions"],
    head: ["When", "Case", "Function", "Note"],
    cells: (n) => [
      instant(n.occurredAt, state.zone),
      caseButton(n.caseRef, $("evidence-section")),
      functionName(n.function),
      n.note ?? (n.customerActionRequired ? "customer action required" : ""),
    ],
  },
};

/** A button that opens a case's chain right after `panel` (where the button is). */
function caseButton(ref, panel) {
  return el("button", { type: "button", class: "link case", onclick: () => showCase(ref, panel), "aria-label": `Case ${ref}` }, ref);
}

async function openEvidence(kind, filter, description, after = $("drift-table")) {
  const point = state.points[state.selected];
  state.evidence = { kind, filter: { ...filter, window: point.window }, description, cursor: null };
  const table = $("evidence-table");
  table.querySelector("thead").replaceChildren(el("tr", {}, EVIDENCE[kind].head.map((h) => el("th", { scope: "col" }, h))));
  table.querySelector("tbody").replaceChildren();
  $("evidence-section").hidden = false;
  $("case-section").hidden = true;
  placePanel($("evidence-section"), after);
  await moreEvidence();
  reveal($("evidence-section"));
}

async function moreEvidence() {
  const current = state.evidence;
  const kind = EVIDENCE[current.kind];
  status(`Loading ${kind.noun[1]}…`);
  const data = await ask(kind.query, { f: current.filter, after: current.cursor });
  if (current !== state.evidence) return;
  const list = data[kind.field];
  current.cursor = list.pageInfo.endCursor;
  $("evidence-filter").textContent = `${plural(list.totalCount, ...kind.noun)} ${current.description}`;
  $("evidence-filter").dataset.total = String(list.totalCount);
  $("evidence-table").querySelector("tbody").append(...list.nodes.map((n) => el("tr", {}, kind.cells(n).map((c) => el("td", {}, c)))));
  $("evidence-more").hidden = !list.pageInfo.hasNextPage;
  status("");
}

async function openCase(ref, panel) {
  status(`Loading case ${ref}…`);
  const { case: found } = await ask(CASE, { ref });
  const section = $("case-section");
  if (!found) {
    $("case-title").textContent = `Case ${ref}`;
    $("case-chain").replaceChildren(el("li", {}, "No interaction of this case is recorded."));
  } else {
    $("case-title").textContent = `Case ${found.caseRef}: ${plural(found.interactions.length, "interaction")}, ${plural(found.handoffs.length, "handoff")}`;
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
          el("strong", {}, functionName(i.function)),
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
  if (panel) panel.after(section);
  reveal(section);
  status("");
}

async function choose(index) {
  state.refused = [];
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

/**
 * Takes the choices from the address; what it cannot use is named in a note (which
 * parameter, which value, and what the page shows instead), never silently dropped.
 */
function readAddress() {
  const params = new URLSearchParams(location.search);
  const refuse = (param, value, text) => state.refused.push({ param, value, text });
  // What the address holds is shown as text, and shortened when it is long.
  const shown = (value) => (value.length > 60 ? `${value.slice(0, 60)}…` : value);
  const granularity = params.get("granularity");
  if (granularity !== null) {
    if (PERIODS[granularity]) state.granularity = granularity;
    else refuse("granularity", granularity, `The address asked for granularity=${shown(granularity)}, which this page does not offer (it shows WEEK, MONTH or QUARTER): it shows ${PERIODS[state.granularity].nouns} instead.`);
  }
  const compare = params.get("compare");
  if (compare !== null) {
    if (COMPARISONS.includes(compare)) state.compare = compare;
    else refuse("compare", compare, `The address asked for compare=${shown(compare)}, which this page does not offer (PREVIOUS_PERIOD or SAME_PERIOD_LAST_YEAR): it compares with ${COMPARE_LABEL[state.compare]} instead.`);
  }
  const at = params.get("at");
  if (at !== null) {
    // An ISO 8601 date or instant (2026-06-01, 2026-06-01T00:00:00Z), nothing looser.
    if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(at) && !Number.isNaN(Date.parse(at))) state.at = at;
    else refuse("at", at, `The address asked for at=${shown(at)}, which is not a date and time (such as 2026-06-01T00:00:00Z): the page shows the last complete ${PERIODS[state.granularity].noun} instead.`);
  }
  for (const [name, value] of params) {
    if (!PARAMETERS.includes(name)) refuse(name, value, `The address parameter ${shown(name)}=${shown(value)} means nothing to this page and was ignored.`);
  }
}

function boot() {
  readAddress();

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
    state.refused = [];
    state.granularity = event.target.value;
    await loadTrend();
  }));
  $("period").addEventListener("change", guarded(async (event) => choose(Number(event.target.value))));
  $("compare").addEventListener("change", guarded(async (event) => {
    state.refused = [];
    state.compare = event.target.value;
    await showPeriod();
  }));
  $("handoffs-more").addEventListener("click", guarded(moreHandoffs));
  $("evidence-more").addEventListener("click", guarded(moreEvidence));
  // Printed, the findings folded away are shown too.
  let folded = [];
  addEventListener("beforeprint", () => {
    folded = [...document.querySelectorAll("details:not([open])")];
    for (const d of folded) d.open = true;
  });
  addEventListener("afterprint", () => {
    for (const d of folded) d.open = false;
    folded = [];
  });

  if (state.token) guarded(start)();
  else signOut();
}

// What the page's buttons run: errors are shown, not lost.
const showHandoffs = guarded(openHandoffs);
const showCase = guarded(openCase);
const showEvidence = guarded(openEvidence);
const network = new Network({
  figure: $("network"),
  summary: $("network-shown"),
  toggle: $("network-all"),
  onSelect: (edge) =>
    showHandoffs(
      { fromFunctionId: edge.from.id, toFunctionId: edge.to.id },
      `from ${edge.from.name} to ${edge.to.name} in ${periodName(state.points[state.selected].window.from, state.granularity, state.zone)}`,
      "network",
    ),
});

boot();
