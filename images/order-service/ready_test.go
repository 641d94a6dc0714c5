package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

type readyOut struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// closedPort is a loopback port with nothing listening.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestReadyWhenDependenciesAnswer(t *testing.T) {
	a := startApp(t, freshDatabase(t), freshRedis(t), "http://127.0.0.1:1", "http://127.0.0.1:1", false)
	a.waitReady(t)
	status, _, body := a.do(t, "GET", "/ready", "")
	r := decode[readyOut](t, body)
	if status != http.StatusOK || r.Status != "ready" || r.Checks["postgres"] != "ok" || r.Checks["redis"] != "ok" {
		t.Fatalf("GET /ready = %d %s", status, body)
	}
}

// With PostgreSQL unreachable /ready is 503 naming postgres, quickly, while /health stays 200.
func TestReadyFailsWhenDatabaseIsDown(t *testing.T) {
	down := "postgres://orders@" + closedPort(t) + "/orderdb?sslmode=disable"
	a := startApp(t, down, freshRedis(t), "http://127.0.0.1:1", "http://127.0.0.1:1", false)
	start := time.Now()
	status, _, body := a.do(t, "GET", "/ready", "")
	r := decode[readyOut](t, body)
	if status != http.StatusServiceUnavailable || r.Checks["postgres"] == "ok" || r.Checks["redis"] != "ok" {
		t.Fatalf("GET /ready with the database down = %d %s, want 503 naming postgres", status, body)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("/ready took %v with the database down, want about 1 s at most", took)
	}
	start = time.Now()
	if status, _, body := a.do(t, "GET", "/health", ""); status != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Fatalf("GET /health = %d %s", status, body)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("/health took %v", took)
	}
	if status, _, _ := a.do(t, "GET", "/orders?user_id=1", ""); status != http.StatusServiceUnavailable {
		t.Fatalf("GET /orders with the database down = %d, want 503", status)
	}
}

// /health takes the configured latency (the lab's probe-timeout fault relies on it) and no more.
func TestHealthTakesItsConfiguredLatency(t *testing.T) {
	a := startApp(t, freshDatabase(t), freshRedis(t), "http://127.0.0.1:1", "http://127.0.0.1:1", false)
	a.srv.healthLatency = 300 * time.Millisecond
	start := time.Now()
	status, _, _ := a.do(t, "GET", "/health", "")
	if took := time.Since(start); status != http.StatusOK || took < 300*time.Millisecond || took > time.Second {
		t.Fatalf("GET /health = %d after %v, want 200 after 300 ms", status, took)
	}
}

// With Redis down /ready is 503 naming redis, but orders are still placed and served (the cache
// is an optimisation) without the client waiting on Redis.
func TestRedisDown(t *testing.T) {
	rdb := newRedis(config{RedisAddr: closedPort(t)}) // the service's own client settings
	t.Cleanup(func() { _ = rdb.Close() })
	products := newFake(t, catalog(prices(), plenty()))
	payments := newFake(t, capturing)
	a := startApp(t, freshDatabase(t), rdb, products.URL, payments.URL, false)
	a.waitReady(t)
	status, _, body := a.do(t, "GET", "/ready", "")
	r := decode[readyOut](t, body)
	if status != http.StatusServiceUnavailable || r.Checks["redis"] == "ok" || r.Checks["postgres"] != "ok" {
		t.Fatalf("GET /ready with Redis down = %d %s, want 503 naming redis", status, body)
	}
	start := time.Now()
	status, _, body = a.do(t, "POST", "/orders", `{"user_id": 4, "items": [{"product_id": "p-001", "quantity": 1}]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /orders with Redis down = %d %s", status, body)
	}
	status, _, body = a.do(t, "GET", "/orders/"+itoa(decode[orderOut](t, body).ID), "")
	if status != http.StatusOK {
		t.Fatalf("GET /orders/{id} with Redis down = %d %s", status, body)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("POST and GET took %v with Redis refusing connections", took)
	}
}

// /metrics carries the contract's counter and histogram labelled with route templates, and
// every request writes one JSON log line with method, path, status and duration_ms.
func TestMetricsAndLogs(t *testing.T) {
	a := startApp(t, freshDatabase(t), freshRedis(t), "http://127.0.0.1:1", "http://127.0.0.1:1", false)
	a.waitReady(t)
	a.do(t, "GET", "/orders/12345", "")
	a.do(t, "GET", "/no/such/path", "")
	_, h, body := a.do(t, "GET", "/metrics", "")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics Content-Type = %q", h.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/orders/{id}",status="404"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/orders/{id}",le="0.005"}`,
		`http_request_duration_seconds_sum{method="GET",route="/orders/{id}"}`,
		`http_request_duration_seconds_count{method="GET",route="/orders/{id}"} 1`,
		`route="unmatched"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "/orders/12345") || strings.Contains(text, "/no/such/path") {
		t.Errorf("/metrics labels a raw path")
	}

	found := false
	sc := bufio.NewScanner(strings.NewReader(a.logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		for _, k := range []string{"ts", "level", "service", "msg"} {
			if _, ok := line[k]; !ok {
				t.Fatalf("log line without %q: %s", k, sc.Text())
			}
		}
		if _, err := time.Parse(time.RFC3339, line["ts"].(string)); err != nil {
			t.Fatalf("ts is not RFC3339: %v", line["ts"])
		}
		if line["msg"] == "request" && line["path"] == "/orders/12345" {
			found = line["method"] == "GET" && line["status"] == float64(404) && line["service"] == "order-service"
			_, hasDuration := line["duration_ms"].(float64)
			found = found && hasDuration
		}
	}
	if !found {
		t.Fatalf("no request log line for GET /orders/12345:\n%s", a.logs.String())
	}
}
