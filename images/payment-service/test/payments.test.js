'use strict';
// payment-service against a real RabbitMQ: real HTTP in, real AMQP out.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const amqp = require('amqplib');
const { deadUrl, logSink } = require('cloudmart-node-common/lib/testing');
const { createServer } = require('../server');
const { startRabbit, startRelay, waitFor, freePort } = require('./rabbitmq');

let rabbit;
let inspector; // the test's own AMQP connection, to look at what the service declared and sent
before(async () => {
  rabbit = await startRabbit();
  inspector = await amqp.connect(rabbit.url);
});
after(async () => {
  await inspector?.close();
  await rabbit?.stop();
});

async function payments(env) {
  const sink = logSink();
  const svc = createServer({ AMQP_RECONNECT_MAX_MS: '1000', ...env }, { logStream: sink });
  svc.broker.start();
  const port = await svc.listen(0, '127.0.0.1');
  return { svc, sink, base: `http://127.0.0.1:${port}` };
}

const pay = (base, body) =>
  fetch(`${base}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function ready(base) {
  const r = await fetch(`${base}/ready`);
  if (r.status !== 200) throw new Error(`ready answered ${r.status}`);
}

// Every message now in `notifications`, taken off the queue.
async function drain() {
  const ch = await inspector.createChannel();
  const messages = [];
  for (let m = await ch.get('notifications', { noAck: true }); m; m = await ch.get('notifications', { noAck: true })) {
    messages.push(m);
  }
  await ch.close();
  return messages;
}

test('a payment is captured and its message waits in the durable queue notifications', async (t) => {
  const { svc, sink, base } = await payments({ AMQP_URL: rabbit.url });
  t.after(() => svc.stop());
  await waitFor('ready', () => ready(base), 10_000);
  await drain();

  const r = await pay(base, { order_id: 41, user_id: '7', amount: 59.9 });
  assert.equal(r.status, 201);
  const body = await r.json();
  assert.equal(body.status, 'captured');
  assert.match(body.payment_id, /^[0-9a-f-]{36}$/);

  const [m, ...rest] = await drain();
  assert.equal(rest.length, 0);
  assert.deepEqual(JSON.parse(m.content.toString()), { order_id: 41, user_id: '7', amount: 59.9, payment_id: body.payment_id });
  assert.equal(m.fields.exchange, 'payments');
  assert.equal(m.fields.routingKey, 'payment.captured');
  assert.equal(m.properties.contentType, 'application/json');
  assert.equal(m.properties.deliveryMode, 2, 'persistent');

  // The topology is what notification-service expects: these assertions fail on any difference.
  const ch = await inspector.createChannel();
  await ch.assertExchange('payments', 'topic', { durable: true });
  await ch.assertQueue('notifications', { durable: true });
  await ch.close();

  const ok = await fetch(`${base}/ready`);
  assert.deepEqual(await ok.json(), { status: 'ready', checks: { rabbitmq: 'ok' } });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /http_requests_total\{method="POST",route="\/payments",status="201"\} 1/);
  assert.ok(sink.lines.some((l) => l.msg === 'payment captured' && l.payment_id === body.payment_id));
});

test('bad requests are refused and announce nothing', async (t) => {
  const { svc, base } = await payments({ AMQP_URL: rabbit.url });
  t.after(() => svc.stop());
  await waitFor('ready', () => ready(base), 10_000);
  await drain();
  for (const bad of [{ user_id: 1, amount: 5 }, { order_id: 1, user_id: 1, amount: -5 }, { order_id: 1, user_id: '', amount: 5 }, [1]]) {
    const r = await pay(base, bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  const r = await fetch(`${base}/payments`, { method: 'POST', body: 'not json' });
  assert.equal(r.status, 400);
  assert.equal((await fetch(`${base}/payments`)).status, 405);
  assert.equal((await drain()).length, 0);
});

test('503 and not ready while the broker is unreachable', async (t) => {
  const { svc, base } = await payments({ AMQP_URL: `amqp://guest:guest@${new URL(await deadUrl()).host}/` });
  t.after(() => svc.stop());
  const r = await pay(base, { order_id: 1, user_id: 1, amount: 1 });
  assert.equal(r.status, 503);
  assert.match((await r.json()).error, /could not be recorded/);
  const notReady = await fetch(`${base}/ready`);
  assert.equal(notReady.status, 503);
  assert.match((await notReady.json()).checks.rabbitmq, /^error: .*ECONNREFUSED/);
  assert.equal((await fetch(`${base}/health`)).status, 200);
});

test('losing the broker: 503 at once, then back by itself when it returns', async (t) => {
  const relay = await startRelay(rabbit.url);
  const { svc, base } = await payments({ AMQP_URL: relay.url });
  t.after(async () => {
    await svc.stop();
    await relay.down().catch(() => {});
  });
  await waitFor('ready', () => ready(base), 10_000);
  await drain();

  await relay.down();
  await waitFor('not ready', async () => assert.equal((await fetch(`${base}/ready`)).status, 503), 5000);
  assert.equal((await pay(base, { order_id: 2, user_id: 1, amount: 1 })).status, 503);

  await relay.up();
  await waitFor('ready again', () => ready(base), 10_000);
  assert.equal((await pay(base, { order_id: 3, user_id: 1, amount: 1 })).status, 201);
  assert.deepEqual((await drain()).map((m) => JSON.parse(m.content.toString()).order_id), [3]);
});

test('a broker that stops answering gets 503 within the publish deadline', async (t) => {
  const relay = await startRelay(rabbit.url);
  const { svc, base } = await payments({ AMQP_URL: relay.url, PUBLISH_TIMEOUT_MS: '500' });
  t.after(async () => {
    // Still frozen: the stop must not wait for the broker's close-ok for ever.
    const began = Date.now();
    await svc.stop();
    assert.ok(Date.now() - began < 4000, `stopped after ${Date.now() - began} ms`);
    await relay.down().catch(() => {});
  });
  await waitFor('ready', () => ready(base), 10_000);
  relay.freeze(true);
  const began = Date.now();
  const r = await pay(base, { order_id: 4, user_id: 1, amount: 1 });
  assert.equal(r.status, 503);
  assert.match((await r.json()).detail, /did not confirm in time/);
  assert.ok(Date.now() - began < 1500);
});

test('a payment nobody would hear of (binding removed) is refused, not dropped', async (t) => {
  const { svc, base } = await payments({ AMQP_URL: rabbit.url });
  const ch = await inspector.createChannel();
  t.after(async () => {
    await svc.stop();
    await ch.bindQueue('notifications', 'payments', 'payment.captured');
    await ch.close();
  });
  await waitFor('ready', () => ready(base), 10_000);
  await ch.unbindQueue('notifications', 'payments', 'payment.captured');
  const r = await pay(base, { order_id: 5, user_id: 1, amount: 1 });
  assert.equal(r.status, 503);
  assert.match((await r.json()).detail, /no queue is bound/);
});

test('the real process: JSON logs, captures, and stops on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'server.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), AMQP_URL: rabbit.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor('ready', () => ready(base), 15_000, child);
    assert.equal((await pay(base, { order_id: 6, user_id: 1, amount: 12.5 })).status, 201);
  } finally {
    child.kill('SIGTERM');
  }
  const began = Date.now();
  assert.deepEqual(await exited, { code: 0, signal: null });
  assert.ok(Date.now() - began < 10_000);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  for (const l of lines) {
    assert.equal(l.service, 'payment-service');
    assert.ok(!Number.isNaN(Date.parse(l.ts)) && l.level && l.msg);
  }
  const msgs = lines.map((l) => l.msg);
  for (const m of ['listening', 'amqp connected', 'payment captured', 'shutting down', 'stopped']) assert.ok(msgs.includes(m), m);
  const request = lines.find((l) => l.msg === 'request' && l.path === '/payments');
  assert.equal(request.status, 201);
  assert.equal(request.method, 'POST');
  assert.equal(typeof request.duration_ms, 'number');
  assert.ok(!out.includes('guest:guest'), 'the AMQP password is never logged');
  await drain();
});
