'use strict';
// The web-frontend server: real HTTP through it to fake services on loopback, serving the SPA that
// test.sh has just built into dist/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startUpstream, deadUrl, logSink, json } = require('cloudmart-node-common/lib/testing');
const { createServer } = require('../server');

const DIST = path.join(__dirname, '..', 'dist');
const PRODUCTS = [{ id: 'p-001', name: 'Espresso Cup', price: 8.5, stock: 120 }];

async function frontend(env) {
  const svc = createServer({ STATIC_DIR: DIST, ...env }, { logStream: logSink() });
  const port = await svc.listen(0, '127.0.0.1');
  return { svc, base: `http://127.0.0.1:${port}` };
}

async function fakes(t) {
  const users = await startUpstream((req, res, body) => {
    if (req.url === '/ready') return json(res, 200, { status: 'ready' });
    if (req.url === '/login') return json(res, 200, { user_id: 7, token: 't' });
    json(res, req.method === 'POST' ? 201 : 200, { from: 'users', method: req.method, url: req.url, body });
  });
  const products = await startUpstream((req, res) => {
    if (req.url === '/ready') return json(res, 200, { status: 'ready' });
    if (req.url === '/products') return json(res, 200, PRODUCTS);
    json(res, 404, { detail: 'product not found' });
  });
  t.after(async () => {
    await users.close();
    await products.close();
  });
  return { users, products };
}

test('the built SPA is served at / with the CloudMart title, its assets, and client routes', async (t) => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'test.sh builds the SPA into dist/ first');
  const { users, products } = await fakes(t);
  const { svc, base } = await frontend({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => svc.stop());

  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await index.text();
  assert.match(html, /<title>CloudMart<\/title>/);
  const script = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
  const js = await fetch(base + script);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(js.headers.get('cache-control'), /immutable/);
  assert.match(await js.text(), /data-testid|"product"/);
  assert.match(await (await fetch(`${base}/orders`)).text(), /<title>CloudMart<\/title>/);
  assert.equal((await fetch(`${base}/assets/nothing.js`)).status, 404);
});

test('/shop/api is forwarded to user-service and product-service without its prefix', async (t) => {
  const { users, products } = await fakes(t);
  const { svc, base } = await frontend({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => svc.stop());

  const list = await fetch(`${base}/shop/api/products`);
  assert.equal(list.status, 200);
  assert.deepEqual(await list.json(), PRODUCTS);
  const missing = await fetch(`${base}/shop/api/products/p-999`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { detail: 'product not found' });

  const login = await fetch(`${base}/shop/api/login`, { method: 'POST', body: '{"email":"a@b.c","password":"x"}' });
  assert.deepEqual(await login.json(), { user_id: 7, token: 't' });
  const order = await fetch(`${base}/shop/api/users/7/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
    body: '{"items":[{"product_id":"p-001","quantity":2}]}',
  });
  assert.equal(order.status, 201);
  assert.deepEqual(await order.json(), {
    from: 'users',
    method: 'POST',
    url: '/users/7/orders',
    body: '{"items":[{"product_id":"p-001","quantity":2}]}',
  });
  assert.equal(users.requests.at(-1).headers['idempotency-key'], 'k1');
  assert.equal((await (await fetch(`${base}/shop/api/users/7/orders`)).json()).url, '/users/7/orders');
  assert.equal((await (await fetch(`${base}/shop/api/users/7`)).json()).url, '/users/7');

  for (const p of ['/shop/api/orders', '/shop/api']) {
    const r = await fetch(base + p);
    assert.equal(r.status, 404, p);
    assert.deepEqual(await r.json(), { error: 'not found' });
  }

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /http_requests_total\{method="POST",route="\/shop\/api\/users\/\{id\}\/orders",status="201"\} 1/);
  assert.match(metrics, /http_requests_total\{method="GET",route="\/shop\/api\/products",status="200"\} 1/);
  assert.match(metrics, /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/shop\/api\/products\/\{id\}"\}/);
});

test('ready only while both services answer /ready within 1 s; 502 while one is down', async (t) => {
  const { users, products } = await fakes(t);
  const slow = await startUpstream((req, res) => setTimeout(() => json(res, 200, {}), 1500));
  t.after(() => slow.close());

  const up = await frontend({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => up.svc.stop());
  const ok = await fetch(`${up.base}/ready`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ready', checks: { 'user-service': 'ok', 'product-service': 'ok' } });

  const down = await frontend({ USER_SERVICE_URL: slow.url, PRODUCT_SERVICE_URL: await deadUrl() });
  t.after(() => down.svc.stop());
  const began = Date.now();
  const notReady = await fetch(`${down.base}/ready`);
  assert.ok(Date.now() - began < 1400, 'the check gives up after 1 s');
  assert.equal(notReady.status, 503);
  const { checks } = await notReady.json();
  assert.match(checks['user-service'], /^error: no answer within 1000 ms/);
  assert.match(checks['product-service'], /^error: product-service: ECONNREFUSED/);
  const gone = await fetch(`${down.base}/shop/api/products`);
  assert.equal(gone.status, 502);
  assert.deepEqual(await gone.json(), { error: 'upstream unavailable', upstream: 'product-service' });
  // The page itself and the liveness probe do not depend on the services.
  assert.equal((await fetch(`${down.base}/health`)).status, 200);
  assert.equal((await fetch(`${down.base}/`)).status, 200);
});

test('the real process logs JSON lines and stops on SIGTERM', async () => {
  const port = await new Promise((resolve) => {
    const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'server.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), STATIC_DIR: DIST, USER_SERVICE_URL: await deadUrl(), PRODUCT_SERVICE_URL: await deadUrl() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    for (let i = 0; !out.includes('"listening"'); i++) {
      assert.ok(i < 100, 'listening within 5 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await fetch(`http://127.0.0.1:${port}/shop/api/products`)).status, 502);
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => l.service === 'web-frontend' && l.ts && l.level && l.msg));
  const request = lines.find((l) => l.msg === 'request');
  assert.deepEqual([request.method, request.path, request.status], ['GET', '/shop/api/products', 502]);
  assert.equal(typeof request.duration_ms, 'number');
  assert.ok(lines.some((l) => l.msg === 'stopped'));
});

test('an order that takes user-service longer than 2 s still gets through; a hung one ends in 504', async (t) => {
  const users = await startUpstream((req, res) => {
    // unref: the hung answer must not keep the test process alive after the test.
    setTimeout(() => json(res, 201, { id: 1001, status: 'paid' }), req.url === '/users/7/orders' ? 2300 : 60_000).unref();
  });
  const { products } = await fakes(t);
  const { svc, base } = await frontend({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url, USER_SERVICE_TIMEOUT_MS: '3000' });
  t.after(async () => {
    await svc.stop();
    await users.close();
  });
  const order = await fetch(`${base}/shop/api/users/7/orders`, { method: 'POST', body: '{"items":[]}' });
  assert.equal(order.status, 201);
  const hung = await fetch(`${base}/shop/api/users/8/orders`, { method: 'POST', body: '{"items":[]}' });
  assert.equal(hung.status, 504);
  assert.deepEqual(await hung.json(), { error: 'upstream timed out', upstream: 'user-service' });
});
