// The dashboard's calls, through its own server under <base>api (same origin, no CORS).
const BASE = `${import.meta.env.BASE_URL}api`;

async function get(path) {
  let res;
  try {
    res = await fetch(BASE + path, { headers: { accept: 'application/json' } });
  } catch {
    throw new Error('the dashboard server cannot be reached');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    // user-service answers {"error"}, product-service (FastAPI) {"detail"}, this server {"error","upstream"}.
    const reason = data?.error || (typeof data?.detail === 'string' ? data.detail : '') || res.statusText;
    throw new Error(`${reason}${data?.upstream ? ` (${data.upstream})` : ''} (HTTP ${res.status})`);
  }
  return data;
}

const asList = (data, key) => (Array.isArray(data) ? data : Array.isArray(data?.[key]) ? data[key] : []);

export const api = {
  users: async () => asList(await get('/users?limit=1000'), 'users'),
  products: async () => asList(await get('/products'), 'products'),
};
