package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func prices() map[string]float64 {
	return map[string]float64{"p-001": 19.99, "p-002": 5.5, "p-003": 0.1}
}

func plenty() map[string]int { return map[string]int{"p-001": 100, "p-002": 100, "p-003": 100} }

// A purchase reserves each item at product-service with its price, writes the order and its
// items, charges the total at payment-service and answers 201 with the paid order.
func TestPurchaseIsPaidAndStored(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)

	status, _, body := a.do(t, "POST", "/orders",
		`{"user_id": 7, "items": [{"product_id": "p-001", "quantity": 2}, {"product_id": "p-003", "quantity": 3}]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /orders = %d %s", status, body)
	}
	o := decode[orderOut](t, body)
	if o.ID < 1 || o.UserID != float64(7) || o.Status != "paid" || o.Total != 40.28 {
		t.Fatalf("order = %+v, want user 7, paid, total 40.28 (2*19.99 + 3*0.10)", o)
	}
	if o.PaymentID == nil || *o.PaymentID == "" || len(o.Items) != 2 || o.Items[0].Price != 19.99 || o.Items[1].ProductID != "p-003" {
		t.Fatalf("order = %s", body)
	}

	reserves := products.Calls()
	if len(reserves) != 2 || reserves[0].Path != "/products/p-001/reserve" || reserves[0].Body["quantity"] != float64(2) {
		t.Fatalf("reservations = %+v", reserves)
	}
	charges := payments.Calls()
	if len(charges) != 1 || charges[0].Path != "/payments" {
		t.Fatalf("payments = %+v", charges)
	}
	if c := charges[0].Body; c["order_id"] != float64(o.ID) || c["user_id"] != float64(7) || c["amount"] != 40.28 {
		t.Fatalf("charge body = %v", c)
	}

	if n := a.count(t, `SELECT count(*) FROM orders WHERE id = $1 AND user_id = 7 AND status = 'paid'
		AND total = 40.28 AND payment_id = $2`, o.ID, *o.PaymentID); n != 1 {
		t.Fatalf("paid order row missing")
	}
	if n := a.count(t, `SELECT count(*) FROM order_items WHERE order_id = $1`, o.ID); n != 2 {
		t.Fatalf("order_items rows = %d, want 2", n)
	}
	if !strings.Contains(a.logs.String(), `"msg":"order placed"`) {
		t.Fatalf("no 'order placed' log line:\n%s", a.logs.String())
	}
}

// The order and its items are written in one transaction: when writing an item fails, the
// order row is rolled back with it and payment-service is never asked.
func TestOrderAndItemsAreOneTransaction(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)
	// A trigger makes the insert of the second line fail after the order row was written.
	if _, err := a.pool.Exec(context.Background(), `
		CREATE FUNCTION refuse_p002() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.product_id = 'p-002' THEN RAISE EXCEPTION 'p-002 refused by the test'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_p002 BEFORE INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION refuse_p002();`); err != nil {
		t.Fatal(err)
	}

	status, _, body := a.do(t, "POST", "/orders",
		`{"user_id": 1, "items": [{"product_id": "p-001", "quantity": 1}, {"product_id": "p-002", "quantity": 1}]}`)
	if status != http.StatusInternalServerError {
		t.Fatalf("POST /orders = %d %s, want 500", status, body)
	}
	if n := a.count(t, `SELECT count(*) FROM orders`); n != 0 {
		t.Fatalf("orders rows = %d after a failed item insert, want 0 (no transaction?)", n)
	}
	if n := a.count(t, `SELECT count(*) FROM order_items`); n != 0 {
		t.Fatalf("order_items rows = %d, want 0", n)
	}
	if len(payments.Calls()) != 0 {
		t.Fatalf("payment-service was charged for an order that was not saved")
	}
}

// A refused payment leaves the order saved with status payment_failed; the answer is still 201.
func TestPaymentFailureMarksOrder(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, func(string, map[string]any) (int, any) {
		return http.StatusServiceUnavailable, map[string]string{"error": "broker down"}
	})
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)

	status, _, body := a.do(t, "POST", "/orders", `{"user_id": "3", "items": [{"product_id": "p-002", "quantity": 4}]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /orders = %d %s", status, body)
	}
	o := decode[orderOut](t, body)
	if o.Status != "payment_failed" || !strings.Contains(string(body), `"payment_id":null`) || o.Total != 22 || o.UserID != float64(3) {
		t.Fatalf("order = %s, want payment_failed without payment_id, total 22", body)
	}
	if n := a.count(t, `SELECT count(*) FROM orders WHERE id = $1 AND status = 'payment_failed' AND payment_id IS NULL`, o.ID); n != 1 {
		t.Fatalf("order row not marked payment_failed")
	}
	if n := a.count(t, `SELECT count(*) FROM order_items WHERE order_id = $1`, o.ID); n != 1 {
		t.Fatalf("order_items rows = %d, want 1", n)
	}
	// An unreachable payment-service is a failed payment too.
	payments.Close()
	status, _, body = a.do(t, "POST", "/orders", `{"user_id": 3, "items": [{"product_id": "p-001", "quantity": 1}]}`)
	if o := decode[orderOut](t, body); status != http.StatusCreated || o.Status != "payment_failed" {
		t.Fatalf("with payment-service down: %d %s", status, body)
	}
}

// Short stock (409 from product-service) refuses the order with 409 and writes nothing.
func TestReservationConflictWritesNothing(t *testing.T) {
	products := newFake(t, catalog(prices(), map[string]int{"p-001": 10, "p-002": 1}))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)

	status, _, body := a.do(t, "POST", "/orders",
		`{"user_id": 2, "items": [{"product_id": "p-001", "quantity": 1}, {"product_id": "p-002", "quantity": 5}]}`)
	if status != http.StatusConflict || !strings.Contains(string(body), "p-002") {
		t.Fatalf("POST /orders = %d %s, want 409 naming p-002", status, body)
	}
	if n := a.count(t, `SELECT count(*) FROM orders`) + a.count(t, `SELECT count(*) FROM order_items`); n != 0 {
		t.Fatalf("%d rows written for a refused order, want 0", n)
	}
	if len(payments.Calls()) != 0 {
		t.Fatalf("payment-service was charged for a refused order")
	}
	// An unknown product is a 404, also without a trace in the database.
	status, _, body = a.do(t, "POST", "/orders", `{"user_id": 2, "items": [{"product_id": "p-999", "quantity": 1}]}`)
	if status != http.StatusNotFound || a.count(t, `SELECT count(*) FROM orders`) != 0 {
		t.Fatalf("unknown product: %d %s", status, body)
	}
}

func TestRejectsBadRequests(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, products.URL, false)
	a.waitReady(t)
	for _, body := range []string{
		`{`, `{"items": [{"product_id": "p-001", "quantity": 1}]}`, `{"user_id": 1, "items": []}`,
		`{"user_id": "x", "items": [{"product_id": "p-001", "quantity": 1}]}`,
		`{"user_id": 1, "items": [{"product_id": "p-001", "quantity": 0}]}`,
	} {
		if status, _, out := a.do(t, "POST", "/orders", body); status != http.StatusBadRequest {
			t.Errorf("POST /orders %s = %d %s, want 400", body, status, out)
		}
	}
	if len(products.Calls()) != 0 {
		t.Fatalf("an invalid request reached product-service")
	}
}

// GET /orders?user_id= lists that user's orders only, newest first; GET /orders/{id} serves one
// order, from Redis the second time.
func TestGetOrdersByUserAndID(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)
	var ids []int64
	for _, user := range []string{"1", "2", "1"} {
		status, _, body := a.do(t, "POST", "/orders", `{"user_id": `+user+`, "items": [{"product_id": "p-002", "quantity": 1}]}`)
		if status != http.StatusCreated {
			t.Fatalf("POST /orders = %d %s", status, body)
		}
		ids = append(ids, decode[orderOut](t, body).ID)
	}

	status, _, body := a.do(t, "GET", "/orders?user_id=1", "")
	list := decode[[]orderOut](t, body)
	if status != http.StatusOK || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[0] {
		t.Fatalf("GET /orders?user_id=1 = %d %s, want orders %d then %d", status, body, ids[2], ids[0])
	}
	if len(list[0].Items) != 1 || list[0].Items[0].ProductID != "p-002" || list[0].UserID != float64(1) {
		t.Fatalf("listed order = %+v", list[0])
	}
	if status, _, body := a.do(t, "GET", "/orders?user_id=42", ""); status != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("user without orders: %d %s, want []", status, body)
	}
	for _, q := range []string{"/orders", "/orders?user_id=abc", "/orders?user_id=0"} {
		if status, _, _ := a.do(t, "GET", q, ""); status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", q, status)
		}
	}

	path := "/orders/" + itoa(ids[1])
	status, h, body := a.do(t, "GET", path, "")
	o := decode[orderOut](t, body)
	if status != http.StatusOK || o.ID != ids[1] || o.UserID != float64(2) || o.Status != "paid" || h.Get("X-Cache") == "" {
		t.Fatalf("GET %s = %d %s", path, status, body)
	}
	// POST cached the order already: the answer comes from Redis and equals the database's.
	if _, h2, body2 := a.do(t, "GET", path, ""); h2.Get("X-Cache") != "hit" || decode[orderOut](t, body2).Total != o.Total {
		t.Fatalf("second GET %s: X-Cache=%q %s", path, h2.Get("X-Cache"), body2)
	}
	if status, _, _ := a.do(t, "GET", "/orders/999999", ""); status != http.StatusNotFound {
		t.Fatalf("GET /orders/999999 = %d, want 404", status)
	}
	if status, _, _ := a.do(t, "GET", "/orders/abc", ""); status != http.StatusBadRequest {
		t.Fatalf("GET /orders/abc = %d, want 400", status)
	}
}

// A retried POST with the same Idempotency-Key returns the first order and charges once.
func TestIdempotencyKey(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), freshRedis(t), products.URL, payments.URL, false)
	a.waitReady(t)
	post := func() orderOut {
		req, _ := http.NewRequest("POST", a.URL+"/orders", strings.NewReader(`{"user_id": 5, "items": [{"product_id": "p-001", "quantity": 1}]}`))
		req.Header.Set("Idempotency-Key", "k-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var o orderOut
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST = %d", resp.StatusCode)
		}
		if err := jsonDecode(resp, &o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	first, second := post(), post()
	if first.ID != second.ID || len(payments.Calls()) != 1 || len(products.Calls()) != 1 {
		t.Fatalf("retry made order %d (first %d), %d charges, %d reservations", second.ID, first.ID,
			len(payments.Calls()), len(products.Calls()))
	}
}

// SEED_DEMO_DATA inserts the demo history once however often the service starts, and real
// orders get ids above it.
func TestSeedDemoDataIsIdempotent(t *testing.T) {
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	db := freshDatabase(t)
	a := startApp(t, db, freshRedis(t), products.URL, payments.URL, true)
	a.waitReady(t)
	b := startApp(t, db, freshRedis(t), products.URL, payments.URL, true) // a second start (or replica)
	b.waitReady(t)

	if n := a.count(t, `SELECT count(*) FROM orders`); n != len(demoOrders) {
		t.Fatalf("orders after two seeded starts = %d, want %d", n, len(demoOrders))
	}
	if n := a.count(t, `SELECT count(*) FROM orders WHERE user_id BETWEEN 1 AND 3`); n != len(demoOrders) {
		t.Fatalf("demo orders are not all for users 1..3")
	}
	if n := a.count(t, `SELECT count(*) FROM order_items WHERE product_id NOT IN ('p-001', 'p-002', 'p-003')`); n != 0 {
		t.Fatalf("demo items name other products than p-001..p-003")
	}
	if n := a.count(t, `SELECT count(*) FROM orders o WHERE total <> (SELECT sum(quantity * price) FROM order_items i WHERE i.order_id = o.id)`); n != 0 {
		t.Fatalf("%d demo orders whose total differs from their items", n)
	}
	status, _, body := a.do(t, "GET", "/orders?user_id=1", "")
	if list := decode[[]orderOut](t, body); status != http.StatusOK || len(list) != 2 || list[0].ID != 2 || len(list[1].Items) != 2 {
		t.Fatalf("GET /orders?user_id=1 = %d %s", status, body)
	}
	status, _, body = a.do(t, "POST", "/orders", `{"user_id": 1, "items": [{"product_id": "p-001", "quantity": 1}]}`)
	if o := decode[orderOut](t, body); status != http.StatusCreated || o.ID != 1001 {
		t.Fatalf("first real order after the seed: %d %s, want id 1001", status, body)
	}
}
