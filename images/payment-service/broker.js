'use strict';
// The RabbitMQ side of payment-service: one connection with a confirm channel, the topology declared
// on every (re)connect, and a reconnect loop for when RabbitMQ restarts or is not there yet.

const amqp = require('amqplib');

const EXCHANGE = 'payments';
const QUEUE = 'notifications';
const ROUTING_KEY = 'payment.captured';

class BrokerUnavailable extends Error {}

function createBroker({ url, log, maxDelayMs = 10_000, confirmTimeoutMs = 1500 }) {
  let connection = null;
  let channel = null;
  let blocked = null;
  // payment_ids the broker handed back as unroutable; their confirm follows the return.
  const returned = new Set();
  let closing = false;
  let attempt = 0;
  let timer = null;
  let lastError = 'not connected yet';

  // 10 s heartbeats (unless the URL says otherwise): a broker that vanished without closing its TCP
  // connections, such as a deleted node, is noticed in about 20 s instead of the default 2 minutes.
  const target = new URL(url);
  if (!target.searchParams.has('heartbeat')) target.searchParams.set('heartbeat', '10');
  const where = `${target.hostname}:${target.port || 5672}${target.pathname}`;

  async function connect() {
    let conn;
    try {
      conn = await amqp.connect(target.toString(), { clientProperties: { connection_name: 'payment-service' } });
      conn.on('error', (err) => {
        lastError = err.message;
        log.warn('amqp connection error', { error: err.message });
      });
      conn.on('close', () => {
        if (connection === conn) lost('connection closed');
      });
      // RabbitMQ blocks publishers on a memory or disk alarm: say why payments stall.
      conn.on('blocked', (reason) => {
        blocked = reason;
        log.warn('amqp connection blocked by the broker', { reason });
      });
      conn.on('unblocked', () => {
        blocked = null;
        log.info('amqp connection unblocked');
      });
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err) => {
        lastError = err.message;
        log.warn('amqp channel error', { error: err.message });
      });
      // A channel closed by the broker (an error on it) is useless: start over with a new connection.
      ch.on('close', () => {
        if (channel === ch) {
          lost('channel closed');
          conn.close().catch(() => {});
        }
      });
      // Unroutable: someone removed the binding or the queue; the message would be dropped silently,
      // so that payment fails instead (the topology is declared again on the next reconnect).
      ch.on('return', (msg) => {
        returned.add(msg.properties.messageId);
        log.error('payment message unroutable', { routing_key: msg.fields.routingKey, reply: msg.fields.replyText });
      });
      await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
      await ch.assertQueue(QUEUE, { durable: true });
      await ch.bindQueue(QUEUE, EXCHANGE, ROUTING_KEY);
      if (closing) return conn.close();
      connection = conn;
      channel = ch;
      blocked = null;
      attempt = 0;
      log.info('amqp connected', { broker: where, exchange: EXCHANGE, queue: QUEUE });
    } catch (err) {
      lastError = err.message;
      log.warn('amqp connect failed', { broker: where, error: err.message, attempt });
      if (conn) conn.close().catch(() => {});
      schedule();
    }
  }

  function lost(why) {
    channel = null;
    connection = null;
    if (closing) return;
    lastError = why;
    log.warn('amqp connection lost, reconnecting', { reason: why });
    schedule();
  }

  // Backoff 0.5 s, 1 s, 2 s ... up to maxDelayMs, so a restarting broker is not hammered.
  function schedule() {
    if (timer || closing) return;
    const wait = Math.min(500 * 2 ** attempt, maxDelayMs);
    attempt += 1;
    timer = setTimeout(() => {
      timer = null;
      connect();
    }, wait);
  }

  // Resolves once RabbitMQ has confirmed the message (it is then in the durable queue).
  function publish(message) {
    const ch = channel;
    if (!ch) return Promise.reject(new BrokerUnavailable(`broker unavailable: ${lastError}`));
    return new Promise((resolve, reject) => {
      const why = blocked ? ` (connection blocked: ${blocked})` : '';
      const deadline = setTimeout(() => reject(new BrokerUnavailable(`broker did not confirm in time${why}`)), confirmTimeoutMs);
      const done = (err) => {
        clearTimeout(deadline);
        const unroutable = returned.delete(message.payment_id);
        if (err) reject(new BrokerUnavailable(`broker refused the message: ${err.message || err}`));
        else if (unroutable) reject(new BrokerUnavailable(`no queue is bound to ${EXCHANGE} for ${ROUTING_KEY}`));
        else resolve();
      };
      try {
        ch.publish(EXCHANGE, ROUTING_KEY, Buffer.from(JSON.stringify(message)), {
          persistent: true,
          mandatory: true,
          contentType: 'application/json',
          messageId: message.payment_id,
          timestamp: Math.floor(Date.now() / 1000),
        }, done);
      } catch (err) {
        done(err);
      }
    });
  }

  function check() {
    if (!channel) throw new Error(lastError);
  }

  async function close() {
    closing = true;
    clearTimeout(timer);
    const conn = connection;
    channel = null;
    connection = null;
    if (!conn) return;
    // A broker that stopped answering never sends close-ok: do not let it hold up the shutdown.
    let timer;
    const gaveUp = new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), 2000);
    });
    const timedOut = await Promise.race([conn.close().then(() => false, () => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn('amqp connection did not close in time, dropping it');
      conn.connection?.stream?.destroy();
    }
  }

  return { start: connect, publish, check, close, isConnected: () => channel !== null };
}

module.exports = { createBroker, BrokerUnavailable, EXCHANGE, QUEUE, ROUTING_KEY };
