'use strict';
// mobile-api-gateway: the mobile app's single entry. /api/users/*, /api/login -> user-service;
// /api/orders/* -> order-service; the /api prefix is stripped on the way.

const { createService, createProxy } = require('cloudmart-node-common');

const DEFAULTS = {
  USER_SERVICE_URL: 'http://user-service.backend.svc.cluster.local:8080',
  ORDER_SERVICE_URL: 'http://order-service.backend.svc.cluster.local:8080',
};

function createServer(env = process.env, { logStream } = {}) {
  const config = { ...DEFAULTS, ...pick(env, Object.keys(DEFAULTS)) };
  // Placing an order waits at user-service for order-service, which reserves every item and takes
  // the payment (user-service allows it 10 s): the default 2 s would cut off orders that succeed.
  const users = createProxy({
    name: 'user-service',
    baseUrl: config.USER_SERVICE_URL,
    timeoutMs: Number(env.USER_SERVICE_TIMEOUT_MS) || 10_000,
  });
  const orders = createProxy({ name: 'order-service', baseUrl: config.ORDER_SERVICE_URL });
  const svc = createService({
    name: 'mobile-api-gateway',
    logStream,
    checks: { 'user-service': users.ready, 'order-service': orders.ready },
  });
  for (const p of [users, orders]) svc.onStop(p.close);

  const to = (upstream) => (req, res, { path, url }) => upstream.forward(req, res, path.slice('/api'.length) + url.search);
  // Known endpoints first, so the metrics name them; the wildcards forward anything else below.
  for (const template of ['/api/users', '/api/users/{id}', '/api/users/{id}/orders', '/api/users/*', '/api/login']) {
    svc.route('*', template, to(users));
  }
  for (const template of ['/api/orders', '/api/orders/{id}', '/api/orders/*']) {
    svc.route('*', template, to(orders));
  }
  svc.log.info('configured', config);
  return svc;
}

function pick(env, keys) {
  return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]]));
}

module.exports = { createServer };

if (require.main === module) createServer().start();
