'use strict';
// The admin-dashboard server: real HTTP through it to fake services on loopback, serving the SPA
// that test.sh has just built into dist/, under /admin as the ingress forwards it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startUpstream, deadUrl, logSink, json } = require('cloudmart-node-common/lib/testing');
const { createServer } = require('../server');

const DIST = path.join(__dirname, '..', 'dist');
const USERS = [{ id: 1, email: 'ada@example.org', name: 'Ada', created_at: '2026-01-01T00:00:00Z' }];
const PRODUCTS = [{ id: 'p-001', name: 'Espresso Cup', price: 8.5, stock: 120 }];

async function dashboard(env) {
  const svc = createServer({ STATIC_DIR: DIST, ...env }, { logStream: logSink() });
  const port = await svc.listen(0, '127.0.0.1');
  return { svc, base: `http://127.0.0.1:${port}` };
}

async function fakes(t) {
  const users = await startUpstream((req, res, body) => {
    if (req.url === '/ready') return json(res, 200, { status: 'ready' });
    if (req.url.startsWith('/users?') || req.url === '/users') return json(res, 200, USERS);
    json(res, 200, { from: 'users', method: req.method, url: req.url, body });
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

test('the built dashboard is served under /admin/, with its assets there too', async (t) => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'test.sh builds the SPA into dist/ first');
  const { users, products } = await fakes(t);
  const { svc, base } = await dashboard({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => svc.stop());

  const index = await fetch(`${base}/admin/`);
  assert.equal(index.status, 200);
  const html = await index.text();
  assert.match(html, /<title>CloudMart Admin<\/title>/);
  const script = html.match(/src="([^"]+\.js)"/)[1];
  assert.match(script, /^\/admin\/assets\//, 'Vite base /admin/');
  const js = await fetch(base + script);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const css = html.match(/href="(\/admin\/assets\/[^"]+\.css)"/)[1];
  assert.equal((await fetch(base + css)).headers.get('content-type'), 'text/css; charset=utf-8');
  // Client-side routes get the page; /admin and / lead to /admin/.
  assert.match(await (await fetch(`${base}/admin/users`)).text(), /CloudMart Admin/);
  for (const [from, to] of [['/admin', '/admin/'], ['/', '/admin/'], ['/admin?x=1', '/admin/?x=1']]) {
    const r = await fetch(base + from, { redirect: 'manual' });
    assert.equal(r.status, 308, from);
    assert.equal(r.headers.get('location'), to);
  }
  assert.equal((await fetch(`${base}/assets/${path.basename(script)}`)).status, 404, 'nothing outside /admin');
});

test('/admin/api/users and /admin/api/products reach the services without the prefix', async (t) => {
  const { users, products } = await fakes(t);
  const { svc, base } = await dashboard({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => svc.stop());

  const u = await fetch(`${base}/admin/api/users?limit=1000`);
  assert.equal(u.status, 200);
  assert.deepEqual(await u.json(), USERS);
  assert.equal(users.requests.at(-1).url, '/users?limit=1000');
  assert.deepEqual(await (await fetch(`${base}/admin/api/products`)).json(), PRODUCTS);
  assert.equal((await fetch(`${base}/admin/api/products/p-404`)).status, 404);
  assert.equal((await (await fetch(`${base}/admin/api/users/3`)).json()).url, '/users/3');
  for (const p of ['/admin/api/orders', '/admin/api']) {
    const r = await fetch(base + p);
    assert.equal(r.status, 404, p);
    assert.deepEqual(await r.json(), { error: 'not found' });
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /http_requests_total\{method="GET",route="\/admin\/api\/users",status="200"\} 1/);
  assert.match(metrics, /http_requests_total\{method="GET",route="\/admin\/api\/products\/\{id\}",status="404"\} 1/);
  assert.match(metrics, /http_request_duration_seconds_count\{method="GET",route="\/admin\/api\/products"\} 1/);
});

test('ready only while both services answer /ready within 1 s; 502 while one is down', async (t) => {
  const { users, products } = await fakes(t);
  const up = await dashboard({ USER_SERVICE_URL: users.url, PRODUCT_SERVICE_URL: products.url });
  t.after(() => up.svc.stop());
  const ok = await fetch(`${up.base}/ready`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ready', checks: { 'user-service': 'ok', 'product-service': 'ok' } });

  const down = await dashboard({ USER_SERVICE_URL: await deadUrl(), PRODUCT_SERVICE_URL: products.url });
  t.after(() => down.svc.stop());
  const notReady = await fetch(`${down.base}/ready`);
  assert.equal(notReady.status, 503);
  const { checks } = await notReady.json();
  assert.match(checks['user-service'], /^error: user-service: ECONNREFUSED/);
  assert.equal(checks['product-service'], 'ok');
  const gone = await fetch(`${down.base}/admin/api/users`);
  assert.equal(gone.status, 502);
  assert.deepEqual(await gone.json(), { error: 'upstream unavailable', upstream: 'user-service' });
  assert.equal((await fetch(`${down.base}/health`)).status, 200);
});

test('the real process logs JSON lines and stops on SIGTERM', async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
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
    assert.equal((await fetch(`http://127.0.0.1:${port}/admin/`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => l.service === 'admin-dashboard' && l.ts && l.level && l.msg));
  const request = lines.find((l) => l.msg === 'request');
  assert.deepEqual([request.method, request.path, request.status, request.route], ['GET', '/admin/', 200, '/admin/*']);
  assert.ok(lines.some((l) => l.msg === 'stopped'));
});
