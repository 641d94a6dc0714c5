import { cartLines, cartTotal } from '../cart.js';
import { formatPrice } from '../format.js';

export default function Cart({ cart, onQuantity, onPlace, placing, signedIn }) {
  const lines = cartLines(cart);
  return (
    <section className="panel cart" aria-label="Cart">
      <h2>Cart</h2>
      {lines.length === 0 ? (
        <p className="muted">Your cart is empty.</p>
      ) : (
        <>
          <ul className="cart-lines">
            {lines.map(({ product, quantity }) => (
              <li key={product.id} data-testid="cart-line">
                <span className="cart-name">{product.name}</span>
                <span className="qty">
                  <button type="button" aria-label={`One ${product.name} less`} onClick={() => onQuantity(product.id, quantity - 1)}>
                    −
                  </button>
                  <span>{quantity}</span>
                  <button
                    type="button"
                    aria-label={`One ${product.name} more`}
                    disabled={quantity >= product.stock}
                    onClick={() => onQuantity(product.id, quantity + 1)}
                  >
                    +
                  </button>
                </span>
                <span className="cart-price">{formatPrice(product.price * quantity)}</span>
              </li>
            ))}
          </ul>
          <p className="cart-total">
            <span>Total</span>
            <strong>{formatPrice(cartTotal(cart))}</strong>
          </p>
        </>
      )}
      <button type="button" className="primary" disabled={!signedIn || lines.length === 0 || placing} onClick={onPlace}>
        {placing ? 'Placing order…' : 'Place order'}
      </button>
      {!signedIn && lines.length > 0 ? <p className="muted small">Sign in to place your order.</p> : null}
    </section>
  );
}
