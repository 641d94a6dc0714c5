import { formatPrice } from '../format.js';

// The catalogue: one card per product (data-testid="product", which the lab's browser test looks for).
export default function ProductList({ products, cart = {}, onAdd }) {
  if (products.length === 0) return <p className="muted">No products in the catalogue yet.</p>;
  return (
    <ul className="products">
      {products.map((p) => {
        const inCart = cart[p.id]?.quantity ?? 0;
        const soldOut = !(p.stock > 0);
        const allInCart = !soldOut && inCart >= p.stock;
        return (
          <li key={p.id} className="product" data-testid="product" data-product-id={p.id}>
            {p.category ? <span className="category">{p.category}</span> : null}
            <h3 className="product-name">{p.name}</h3>
            {p.description ? <p className="description">{p.description}</p> : null}
            <div className="product-foot">
              <span className="price">{formatPrice(p.price)}</span>
              <span className={soldOut ? 'stock stock-out' : p.stock < 10 ? 'stock stock-low' : 'stock'}>
                {soldOut ? 'Out of stock' : `${p.stock} in stock`}
              </span>
            </div>
            <button type="button" disabled={soldOut || allInCart} onClick={() => onAdd(p)}>
              {soldOut ? 'Sold out' : allInCart ? 'All in your cart' : 'Add to cart'}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
