package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// ID is a product or payment id: product-service uses strings ("p-001"), but a number is
// accepted too and stored as text. An id that is a plain integer is written back as a JSON
// number, anything else as a string.
type ID string

func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
	default:
		if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
			return fmt.Errorf("id %s: must be a string or an integer", b)
		}
		*id = ID(b)
	}
	return nil
}

func (id ID) MarshalJSON() ([]byte, error) {
	if n, err := strconv.ParseInt(string(id), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(id) {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}

// UserID is user-service's database id (a BIGINT there and here). It arrives as a JSON number;
// a string holding the number ("42") is accepted too, since gateways sometimes quote ids.
type UserID int64

func (u *UserID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*u = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	n, err := parseUserID(string(b))
	if err != nil {
		return err
	}
	*u = n
	return nil
}

func parseUserID(s string) (UserID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("user_id %q: must be a positive integer", s)
	}
	return UserID(n), nil
}

func (u UserID) String() string { return strconv.FormatInt(int64(u), 10) }

type itemRequest struct {
	ProductID ID  `json:"product_id"`
	Quantity  int `json:"quantity"`
}

type createOrderRequest struct {
	UserID UserID        `json:"user_id"`
	Items  []itemRequest `json:"items"`
}

const maxItems = 100

func (r createOrderRequest) validate() error {
	if r.UserID == 0 {
		return errors.New("user_id is required")
	}
	if len(r.Items) == 0 || len(r.Items) > maxItems {
		return fmt.Errorf("items must hold 1 to %d entries", maxItems)
	}
	for i, it := range r.Items {
		if it.ProductID == "" {
			return fmt.Errorf("items[%d].product_id is required", i)
		}
		if it.Quantity < 1 || it.Quantity > 10000 {
			return fmt.Errorf("items[%d].quantity must be between 1 and 10000", i)
		}
	}
	return nil
}

type itemJSON struct {
	ProductID ID      `json:"product_id"`
	Quantity  int     `json:"quantity"`
	Price     float64 `json:"price"`
}

type orderJSON struct {
	ID        int64      `json:"id"`
	UserID    UserID     `json:"user_id"`
	Status    string     `json:"status"`
	Total     float64    `json:"total"`
	PaymentID *ID        `json:"payment_id"` // null until a payment is captured
	Items     []itemJSON `json:"items"`
	CreatedAt time.Time  `json:"created_at"`
}

func (o Order) JSON() orderJSON {
	out := orderJSON{ID: o.ID, UserID: o.UserID, Status: o.Status, Total: fromCents(o.TotalCents),
		Items: make([]itemJSON, len(o.Items)), CreatedAt: o.CreatedAt.UTC()}
	if o.PaymentID != "" {
		out.PaymentID = &o.PaymentID
	}
	for i, it := range o.Items {
		out.Items[i] = itemJSON{ProductID: it.ProductID, Quantity: it.Quantity, Price: fromCents(it.PriceCents)}
	}
	return out
}

// Prices arrive as JSON numbers (euros); inside the service they are integer cents so totals add up exactly.
func toCents(price float64) int64 { return int64(math.Round(price * 100)) }

func fromCents(c int64) float64 { return float64(c) / 100 }
