package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	Port          string
	DatabaseURL   string
	RedisAddr     string
	RedisPassword string
	RedisCluster  bool
	SeedDemoData  bool
	ProductURL    string
	PaymentURL    string
	LogLevel      slog.Level
	// HealthLatency is how long /health takes (HEALTH_CHECK_LATENCY, a Go duration such as 1500ms).
	HealthLatency time.Duration
}

// loadConfig reads the environment. A missing or malformed setting stops the service at start
// with one log line naming it, rather than surfacing later as failed orders.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{Port: getenv("PORT"), DatabaseURL: getenv("DATABASE_URL"), RedisPassword: getenv("REDIS_PASSWORD")}
	if c.Port == "" {
		c.Port = "8080"
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("LOG_LEVEL: %w", err)
		}
	}
	var missing []string
	for name, v := range map[string]string{"DATABASE_URL": c.DatabaseURL, "REDIS_HOST": getenv("REDIS_HOST"),
		"PRODUCT_SERVICE_URL": getenv("PRODUCT_SERVICE_URL"), "PAYMENT_SERVICE_URL": getenv("PAYMENT_SERVICE_URL")} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return c, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}

	redisPort := getenv("REDIS_PORT")
	if redisPort == "" {
		redisPort = "6379"
	}
	if _, err := strconv.ParseUint(redisPort, 10, 16); err != nil {
		return c, fmt.Errorf("REDIS_PORT %q is not a port number", redisPort)
	}
	c.RedisAddr = net.JoinHostPort(getenv("REDIS_HOST"), redisPort)
	if v := getenv("REDIS_CLUSTER"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("REDIS_CLUSTER %q is not true or false", v)
		}
		c.RedisCluster = b
	}

	if v := getenv("HEALTH_CHECK_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("HEALTH_CHECK_LATENCY %q is not a duration such as 1500ms", v)
		}
		c.HealthLatency = d
	}

	if v := getenv("SEED_DEMO_DATA"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("SEED_DEMO_DATA %q is not true or false", v)
		}
		c.SeedDemoData = b
	}

	var err error
	if c.ProductURL, err = serviceURL("PRODUCT_SERVICE_URL", getenv); err != nil {
		return c, err
	}
	if c.PaymentURL, err = serviceURL("PAYMENT_SERVICE_URL", getenv); err != nil {
		return c, err
	}
	return c, nil
}

func serviceURL(name string, getenv func(string) string) (string, error) {
	v := strings.TrimRight(getenv(name), "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s %q is not an http(s) URL", name, v)
	}
	return v, nil
}
