// Figures and filters the dashboard shows, as plain functions of the lists.

export const LOW_STOCK = 10;

export function stockLevel(stock) {
  if (!(stock > 0)) return 'out';
  return stock < LOW_STOCK ? 'low' : 'ok';
}

export function productSummary(products) {
  const out = { products: products.length, units: 0, value: 0, low: 0, out: 0 };
  for (const p of products) {
    const stock = Number(p.stock) || 0;
    out.units += stock;
    out.value += Math.round((Number(p.price) || 0) * 100) * stock;
    const level = stockLevel(stock);
    if (level !== 'ok') out[level] += 1;
  }
  out.value /= 100;
  return out;
}

// Case-insensitive match of every word of the query against the given fields.
export function matches(item, query, fields) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = fields.map((f) => String(item[f] ?? '')).join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

export function sortBy(list, key, direction = 1) {
  return [...list].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * direction;
    return String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true }) * direction;
  });
}

const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });
export const formatPrice = (amount) => money.format(Number(amount) || 0);
export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString('en-GB', { dateStyle: 'medium' });
}
