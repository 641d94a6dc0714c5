'use strict';
// admin-dashboard: serves the built Vue dashboard under /admin and its API under /admin/api:
// /admin/api/users* -> user-service /users*, /admin/api/products* -> product-service /products*.
// The ingress forwards the full path (/admin/...); /admin/api is stripped on the way to the services.

const path = require('node:path');
const { createService, createProxy, createStatic, sendJson } = require('cloudmart-node-common');

const DEFAULTS = {
  USER_SERVICE_URL: 'http://user-service.backend.svc.cluster.local:8080',
  PRODUCT_SERVICE_URL: 'http://product-service.backend.svc.cluster.local:8080',
  STATIC_DIR: path.join(__dirname, 'public'),
};
const BASE = '/admin';
const API = `${BASE}/api`;

function createServer(env = process.env, { logStream } = {}) {
  const config = { ...DEFAULTS, ...pick(env, Object.keys(DEFAULTS)) };
  const users = createProxy({ name: 'user-service', baseUrl: config.USER_SERVICE_URL });
  const products = createProxy({ name: 'product-service', baseUrl: config.PRODUCT_SERVICE_URL });
  const svc = createService({
    name: 'admin-dashboard',
    logStream,
    // Ready when both services' /ready answer within 1 s: the dashboard shows nothing without them.
    readyTimeoutMs: Number(env.READY_TIMEOUT_MS) || 1000,
    checks: { 'user-service': users.ready, 'product-service': products.ready },
  });
  for (const p of [users, products]) svc.onStop(p.close);

  const to = (upstream) => (req, res, { path: p, url }) => upstream.forward(req, res, p.slice(API.length) + url.search);
  for (const t of ['/users', '/users/{id}', '/users/*']) svc.route('*', API + t, to(users));
  for (const t of ['/products', '/products/{id}', '/products/*']) svc.route('*', API + t, to(products));
  // An unknown API path is a JSON 404, never the SPA's index.html.
  for (const t of [API, `${API}/*`]) svc.route('*', t, (req, res) => sendJson(res, 404, { error: 'not found' }));
  // The SPA's assets are addressed under /admin/: /admin and / lead there.
  const toBase = (req, res, { url }) => {
    res.writeHead(308, { location: `${BASE}/${url.search}` });
    res.end();
  };
  svc.route(['GET', 'HEAD'], BASE, toBase);
  svc.route(['GET', 'HEAD'], '/', toBase);
  svc.route(['GET', 'HEAD'], `${BASE}/*`, createStatic({ root: config.STATIC_DIR, base: `${BASE}/` }));
  svc.log.info('configured', config);
  return svc;
}

function pick(env, keys) {
  return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]]));
}

module.exports = { createServer };

if (require.main === module) createServer().start();
