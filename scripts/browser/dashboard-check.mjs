// Drives the dashboard in Debian's headless Chromium against a live siloscope (BASE)
// holding the test fixture, signed in with TOKEN (VIEWER). Every figure checked on the
// page is fetched from the API independently and compared. Exits non-zero on the
// first difference, on a console error or on a failed request. See
// scripts/dashboard-check.sh.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const { BASE, TOKEN, SHOTS } = process.env;
const PERIOD_AT = "2026-06-15T00:00:00Z"; // June 2026 holds fixture cases

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

try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  watch(page);
  await page.goto(`${BASE}/dashboard?granularity=MONTH&compare=PREVIOUS_PERIOD&at=${PERIOD_AT}#token=${TOKEN}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  assert.ok(!page.url().includes("token="), "the token was taken out of the address");
  const stored = await page.evaluate(() => JSON.stringify([{ ...window.localStorage }, { ...window.sessionStorage }]));
  assert.ok(!stored.includes(TOKEN), "no browser storage holds the token");

  // The period on the page, and its figures from the API.
  const from = await page.getAttribute("main", "data-from");
  const to = await page.getAttribute("main", "data-to");
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
  for (const key of ["siloHandoffs", "deferralRate", "customerBurden", "pingPongs"]) {
    const shown = await page.getAttribute(`[data-figure="${key}"]`, "data-value");
    assert.equal(Number(shown), point.totals[key], `tile ${key}`);
    const change = await page.getAttribute(`[data-figure="${key}Delta"]`, "data-value");
    assert.equal(Number(change), point.comparisons[0].delta[key], `tile ${key} delta`);
  }
  assert.ok(point.totals.siloHandoffs > 0, "June has silo handoffs to show");

  const detail = await api(
    `query($w: WindowInput!) {
       siloReport(window: $w) { byFunction { function { name } siloHandoffs handoffsOut } byTouchpoint { touchpoint { name } siloHandoffs } }
       handoffNetwork(window: $w) { edges { from { id name } to { id name } count flags { siloHandoffs } } } }`,
    { w: { from, to } },
  );
  for (const row of detail.siloReport.byFunction) {
    const cell = page.locator("#functions-table tbody tr", { hasText: row.function.name }).locator('[data-key="siloHandoffs"]');
    assert.equal(Number(await cell.getAttribute("data-value")), row.siloHandoffs, `function ${row.function.name}`);
  }
  for (const row of detail.siloReport.byTouchpoint.filter((r) => r.touchpoint)) {
    const cell = page
      .locator("#touchpoints-table tbody tr")
      .filter({ has: page.locator(`th[data-value="${row.touchpoint.name}"]`) })
      .locator('[data-key="siloHandoffs"]');
    assert.equal(Number(await cell.getAttribute("data-value")), row.siloHandoffs, `touchpoint ${row.touchpoint.name}`);
  }
  const edges = detail.handoffNetwork.edges;
  assert.equal(await page.locator(".network .edge").count(), edges.length, "one arrow per pair");
  for (const edge of edges) {
    const arrow = page.locator(`.network .edge[data-from="${edge.from.name}"][data-to="${edge.to.name}"]`);
    assert.equal(Number(await arrow.getAttribute("data-count")), edge.count);
    assert.equal(Number(await arrow.getAttribute("data-silo")), edge.flags.siloHandoffs);
  }
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
    assert.equal(change, want === null ? "" : String(want), `${p.touchpoint.name} ${p.element} change`);
  }
  assert.equal(await page.locator("#drift-findings li").count(), Math.max(1, drift.touchpointOwnership.findings.length));
  // From a breach rate to the breaches behind it, and on to a case.
  const broken = measured.find((p) => p.element === "PROMPT" && p.breaches > 0);
  assert.ok(broken, "June has late answers to show");
  await driftRow(broken.touchpoint.name).locator('[data-key="prompt"] button').click();
  await page.waitForSelector("#evidence-section:not([hidden]) #evidence-table tbody tr");
  assert.equal(Number(await page.getAttribute("#evidence-filter", "data-total")), broken.breaches);
  assert.equal(await page.locator("#evidence-table tbody tr").count(), Math.min(25, broken.breaches));
  await page.locator("#evidence-table tbody button.link").first().click();
  await page.waitForSelector("#case-section:not([hidden])");
  await page.locator("#drift-table").screenshot({ path: `${SHOTS}/dashboard-chart-vs-log.png` });
  await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });

  // Sorting a table by a column.
  await page.click('#functions-table th button[data-key="handoffsOut"]');
  assert.equal(await page.getAttribute('#functions-table th:has(button[data-key="handoffsOut"])', "aria-sort"), "descending");
  const outs = await page.$$eval('#functions-table tbody [data-key="handoffsOut"]', (cells) => cells.map((c) => Number(c.dataset.value)));
  assert.deepEqual(outs, [...outs].sort((a, b) => b - a), "sorted by handoffs out");

  // From a silo arrow, by keyboard, to its handoffs.
  const silo = edges.find((e) => e.flags.siloHandoffs > 0);
  const arrow = page.locator(`.network .edge[data-from="${silo.from.name}"][data-to="${silo.to.name}"]`);
  await arrow.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#handoffs-section:not([hidden]) #handoffs-table tbody tr");
  const { handoffs } = await api(
    `query($f: HandoffFilterInput) { handoffs(first: 25, filter: $f) { totalCount edges { node { caseRef } } } }`,
    { f: { window: { from, to }, fromFunctionId: silo.from.id, toFunctionId: silo.to.id } },
  );
  assert.equal(Number(await page.getAttribute("#handoffs-filter", "data-total")), handoffs.totalCount);
  assert.equal(await page.locator("#handoffs-table tbody tr").count(), handoffs.edges.length);

  // From a handoff to its case's chain, with the flags.
  const caseRef = handoffs.edges[0].node.caseRef;
  await page.click(`#handoffs-table button[aria-label="Case ${caseRef}"]`);
  await page.waitForSelector(`#case-section[data-case-ref="${caseRef}"]:not([hidden])`);
  const { case: chain } = await api(
    `query($r: String!) { case(caseRef: $r) { interactions { id } handoffs { flags } } }`,
    { r: caseRef },
  );
  assert.equal(await page.locator("#case-chain > li").count(), chain.interactions.length);
  assert.equal(await page.locator("#case-chain .handoff").count(), chain.handoffs.length);
  assert.ok(await page.locator("#case-chain .flag.SILO").count() > 0, "the case shows its SILO flag");
  await page.locator("#case-section").screenshot({ path: `${SHOTS}/dashboard-case.png` });

  // Another period from the trend's table, and the year-ago comparison.
  await page.selectOption("#compare", "SAME_PERIOD_LAST_YEAR");
  await page.waitForSelector("body[data-ready=true]");
  assert.match(await page.textContent('[data-figure="siloHandoffsDelta"]'), /a year earlier/);

  // Printed: the controls go, the figures stay.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.$eval("#controls", (e) => getComputedStyle(e).display), "none");
  assert.notEqual(await page.$eval("#tiles", (e) => getComputedStyle(e).display), "none");
  await page.screenshot({ path: `${SHOTS}/dashboard-print.png`, fullPage: true });
  await context.close();

  // Signing in by pasting a token; a bad one is refused with a message.
  const fresh = await browser.newContext();
  const signIn = await fresh.newPage();
  // The refusal of the bad token is an expected 401 from /graphql.
  watch(signIn, /(status of 401|HTTP 401: .*\/graphql)/);
  await signIn.goto(`${BASE}/dashboard`);
  await signIn.waitForSelector("#sign-in:not([hidden])");
  await signIn.fill("#token-input", "not-a-token");
  await signIn.click("#sign-in-form button[type=submit]");
  await signIn.waitForSelector("#problem:not([hidden])");
  assert.match(await signIn.textContent("#problem"), /refused/);
  await signIn.fill("#token-input", `Bearer ${TOKEN}`);
  await signIn.click("#sign-in-form button[type=submit]");
  await signIn.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  assert.ok((await signIn.textContent("#org")).includes("Europe/Berlin"));
  await fresh.close();

  assert.deepEqual(problems, [], "no console errors and no failed requests");
  console.log(
    `dashboard check passed: June 2026 in Europe/Berlin, ${point.totals.siloHandoffs} silo handoffs, ` +
      `${edges.length} arrows, case ${caseRef}; screenshots in target/dashboard*.png`,
  );
} finally {
  await browser.close();
}
