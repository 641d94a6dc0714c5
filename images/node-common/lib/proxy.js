'use strict';
// Forwards a request to an upstream service with a deadline; answers 502/504 with a JSON error when
// the upstream is down or too slow, so a caller always gets JSON back from the CloudMart front door.

const http = require('node:http');
const https = require('node:https');
const { sendJson } = require('./http-util');

// Hop-by-hop headers belong to one connection and must not be forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

function createProxy({ name, baseUrl, timeoutMs = Number(process.env.UPSTREAM_TIMEOUT_MS) || 2000, log }) {
  const target = new URL(baseUrl);
  const transport = target.protocol === 'https:' ? https : http;
  // Keep-alive: Node 18's default agent opens a new connection per request.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 100 });
  const basePath = target.pathname.replace(/\/$/, '');

  function request(method, path, headers, { fresh = false } = {}) {
    return transport.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method,
      path: basePath + path,
      headers: { ...headers, host: target.host },
      // fresh: a connection of its own, closed after the answer
      agent: fresh ? false : agent,
    });
  }

  // path: the upstream path with its query string, e.g. '/users/7/orders?limit=5'.
  function forward(req, res, path) {
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const forwardedFor = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress;
    headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${peer}` : peer;

    return new Promise((resolve) => {
      const upstream = request(req.method, path, headers);
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const fail = (status, error, err) => {
        if (settled) return;
        log?.warn('upstream failed', { upstream: name, path, status, error: err?.code || err?.message || error });
        upstream.destroy();
        if (!res.headersSent) sendJson(res, status, { error, upstream: name });
        else res.destroy();
        finish();
      };
      // One deadline for the whole exchange: connect, answer and body.
      const timer = setTimeout(() => fail(504, 'upstream timed out'), timeoutMs);

      upstream.on('response', (answer) => {
        const out = { ...answer.headers };
        for (const h of HOP_BY_HOP) delete out[h];
        res.writeHead(answer.statusCode, out);
        answer.pipe(res);
        answer.on('end', finish);
        answer.on('error', (err) => fail(502, 'upstream failed', err));
      });
      upstream.on('error', (err) => fail(502, 'upstream unavailable', err));
      // The client gave up: stop the upstream work too.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        finish();
      });
      req.pipe(upstream);
    });
  }

  // Readiness check: the upstream's /ready answers 2xx (an upstream that runs but cannot serve is
  // of no more use than one that is down; its /health may also be a slow deep check).
  function ready() {
    return new Promise((resolve, reject) => {
      // A new connection each time: a kept-alive one stays pinned to the pod it first reached
      // (seen in the lab: to an address a Service no longer routes to, answered by another pod),
      // and readiness must follow the Service as it is now.
      const probe = request('GET', '/ready', { accept: 'application/json' }, { fresh: true });
      probe.on('response', (answer) => {
        answer.resume();
        if (answer.statusCode >= 200 && answer.statusCode < 300) resolve();
        else reject(new Error(`${name} /ready answered ${answer.statusCode}`));
      });
      probe.on('error', (err) => reject(new Error(`${name}: ${err.code || err.message}`)));
      probe.setTimeout(timeoutMs, () => probe.destroy(new Error('timed out')));
      probe.end();
    });
  }

  return { name, forward, ready, close: () => agent.destroy() };
}

module.exports = { createProxy };
