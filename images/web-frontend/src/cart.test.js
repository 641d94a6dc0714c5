import { describe, expect, it } from 'vitest';
import { addToCart, cartCount, cartTotal, orderItems, refreshCart, setQuantity } from './cart.js';

const cup = { id: 'p-001', name: 'Espresso Cup', price: 8.5, stock: 2 };
const pen = { id: 'p-002', name: 'Pen', price: 0.1, stock: 100 };

describe('cart', () => {
  it('adds up to the stock and no further', () => {
    let cart = addToCart({}, cup);
    cart = addToCart(cart, cup);
    expect(addToCart(cart, cup)).toBe(cart);
    expect(cartCount(cart)).toBe(2);
    expect(orderItems(cart)).toEqual([{ product_id: 'p-001', quantity: 2 }]);
  });

  it('totals in cents', () => {
    const cart = setQuantity(addToCart({}, pen), 'p-002', 3);
    expect(cartTotal(cart)).toBe(0.3);
  });

  it('drops a line at zero and follows new stock figures', () => {
    const cart = addToCart(addToCart({}, cup), pen);
    expect(Object.keys(setQuantity(cart, 'p-001', 0))).toEqual(['p-002']);
    const refreshed = refreshCart(cart, [{ ...cup, stock: 0 }, { ...pen, price: 0.2 }]);
    expect(Object.keys(refreshed)).toEqual(['p-002']);
    expect(refreshed['p-002'].product.price).toBe(0.2);
  });
});
