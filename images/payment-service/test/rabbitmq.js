'use strict';
// A real RabbitMQ for the tests: Debian's rabbitmq-server started in a temporary folder on free
// loopback ports, with an epmd of its own, both stopped (and the folder removed) afterwards.
// AMQP_TEST_URL names a broker that is already running instead.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = '/usr/bin/epmd';
const BOOT_TIMEOUT_MS = 90_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, probe, timeoutMs, child) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with ${child.exitCode}`);
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what}: not up within ${timeoutMs} ms (${err.message})`);
    }
    await sleep(250);
  }
}

function portOpen(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

async function startRabbit() {
  if (process.env.AMQP_TEST_URL) return { url: process.env.AMQP_TEST_URL, stop: async () => {} };
  for (const bin of [SERVER, EPMD]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: apt-get install rabbitmq-server (or set AMQP_TEST_URL)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payment-rabbit-'));
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  fs.mkdirSync(path.join(dir, 'home'));
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqpPort}\n`);
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    // A private HOME holds the Erlang cookie; nothing of the host's RabbitMQ is read or written.
    HOME: path.join(dir, 'home'),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `payment-test-${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_PLUGINS_EXPAND_DIR: path.join(dir, 'plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
  };
  const out = fs.openSync(path.join(dir, 'server.out'), 'a');
  // Our own epmd in the foreground: the one RabbitMQ would start itself daemonizes and outlives the test.
  const epmd = spawn(EPMD, ['-port', String(epmdPort)], { env, stdio: ['ignore', out, out], detached: true });
  let server = null;
  const kill = (signal) => {
    for (const child of [server, epmd]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
    }
  };
  // Should the test process die before stop(), the broker must not outlive it.
  const onExit = () => kill('SIGKILL');
  const onSignal = (signal) => {
    kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(128 + os.constants.signals[signal]);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);

  async function stop() {
    process.off('exit', onExit);
    for (const s of signals) process.off(s, onSignal);
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    kill('SIGKILL');
    fs.closeSync(out);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}/`;
  try {
    await waitFor('epmd', () => portOpen(epmdPort), 10_000, epmd);
    server = spawn(SERVER, [], { env, cwd: dir, stdio: ['ignore', out, out], detached: true });
    // The AMQP port opens late in the boot, but a login proves the broker is fully up.
    await waitFor('rabbitmq-server', async () => (await amqp.connect(url)).close(), BOOT_TIMEOUT_MS, server);
  } catch (err) {
    const tail = fs.readFileSync(path.join(dir, 'server.out'), 'utf8').slice(-2000);
    await stop();
    throw new Error(`${err.message}\n${tail}`);
  }
  return { url, stop };
}

// A TCP relay between the service and the broker, to cut the connection, refuse new ones, or
// freeze traffic (a broker that accepts but never answers) at will.
async function startRelay(targetUrl) {
  const target = new URL(targetUrl);
  const sockets = new Set();
  let frozen = false;
  let server = null;
  const port = await freePort();

  function onConnection(client) {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair = [client, upstream];
    for (const s of pair) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        for (const other of pair) other.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
  }

  async function up() {
    server = net.createServer(onConnection);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  }

  // Every connection dropped and new ones refused, as when the broker's pod is gone.
  async function down() {
    const closed = new Promise((resolve) => server.close(resolve));
    for (const s of sockets) s.destroy();
    await closed;
  }

  await up();
  return {
    url: `amqp://${target.username}:${target.password}@127.0.0.1:${port}${target.pathname}`,
    up,
    down,
    freeze: (on) => {
      frozen = on;
    },
  };
}

module.exports = { startRabbit, startRelay, waitFor, freePort };
