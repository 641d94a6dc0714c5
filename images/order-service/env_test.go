package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// The integration tests run against a real PostgreSQL and Redis that test.sh starts on loopback
// and names in these variables. Each test gets a database and a Redis logical database of its own.
const (
	envDatabaseURL = "ORDER_TEST_DATABASE_URL"
	envRedisAddr   = "ORDER_TEST_REDIS_ADDR"
)

var testDBCounter, redisDBCounter atomic.Int32

func requireEnv(t *testing.T) (dbURL, redisAddr string) {
	t.Helper()
	dbURL, redisAddr = os.Getenv(envDatabaseURL), os.Getenv(envRedisAddr)
	if dbURL == "" || redisAddr == "" {
		t.Fatalf("%s and %s must name a PostgreSQL and a Redis: run ./test.sh", envDatabaseURL, envRedisAddr)
	}
	return dbURL, redisAddr
}

// freshDatabase creates an empty database for one test and returns its URL.
func freshDatabase(t *testing.T) string {
	t.Helper()
	adminURL, _ := requireEnv(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	n := testDBCounter.Add(1)
	name := fmt.Sprintf("orders_test_%d_%d", os.Getpid(), n)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func freshRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	_, addr := requireEnv(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: int(redisDBCounter.Add(1)) % 16})
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// fakeUpstream is a stand-in for product-service and payment-service: it records each call
// and answers with whatever the test's handler says.
type fakeUpstream struct {
	*httptest.Server
	mu    sync.Mutex
	calls []fakeCall
}

type fakeCall struct {
	Method, Path string
	Body         map[string]any
}

func newFake(t *testing.T, answer func(path string, body map[string]any) (int, any)) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		f.mu.Lock()
		f.calls = append(f.calls, fakeCall{r.Method, r.URL.Path, body})
		f.mu.Unlock()
		status, out := answer(r.URL.Path, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeUpstream) Calls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

// catalog answers POST /products/{id}/reserve like product-service: the price, or 409 when
// the product's stock is short, or 404 for an unknown product.
func catalog(prices map[string]float64, stock map[string]int) func(string, map[string]any) (int, any) {
	var mu sync.Mutex
	return func(path string, body map[string]any) (int, any) {
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/products/"), "/reserve")
		price, ok := prices[id]
		if !ok {
			return http.StatusNotFound, map[string]string{"detail": "not found"}
		}
		qty := int(body["quantity"].(float64))
		mu.Lock()
		defer mu.Unlock()
		if stock[id] < qty {
			return http.StatusConflict, map[string]string{"detail": "insufficient stock"}
		}
		stock[id] -= qty
		return http.StatusOK, map[string]any{"id": id, "price": price, "reserved": qty}
	}
}

func capturing(path string, body map[string]any) (int, any) {
	return http.StatusCreated, map[string]any{"payment_id": fmt.Sprintf("pay-%v", body["order_id"]), "status": "captured"}
}

// app is the real service (routes, store, cache) on a real HTTP listener.
type app struct {
	*httptest.Server
	srv  *server
	pool *pgxpool.Pool
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startApp(t *testing.T, dbURL string, rdb redis.UniversalClient, products, payments string, seed bool) *app {
	t.Helper()
	pool, err := newPool(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	logs := &syncBuffer{}
	log := newLogger(logs, slog.LevelDebug)
	s := newServer(&Store{pool: pool}, &Cache{rdb: rdb}, newUpstream("product-service", products),
		newUpstream("payment-service", payments), log)
	s.seedDemo = seed
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s.migrate(ctx, 100*time.Millisecond)
	a := &app{Server: httptest.NewServer(s.routes()), srv: s, pool: pool, logs: logs}
	t.Cleanup(a.Close)
	return a
}

// waitReady waits until the migrations ran (and the schema gate of /orders opened).
func (a *app) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !a.srv.schemaReady.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("schema not ready; log:\n%s", a.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *app) do(t *testing.T, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func (a *app) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// orderOut is the JSON of an order as clients read it.
type orderOut struct {
	ID        int64   `json:"id"`
	UserID    any     `json:"user_id"`
	Status    string  `json:"status"`
	Total     float64 `json:"total"`
	PaymentID *string `json:"payment_id"`
	Items     []struct {
		ProductID string  `json:"product_id"`
		Quantity  int     `json:"quantity"`
		Price     float64 `json:"price"`
	} `json:"items"`
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", data, err)
	}
	return v
}
