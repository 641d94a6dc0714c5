import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, idempotencyKey } from './api.js';
import { addToCart, cartCount, orderItems, refreshCart, setQuantity } from './cart.js';
import { formatPrice } from './format.js';
import ProductList from './components/ProductList.jsx';
import SignIn from './components/SignIn.jsx';
import Cart from './components/Cart.jsx';
import Orders from './components/Orders.jsx';

const SESSION_KEY = 'cloudmart.session';

function savedSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

const asList = (data, key) => (Array.isArray(data) ? data : Array.isArray(data?.[key]) ? data[key] : []);

export default function App() {
  const [products, setProducts] = useState([]);
  const [catalogue, setCatalogue] = useState({ loading: true, error: '' });
  const [session, setSession] = useState(savedSession);
  const [cart, setCart] = useState({});
  const [orders, setOrders] = useState([]);
  const [ordersError, setOrdersError] = useState('');
  const [placing, setPlacing] = useState(false);
  const [notice, setNotice] = useState(null);
  // One key per order attempt, kept across retries of the same cart so a retry cannot buy twice.
  const orderKey = useRef(null);

  const loadProducts = useCallback(async () => {
    try {
      const list = asList(await api.products(), 'products');
      setProducts(list);
      setCart((c) => refreshCart(c, list));
      setCatalogue({ loading: false, error: '' });
    } catch (err) {
      setCatalogue({ loading: false, error: err.message });
    }
  }, []);

  const loadOrders = useCallback(async () => {
    if (!session) return;
    try {
      const list = asList(await api.orders(session.userId), 'orders');
      setOrders([...list].sort((a, b) => (b.id ?? 0) - (a.id ?? 0)));
      setOrdersError('');
    } catch (err) {
      setOrdersError(err.message);
    }
  }, [session]);

  useEffect(() => {
    loadProducts();
  }, [loadProducts]);
  useEffect(() => {
    loadOrders();
  }, [loadOrders]);

  const changeCart = (next) => {
    orderKey.current = null;
    setCart(next);
  };

  function signIn(s) {
    localStorage.setItem(SESSION_KEY, JSON.stringify(s));
    setSession(s);
    setNotice({ kind: 'ok', text: `Welcome, ${s.name}.` });
  }

  function signOut() {
    localStorage.removeItem(SESSION_KEY);
    setSession(null);
    setOrders([]);
    setNotice(null);
  }

  async function placeOrder() {
    setPlacing(true);
    setNotice(null);
    orderKey.current ??= idempotencyKey();
    try {
      const order = await api.placeOrder(session.userId, orderItems(cart), orderKey.current);
      orderKey.current = null;
      setCart({});
      setNotice(
        order.status === 'paid'
          ? { kind: 'ok', text: `Thank you! Order #${order.id} is paid: ${formatPrice(order.total)}.` }
          : { kind: 'error', text: `Order #${order.id} was placed but its payment failed (${order.status}).` },
      );
    } catch (err) {
      setNotice({ kind: 'error', text: `The order could not be placed: ${err.message}` });
    } finally {
      setPlacing(false);
      loadProducts();
      loadOrders();
    }
  }

  const productNames = useMemo(() => new Map(products.map((p) => [p.id, p.name])), [products]);
  const count = cartCount(cart);

  return (
    <div className="page">
      <header className="top">
        <a className="brand" href="/">
          Cloud<span>Mart</span>
        </a>
        <nav className="account">
          <span className="cart-count" aria-label="Items in cart">
            Cart: {count}
          </span>
          {session ? (
            <>
              <span className="who">Signed in as {session.name}</span>
              <button type="button" className="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : null}
        </nav>
      </header>

      {notice ? (
        <p className={`notice notice-${notice.kind}`} role="status">
          {notice.text}
        </p>
      ) : null}

      <main className="layout">
        <section className="catalogue" aria-label="Products">
          <div className="panel-head">
            <h1>Products</h1>
            <button type="button" className="link" onClick={loadProducts}>
              Refresh
            </button>
          </div>
          {catalogue.loading ? <p className="muted">Loading products…</p> : null}
          {catalogue.error ? (
            <p className="error" role="alert">
              The products could not be loaded: {catalogue.error}
            </p>
          ) : null}
          {!catalogue.loading && !catalogue.error ? (
            <ProductList products={products} cart={cart} onAdd={(p) => changeCart(addToCart(cart, p))} />
          ) : null}
        </section>

        <aside className="side">
          {session ? null : <SignIn onSignedIn={signIn} />}
          <Cart
            cart={cart}
            signedIn={Boolean(session)}
            placing={placing}
            onQuantity={(id, q) => changeCart(setQuantity(cart, id, q))}
            onPlace={placeOrder}
          />
        </aside>
      </main>

      {session ? <Orders orders={orders} productNames={productNames} error={ordersError} onReload={loadOrders} /> : null}

      <footer className="foot">CloudMart · a Kubernetes break/fix lab</footer>
    </div>
  );
}
