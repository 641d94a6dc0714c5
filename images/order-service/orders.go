package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	maxBodyBytes   = 1 << 20
	maxKeyLength   = 200
	listLimit      = 100
	placeOrderTime = 15 * time.Second // save + charge + mark, after the stock is reserved
)

type apiError struct {
	status int
	msg    string
	err    error
}

func (s *server) createOrder(c *gin.Context) {
	var req createOrderRequest
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes)
	if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil {
		fail(c, http.StatusBadRequest, "invalid JSON body: "+err.Error(), nil)
		return
	}
	if err := req.validate(); err != nil {
		fail(c, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx := c.Request.Context()

	// Idempotency-Key: a client retrying after a timeout gets the first order back instead of
	// reserving stock and paying a second time. Without Redis the request goes on unprotected.
	key := c.GetHeader("Idempotency-Key")
	if len(key) > maxKeyLength {
		fail(c, http.StatusBadRequest, fmt.Sprintf("Idempotency-Key longer than %d characters", maxKeyLength), nil)
		return
	}
	if key != "" {
		claimed, orderID, err := s.cache.Claim(ctx, req.UserID, key)
		switch {
		case err != nil:
			s.log.Warn("idempotency key not checked: redis unavailable", "error", err.Error())
			key = ""
		case !claimed && orderID == 0:
			fail(c, http.StatusConflict, "a request with this Idempotency-Key is still in progress", nil)
			return
		case !claimed:
			o, err := s.store.Get(ctx, orderID)
			if err != nil {
				fail(c, http.StatusInternalServerError, "could not load the order of this Idempotency-Key", err)
				return
			}
			c.Header("Idempotent-Replayed", "true")
			c.JSON(http.StatusCreated, o.JSON())
			return
		}
	}

	o, apiErr := s.placeOrder(ctx, req)
	if key != "" {
		bg := context.WithoutCancel(ctx)
		var err error
		if apiErr == nil {
			err = s.cache.Complete(bg, req.UserID, key, o.ID)
		} else {
			err = s.cache.Release(bg, req.UserID, key)
		}
		if err != nil {
			s.log.Warn("idempotency key not updated", "error", err.Error())
		}
	}
	if apiErr != nil {
		fail(c, apiErr.status, apiErr.msg, apiErr.err)
		return
	}
	c.JSON(http.StatusCreated, o.JSON())
}

// placeOrder reserves every item, saves the order with its items in one transaction, charges
// the total and records the outcome. product-service has no call to release a reservation, so
// when a later step fails the units reserved before stay taken; the log line says how many.
func (s *server) placeOrder(ctx context.Context, req createOrderRequest) (Order, *apiError) {
	items := make([]Item, 0, len(req.Items))
	for _, it := range req.Items {
		r, err := s.products.Reserve(ctx, it.ProductID, it.Quantity)
		if err != nil {
			if len(items) > 0 {
				s.log.Warn("order abandoned after reservations", "user_id", int64(req.UserID), "reserved_items", len(items))
			}
			switch {
			case errors.Is(err, errOutOfStock):
				return Order{}, &apiError{http.StatusConflict, fmt.Sprintf("insufficient stock for product %s", it.ProductID), err}
			case errors.Is(err, errProductNotFound):
				return Order{}, &apiError{http.StatusNotFound, fmt.Sprintf("product %s not found", it.ProductID), err}
			default:
				return Order{}, &apiError{http.StatusBadGateway, "product-service unavailable", err}
			}
		}
		items = append(items, Item{ProductID: it.ProductID, Quantity: it.Quantity, PriceCents: toCents(r.Price)})
	}

	// The stock is taken now: finish the order even if the client hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), placeOrderTime)
	defer cancel()
	o, err := s.store.CreateOrder(ctx, req.UserID, items)
	if err != nil {
		s.log.Warn("order abandoned after reservations", "user_id", int64(req.UserID), "reserved_items", len(items))
		return Order{}, &apiError{http.StatusInternalServerError, "could not save the order", err}
	}

	o.Status = "paid"
	o.PaymentID, err = s.payments.Charge(ctx, charge{OrderID: o.ID, UserID: o.UserID, Amount: fromCents(o.TotalCents)})
	if err != nil {
		o.Status = "payment_failed"
		s.log.Warn("payment failed", "order_id", o.ID, "error", err.Error())
	}
	if err := s.store.SetPayment(ctx, o.ID, o.Status, o.PaymentID); err != nil {
		return Order{}, &apiError{http.StatusInternalServerError, "order saved but its payment status could not be recorded", err}
	}
	s.orders.WithLabelValues(o.Status).Inc()
	s.log.Info("order placed", "order_id", o.ID, "user_id", int64(o.UserID), "status", o.Status,
		"total", fromCents(o.TotalCents), "items", len(o.Items))
	if data, err := json.Marshal(o.JSON()); err == nil {
		if err := s.cache.PutOrder(ctx, o.ID, data); err != nil {
			s.log.Warn("order not cached", "order_id", o.ID, "error", err.Error())
		}
	}
	return o, nil
}

func (s *server) getOrder(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		fail(c, http.StatusBadRequest, "order id must be a positive integer", nil)
		return
	}
	ctx := c.Request.Context()
	data, found, err := s.cache.GetOrder(ctx, id)
	cacheUp := err == nil
	if !cacheUp {
		s.log.Warn("order cache unavailable", "error", err.Error())
	}
	if found {
		c.Header("X-Cache", "hit")
		c.Data(http.StatusOK, "application/json; charset=utf-8", data)
		return
	}
	o, err := s.store.Get(ctx, id)
	if errors.Is(err, errNotFound) {
		fail(c, http.StatusNotFound, "order not found", nil)
		return
	}
	if err != nil {
		fail(c, http.StatusInternalServerError, "could not load the order", err)
		return
	}
	data, err = json.Marshal(o.JSON())
	if err != nil {
		fail(c, http.StatusInternalServerError, "could not render the order", err)
		return
	}
	// A pending order is being charged right now; caching it could hide the outcome for a minute.
	if o.Status != "pending" && cacheUp {
		if err := s.cache.PutOrder(ctx, id, data); err != nil {
			s.log.Warn("order not cached", "order_id", id, "error", err.Error())
		}
	}
	c.Header("X-Cache", "miss")
	c.Data(http.StatusOK, "application/json; charset=utf-8", data)
}

// listOrders answers GET /orders?user_id= with the user's newest orders, newest first.
func (s *server) listOrders(c *gin.Context) {
	userID, err := parseUserID(c.Query("user_id"))
	if err != nil {
		fail(c, http.StatusBadRequest, "user_id query parameter must be a positive integer", nil)
		return
	}
	orders, err := s.store.ListByUser(c.Request.Context(), userID, listLimit)
	if err != nil {
		fail(c, http.StatusInternalServerError, "could not list orders", err)
		return
	}
	out := make([]orderJSON, len(orders))
	for i, o := range orders {
		out[i] = o.JSON()
	}
	c.JSON(http.StatusOK, out)
}
