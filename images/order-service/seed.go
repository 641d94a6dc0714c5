package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// demoOrder is a past order of the lab's demo users (user-service ids 1..3) for the demo
// products (product-service ids p-001..p-003), so a fresh cluster has order history to show.
type demoOrder struct {
	id        int64
	userID    UserID
	status    string
	paymentID string
	daysAgo   int
	items     []Item
}

// Ids 1..999 lie below the identity's start (1001, see migrations), so they never meet real orders.
var demoOrders = []demoOrder{
	{1, 1, "paid", "demo-pay-0001", 14, []Item{{"p-001", 1, 1999}, {"p-002", 2, 4950}}},
	{2, 1, "paid", "demo-pay-0002", 9, []Item{{"p-003", 1, 525}}},
	{3, 2, "paid", "demo-pay-0003", 7, []Item{{"p-002", 1, 4950}}},
	{4, 2, "payment_failed", "", 5, []Item{{"p-001", 3, 1999}}},
	{5, 3, "paid", "demo-pay-0005", 2, []Item{{"p-003", 2, 525}, {"p-001", 1, 1999}}},
}

// SeedDemo inserts the demo orders that are missing, in one transaction. It is idempotent (fixed
// ids, ON CONFLICT DO NOTHING), so every replica may run it at every start; it returns how many
// orders it added.
func (s *Store) SeedDemo(ctx context.Context) (int, error) {
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = 0
		for _, d := range demoOrders {
			var total int64
			for _, it := range d.items {
				total += it.PriceCents * int64(it.Quantity)
			}
			tag, err := tx.Exec(ctx, `INSERT INTO orders (id, user_id, status, total, payment_id, created_at, updated_at)
				VALUES ($1, $2, $3, $4::bigint / 100.0, NULLIF($5, ''), now() - make_interval(days => $6), now() - make_interval(days => $6))
				ON CONFLICT (id) DO NOTHING`, d.id, int64(d.userID), d.status, total, d.paymentID, d.daysAgo)
			if err != nil {
				return fmt.Errorf("seed order %d: %w", d.id, err)
			}
			added += int(tag.RowsAffected())
			for i, it := range d.items {
				if _, err := tx.Exec(ctx, `INSERT INTO order_items (order_id, line, product_id, quantity, price)
					VALUES ($1, $2, $3, $4, $5::bigint / 100.0) ON CONFLICT DO NOTHING`,
					d.id, i+1, string(it.ProductID), it.Quantity, it.PriceCents); err != nil {
					return fmt.Errorf("seed order %d item %d: %w", d.id, i+1, err)
				}
			}
		}
		return nil
	})
	return added, err
}
