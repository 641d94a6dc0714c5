'use strict';
// Helpers for the services' own tests (not used at run time): fake upstreams on loopback and a
// log sink that keeps the JSON lines a server writes.

const http = require('node:http');

// handler(req, res, body) answers like an upstream would; every request is recorded.
async function startUpstream(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// A URL where nothing listens: a port that was free a moment ago.
async function deadUrl() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function logSink() {
  const lines = [];
  let partial = '';
  return {
    lines,
    write(chunk) {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const p of parts) lines.push(JSON.parse(p));
      return true;
    },
  };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

module.exports = { startUpstream, deadUrl, logSink, json };
