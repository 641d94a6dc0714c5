'use strict';
// One JSON object per line on stdout (PLATFORM.md): {"ts","level","service","msg",...fields}.

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function createLogger(service, { level = process.env.LOG_LEVEL || 'info', stream = process.stdout } = {}) {
  const threshold = LEVELS[level] ?? LEVELS.info;
  const write = (lvl, msg, fields) => {
    if (LEVELS[lvl] < threshold) return;
    const line = { ts: new Date().toISOString(), level: lvl, service, msg, ...fields };
    stream.write(`${JSON.stringify(line, errorReplacer)}\n`);
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

// Error objects stringify as {} by default; keep their message (and stack for unexpected ones).
function errorReplacer(_key, value) {
  if (value instanceof Error) return value.stack || value.message;
  return value;
}

module.exports = { createLogger };
