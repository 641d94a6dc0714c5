package main

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds each dependency check of /ready (they run in parallel).
const readyTimeout = time.Second

type server struct {
	store    *Store
	cache    *Cache
	products *upstream
	payments *upstream
	log      *slog.Logger
	seedDemo bool // SEED_DEMO_DATA: insert the demo order history after migrating
	// healthLatency makes /health as slow as a deep liveness check on a loaded node: the lab's
	// deployment scenario needs an endpoint that a 1-second probe timeout really fails.
	healthLatency time.Duration
	schemaReady   atomic.Bool

	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	orders   *prometheus.CounterVec
}

func newServer(store *Store, cache *Cache, products, payments *upstream, log *slog.Logger) *server {
	s := &server{store: store, cache: cache, products: products, payments: payments, log: log,
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request duration by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orders_created_total", Help: "Orders written, by final status (paid, payment_failed).",
		}, []string{"status"}),
	}
	s.reg.MustRegister(s.requests, s.duration, s.orders,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

func (s *server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode) // no debug banner: every line on stdout must be JSON
	r := gin.New()
	r.Use(s.observe, s.recoverPanic)
	r.GET("/health", s.health)
	r.GET("/ready", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	orders := r.Group("/orders", s.requireSchema)
	orders.POST("", s.createOrder)
	orders.GET("", s.listOrders)
	orders.GET("/:id", s.getOrder)
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "not found"}) })
	return r
}

// routeTemplate turns Gin's "/orders/:id" into the platform's "/orders/{id}" so every service's
// metrics use the same route syntax. Unmatched paths share one label to bound cardinality.
func routeTemplate(fullPath string) string {
	if fullPath == "" {
		return "unmatched"
	}
	parts := strings.Split(fullPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

var probeRoutes = map[string]bool{"/health": true, "/ready": true, "/metrics": true}

// observe counts and times every request and writes its log line. Probe and scrape requests
// log at debug level so that kubelet and Prometheus do not drown the order log.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route, status := routeTemplate(c.FullPath()), c.Writer.Status()
	s.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
	s.duration.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())

	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	} else if probeRoutes[route] {
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.String("route", route), slog.Int("status", status),
		slog.Float64("duration_ms", math.Round(float64(elapsed.Microseconds()))/1000),
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("error", strings.Join(c.Errors.Errors(), "; ")))
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// recoverPanic answers a panicking handler with a JSON 500 instead of dropping the connection.
func (s *server) recoverPanic(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "panic", v)
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
		}
	}()
	c.Next()
}

// fail answers with {"error": msg}; err (if any) goes to the request's log line, not to the client.
func fail(c *gin.Context, status int, msg string, err error) {
	if err != nil {
		_ = c.Error(err)
	}
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

func (s *server) requireSchema(c *gin.Context) {
	if !s.schemaReady.Load() {
		fail(c, http.StatusServiceUnavailable, "database not ready", nil)
	}
}

// ready reports 200 only when PostgreSQL (with the schema in place) and Redis both answer.
func (s *server) health(c *gin.Context) {
	select {
	case <-time.After(s.healthLatency):
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	case <-c.Request.Context().Done():
	}
}

func (s *server) ready(c *gin.Context) {
	checks := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	check := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			defer cancel()
			result := "ok"
			if err := f(ctx); err != nil {
				result = "error: " + err.Error()
			}
			mu.Lock()
			checks[name] = result
			mu.Unlock()
		})
	}
	check("postgres", func(ctx context.Context) error {
		if err := s.store.pool.Ping(ctx); err != nil {
			return err
		}
		if !s.schemaReady.Load() {
			return errors.New("schema not migrated yet")
		}
		return nil
	})
	check("redis", s.cache.Ping)
	wg.Wait()
	for _, result := range checks {
		if result != "ok" {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "checks": checks})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

// migrate applies the schema (and the demo orders when asked), retrying until the database
// answers; /ready and /orders wait for it.
func (s *server) migrate(ctx context.Context, retry time.Duration) {
	for {
		attempt, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s.store.Migrate(attempt)
		if err == nil && s.seedDemo {
			var added int
			if added, err = s.store.SeedDemo(attempt); err == nil {
				s.log.Info("demo orders seeded", "added", added, "demo_orders", len(demoOrders))
			}
		}
		cancel()
		if err == nil {
			s.schemaReady.Store(true)
			s.log.Info("database schema ready")
			return
		}
		s.log.Warn("database migration failed, retrying", "error", err.Error(), "retry_in_s", retry.Seconds())
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}
