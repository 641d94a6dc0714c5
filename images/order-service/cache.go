package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	orderCacheTTL  = 60 * time.Second
	idempotencyTTL = 24 * time.Hour
	// idemPending marks a key whose first request is still running.
	idemPending = "pending"
)

// Cache holds two things in Redis: rendered GET /orders/{id} answers, and Idempotency-Key
// claims of POST /orders so a retried request does not reserve and charge twice.
type Cache struct {
	rdb redis.UniversalClient
}

func newRedis(cfg config) redis.UniversalClient {
	// Short timeouts, one retry and one dial per attempt (go-redis would otherwise dial 5 times,
	// 100 ms apart): a Redis that refuses connections costs a request milliseconds, a silent one
	// about a second.
	if cfg.RedisCluster {
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: []string{cfg.RedisAddr}, Password: cfg.RedisPassword, MaxRetries: 1, DialerRetries: 1,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		})
	}
	return redis.NewClient(&redis.Options{
		Addr: cfg.RedisAddr, Password: cfg.RedisPassword, MaxRetries: 1, DialerRetries: 1,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
	})
}

func orderKey(id int64) string { return "order-service:order:" + strconv.FormatInt(id, 10) }

// Idempotency keys are scoped to the user so two users can never collide.
func idemKey(userID UserID, key string) string {
	return "order-service:idempotency:" + userID.String() + ":" + key
}

// GetOrder returns the cached JSON of an order; found is false on a miss.
func (c *Cache) GetOrder(ctx context.Context, id int64) (data []byte, found bool, err error) {
	data, err = c.rdb.Get(ctx, orderKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return data, err == nil, err
}

func (c *Cache) PutOrder(ctx context.Context, id int64, data []byte) error {
	return c.rdb.Set(ctx, orderKey(id), data, orderCacheTTL).Err()
}

// Claim tries to take the idempotency key for a new request. When the key is already taken it
// returns the order id stored under it, or 0 while the first request is still running.
func (c *Cache) Claim(ctx context.Context, userID UserID, key string) (claimed bool, orderID int64, err error) {
	k := idemKey(userID, key)
	claimed, err = c.rdb.SetNX(ctx, k, idemPending, idempotencyTTL).Result()
	if err != nil || claimed {
		return claimed, 0, err
	}
	v, err := c.rdb.Get(ctx, k).Result()
	if errors.Is(err, redis.Nil) { // expired or released in between: the caller may simply retry
		return false, 0, nil
	}
	if err != nil || v == idemPending {
		return false, 0, err
	}
	orderID, err = strconv.ParseInt(v, 10, 64)
	return false, orderID, err
}

// Complete stores the order that answers the key from now on.
func (c *Cache) Complete(ctx context.Context, userID UserID, key string, orderID int64) error {
	return c.rdb.Set(ctx, idemKey(userID, key), strconv.FormatInt(orderID, 10), idempotencyTTL).Err()
}

// Release frees the key of a request that created no order, so the client can retry it.
func (c *Cache) Release(ctx context.Context, userID UserID, key string) error {
	return c.rdb.Del(ctx, idemKey(userID, key)).Err()
}

func (c *Cache) Ping(ctx context.Context) error { return c.rdb.Ping(ctx).Err() }
