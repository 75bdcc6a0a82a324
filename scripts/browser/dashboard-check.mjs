// Drives the dashboard in Debian's headless Chromium against a live siloscope (BASE)
// holding the test fixture, signed in with TOKEN (VIEWER). Every figure checked on the
// page is fetched from the API independently and compared. Exits non-zero on a
// difference, on a console error or on a failed request. See scripts/dashboard-check.sh.
//
// At 1400 px and at 390 px it also checks that the page reads: nothing wider than the
// viewport, trend labels that do not overlap and are not cut off, a network whose
// arrows are each chosen by a click on their middle, panels that open next to what
// was clicked, findings by severity. Screenshots go to SHOTS (target/dashboard-*.png);
// the default view at both widths and the chart vs. log table are copied to DOCS
// (docs/dashboard.png, docs/dashboard-mobile.png, docs/dashboard-chart-vs-log.png).
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { chromium } from "playwright-core";

const { BASE, TOKEN, SHOTS, DOCS } = process.env;
const PERIOD_AT = "2026-06-15T00:00:00Z"; // June 2026 holds fixture cases
const WIDE = 1400;
const NARROW = 390;
const TILE_KEYS = ["siloHandoffs", "deferralRate", "customerBurden", "pingPongs"];
const TOTALS = "cases interactions handoffs siloHandoffs deferralsToCx deferralRate customerBurden pingPongs singlePointOfContactRate";

async function api(query, variables = {}) {
  const response = await fetch(`${BASE}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const problems = [];
// Figures of the page that differ from the API's: collected (so that one run names
// them all), and the check fails on them at the end.
const mismatches = [];
function same(actual, expected, what) {
  try {
    assert.deepEqual(actual, expected);
  } catch {
    mismatches.push(`${what}: the page shows ${JSON.stringify(actual)}, the API says ${JSON.stringify(expected)}`);
  }
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // Nothing but this machine: a page that reached out would fail loudly.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});

/** Collects what went wrong on `page`, but for what `allowed` matches. */
function watch(page, allowed = /^$/) {
  const note = (text) => {
    if (!allowed.test(text)) problems.push(text);
  };
  page.on("console", (message) => {
    if (message.type() === "error") note(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => note(`page error: ${error.message}`));
  page.on("requestfailed", (request) => note(`request failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) note(`HTTP ${response.status()}: ${response.url()}`);
  });
}

/** A signed-in page `width` px wide, its console watched. */
async function newPage(width) {
  const context = await browser.newContext({ viewport: { width, height: width === NARROW ? 844 : 1000 } });
  const page = await context.newPage();
  watch(page);
  return page;
}

/** Opens the dashboard with `query` (the address's parameters) and waits for it. */
async function open(page, query) {
  await page.goto(`${BASE}/dashboard${query ? `?${query}` : ""}#token=${TOKEN}`);
  await ready(page);
}

async function ready(page) {
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  // The chart and the network are drawn to the width they get: let them settle.
  await page.waitForTimeout(150);
}

/** The period the page shows. */
async function shownWindow(page) {
  return { from: await page.getAttribute("main", "data-from"), to: await page.getAttribute("main", "data-to") };
}

/** Nothing is wider than the viewport: no sideways scrolling. */
async function assertNoOverflow(page, what) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  assert.ok(scroll <= inner, `${what}: the page is ${scroll} px wide in a ${inner} px viewport`);
}

/** The trend's period labels: none overlaps another, none is cut off, the last is there. */
async function assertAxisLabels(page, what) {
  const { boxes, chart, points } = await page.evaluate(() => ({
    boxes: [...document.querySelectorAll("#trend-chart .trend-axis .tick")].map((t) => {
      const r = t.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, index: Number(t.dataset.index), text: t.textContent };
    }),
    chart: (() => {
      const r = document.querySelector("#trend-chart").getBoundingClientRect();
      return { left: r.left, right: r.right };
    })(),
    points: document.querySelectorAll("#trend-table tbody tr").length,
  }));
  assert.ok(boxes.length >= 2, `${what}: the trend has period labels`);
  assert.equal(boxes.at(-1).index, points - 1, `${what}: the last period is labelled`);
  for (const [i, a] of boxes.entries()) {
    assert.ok(a.right - a.left > 0 && a.text.trim(), `${what}: label ${a.index} is written`);
    assert.ok(a.left >= chart.left - 0.5 && a.right <= chart.right + 0.5, `${what}: label "${a.text}" is not cut off`);
    for (const b of boxes.slice(i + 1)) {
      const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
      assert.ok(apart, `${what}: the labels "${a.text}" and "${b.text}" overlap`);
    }
  }
}

/**
 * The tiles against siloReport(window: the page's period, compareTo: [compare]): the
 * totals, the comparison's totals and deltas, and the comparison's window. For
 * PREVIOUS_PERIOD the window is also the calendar period before (docs/rules.md §5),
 * which siloTrend's points hold.
 */
async function assertTiles(page, granularity, compare, what) {
  const window = await shownWindow(page);
  const { siloReport: report, siloTrend: trend } = await api(
    `query($w: WindowInput!, $c: [ComparisonPeriod!]!, $f: DateTime!, $t: DateTime!, $g: Granularity!) {
       siloReport(window: $w, compareTo: $c) {
         totals { ${TOTALS} }
         comparisons { period window { from to } totals { ${TOTALS} } delta { siloHandoffs deferralRate customerBurden pingPongs } } }
       siloTrend(from: $f, to: $t, granularity: $g, compareTo: [PREVIOUS_PERIOD]) { points { window { from to } comparisons { window { from to } } } } }`,
    { w: window, c: [compare], f: window.from, t: window.to, g: granularity },
  );
  const [comparison] = report.comparisons;
  assert.equal(comparison.period, compare);
  for (const key of TILE_KEYS) {
    const value = await page.getAttribute(`[data-figure="${key}"]`, "data-value");
    same(value === "" ? null : Number(value), report.totals[key], `${what}: tile ${key}`);
    const change = await page.getAttribute(`[data-figure="${key}Delta"]`, "data-value");
    same(change === "" ? null : Number(change), comparison.delta[key], `${what}: tile ${key}, change against ${compare}`);
    const before = await page.getAttribute(`[data-figure="${key}Delta"]`, "data-before");
    same(before === "" ? null : Number(before), comparison.totals[key], `${what}: tile ${key}, figure of ${compare}`);
  }
  const compared = {
    from: await page.getAttribute("#compare-window", "data-from"),
    to: await page.getAttribute("#compare-window", "data-to"),
  };
  same(compared, comparison.window, `${what}: window of ${compare}`);
  if (compare === "PREVIOUS_PERIOD") {
    const [point] = trend.points;
    assert.deepEqual(point.window, window, `${what}: the page's period is one ${granularity.toLowerCase()}`);
    same(compared, point.comparisons[0].window, `${what}: PREVIOUS_PERIOD is the calendar ${granularity.toLowerCase()} before`);
  }
  return { window, report };
}

/** The page's figures name no count with the wrong number ("1 handoffs"). */
async function assertPlurals(page, what) {
  const text = await page.evaluate(() => document.body.innerText);
  const wrong = text.match(/(^|[^\d.,])1 (handoffs|arrows|functions|interactions|breaches|errors|warnings|notes|cases|silo handoffs)\b/m);
  assert.equal(wrong, null, `${what}: "${wrong?.[0]?.trim()}"`);
}

/** The midpoint of an arrow (its hit path), in the page's coordinates, scrolled into view. */
async function arrowMiddle(page, arrow) {
  await arrow.locator(".hit").scrollIntoViewIfNeeded();
  return arrow.locator(".hit").evaluate((path) => {
    const point = path.getPointAtLength(path.getTotalLength() / 2);
    const screen = new DOMPoint(point.x, point.y).matrixTransform(path.getScreenCTM());
    return { x: screen.x, y: screen.y };
  });
}

const literally = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const shot = (name, width) => `${SHOTS}/dashboard-${name}-${width}.png`;
const copies = [];

try {
  // ---------------------------------------------------------------------------------
  // June 2026 at 1400 px: the figures against the API's.
  const page = await newPage(WIDE);
  await open(page, `granularity=MONTH&compare=PREVIOUS_PERIOD&at=${PERIOD_AT}`);
  assert.ok(!page.url().includes("token="), "the token was taken out of the address");
  const stored = await page.evaluate(() => JSON.stringify([{ ...window.localStorage }, { ...window.sessionStorage }]));
  assert.ok(!stored.includes(TOKEN), "no browser storage holds the token");

  const { from, to } = await shownWindow(page);
  const { viewer } = await api("{ viewer { organization { timeZone } } }");
  assert.equal(viewer.organization.timeZone, "Europe/Berlin");
  assert.equal(from, "2026-05-31T22:00:00+00:00", "June begins at midnight in Berlin");
  const { siloTrend } = await api(
    `query($f: DateTime!, $t: DateTime!) { siloTrend(from: $f, to: $t, granularity: MONTH, compareTo: [PREVIOUS_PERIOD]) {
       points { window { from to } totals { siloHandoffs deferralRate customerBurden pingPongs }
                comparisons { delta { siloHandoffs deferralRate customerBurden pingPongs } } } } }`,
    { f: from, t: to },
  );
  const point = siloTrend.points.at(-1);
  assert.deepEqual(point.window, { from, to });
  for (const key of TILE_KEYS) {
    const shown = await page.getAttribute(`[data-figure="${key}"]`, "data-value");
    assert.equal(Number(shown), point.totals[key], `tile ${key}`);
    // The month before June is May: the trend's point and the tiles agree.
    const change = await page.getAttribute(`[data-figure="${key}Delta"]`, "data-value");
    same(change === "" ? null : Number(change), point.comparisons[0].delta[key], `June 2026: tile ${key}, change against siloTrend's May`);
  }
  assert.ok(point.totals.siloHandoffs > 0, "June has silo handoffs to show");

  const detail = await api(
    `query($w: WindowInput!) {
       siloReport(window: $w) { byFunction { function { name } siloHandoffs handoffsOut } byTouchpoint { touchpoint { name } siloHandoffs } }
       handoffNetwork(window: $w) { edges { from { id name isCxTeam } to { id name isCxTeam } count flags { siloHandoffs } } }
       ownershipFindings { severity message } }`,
    { w: { from, to } },
  );
  for (const row of detail.siloReport.byFunction) {
    const cell = page
      .locator("#functions-table tbody tr")
      .filter({ has: page.locator(`th[data-value="${row.function.name}"]`) })
      .locator('[data-key="siloHandoffs"]');
    assert.equal(Number(await cell.getAttribute("data-value")), row.siloHandoffs, `function ${row.function.name}`);
  }
  for (const row of detail.siloReport.byTouchpoint.filter((r) => r.touchpoint)) {
    const cell = page
      .locator("#touchpoints-table tbody tr")
      .filter({ has: page.locator(`th[data-value="${row.touchpoint.name}"]`) })
      .locator('[data-key="siloHandoffs"]');
    assert.equal(Number(await cell.getAttribute("data-value")), row.siloHandoffs, `touchpoint ${row.touchpoint.name}`);
  }

  // The network: by default the arrows with silo handoffs (the most first) and the
  // busiest others; every arrow once "Show all" is pressed.
  const edges = detail.handoffNetwork.edges;
  const shownByDefault = await page.locator(".network .edge").count();
  assert.equal(shownByDefault, Number(await page.getAttribute("#network-shown", "data-shown")));
  assert.ok(shownByDefault < edges.length, "June has more arrows than are shown by default");
  assert.ok(shownByDefault <= 16, "at most 16 arrows by default");
  const siloEdges = edges.filter((e) => e.flags.siloHandoffs > 0).sort((a, b) => b.flags.siloHandoffs - a.flags.siloHandoffs);
  for (const edge of siloEdges.slice(0, 12)) {
    assert.equal(await page.locator(`.network .edge[data-from="${edge.from.name}"][data-to="${edge.to.name}"]`).count(), 1, `the silo arrow ${edge.from.name} → ${edge.to.name} is shown`);
  }
  await page.click("#network-all");
  assert.equal(await page.getAttribute("#network-all", "aria-pressed"), "true");
  assert.equal(await page.locator(".network .edge").count(), edges.length, "one arrow per pair");
  for (const edge of edges) {
    const arrow = page.locator(`.network .edge[data-from="${edge.from.name}"][data-to="${edge.to.name}"]`);
    assert.equal(Number(await arrow.getAttribute("data-count")), edge.count);
    assert.equal(Number(await arrow.getAttribute("data-silo")), edge.flags.siloHandoffs);
  }
  await page.click("#network-all");
  assert.equal(await page.locator(".network .edge").count(), shownByDefault, "back to the main arrows");
  // Every function has its name on hover; CX teams are purple like everywhere else.
  for (const name of new Set(edges.flatMap((e) => [e.from.name, e.to.name]))) {
    const title = await page.locator(`.network .node[data-name="${name}"] title`).textContent();
    assert.ok(title.startsWith(name), `the function ${name} is named on hover`);
  }
  const purple = "rgb(106, 63, 181)";
  assert.equal(await page.$eval(".network .node.cx circle", (c) => getComputedStyle(c).fill), purple, "CX teams are purple in the network");
  assert.equal(await page.$eval("#functions-table .cx-badge", (b) => getComputedStyle(b).backgroundColor), purple, "and in the tables");

  // Findings: errors, then warnings, then information folded away; counted; names as code.
  const findings = detail.ownershipFindings;
  const order = await page.$$eval("#findings > [data-severity]", (groups) => groups.map((g) => [g.dataset.severity, Number(g.dataset.count), g.tagName]));
  const SEVERITIES = ["ERROR", "WARNING", "INFO"];
  assert.deepEqual(
    order.map(([s, n]) => [s, n]),
    SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]).filter(([, n]) => n > 0),
    "findings grouped by severity, errors first, with their counts",
  );
  for (const [severity, , tag] of order) assert.equal(tag, severity === "INFO" ? "DETAILS" : "DIV", `${severity} findings ${severity === "INFO" ? "folded" : "open"}`);
  assert.equal(await page.locator("#findings li").count(), findings.length);
  assert.ok(!(await page.textContent("#findings")).includes("`"), "no literal backtick in the findings");
  const quoted = findings.filter((f) => f.message.includes("`")).length;
  assert.ok(quoted === 0 || (await page.locator("#findings li code").count()) > 0, "quoted names are shown as code");

  // Chart vs. log: the de facto owner and the breach rates of every touchpoint.
  const drift = await api(
    `query($w: WindowInput!) {
       touchpointOwnership(window: $w) { touchpoints { touchpoint { id name } deFactoOwner { function { name } } } findings { message } }
       promiseReport(window: $w, compareTo: [PREVIOUS_PERIOD]) { promises { touchpoint { id name } element measured breaches breachRate comparisons { breachRateDelta } } } }`,
    { w: { from, to } },
  );
  const driftRow = (name) =>
    page.locator("#drift-table tbody tr").filter({ has: page.locator(`th[data-value="${name}"]`) });
  for (const t of drift.touchpointOwnership.touchpoints) {
    const owner = await driftRow(t.touchpoint.name).locator('[data-key="owner"]').getAttribute("data-value");
    assert.equal(owner, t.deFactoOwner?.function?.name ?? "", `de facto owner of ${t.touchpoint.name}`);
  }
  const KEYS = { SINGLE_POINT_OF_CONTACT: "spoc", PROMPT: "prompt" };
  const measured = drift.promiseReport.promises.filter((p) => p.measured);
  for (const p of measured) {
    const cell = driftRow(p.touchpoint.name).locator(`[data-key="${KEYS[p.element]}"]`);
    assert.equal(await cell.getAttribute("data-value"), p.breachRate === null ? "" : String(p.breachRate), `${p.touchpoint.name} ${p.element}`);
    const change = await cell.locator(`[data-figure="${KEYS[p.element]}Delta"]`).getAttribute("data-value");
    const want = p.comparisons[0].breachRateDelta;
    same(change, want === null ? "" : String(want), `June 2026: ${p.touchpoint.name} ${p.element} change against PREVIOUS_PERIOD`);
  }
  assert.equal(await page.locator("#drift-findings li").count(), Math.max(1, drift.touchpointOwnership.findings.length));
  assert.ok(!(await page.textContent("#drift-findings")).includes("`"), "no literal backtick in the drift findings");
  // Scores vs. silos: each survey kind's raw and reweighted top box, and each silo
  // bucket's offered and answered, as the API counts them.
  const voice = await api(
    `query($w: WindowInput!) { voiceReport(window: $w) { figures {
       surveys { kind overall { offered } raw { topBoxRate } reweighted { topBoxRate } buckets { siloHandoffs figures { offered answered } } }
       complaints { total } findings { feedbackKind } } } }`,
    { w: { from, to } },
  );
  const surveys = voice.voiceReport.figures.surveys.filter((s) => s.overall.offered > 0);
  assert.ok(surveys.length > 0, "June has surveys to show");
  assert.equal(await page.locator("#voice-kinds article").count(), surveys.length, "one card per survey kind offered");
  for (const s of surveys) {
    const card = page.locator(`#voice-kinds article[data-kind="${s.kind}"]`);
    same(await card.getAttribute("data-raw"), String(s.raw.topBoxRate ?? ""), `June 2026: ${s.kind} raw top box`);
    same(await card.getAttribute("data-reweighted"), String(s.reweighted.topBoxRate ?? ""), `June 2026: ${s.kind} reweighted top box`);
    for (const b of s.buckets) {
      const row = card.locator(`tr[data-bucket="${b.siloHandoffs}"]`);
      same(await row.getAttribute("data-offered"), String(b.figures.offered), `June 2026: ${s.kind} ${b.siloHandoffs} offered`);
      same(await row.getAttribute("data-answered"), String(b.figures.answered), `June 2026: ${s.kind} ${b.siloHandoffs} answered`);
    }
  }
  same(await page.getAttribute("#voice-complaints p", "data-complaints"), String(voice.voiceReport.figures.complaints.total), "June 2026: complaints");
  await page.locator("#voice-section").screenshot({ path: `${SHOTS}/dashboard-voice.png` });
  copies.push([`${SHOTS}/dashboard-voice.png`, "dashboard-voice.png"]);
  // A bucket's offered count leads to the surveys behind it, right after the panel.
  const bucket = surveys[0].buckets.find((b) => b.figures.offered > 0);
  await page.locator(`#voice-kinds article[data-kind="${surveys[0].kind}"] tr[data-bucket="${bucket.siloHandoffs}"] button`).click();
  await page.waitForSelector("#evidence-section:not([hidden]) #evidence-table tbody tr");
  assert.equal(Number(await page.getAttribute("#evidence-filter", "data-total")), bucket.figures.offered);
  assert.ok(await page.$eval("#evidence-section", (s) => s.previousElementSibling?.id === "voice-section"), "the surveys open right after the panel");

  await assertPlurals(page, "June 2026");
  await assertAxisLabels(page, `June 2026 at ${WIDE} px`);
  await assertNoOverflow(page, `June 2026 at ${WIDE} px`);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: shot("default", WIDE), fullPage: true });
  copies.push([shot("default", WIDE), "dashboard.png"]);
  await page.locator("#drift-table").screenshot({ path: `${SHOTS}/dashboard-chart-vs-log.png` });
  copies.push([`${SHOTS}/dashboard-chart-vs-log.png`, "dashboard-chart-vs-log.png"]);

  // From a breach rate to the breaches behind it (next to the table), and on to a case.
  const broken = measured.find((p) => p.element === "PROMPT" && p.breaches > 0);
  assert.ok(broken, "June has late answers to show");
  await driftRow(broken.touchpoint.name).locator('[data-key="prompt"] button').click();
  await page.waitForSelector("#evidence-section:not([hidden]) #evidence-table tbody tr");
  assert.equal(Number(await page.getAttribute("#evidence-filter", "data-total")), broken.breaches);
  assert.equal(await page.locator("#evidence-table tbody tr").count(), Math.min(25, broken.breaches));
  assert.ok(await page.$eval("#evidence-section", (s) => s.previousElementSibling?.contains(document.querySelector("#drift-table"))), "the breaches open right after the table");
  await page.locator("#evidence-table tbody button.link").first().click();
  await page.waitForSelector("#case-section:not([hidden])");
  assert.ok(await page.$eval("#case-section", (s) => s.previousElementSibling?.id === "evidence-section"), "the case opens right after the breaches");

  // Sorting a table by a column.
  await page.click('#functions-table th button[data-key="handoffsOut"]');
  assert.equal(await page.getAttribute('#functions-table th:has(button[data-key="handoffsOut"])', "aria-sort"), "descending");
  const outs = await page.$$eval('#functions-table tbody [data-key="handoffsOut"]', (cells) => cells.map((c) => Number(c.dataset.value)));
  assert.deepEqual(outs, [...outs].sort((a, b) => b - a), "sorted by handoffs out");

  // From a silo arrow, by keyboard, to its handoffs, beside the network.
  const silo = siloEdges[0];
  const arrow = page.locator(`.network .edge[data-from="${silo.from.name}"][data-to="${silo.to.name}"]`);
  await arrow.focus();
  assert.ok(await page.isVisible(".network-tip"), "a focused arrow is named");
  assert.ok((await page.textContent(".network-tip")).startsWith(`${silo.from.name} → ${silo.to.name}`), "the tooltip names the focused arrow");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#handoffs-section:not([hidden]) #handoffs-table tbody tr");
  const handoffsOf = async (edge) =>
    (
      await api(
        `query($f: HandoffFilterInput) { handoffs(first: 25, filter: $f) { totalCount edges { node { caseRef } } } }`,
        { f: { window: { from, to }, fromFunctionId: edge.from.id, toFunctionId: edge.to.id } },
      )
    ).handoffs;
  const handoffs = await handoffsOf(silo);
  assert.equal(Number(await page.getAttribute("#handoffs-filter", "data-total")), handoffs.totalCount);
  assert.equal(await page.locator("#handoffs-table tbody tr").count(), handoffs.edges.length);
  assert.ok(await page.locator("#network-side #handoffs-section").isVisible(), "the handoffs open beside the network");
  const panel = await page.$eval("#handoffs-section", (s) => s.getBoundingClientRect().toJSON());
  assert.ok(panel.top > -2 && panel.top < 1000, "the handoffs are in view");

  // A click on the middle of each arrow chooses that arrow (and names it on hover).
  for (const edge of edges.filter((e) => e !== silo)) {
    const target = page.locator(`.network .edge[data-from="${edge.from.name}"][data-to="${edge.to.name}"]`);
    if (!(await target.count())) continue;
    const middle = await arrowMiddle(page, target);
    await page.mouse.move(middle.x, middle.y);
    assert.match(await page.textContent(".network-tip"), new RegExp(`^${literally(`${edge.from.name} → ${edge.to.name}`)}`), `hovering ${edge.from.name} → ${edge.to.name} names it`);
    await page.mouse.click(middle.x, middle.y);
    await page.waitForFunction(
      (text) => document.querySelector("#handoffs-filter").textContent.includes(text),
      ` from ${edge.from.name} to ${edge.to.name} in June 2026`,
    );
    assert.equal(Number(await page.getAttribute("#handoffs-filter", "data-total")), edge.count, `the handoffs of ${edge.from.name} → ${edge.to.name}`);
    assert.ok((await page.textContent("#handoffs-filter")).startsWith(`${edge.count} ${edge.count === 1 ? "handoff" : "handoffs"} from`), "the count reads right");
    assert.equal(await target.getAttribute("aria-current"), "true", `${edge.from.name} → ${edge.to.name} is the chosen arrow`);
  }

  // Back to the silo arrow, and from a handoff to its case's chain, with the flags.
  await arrow.focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelector("#handoffs-filter").dataset.total === String(n), handoffs.totalCount);
  const caseRef = handoffs.edges[0].node.caseRef;
  await page.click(`#handoffs-table button[aria-label="Case ${caseRef}"]`);
  await page.waitForSelector(`#case-section[data-case-ref="${caseRef}"]:not([hidden])`);
  assert.ok(await page.$eval("#case-section", (s) => s.previousElementSibling?.id === "handoffs-section"), "the case opens right after the handoffs");
  const { case: chain } = await api(
    `query($r: String!) { case(caseRef: $r) { interactions { id } handoffs { flags } } }`,
    { r: caseRef },
  );
  assert.equal(await page.locator("#case-chain > li").count(), chain.interactions.length);
  assert.equal(await page.locator("#case-chain .handoff").count(), chain.handoffs.length);
  assert.ok(await page.locator("#case-chain .flag.SILO").count() > 0, "the case shows its SILO flag");
  await page.locator("#case-section").screenshot({ path: `${SHOTS}/dashboard-case.png` });
  await assertPlurals(page, "June 2026, a case");

  // The drill-down: the handoffs of a clicked arrow.
  const middle = await arrowMiddle(page, arrow);
  await page.mouse.click(middle.x, middle.y);
  await page.waitForFunction((n) => document.querySelector("#handoffs-filter").dataset.total === String(n), handoffs.totalCount);
  await page.locator("#network-section").scrollIntoViewIfNeeded();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: shot("drilldown", WIDE) });
  await assertNoOverflow(page, `the drill-down at ${WIDE} px`);

  // The year-ago comparison, chosen with the control.
  await page.selectOption("#compare", "SAME_PERIOD_LAST_YEAR");
  await ready(page);
  assert.match(await page.textContent('[data-figure="siloHandoffsDelta"]'), /a year earlier/);

  // Printed: the controls go, the figures stay.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.$eval("#controls", (e) => getComputedStyle(e).display), "none");
  assert.notEqual(await page.$eval("#tiles", (e) => getComputedStyle(e).display), "none");
  assert.notEqual(await page.$eval("#trend-table tbody button", (e) => getComputedStyle(e).display), "none", "printed, the periods keep their names");
  await page.screenshot({ path: `${SHOTS}/dashboard-print.png`, fullPage: true });
  await page.context().close();

  // ---------------------------------------------------------------------------------
  // A month, a week and a quarter, against the period before and a year earlier, at
  // both widths: the tiles against siloReport, the labels, the width.
  const PERIODS = [
    { granularity: "MONTH", at: PERIOD_AT, name: "June 2026", from: "2026-05-31T22:00:00+00:00", to: "2026-06-30T22:00:00+00:00" },
    { granularity: "WEEK", at: "2026-06-10T12:00:00Z", name: "Week of 8 Jun 2026", from: "2026-06-07T22:00:00+00:00", to: "2026-06-14T22:00:00+00:00" },
    { granularity: "QUARTER", at: "2026-05-15T00:00:00Z", name: "Q2 2026", from: "2026-03-31T22:00:00+00:00", to: "2026-06-30T22:00:00+00:00" },
  ];
  for (const width of [WIDE, NARROW]) {
    const view = await newPage(width);
    for (const period of PERIODS) {
      await open(view, `granularity=${period.granularity}&compare=PREVIOUS_PERIOD&at=${period.at}`);
      assert.deepEqual(await shownWindow(view), { from: period.from, to: period.to }, `${period.name} in Berlin`);
      assert.equal(await view.textContent("#period-label"), period.name);
      const what = `${period.name} at ${width} px`;
      if (width === WIDE) await assertTiles(view, period.granularity, "PREVIOUS_PERIOD", `${period.name}`);
      await assertAxisLabels(view, what);
      await assertNoOverflow(view, what);
      await assertPlurals(view, what);
      if (period.granularity === "MONTH" && width === NARROW) {
        await view.mouse.move(0, 0);
        await view.screenshot({ path: shot("default", NARROW), fullPage: true });
        copies.push([shot("default", NARROW), "dashboard-mobile.png"]);
      }
      if (period.granularity === "QUARTER") {
        await view.mouse.move(0, 0);
        await view.screenshot({ path: shot("quarter", width), fullPage: true });
      }
      // A year earlier, chosen with the control.
      await view.selectOption("#compare", "SAME_PERIOD_LAST_YEAR");
      await ready(view);
      assert.deepEqual(await shownWindow(view), { from: period.from, to: period.to });
      if (width === WIDE) await assertTiles(view, period.granularity, "SAME_PERIOD_LAST_YEAR", `${period.name}`);
      await assertAxisLabels(view, `${what}, a year earlier`);
      await assertNoOverflow(view, `${what}, a year earlier`);
    }

    // The narrow drill-down: every arrow shown, a click on a silo arrow's middle,
    // its handoffs right under the network and in view.
    if (width === NARROW) {
      await open(view, `granularity=MONTH&compare=PREVIOUS_PERIOD&at=${PERIOD_AT}`);
      await view.click("#network-all");
      await assertNoOverflow(view, `every arrow at ${width} px`);
      await view.click("#network-all");
      const narrowArrow = view.locator(`.network .edge[data-from="${silo.from.name}"][data-to="${silo.to.name}"]`);
      const at = await arrowMiddle(view, narrowArrow);
      await view.mouse.click(at.x, at.y);
      await view.waitForSelector("#handoffs-section:not([hidden]) #handoffs-table tbody tr");
      assert.equal(Number(await view.getAttribute("#handoffs-filter", "data-total")), handoffs.totalCount, "the narrow click chose the silo arrow");
      await view.waitForTimeout(200);
      const box = await view.$eval("#handoffs-section", (s) => s.getBoundingClientRect().toJSON());
      assert.ok(box.top > -2 && box.top < 844, "the handoffs are in view under the network");
      assert.ok(await view.locator("#network-section #handoffs-section").isVisible(), "the handoffs open in the network's section");
      await assertNoOverflow(view, `the drill-down at ${width} px`);
      await view.mouse.move(0, 0);
      await view.screenshot({ path: shot("drilldown", NARROW) });
    }
    await view.context().close();
  }

  // ---------------------------------------------------------------------------------
  // The address: what the page cannot use is named, with what it shows instead; a
  // period without data, and one in the future, say so.
  const notes = await newPage(WIDE);
  await open(notes, "granularity=YEAR&compare=PREVIOUS_PERIOD&at=yesterday");
  const granularityNote = await notes.textContent('#notes [data-note="param"][data-param="granularity"]');
  assert.match(granularityNote, /granularity=YEAR/);
  assert.match(granularityNote, /months instead/);
  assert.match(await notes.textContent('#notes [data-note="param"][data-param="at"]'), /at=yesterday.*last complete month instead/);
  assert.equal(await notes.inputValue("#granularity"), "MONTH");
  assert.ok(!(await notes.evaluate(() => location.search)).includes("YEAR"), "the address keeps only what was used");
  await open(notes, "granularity=MONTH&at=2025-03-15T00:00:00Z");
  assert.match(await notes.textContent('#notes [data-note="empty"]'), /No interaction was recorded in March 2025/);
  await open(notes, "granularity=QUARTER&at=2099-05-15T00:00:00Z");
  assert.match(await notes.textContent('#notes [data-note="future"]'), /Q2 2099 lies in the future/);
  await notes.context().close();

  // ---------------------------------------------------------------------------------
  // Signing in: the sign-in screen alone; a bad token is refused with a message;
  // pasting a good one opens the dashboard.
  for (const width of [WIDE, NARROW]) {
    const fresh = await browser.newContext({ viewport: { width, height: 900 } });
    const signIn = await fresh.newPage();
    // The refusal of the bad token is an expected 401 from /graphql.
    watch(signIn, /(status of 401|HTTP 401: .*\/graphql)/);
    await signIn.goto(`${BASE}/dashboard`);
    await signIn.waitForSelector("#sign-in:not([hidden])");
    for (const selector of ["main", "#controls", "#sign-out", "#tiles", "#trend-chart", "#network", ".skip"]) {
      assert.ok(!(await signIn.isVisible(selector)), `before signing in, ${selector} is not shown`);
    }
    await assertNoOverflow(signIn, `the sign-in screen at ${width} px`);
    if (width === NARROW) {
      await signIn.screenshot({ path: `${SHOTS}/dashboard-sign-in-${width}.png` });
      await fresh.close();
      continue;
    }
    await signIn.fill("#token-input", "not-a-token");
    await signIn.click("#sign-in-form button[type=submit]");
    await signIn.waitForSelector("#problem:not([hidden])");
    assert.match(await signIn.textContent("#problem"), /refused/);
    assert.ok(!(await signIn.isVisible("#sign-out")), "refused, still no Sign out");
    await signIn.fill("#token-input", `Bearer ${TOKEN}`);
    await signIn.click("#sign-in-form button[type=submit]");
    await signIn.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    assert.ok((await signIn.textContent("#org")).includes("Europe/Berlin"));
    assert.ok(await signIn.isVisible("#sign-out"), "signed in, Sign out is there");
    await fresh.close();
  }

  assert.deepEqual(problems, [], "no console errors and no failed requests");
  if (DOCS) for (const [file, name] of copies) copyFileSync(file, `${DOCS}/${name}`);
  assert.deepEqual(mismatches, [], "the page's figures are the API's");
  console.log(
    `dashboard check passed: June 2026 in Europe/Berlin, ${point.totals.siloHandoffs} silo handoffs, ` +
      `${edges.length} arrows (${shownByDefault} by default), a month, a week and a quarter against both comparisons, ` +
      `${WIDE} and ${NARROW} px, case ${caseRef}; screenshots in target/dashboard*.png`,
  );
} finally {
  await browser.close();
}
