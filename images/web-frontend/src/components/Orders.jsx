import { formatDate, formatPrice } from '../format.js';

const STATUS = { paid: 'Paid', payment_failed: 'Payment failed', pending: 'Pending' };

export default function Orders({ orders, productNames, error, onReload }) {
  return (
    <section className="panel orders" aria-label="Your orders">
      <div className="panel-head">
        <h2>Your orders</h2>
        <button type="button" className="link" onClick={onReload}>
          Refresh
        </button>
      </div>
      {error ? <p className="error" role="alert">{error}</p> : null}
      {!error && orders.length === 0 ? <p className="muted">No orders yet.</p> : null}
      {orders.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Order</th>
              <th>Placed</th>
              <th>Items</th>
              <th>Status</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-testid="order">
                <td>#{o.id}</td>
                <td>{formatDate(o.created_at)}</td>
                <td>{(o.items || []).map((i) => `${i.quantity} × ${productNames.get(i.product_id) || i.product_id}`).join(', ')}</td>
                <td>
                  <span className={`status status-${o.status}`}>{STATUS[o.status] || o.status}</span>
                </td>
                <td className="num">{formatPrice(o.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
