import { describe, expect, it } from 'vitest';
import { createSSRApp, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import ProductsTable from './ProductsTable.vue';
import UsersTable from './UsersTable.vue';

const render = (component, props) => renderToString(createSSRApp({ render: () => h(component, props) }));

const products = [
  { id: 'p-002', name: 'French Press', price: 34, stock: 0, category: 'kitchen' },
  { id: 'p-001', name: 'Espresso Cup', price: 8.5, stock: 120, category: 'kitchen' },
  { id: 'p-003', name: 'Desk Lamp', price: 42, stock: 4, category: 'home' },
];

describe('ProductsTable', () => {
  it('lists every product with its price and a stock level, sorted by id', async () => {
    const html = await render(ProductsTable, { products });
    expect(html.match(/data-testid="product-row"/g)).toHaveLength(3);
    expect(html.indexOf('p-001')).toBeLessThan(html.indexOf('p-002'));
    expect(html).toContain('€8.50');
    expect(html).toMatch(/class="stock stock-out">0</);
    expect(html).toMatch(/class="stock stock-low">4</);
    expect(html).toMatch(/class="stock stock-ok">120</);
  });

  it('filters by the query', async () => {
    const html = await render(ProductsTable, { products, query: 'kitchen french' });
    expect(html.match(/data-testid="product-row"/g)).toHaveLength(1);
    expect(await render(ProductsTable, { products, query: 'nothing' })).toContain('No product matches.');
  });
});

describe('UsersTable', () => {
  it('lists users with their email', async () => {
    const html = await render(UsersTable, {
      users: [{ id: 2, name: 'Grace', email: 'grace@example.org', created_at: '2026-01-02T10:00:00Z' }],
    });
    expect(html.match(/data-testid="user-row"/g)).toHaveLength(1);
    expect(html).toContain('grace@example.org');
    expect(html).toContain('2 Jan 2026');
    expect(await render(UsersTable, { users: [] })).toContain('No users yet.');
  });
});
