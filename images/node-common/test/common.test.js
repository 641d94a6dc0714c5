'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createService, createProxy, createStatic, readJson, sendJson } = require('..');
const { startUpstream, deadUrl, logSink, json } = require('../lib/testing');

async function started(svc) {
  const port = await svc.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

test('routes by template, counts by template, logs JSON lines', async (t) => {
  const sink = logSink();
  const svc = createService({ name: 'demo', logStream: sink });
  svc.route('GET', '/things/{id}', (req, res, { params }) => sendJson(res, 200, { id: params.id }));
  svc.route('POST', '/things', async (req, res) => sendJson(res, 201, await readJson(req)));
  const base = await started(svc);
  t.after(() => svc.stop());

  assert.deepEqual(await (await fetch(`${base}/things/42`)).json(), { id: '42' });
  await fetch(`${base}/things/7`);
  const created = await fetch(`${base}/things`, { method: 'POST', body: '{"a":1}' });
  assert.equal(created.status, 201);
  assert.equal((await fetch(`${base}/things`, { method: 'POST', body: 'nope' })).status, 400);
  assert.equal((await fetch(`${base}/things/1`, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(`${base}/nothing`)).status, 404);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /http_requests_total\{method="GET",route="\/things\/\{id\}",status="200"\} 2/);
  assert.match(metrics, /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/things\/\{id\}"\}/);
  assert.match(metrics, /route="unmatched",status="404"/);

  const line = sink.lines.find((l) => l.msg === 'request' && l.path === '/things/42');
  assert.equal(line.service, 'demo');
  assert.equal(line.level, 'info');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
  assert.ok(!Number.isNaN(Date.parse(line.ts)));
});

test('health answers; ready reports each failing check with 503', async (t) => {
  let dbUp = false;
  const svc = createService({
    name: 'demo',
    logStream: logSink(),
    checks: { db: () => { if (!dbUp) throw new Error('refused'); } },
  });
  const base = await started(svc);
  t.after(() => svc.stop());
  assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: 'ok' });
  const down = await fetch(`${base}/ready`);
  assert.equal(down.status, 503);
  assert.deepEqual(await down.json(), { status: 'not ready', checks: { db: 'error: refused' } });
  dbUp = true;
  const up = await fetch(`${base}/ready`);
  assert.equal(up.status, 200);
  assert.deepEqual(await up.json(), { status: 'ready', checks: { db: 'ok' } });
});

test('proxy forwards method, path, body and headers; 502 and 504 on failures', async (t) => {
  const upstream = await startUpstream((req, res, body) => {
    if (req.url === '/slow') return setTimeout(() => json(res, 200, {}), 1000);
    json(res, 201, { got: body, url: req.url });
  });
  const svc = createService({ name: 'demo', logStream: logSink() });
  const good = createProxy({ name: 'up', baseUrl: upstream.url, timeoutMs: 300 });
  const dead = createProxy({ name: 'gone', baseUrl: await deadUrl(), timeoutMs: 300 });
  svc.route('*', '/up/*', (req, res, { path: p, url }) => good.forward(req, res, p.slice(3) + url.search));
  svc.route('*', '/gone', (req, res) => dead.forward(req, res, '/x'));
  const base = await started(svc);
  t.after(async () => {
    await svc.stop();
    good.close();
    dead.close();
    await upstream.close();
  });

  const r = await fetch(`${base}/up/a/b?q=1`, { method: 'POST', body: 'hello', headers: { authorization: 'Bearer t' } });
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json(), { got: 'hello', url: '/a/b?q=1' });
  const seen = upstream.requests[0];
  assert.equal(seen.headers.authorization, 'Bearer t');
  assert.equal(seen.headers.host, new URL(upstream.url).host);
  assert.ok(seen.headers['x-request-id']);

  const slow = await fetch(`${base}/up/slow`);
  assert.equal(slow.status, 504);
  assert.deepEqual(await slow.json(), { error: 'upstream timed out', upstream: 'up' });
  const gone = await fetch(`${base}/gone`);
  assert.equal(gone.status, 502);
  assert.equal((await gone.json()).upstream, 'gone');
  await assert.rejects(dead.ready(), /gone/);
  await good.ready(); // the fake answers /ready with 201, a 2xx
});

test('static: files, SPA fallback, no way out of the root', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'static-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="app"></div>');
  fs.writeFileSync(path.join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  fs.writeFileSync(path.join(os.tmpdir(), 'secret.txt'), 'secret');
  const svc = createService({ name: 'demo', logStream: logSink() });
  svc.route(['GET', 'HEAD'], '/admin/*', createStatic({ root, base: '/admin/' }));
  const base = await started(svc);
  t.after(() => svc.stop());

  const index = await fetch(`${base}/admin/`);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(await index.text(), /id="app"/);
  const asset = await fetch(`${base}/admin/assets/app-1234.js`);
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(asset.headers.get('cache-control'), /immutable/);
  assert.match(await (await fetch(`${base}/admin/users/3`)).text(), /id="app"/);
  assert.equal((await fetch(`${base}/admin/assets/missing.js`)).status, 404);
  for (const sneaky of ['/admin/..%2fsecret.txt', '/admin/%2e%2e/secret.txt']) {
    assert.doesNotMatch(await (await fetch(`${base}${sneaky}`)).text(), /secret/);
  }
});

test('the readiness check opens a new connection each time, so it follows the Service as it is now', async (t) => {
  const http = require('node:http');
  let connections = 0;
  const server = http.createServer((req, res) => json(res, 200, { status: 'ready' }));
  server.on('connection', () => { connections += 1; });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = createProxy({ name: 'up', baseUrl: `http://127.0.0.1:${server.address().port}` });
  t.after(() => {
    upstream.close();
    server.closeAllConnections();
    server.close();
  });
  await upstream.ready();
  await upstream.ready();
  await upstream.ready();
  assert.equal(connections, 3);
});
