// The cart as plain data: { [productId]: { product, quantity } }, changed by pure functions only.

export function addToCart(cart, product, quantity = 1) {
  const current = cart[product.id]?.quantity ?? 0;
  const next = Math.min(current + quantity, product.stock ?? Infinity);
  if (next <= current) return cart;
  return { ...cart, [product.id]: { product, quantity: next } };
}

export function setQuantity(cart, productId, quantity) {
  const line = cart[productId];
  if (!line) return cart;
  if (quantity <= 0) {
    const { [productId]: _removed, ...rest } = cart;
    return rest;
  }
  return { ...cart, [productId]: { ...line, quantity: Math.min(quantity, line.product.stock ?? Infinity) } };
}

// New stock figures from the catalogue: prices and limits follow, lines of vanished products go.
export function refreshCart(cart, products) {
  const byId = new Map(products.map((p) => [p.id, p]));
  const out = {};
  for (const [id, line] of Object.entries(cart)) {
    const product = byId.get(id);
    if (product && product.stock > 0) out[id] = { product, quantity: Math.min(line.quantity, product.stock) };
  }
  return out;
}

export const cartLines = (cart) => Object.values(cart);
export const cartCount = (cart) => cartLines(cart).reduce((n, l) => n + l.quantity, 0);
// Cents, so 0.1 + 0.2 is not 0.30000000000000004.
export const cartTotal = (cart) => cartLines(cart).reduce((sum, l) => sum + Math.round(l.product.price * 100) * l.quantity, 0) / 100;
export const orderItems = (cart) => cartLines(cart).map((l) => ({ product_id: l.product.id, quantity: l.quantity }));
