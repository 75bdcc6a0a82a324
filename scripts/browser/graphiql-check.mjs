// GraphiQL in Debian's headless Chromium, offline: opens the link `siloscope demo`
// prints (LINK, the token in its fragment), checks that GraphiQL rendered with the
// Authorization header filled in and the schema loaded with it, runs the first query,
// then checks that no browser storage (localStorage, sessionStorage) holds the token
// or any Authorization header, while the query history itself was kept. See
// scripts/graphiql-check.sh.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const { LINK, SHOT } = process.env;
const token = decodeURIComponent(LINK.split("#token=")[1]);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(LINK);
  await page.waitForSelector(".graphiql-container", { timeout: 30_000 });
  await page.waitForSelector(".graphiql-editor", { timeout: 30_000 });
  assert.ok(!page.url().includes("token="), "the token was taken out of the address");
  const headers = await page.locator(".graphiql-editor-tool").innerText();
  assert.ok(headers.includes("Bearer"), "the Authorization header was filled in from the link");

  // Run the first query and wait for its answer.
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".result-window")?.innerText.includes("siloReport"),
    null,
    { timeout: 30_000 },
  );
  const result = await page.locator(".result-window").innerText();
  assert.ok(!result.includes("UNAUTHENTICATED"), `the query ran with the token: ${result.slice(0, 300)}`);
  // A second query typed into a new tab, so tabs and history both have entries.
  await page.click(".graphiql-execute-button");
  await page.waitForTimeout(1_000);
  if (SHOT) await page.screenshot({ path: SHOT });

  const stored = await page.evaluate(() => {
    const dump = (storage) => {
      const out = {};
      for (let i = 0; i < storage.length; i += 1) out[storage.key(i)] = storage.getItem(storage.key(i));
      return out;
    };
    return { local: dump(window.localStorage), session: dump(window.sessionStorage) };
  });
  const text = JSON.stringify(stored);
  assert.ok(!text.includes(token), "browser storage holds the token");
  assert.ok(!/bearer/i.test(text), "browser storage holds a bearer credential");
  assert.ok(!/authorization/i.test(text), "browser storage holds an Authorization header");
  const history = Object.keys(stored.local).find((key) => key.endsWith("queries"));
  assert.ok(history && stored.local[history].includes("siloReport"), `the history was kept without headers: ${Object.keys(stored.local)}`);
  console.log(`GraphiQL ran a query; browser storage (${Object.keys(stored.local).length} local, ${Object.keys(stored.session).length} session entries) holds no credential`);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
