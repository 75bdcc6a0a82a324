// Runs graphql-http's server audit (the graphql-over-http specification) against a
// live siloscope. Every request carries the bearer token in TOKEN, since siloscope
// answers nothing without one. Exits 1 when a MUST fails; SHOULDs are listed.
import { auditServer } from 'graphql-http';

const url = process.env.URL;
const token = process.env.TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
let failed = 0;
for (const result of results) {
  if (result.status === 'ok') {
    console.log(`ok      ${result.name}`);
  } else {
    if (result.status === 'error') failed += 1;
    console.log(`${result.status.padEnd(7)} ${result.name}: ${result.reason}`);
  }
}
console.log(`${results.length} audits, ${failed} MUST failures`);
process.exit(failed ? 1 : 0);
