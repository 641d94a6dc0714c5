'use strict';
// web-frontend: serves the built React shop at / and its API under /shop/api:
// /shop/api/users*, /shop/api/login -> user-service; /shop/api/products* -> product-service.
// The ingress forwards the full path; /shop/api is stripped on the way to the services.

const path = require('node:path');
const { createService, createProxy, createStatic, sendJson } = require('cloudmart-node-common');

const DEFAULTS = {
  USER_SERVICE_URL: 'http://user-service.backend.svc.cluster.local:8080',
  PRODUCT_SERVICE_URL: 'http://product-service.backend.svc.cluster.local:8080',
  STATIC_DIR: path.join(__dirname, 'public'),
};
const API = '/shop/api';

function createServer(env = process.env, { logStream } = {}) {
  const config = { ...DEFAULTS, ...pick(env, Object.keys(DEFAULTS)) };
  // Placing an order waits at user-service for order-service, which reserves every item and takes
  // the payment (user-service allows it 10 s): the default 2 s would cut off orders that succeed.
  const users = createProxy({
    name: 'user-service',
    baseUrl: config.USER_SERVICE_URL,
    timeoutMs: Number(env.USER_SERVICE_TIMEOUT_MS) || 10_000,
  });
  const products = createProxy({ name: 'product-service', baseUrl: config.PRODUCT_SERVICE_URL });
  const svc = createService({
    name: 'web-frontend',
    logStream,
    // Ready when both services' /ready answer within 1 s: the shop is of no use without them.
    readyTimeoutMs: Number(env.READY_TIMEOUT_MS) || 1000,
    checks: { 'user-service': users.ready, 'product-service': products.ready },
  });
  for (const p of [users, products]) svc.onStop(p.close);

  const to = (upstream) => (req, res, { path: p, url }) => upstream.forward(req, res, p.slice(API.length) + url.search);
  // Known endpoints first, so the metrics name them; the wildcards forward anything else below.
  for (const t of ['/login', '/users', '/users/{id}', '/users/{id}/orders', '/users/*']) svc.route('*', API + t, to(users));
  for (const t of ['/products', '/products/{id}', '/products/*']) svc.route('*', API + t, to(products));
  // An unknown API path is a JSON 404, never the SPA's index.html.
  for (const t of [API, `${API}/*`]) svc.route('*', t, (req, res) => sendJson(res, 404, { error: 'not found' }));
  svc.route(['GET', 'HEAD'], '/*', createStatic({ root: config.STATIC_DIR, base: '/' }));
  svc.log.info('configured', config);
  return svc;
}

function pick(env, keys) {
  return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]]));
}

module.exports = { createServer };

if (require.main === module) createServer().start();
