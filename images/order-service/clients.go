package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// upstreamTimeout bounds every call to product-service and payment-service.
const upstreamTimeout = 2 * time.Second

var (
	errOutOfStock      = errors.New("insufficient stock")
	errProductNotFound = errors.New("product not found")
)

type upstream struct {
	name    string
	baseURL string
	client  *http.Client
}

func newUpstream(name, baseURL string) *upstream {
	return &upstream{name: name, baseURL: baseURL, client: &http.Client{Timeout: upstreamTimeout}}
}

// post sends body as JSON and decodes a 2xx answer into out; it returns the status code.
func (u *upstream) post(ctx context.Context, path string, body, out any) (int, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.baseURL+path, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", u.name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: reading answer: %w", u.name, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s: POST %s answered %d: %.200s", u.name, path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: POST %s: bad answer: %w", u.name, path, err)
	}
	return resp.StatusCode, nil
}

type reservation struct {
	ID       ID      `json:"id"`
	Price    float64 `json:"price"`
	Reserved int     `json:"reserved"`
}

// Reserve takes quantity units of the product from stock at product-service, which quotes the price.
func (u *upstream) Reserve(ctx context.Context, productID ID, quantity int) (reservation, error) {
	var r reservation
	status, err := u.post(ctx, "/products/"+url.PathEscape(string(productID))+"/reserve",
		map[string]int{"quantity": quantity}, &r)
	switch {
	case status == http.StatusConflict:
		return r, errOutOfStock
	case status == http.StatusNotFound:
		return r, errProductNotFound
	case err == nil && r.Price < 0:
		return r, fmt.Errorf("%s: negative price %v", u.name, r.Price)
	}
	return r, err
}

type charge struct {
	OrderID int64   `json:"order_id"`
	UserID  UserID  `json:"user_id"`
	Amount  float64 `json:"amount"`
}

type payment struct {
	PaymentID ID     `json:"payment_id"`
	Status    string `json:"status"`
}

// Charge asks payment-service to capture amount; any answer but a captured payment is a failure.
func (u *upstream) Charge(ctx context.Context, c charge) (ID, error) {
	var p payment
	if _, err := u.post(ctx, "/payments", c, &p); err != nil {
		return "", err
	}
	if p.Status != "captured" || p.PaymentID == "" {
		return "", fmt.Errorf("%s: payment not captured (status %q)", u.name, p.Status)
	}
	return p.PaymentID, nil
}
