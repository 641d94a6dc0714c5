// The shop's calls, all through the web-frontend server under /shop/api (same origin, no CORS).
const BASE = '/shop/api';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body, headers = {}) {
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'The shop cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // An HTML error page from a proxy in between: keep the status only.
  }
  if (!res.ok) {
    // user-service answers {"error"}, product-service (FastAPI) {"detail"}.
    const reason = data?.error || (typeof data?.detail === 'string' ? data.detail : null) || res.statusText;
    throw new ApiError(res.status, `${reason || 'request failed'} (HTTP ${res.status})`);
  }
  return data;
}

// A fresh key per order attempt: a retried click never buys twice (order-service honours it).
// crypto.randomUUID exists on https and localhost only; the lab's ingress is plain http.
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const api = {
  products: () => call('GET', '/products'),
  login: (email, password) => call('POST', '/login', { email, password }),
  register: (name, email, password) => call('POST', '/users', { name, email, password }),
  user: (id) => call('GET', `/users/${encodeURIComponent(id)}`),
  orders: (userId) => call('GET', `/users/${encodeURIComponent(userId)}/orders`),
  placeOrder: (userId, items, key) =>
    call('POST', `/users/${encodeURIComponent(userId)}/orders`, { items }, { 'idempotency-key': key }),
};
