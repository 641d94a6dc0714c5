'use strict';
// The HTTP skeleton every CloudMart Node.js server shares: a route table with templates (the metrics'
// route label), request metrics and logs, /health, /ready, /metrics and a clean stop on SIGTERM.

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const client = require('prom-client');
const { createLogger } = require('./log');
const { HttpError, sendJson } = require('./http-util');

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const PROBES = new Set(['/health', '/ready', '/metrics']);

// '/users/{id}/orders' -> /^\/users\/([^/]+)\/orders$/ ; a trailing '/*' matches any rest.
function compileTemplate(template) {
  const parts = template.split('/').map((part) => {
    if (part === '*') return '(.*)';
    if (/^\{\w+\}$/.test(part)) return '([^/]+)';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return { regex: new RegExp(`^${parts.join('/')}$`), names };
}

function createService({
  name,
  checks = {},
  logger,
  logStream,
  readyTimeoutMs = Number(process.env.READY_TIMEOUT_MS) || 800,
  shutdownTimeoutMs = 8000,
}) {
  const log = logger || createLogger(name, { stream: logStream });
  const routes = [];
  const onStop = [];
  let draining = false;

  // A registry of its own, so several services in one test process do not share counters.
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  function route(methods, template, handler) {
    const list = methods === '*' ? null : [].concat(methods);
    routes.push({ methods: list, template, handler, ...compileTemplate(template) });
  }

  // Readiness: every check is an async function that throws when its dependency does not answer.
  async function runChecks() {
    if (draining) return { ok: false, checks: { shutdown: 'draining' } };
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map((check) =>
        withTimeout(Promise.resolve().then(() => checks[check]()), readyTimeoutMs).then(
          () => 'ok',
          (err) => `error: ${err.message}`,
        ),
      ),
    );
    const out = Object.fromEntries(names.map((check, i) => [check, results[i]]));
    return { ok: results.every((r) => r === 'ok'), checks: out };
  }

  route(['GET', 'HEAD'], '/health', (req, res) => sendJson(res, 200, { status: 'ok' }));
  route(['GET', 'HEAD'], '/ready', async (req, res) => {
    const { ok, checks: results } = await runChecks();
    if (!ok) log.warn('not ready', { checks: results });
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks: results });
  });
  route(['GET', 'HEAD'], '/metrics', async (req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  });

  async function handle(req, res) {
    const started = process.hrtime.bigint();
    // WHATWG URL resolves '..' and '%2e%2e' segments, so routes and proxies see a clean path.
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    const path = url.pathname;
    const method = KNOWN_METHODS.has(req.method) ? req.method : 'OTHER';
    req.id = req.headers['x-request-id'] || randomUUID();
    req.headers['x-request-id'] = req.id;
    res.setHeader('x-request-id', req.id);

    let matched = null;
    let params = {};
    let wrongMethod = false;
    for (const r of routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.methods && !r.methods.includes(req.method)) {
        wrongMethod = true;
        continue;
      }
      matched = r;
      params = Object.fromEntries(r.names.map((n, i) => [n, safeDecode(m[i + 1])]));
      break;
    }
    const routeLabel = matched ? matched.template : 'unmatched';

    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // 499 (as nginx logs it): the client went away before the answer was complete.
      const status = res.writableFinished ? res.statusCode : 499;
      requests.inc({ method, route: routeLabel, status });
      duration.observe({ method, route: routeLabel }, seconds);
      const fields = { method: req.method, path, route: routeLabel, status, duration_ms: Math.round(seconds * 1e6) / 1e3, request_id: req.id };
      // Probes come every few seconds: log them only when they fail or at debug level.
      if (PROBES.has(path) && status < 400) log.debug('request', fields);
      else log[status >= 500 ? 'warn' : 'info']('request', fields);
    };
    res.on('finish', done);
    res.on('close', done);

    try {
      if (!matched) {
        if (wrongMethod) return sendJson(res, 405, { error: 'method not allowed' });
        return sendJson(res, 404, { error: 'not found' });
      }
      await matched.handler(req, res, { params, url, path, log });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) log.error('request failed', { path, error: err });
      if (!res.headersSent) sendJson(res, status, { error: status >= 500 ? 'internal error' : err.message });
      else res.destroy();
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res);
  });
  // Longer than the ingress controller's and kube-proxy peers' keep-alive, so Node never closes a
  // connection at the moment a proxy reuses it (the source of sporadic 502s at the ingress).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  function listen(port = Number(process.env.PORT) || 8080, host) {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        log.info('listening', { port: server.address().port });
        resolve(server.address().port);
      });
    });
  }

  // Stops taking connections, lets requests under way finish, then runs the service's own cleanup.
  async function stop() {
    if (draining) return;
    draining = true;
    const closed = new Promise((resolve) => server.close(resolve));
    // Node 18 keeps keep-alive connections open after close(): drop each one as soon as it is idle.
    const sweeper = setInterval(() => server.closeIdleConnections(), 200);
    server.closeIdleConnections();
    await Promise.race([closed, delay(shutdownTimeoutMs - 1000)]);
    clearInterval(sweeper);
    server.closeAllConnections();
    for (const fn of onStop) {
      try {
        await fn();
      } catch (err) {
        log.warn('cleanup failed', { error: err.message });
      }
    }
  }

  // For the real process: listen and exit cleanly on SIGTERM/SIGINT well within the 10 s grace period.
  async function start() {
    process.on('uncaughtException', (err) => {
      log.error('uncaught exception', { error: err });
      process.exit(1);
    });
    for (const signal of ['SIGTERM', 'SIGINT']) {
      process.once(signal, async () => {
        log.info('shutting down', { signal });
        setTimeout(() => process.exit(1), shutdownTimeoutMs).unref();
        await stop();
        log.info('stopped');
        process.exit(0);
      });
    }
    return listen();
  }

  return { log, route, listen, start, stop, server, registry, onStop: (fn) => onStop.push(fn) };
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function safeDecode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

module.exports = { createService, compileTemplate };
