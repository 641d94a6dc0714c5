package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var errNotFound = errors.New("order not found")

// Item is one order line; PriceCents is the unit price product-service quoted at reservation.
type Item struct {
	ProductID  ID
	Quantity   int
	PriceCents int64
}

type Order struct {
	ID         int64
	UserID     UserID
	Status     string
	TotalCents int64
	PaymentID  ID
	CreatedAt  time.Time
	Items      []Item
}

// Store keeps orders in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

func newPool(databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// A dead or unreachable database must fail a request or a probe quickly, not hang it.
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	cfg.MaxConns = 10
	// Connections are made lazily, so the service starts (and /health answers) without a database.
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// Migrate applies the embedded migrations not yet recorded in schema_migrations. The advisory
// lock lets several replicas start at once without racing on the same DDL.
func (s *Store) Migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('order-service migrations'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		for _, name := range names {
			tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue // applied earlier
			}
			sql, err := migrationFiles.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
}

// CreateOrder writes the order (status pending) and all its items in one transaction: either
// everything is committed or nothing is.
func (s *Store) CreateOrder(ctx context.Context, userID UserID, items []Item) (Order, error) {
	o := Order{UserID: userID, Status: "pending", Items: items}
	for _, it := range items {
		o.TotalCents += it.PriceCents * int64(it.Quantity)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO orders (user_id, status, total)
			VALUES ($1, 'pending', $2::bigint / 100.0) RETURNING id, created_at`,
			int64(userID), o.TotalCents).Scan(&o.ID, &o.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		for i, it := range items {
			_, err := tx.Exec(ctx, `INSERT INTO order_items (order_id, line, product_id, quantity, price)
				VALUES ($1, $2, $3, $4, $5::bigint / 100.0)`,
				o.ID, i+1, string(it.ProductID), it.Quantity, it.PriceCents)
			if err != nil {
				return fmt.Errorf("insert item %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	return o, nil
}

// SetPayment records the outcome of the charge.
func (s *Store) SetPayment(ctx context.Context, id int64, status string, paymentID ID) error {
	tag, err := s.pool.Exec(ctx, `UPDATE orders SET status = $2, payment_id = NULLIF($3, ''), updated_at = now()
		WHERE id = $1`, id, status, string(paymentID))
	if err == nil && tag.RowsAffected() == 0 {
		err = errNotFound
	}
	return err
}

const orderColumns = `id, user_id, status, (total * 100)::bigint, coalesce(payment_id, ''), created_at`

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	var userID int64
	var paymentID string
	err := row.Scan(&o.ID, &userID, &o.Status, &o.TotalCents, &paymentID, &o.CreatedAt)
	o.UserID, o.PaymentID = UserID(userID), ID(paymentID)
	return o, err
}

func (s *Store) Get(ctx context.Context, id int64) (Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, errNotFound
	}
	if err != nil {
		return Order{}, err
	}
	orders := []Order{o}
	if err := s.loadItems(ctx, orders); err != nil {
		return Order{}, err
	}
	return orders[0], nil
}

// ListByUser returns the user's newest orders first, at most limit of them.
func (s *Store) ListByUser(ctx context.Context, userID UserID, limit int) ([]Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE user_id = $1
		ORDER BY id DESC LIMIT $2`, int64(userID), limit)
	if err != nil {
		return nil, err
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
	if err != nil {
		return nil, err
	}
	return orders, s.loadItems(ctx, orders)
}

// loadItems fills in the items of the given orders with one query.
func (s *Store) loadItems(ctx context.Context, orders []Order) error {
	if len(orders) == 0 {
		return nil
	}
	index := make(map[int64]int, len(orders))
	ids := make([]int64, len(orders))
	for i, o := range orders {
		index[o.ID], ids[i] = i, o.ID
		orders[i].Items = []Item{}
	}
	rows, err := s.pool.Query(ctx, `SELECT order_id, product_id, quantity, (price * 100)::bigint
		FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, line`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var orderID int64
		var productID string
		var it Item
		if err := rows.Scan(&orderID, &productID, &it.Quantity, &it.PriceCents); err != nil {
			return err
		}
		it.ProductID = ID(productID)
		o := &orders[index[orderID]]
		o.Items = append(o.Items, it)
	}
	return rows.Err()
}
