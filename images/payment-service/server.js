'use strict';
// payment-service: POST /payments captures a payment (there is no real card processor in the lab)
// and announces it on RabbitMQ: exchange `payments`, routing key `payment.captured`, queue
// `notifications`, read by notification-service.

const { randomUUID } = require('node:crypto');
const { createLogger, createService, readJson, sendJson, HttpError } = require('cloudmart-node-common');
const { createBroker, BrokerUnavailable } = require('./broker');

const DEFAULT_AMQP_URL = 'amqp://guest:guest@rabbitmq.data.svc.cluster.local:5672/';

function validate(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON object');
  for (const field of ['order_id', 'user_id']) {
    const v = body[field];
    const ok = (Number.isInteger(v) && v > 0) || (typeof v === 'string' && v.trim() !== '');
    if (!ok) throw new HttpError(400, `${field} must be a positive integer or a non-empty string`);
  }
  // Go's order-service may send a decimal as a string ("19.99"): accept it, keep it as sent.
  const amount = typeof body.amount === 'string' ? Number(body.amount) : body.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) {
    throw new HttpError(400, 'amount must be a positive number');
  }
  return { order_id: body.order_id, user_id: body.user_id, amount: body.amount };
}

function createServer(env = process.env, { logStream } = {}) {
  const log = createLogger('payment-service', { stream: logStream });
  const broker = createBroker({
    url: env.AMQP_URL || DEFAULT_AMQP_URL,
    log,
    // Below order-service's 2 s deadline for this call, so it gets our 503 rather than a timeout.
    confirmTimeoutMs: Number(env.PUBLISH_TIMEOUT_MS) || 1500,
    maxDelayMs: Number(env.AMQP_RECONNECT_MAX_MS) || 10_000,
  });
  // Ready = the AMQP channel is open: without it no payment can be announced.
  const svc = createService({ name: 'payment-service', logger: log, checks: { rabbitmq: broker.check } });
  svc.onStop(broker.close);

  svc.route('POST', '/payments', async (req, res) => {
    const payment = validate(await readJson(req));
    const payment_id = randomUUID();
    try {
      await broker.publish({ ...payment, payment_id });
    } catch (err) {
      if (!(err instanceof BrokerUnavailable)) throw err;
      log.warn('payment not captured', { order_id: payment.order_id, error: err.message });
      return sendJson(res, 503, { error: 'payment could not be recorded, try again', detail: err.message });
    }
    log.info('payment captured', { order_id: payment.order_id, user_id: payment.user_id, amount: payment.amount, payment_id });
    sendJson(res, 201, { payment_id, status: 'captured' });
  });
  return Object.assign(svc, { broker });
}

module.exports = { createServer, validate };

if (require.main === module) {
  const svc = createServer();
  svc.broker.start();
  svc.start();
}
