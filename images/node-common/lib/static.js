'use strict';
// Serves a built single-page app: files from `root`, index.html for client-side routes.

const fs = require('node:fs');
const path = require('node:path');
const { sendJson } = require('./http-util');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// base: the URL path the app is mounted at, '/' or '/admin/'.
function createStatic({ root, base = '/' }) {
  const dir = path.resolve(root);

  function send(req, res, file, stat) {
    const name = path.relative(dir, file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': stat.size,
      // Vite puts a content hash in every name under assets/: those never change. index.html must
      // be fetched again, or a browser keeps pointing at assets of the previous release.
      'cache-control': name.startsWith(`assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  }

  return async function serve(req, res, { path: urlPath }) {
    let rel = urlPath.startsWith(base) ? urlPath.slice(base.length) : '';
    try {
      rel = decodeURIComponent(rel);
    } catch {
      return sendJson(res, 400, { error: 'bad path' });
    }
    let file = path.resolve(dir, rel || 'index.html');
    if (file !== dir && !file.startsWith(dir + path.sep)) return sendJson(res, 404, { error: 'not found' });
    let stat = await fs.promises.stat(file).catch(() => null);
    if (stat?.isDirectory()) {
      file = path.join(file, 'index.html');
      stat = await fs.promises.stat(file).catch(() => null);
    }
    if (stat?.isFile()) return send(req, res, file, stat);
    // A missing file with an extension is a real 404; anything else is a route of the SPA.
    if (path.extname(rel)) return sendJson(res, 404, { error: 'not found' });
    const index = path.join(dir, 'index.html');
    const indexStat = await fs.promises.stat(index).catch(() => null);
    if (!indexStat) return sendJson(res, 503, { error: 'the single-page app is not built' });
    return send(req, res, index, indexStat);
  };
}

module.exports = { createStatic };
