// CORS in a real browser: Debian's headless Chromium opens a page on an origin that
// SILOSCOPE_CORS_ORIGINS lists and one on an origin it does not, and each page calls
// siloscope's /graphql with a bearer token and a JSON body (so the browser sends a
// preflight first). The listed origin's call must succeed and be readable, with the
// X-Request-Id header exposed; the other must be blocked by the browser. See
// scripts/cors-check.sh.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const { BASE, TOKEN, ALLOWED, REFUSED } = process.env;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});

/** Calls /graphql from a page on `origin`; returns what the page could see. */
async function callFrom(origin) {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  await page.goto(`${origin}/index.html`);
  const seen = await page.evaluate(async ({ base, token }) => {
    try {
      const response = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ viewer { subject organization { slug } } }" }),
      });
      return {
        ok: response.ok,
        body: await response.json(),
        requestId: response.headers.get("x-request-id"),
      };
    } catch (error) {
      return { failed: String(error) };
    }
  }, { base: BASE, token: TOKEN });
  await page.close();
  return { seen, consoleErrors };
}

const allowed = await callFrom(ALLOWED);
assert.equal(allowed.seen.failed, undefined, JSON.stringify(allowed));
assert.equal(allowed.seen.ok, true);
assert.equal(allowed.seen.body.data.viewer.organization.slug, "cors");
assert.match(allowed.seen.requestId ?? "", /^[0-9a-f]{32}$/, "X-Request-Id is readable");
console.log(`ok   a page on ${ALLOWED} (listed) called /graphql and read the answer and X-Request-Id`);

const refused = await callFrom(REFUSED);
assert.match(refused.seen.failed ?? "", /Failed to fetch/, JSON.stringify(refused));
assert.ok(
  refused.consoleErrors.some((e) => /CORS/i.test(e)),
  `the browser names CORS: ${JSON.stringify(refused.consoleErrors)}`,
);
console.log(`ok   a page on ${REFUSED} (not listed) was blocked by the browser's CORS check`);

await browser.close();
