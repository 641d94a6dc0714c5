import { describe, expect, it } from 'vitest';
import { matches, productSummary, sortBy, stockLevel } from './stats.js';

describe('stats', () => {
  it('sums units, value in cents, and counts low and empty stock', () => {
    const s = productSummary([
      { price: 0.1, stock: 3 },
      { price: 10, stock: 0 },
      { price: 2.5, stock: 100 },
    ]);
    expect(s).toEqual({ products: 3, units: 103, value: 250.3, low: 1, out: 1 });
    expect([stockLevel(0), stockLevel(9), stockLevel(10), stockLevel(undefined)]).toEqual(['out', 'low', 'ok', 'out']);
  });

  it('filters on every word and sorts numbers as numbers', () => {
    const u = { id: 12, name: 'Ada Lovelace', email: 'ada@example.org' };
    expect(matches(u, 'ada EXAMPLE', ['name', 'email'])).toBe(true);
    expect(matches(u, 'ada grace', ['name', 'email'])).toBe(false);
    expect(sortBy([{ n: 10 }, { n: 9 }, { n: 100 }], 'n').map((x) => x.n)).toEqual([9, 10, 100]);
    expect(sortBy([{ id: 'p-10' }, { id: 'p-9' }], 'id', -1).map((x) => x.id)).toEqual(['p-10', 'p-9']);
  });
});
