// order-service: places CloudMart orders (reserve stock at product-service, save the order in
// PostgreSQL, charge it at payment-service) and serves them back, cached in Redis.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// shutdownGrace stays below the platform's 10 s between SIGTERM and SIGKILL.
const shutdownGrace = 8 * time.Second

func main() {
	started := time.Now()
	cfg, err := loadConfig(os.Getenv)
	log := newLogger(os.Stdout, cfg.LogLevel)
	if err == nil {
		err = run(cfg, log, started)
	}
	if err != nil {
		log.Error("order-service stopped", "error", err.Error())
		os.Exit(1)
	}
}

// newLogger writes one JSON object per line: {"ts","level","msg","service",...}.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) > 0 {
			return a
		}
		switch a.Key {
		case slog.TimeKey:
			return slog.String("ts", a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		case slog.LevelKey:
			return slog.String("level", strings.ToLower(a.Value.String()))
		}
		return a
	}})
	return slog.New(h).With("service", "order-service")
}

// redisLog sends go-redis's own messages (pool and dial trouble) through the JSON log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "redis")
}

func run(cfg config, log *slog.Logger, started time.Time) error {
	slog.SetDefault(log)
	redis.SetLogger(redisLog{log})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	pool, err := newPool(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	rdb := newRedis(cfg)
	defer rdb.Close()

	s := newServer(&Store{pool: pool}, &Cache{rdb: rdb},
		newUpstream("product-service", cfg.ProductURL), newUpstream("payment-service", cfg.PaymentURL), log)
	s.seedDemo = cfg.SeedDemoData
	s.healthLatency = cfg.HealthLatency
	go s.migrate(ctx, 3*time.Second)

	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 90 * time.Second}
	ln, err := net.Listen("tcp", ":"+cfg.Port)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "startup_ms", time.Since(started).Milliseconds(),
		"redis", cfg.RedisAddr, "seed_demo_data", cfg.SeedDemoData, "product_service", cfg.ProductURL, "payment_service", cfg.PaymentURL)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
