package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonDecode(resp *http.Response, v any) error {
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfig(t *testing.T) {
	good := map[string]string{
		"DATABASE_URL": "postgres://u:p@postgres-order:5432/orderdb", "REDIS_HOST": "redis",
		"PRODUCT_SERVICE_URL": "http://product-service:8080/", "PAYMENT_SERVICE_URL": "http://payment-service:8080",
		"SEED_DEMO_DATA": "true", "HEALTH_CHECK_LATENCY": "1500ms",
	}
	c, err := loadConfig(envOf(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != "8080" || c.RedisAddr != "redis:6379" || c.ProductURL != "http://product-service:8080" || !c.SeedDemoData ||
		c.HealthLatency != 1500*time.Millisecond {
		t.Fatalf("config = %+v", c)
	}
	_, err = loadConfig(envOf(map[string]string{"REDIS_HOST": "redis"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL, PAYMENT_SERVICE_URL, PRODUCT_SERVICE_URL") {
		t.Fatalf("missing variables: %v", err)
	}
	for k, v := range map[string]string{"SEED_DEMO_DATA": "maybe", "PRODUCT_SERVICE_URL": "product-service", "REDIS_PORT": "x", "HEALTH_CHECK_LATENCY": "1.5"} {
		bad := map[string]string{}
		for k2, v2 := range good {
			bad[k2] = v2
		}
		bad[k] = v
		if _, err := loadConfig(envOf(bad)); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: error %v, want one naming it", k, v, err)
		}
	}
}

func TestUserIDAcceptsNumbersOnly(t *testing.T) {
	for in, want := range map[string]UserID{`7`: 7, `"12"`: 12, `9007199254740993`: 9007199254740993} {
		var u UserID
		if err := json.Unmarshal([]byte(in), &u); err != nil || u != want {
			t.Errorf("%s -> %d, %v", in, u, err)
		}
	}
	for _, in := range []string{`"abc"`, `1.5`, `-3`, `0`, `true`} {
		var u UserID
		if err := json.Unmarshal([]byte(in), &u); err == nil {
			t.Errorf("%s accepted as %d", in, u)
		}
	}
	if out, _ := json.Marshal(orderJSON{UserID: 7}); !strings.Contains(string(out), `"user_id":7`) {
		t.Errorf("user_id not written as a number: %s", out)
	}
}

func TestRouteTemplate(t *testing.T) {
	for in, want := range map[string]string{"/orders/:id": "/orders/{id}", "/orders": "/orders", "": "unmatched"} {
		if got := routeTemplate(in); got != want {
			t.Errorf("routeTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}
