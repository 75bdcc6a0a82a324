// Live delivery figures (scripts/live-bench.sh runs it; BENCHMARKS.md reports them):
// the recording rate with no subscriber and with 100 connected, and the latency from
// sending `recordInteractions` (to process B) to each of 100 graphql-ws subscribers
// (on process A) receiving each SILO handoff it recorded. On PostgreSQL the floor is
// the database's own NOTIFY → LISTEN round trip, measured in the same run.
//
// Environment: A, B, TOKEN_ADMIN, TOKEN_VIEWER, LABEL, PG_URL (PostgreSQL only).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import pg from 'pg';
import { performance } from 'node:perf_hooks';

const env = process.env;
const SUBSCRIBERS = 100, BATCHES = 40, CASES_PER_BATCH = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (x) => x.toFixed(1);

async function record(batch) {
  const input = [];
  for (let c = 0; c < CASES_PER_BATCH; c++) {
    const caseRef = `bench-${batch}-${c}`;
    input.push({ caseRef, occurredAt: '2026-10-01T09:00:00Z', function: { name: 'Sales' }, externalId: `${caseRef}-1` });
    input.push({ caseRef, occurredAt: '2026-10-01T10:00:00Z', function: { name: 'CX' }, externalId: `${caseRef}-2` });
  }
  const response = await fetch(`${env.B}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.TOKEN_ADMIN}` },
    body: JSON.stringify({ query: 'mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded } }', variables: { i: input } }),
  });
  const body = await response.json();
  if (body.errors || body.data.recordInteractions.recorded !== input.length) throw new Error(JSON.stringify(body));
  return input.length;
}

async function rate(first) {
  const started = performance.now();
  let interactions = 0;
  const durations = [];
  for (let b = first; b < first + BATCHES; b++) {
    const t = performance.now();
    interactions += await record(b);
    durations.push(performance.now() - t);
  }
  return { perSecond: interactions / ((performance.now() - started) / 1000), p50: pct(durations, 50) };
}

// 1. Recording with nobody subscribed.
const quiet = await rate(0);

// 2. 100 subscribers on A; record through B; time each delivery from the request.
const sent = new Map();
const latencies = [];
let received = 0;
const clients = [];
for (let s = 0; s < SUBSCRIBERS; s++) {
  const client = createClient({ url: env.A.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${env.TOKEN_VIEWER}` }, lazy: false, retryAttempts: 0 });
  client.subscribe({ query: 'subscription { siloHandoffDetected { caseRef } }' }, {
    next: ({ data }) => {
      const now = performance.now();
      const batch = data.siloHandoffDetected.caseRef.split('-')[1];
      latencies.push(now - sent.get(batch));
      received++;
    },
    error: (e) => { console.error('subscription error', e); process.exit(1); },
    complete: () => {},
  });
  clients.push(client);
}
await sleep(2000);
const started = performance.now();
let interactions = 0;
const durations = [];
for (let b = 1000; b < 1000 + BATCHES; b++) {
  sent.set(String(b), performance.now());
  const t = performance.now();
  interactions += await record(b);
  durations.push(performance.now() - t);
}
const loaded = { perSecond: interactions / ((performance.now() - started) / 1000), p50: pct(durations, 50) };
const expected = SUBSCRIBERS * BATCHES * CASES_PER_BATCH;
for (let i = 0; i < 200 && received < expected; i++) await sleep(50);
for (const client of clients) await client.dispose();

// 3. The floor: PostgreSQL's NOTIFY → LISTEN round trip.
let floor = null;
if (env.PG_URL) {
  const listener = new pg.Client({ connectionString: env.PG_URL });
  const notifier = new pg.Client({ connectionString: env.PG_URL });
  await listener.connect(); await notifier.connect();
  await listener.query('LISTEN bench_floor');
  const samples = [];
  for (let i = 0; i < 300; i++) {
    const got = new Promise((resolve) => listener.once('notification', resolve));
    const t = performance.now();
    await notifier.query("SELECT pg_notify('bench_floor', '')");
    await got;
    samples.push(performance.now() - t);
  }
  floor = { p50: pct(samples, 50), p99: pct(samples, 99) };
  await listener.end(); await notifier.end();
}

const row = (what, value) => console.log(`| ${env.LABEL} | ${what} | ${value} |`);
row(`deliveries received (${SUBSCRIBERS} subscribers × ${BATCHES * CASES_PER_BATCH} SILO handoffs)`, `${received} of ${expected}`);
row('latency, request sent → subscriber received: p50 / p99', `${ms(pct(latencies, 50))} ms / ${ms(pct(latencies, 99))} ms`);
row('`recordInteractions` of 10 interactions, p50: no subscriber / 100 subscribers', `${ms(quiet.p50)} ms / ${ms(loaded.p50)} ms`);
row('recording rate (one writer, batches of 10): no subscriber / 100 subscribers', `${Math.round(quiet.perSecond)} / ${Math.round(loaded.perSecond)} interactions/s`);
if (floor) row('floor: PostgreSQL NOTIFY → LISTEN round trip, p50 / p99', `${ms(floor.p50)} ms / ${ms(floor.p99)} ms`);
process.exit(received === expected ? 0 : 1);
