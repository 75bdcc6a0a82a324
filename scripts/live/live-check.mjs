// Subscriptions and webhooks against live siloscope processes (scripts/live-check.sh
// starts them): the graphql-transport-ws close codes with raw frames, then the
// graphql-ws client subscribed on process A while the small fixture's log is recorded
// through process B, batch by batch in time order, so every handoff is new exactly
// once and the expected counts are the fixture's (tests/data/small/expected.json).
//
// Environment: A, B (http://host:port), TOKEN_VIEWER, TOKEN_ADMIN, TOKEN_OTHER (another
// organization), TOKEN_SHORT (expires in 2 s), CSV, EXPECTED, RECEIVER_URL, SECRET_FILE,
// RECEIVED (the receiver's log), KILL_LISTENERS (a shell command, optional).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';

const env = process.env;
const wsUrl = (http) => http.replace(/^http/, 'ws') + '/graphql';
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An HS256 token signed with the servers' secret whose roles claim holds no role
// siloscope knows (an identity provider's own roles only).
function tokenWithoutRoles(org) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub: 'no-role', org, roles: ['offline_access'], exp: Math.floor(Date.now() / 1000) + 600 });
  const signature = crypto.createHmac('sha256', env.SILOSCOPE_JWT_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

// ---- raw frames: the close codes ----------------------------------------------------

function raw(url, { protocol = 'graphql-transport-ws', send = [], waitMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const socket = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
    const received = [];
    const timer = setTimeout(() => { socket.terminate(); resolve({ code: null, reason: 'timeout', received }); }, waitMs);
    socket.on('open', async () => {
      for (const frame of send) {
        if (typeof frame === 'number') { await sleep(frame); continue; }
        socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      }
    });
    socket.on('message', (data) => received.push(JSON.parse(data.toString())));
    socket.on('close', (code, reason) => { clearTimeout(timer); resolve({ code, reason: reason.toString(), received }); });
    socket.on('error', () => {});
  });
}

async function closeCodes(url) {
  const init = (token) => ({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  const sub = (id) => ({ type: 'subscribe', id, payload: { query: 'subscription { interactionsRecorded { recorded } }' } });
  let r = await raw(url, { protocol: null });
  check(r.code === 4406, `no graphql-transport-ws subprotocol: closed with 4406 (got ${r.code})`);
  r = await raw(url, { send: [init('not-a-token')] });
  check(r.code === 4403, `connection_init with a bad token: closed with 4403 Forbidden (got ${r.code} ${r.reason})`);
  r = await raw(url, { send: [{ type: 'connection_init' }] });
  check(r.code === 4403, `connection_init without a token: closed with 4403 (got ${r.code})`);
  r = await raw(url, { send: [init(tokenWithoutRoles(env.ORG || 'live'))] });
  check(r.code === 4403 && !r.received.some((m) => m.type === 'connection_ack'),
    `connection_init with a token that holds no siloscope role: closed with 4403, never acknowledged (got ${r.code} ${r.reason})`);
  r = await raw(url, { send: [sub('1')] });
  check(r.code === 4401, `subscribe before connection_ack: closed with 4401 Unauthorized (got ${r.code} ${r.reason})`);
  r = await raw(url, { send: [] });
  check(r.code === 4408, `no connection_init in time: closed with 4408 (got ${r.code} ${r.reason})`);
  r = await raw(url, { send: ['{not json'] });
  check(r.code === 4400, `a message that is not JSON: closed with 4400 (got ${r.code})`);
  r = await raw(url, { send: [{ type: 'shout' }] });
  check(r.code === 4400, `an unknown message type: closed with 4400 (got ${r.code})`);
  r = await raw(url, { send: [init(env.TOKEN_VIEWER), 300, { type: 'subscribe', payload: { query: '{ __typename }' } }] });
  check(r.code === 4400, `subscribe without an id: closed with 4400 (got ${r.code})`);
  r = await raw(url, { send: [init(env.TOKEN_VIEWER), 300, init(env.TOKEN_VIEWER)] });
  check(r.code === 4429, `a second connection_init: closed with 4429 (got ${r.code} ${r.reason})`);
  r = await raw(url, { send: [init(env.TOKEN_VIEWER), 300, sub('same'), sub('same')] });
  check(r.code === 4409, `a duplicate subscription id: closed with 4409 (got ${r.code} ${r.reason})`);
  check(r.received[0]?.type === 'connection_ack', 'a good token is acknowledged (connection_ack)');
  r = await raw(url, {
    send: [init(env.TOKEN_VIEWER), 300, { type: 'subscribe', id: 'q', payload: { query: '{ organization { slug } }' } }, { type: 'ping' }],
    waitMs: 1500,
  });
  const refused = r.received.find((m) => m.type === 'error' && m.id === 'q');
  check(refused && r.code === null, 'a query over WebSocket gets an `error` message and the connection stays open');
  check(r.received.some((m) => m.type === 'pong'), 'ping is answered with pong');
  r = await raw(url, {
    send: [init(env.TOKEN_VIEWER), 300, { type: 'subscribe', id: 'v', payload: { query: 'subscription { nope }' } }],
    waitMs: 1500,
  });
  check(r.received.some((m) => m.type === 'error' && m.id === 'v'), 'an invalid subscription gets an `error` message');
  r = await raw(url, { send: [init(env.TOKEN_SHORT), 200, sub('x')], waitMs: 8000 });
  check(r.received[0]?.type === 'connection_ack' && r.code === 4403,
    `a token that expires while connected: acknowledged, then closed with 4403 (got ${r.code} ${r.reason})`);
}

// ---- GraphQL over HTTP ----------------------------------------------------------------

async function gql(base, token, query, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function readCsv(path) {
  const [header, ...lines] = fs.readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    // The fixture's notes hold no commas or quotes.
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i]]));
  });
}

// ---- subscriptions while recording through the other process -----------------------

function subscribe(url, token, query, variables, sink) {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 });
  client.subscribe({ query, variables }, {
    next: (value) => sink.push(value),
    error: (error) => sink.push({ error }),
    complete: () => {},
  });
  return client;
}

async function live() {
  const expected = JSON.parse(fs.readFileSync(env.EXPECTED, 'utf8')).totals;
  const cx = (await gql(env.A, env.TOKEN_ADMIN, '{ function(externalId: "hr-007") { id } }')).function.id;

  const created = await gql(env.A, env.TOKEN_ADMIN, `mutation($url: String!) {
      createWebhook(input: { url: $url, events: [SILO_HANDOFFS_DETECTED, INTERACTIONS_RECORDED], description: "live check" }) {
        webhook { id enabled } secret userErrors { message } } }`, { url: env.RECEIVER_URL });
  check(created.createWebhook.secret?.startsWith('whsec_'), 'createWebhook shows a whsec_ secret once');
  fs.writeFileSync(env.SECRET_FILE, created.createWebhook.secret);

  const silo = [], recorded = [], toCx = [], pingPongs = [], other = [];
  const handoff = 'caseRef at from { name } to { name } touchpoint { name } flags';
  const clients = [
    subscribe(wsUrl(env.A), env.TOKEN_VIEWER, `subscription { siloHandoffDetected { ${handoff} } }`, {}, silo),
    subscribe(wsUrl(env.A), env.TOKEN_VIEWER, 'subscription { interactionsRecorded { source recorded newSiloHandoffs } }', {}, recorded),
    subscribe(wsUrl(env.A), env.TOKEN_VIEWER,
      'subscription($cx: [ID!]) { siloHandoffDetected(filter: { functionIds: $cx, flags: [DEFERRAL_TO_CX] }) { caseRef flags } }', { cx: [cx] }, toCx),
    subscribe(wsUrl(env.A), env.TOKEN_VIEWER, 'subscription { siloHandoffDetected(filter: { flags: [PING_PONG] }) { caseRef flags } }', {}, pingPongs),
    subscribe(wsUrl(env.A), env.TOKEN_OTHER, 'subscription { siloHandoffDetected(filter: { flags: [SILO, DEFERRAL_TO_CX, PING_PONG] }) { caseRef } }', {}, other),
  ];
  await sleep(1000);

  const rows = readCsv(env.CSV).sort((a, b) => a.occurred_at.localeCompare(b.occurred_at) || a.external_id.localeCompare(b.external_id));
  const batchOf = new Map();
  const size = 40;
  const batches = Math.ceil(rows.length / size);
  for (let b = 0; b < batches; b++) {
    if (b === Math.floor(batches / 2) && env.KILL_LISTENERS) {
      const killed = execSync(env.KILL_LISTENERS).toString().trim();
      check(Number(killed) >= 1, `the relays' LISTEN connections were killed mid-run (${killed})`);
    }
    const batch = rows.slice(b * size, (b + 1) * size);
    for (const row of batch) batchOf.set(`${row.case_ref}@${Date.parse(row.occurred_at)}`, b);
    const input = batch.map((row) => ({
      caseRef: row.case_ref,
      occurredAt: row.occurred_at,
      function: { name: row.function },
      touchpoint: row.touchpoint ? { name: row.touchpoint } : null,
      note: row.note || null,
      customerActionRequired: row.customer_action_required === 'true',
      externalId: row.external_id,
    }));
    const done = await gql(env.B, env.TOKEN_ADMIN,
      'mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded userErrors { message } } }', { input });
    if (done.recordInteractions.userErrors.length) throw new Error(JSON.stringify(done.recordInteractions.userErrors));
  }
  for (let i = 0; i < 100 && (silo.length < expected.siloHandoffs || recorded.length < batches); i++) await sleep(200);
  await sleep(1500);

  const errors = [silo, recorded, toCx, pingPongs, other].flat().filter((m) => m.error || m.errors);
  check(errors.length === 0, `no subscription ended with an error (${JSON.stringify(errors[0] ?? '')})`);
  const got = silo.map((m) => m.data.siloHandoffDetected);
  check(got.length === expected.siloHandoffs,
    `every SILO handoff recorded through B reached A's subscriber: ${got.length} of ${expected.siloHandoffs}`);
  const keys = got.map((h) => `${h.caseRef}@${Date.parse(h.at)}`);
  check(new Set(keys).size === keys.length, 'each SILO handoff arrived exactly once');
  check(got.every((h) => h.flags.includes('SILO') && h.to && h.from), 'each carries the SILO flag, its functions and its case');
  const order = keys.map((k) => [batchOf.get(k), Number(k.split('@')[1])]);
  const inOrder = order.every((o, i) => i === 0 || o[0] > order[i - 1][0] || (o[0] === order[i - 1][0] && o[1] >= order[i - 1][1]));
  if (!inOrder) console.log(JSON.stringify(order));
  check(order.every((o) => o[0] !== undefined) && inOrder, 'they arrived in the order recorded (batch by batch, then by time)');
  const batchesSeen = recorded.map((m) => m.data.interactionsRecorded);
  check(batchesSeen.length === batches && batchesSeen.reduce((n, b) => n + b.recorded, 0) === expected.interactions,
    `interactionsRecorded: ${batchesSeen.length} batches of ${batches}, ${batchesSeen.reduce((n, b) => n + b.recorded, 0)} interactions of ${expected.interactions}`);
  check(batchesSeen.reduce((n, b) => n + b.newSiloHandoffs, 0) === expected.siloHandoffs, 'the batches\' newSiloHandoffs add up to the fixture\'s SILO handoffs');
  check(toCx.length === expected.deferralsToCx,
    `filter functionIds [CX] and flags [DEFERRAL_TO_CX]: ${toCx.length} of ${expected.deferralsToCx} deferrals to CX`);
  check(pingPongs.length === expected.pingPongs, `filter flags [PING_PONG]: ${pingPongs.length} of ${expected.pingPongs}`);
  check(other.length === 0, `another organization's subscriber received nothing (${other.length})`);
  for (const client of clients) await client.dispose();

  // The webhook: every message signed, verified by the receiver with the standardwebhooks package.
  let messages = [];
  for (let i = 0; i < 100; i++) {
    messages = fs.existsSync(env.RECEIVED) ? fs.readFileSync(env.RECEIVED, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse) : [];
    const handoffs = messages.filter((m) => m.type === 'silo_handoffs.detected').reduce((n, m) => n + m.payload.data.handoffs.length, 0);
    if (handoffs >= expected.siloHandoffs && messages.filter((m) => m.type === 'interactions.recorded').length >= batches) break;
    await sleep(200);
  }
  check(messages.length > 0 && messages.every((m) => m.verified), `every webhook message's signature verified (standardwebhooks): ${messages.filter((m) => m.verified).length} of ${messages.length}`);
  const ids = messages.map((m) => m.id);
  check(new Set(ids).size === ids.length, 'each webhook message arrived once');
  const webhookHandoffs = messages.filter((m) => m.type === 'silo_handoffs.detected').flatMap((m) => m.payload.data.handoffs);
  check(webhookHandoffs.length === expected.siloHandoffs, `silo_handoffs.detected carried ${webhookHandoffs.length} of ${expected.siloHandoffs} SILO handoffs`);
  check(messages.filter((m) => m.type === 'interactions.recorded').length === batches, 'one interactions.recorded message per batch');
  const deliveries = await gql(env.A, env.TOKEN_ADMIN, '{ webhookDeliveries(first: 100) { totalCount nodes { status attempts } } }');
  check(deliveries.webhookDeliveries.nodes.every((d) => d.status === 'DELIVERED'), 'webhookDeliveries shows them DELIVERED');
}

const only = process.argv[2];
if (!only || only === 'codes') await closeCodes(wsUrl(env.A));
if (!only || only === 'live') await live();
if (failures.length) {
  console.log(`\n${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('\nall live checks passed');
process.exit(0);
