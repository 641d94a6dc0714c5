import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import ProductList from './ProductList.jsx';

const products = [
  { id: 'p-001', name: 'Espresso Cup', price: 8.5, stock: 120, category: 'kitchen' },
  { id: 'p-002', name: 'French Press', price: 34, stock: 0 },
  { id: 'p-003', name: "Chef's Knife", price: 59.9, stock: 3 },
];

describe('ProductList', () => {
  it('renders one data-testid="product" card per product with its name, price and stock', () => {
    const html = renderToStaticMarkup(<ProductList products={products} onAdd={() => {}} />);
    expect(html.match(/data-testid="product"/g)).toHaveLength(3);
    expect(html).toContain('Espresso Cup');
    expect(html).toContain('€8.50');
    expect(html).toContain('120 in stock');
    expect(html).toContain('Out of stock');
    expect(html).toContain('Chef&#x27;s Knife');
  });

  it('disables the button of a sold-out product and of one whose stock is all in the cart', () => {
    const cart = { 'p-003': { product: products[2], quantity: 3 } };
    const html = renderToStaticMarkup(<ProductList products={products} cart={cart} onAdd={() => {}} />);
    expect(html.match(/<button[^>]*disabled/g)).toHaveLength(2);
    expect(html).toContain('All in your cart');
  });

  it('says so when the catalogue is empty', () => {
    expect(renderToStaticMarkup(<ProductList products={[]} />)).toContain('No products');
  });
});
