package wire

import (
	"encoding/json"
	"time"
)

// Xepeng order statuses.
const (
	OrderPending  = "pending"
	OrderActive   = "active"
	OrderInactive = "inactive"
)

// Xepeng payment link statuses.
const (
	LinkPending   = "pending"
	LinkPaid      = "paid"
	LinkExpired   = "expired"
	LinkCancelled = "cancelled"
	LinkInactive  = "inactive"
)

// XepengResponse is Xepeng's response envelope. The Node package reads
// {status, message, data}; the PHP package's README shows {success,
// message, data}. Both are accepted when reading (Success is set only by
// the latter) and the contract tool reports which one a server sends.
type XepengResponse struct {
	Status  string          `json:"status,omitempty"`
	Success *bool           `json:"success,omitempty"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// XepengStatusSuccess and XepengStatusError are the envelope's status values.
const (
	XepengStatusSuccess = "success"
	XepengStatusError   = "error"
)

// XepengError is the data of an error envelope.
type XepengError struct {
	Code   string       `json:"code"` // VALIDATION_ERROR, NOT_FOUND, INVALID_ORDER_STATUS, UNAUTHORIZED
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid field of a request body.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// OrderItem is one line of an order. Amount is in the currency's whole
// units as Xepeng sends them (rupiah for IDR); see recon.Units.
type OrderItem struct {
	Amount             int64  `json:"amount"`
	ProductName        string `json:"product_name"`
	ProductDescription string `json:"product_description,omitempty"`
	Notes              string `json:"notes,omitempty"`
}

// CreateOrderRequest is the body of POST /openapi/orders. Currency is
// optional and defaults to IDR.
type CreateOrderRequest struct {
	Items    []OrderItem `json:"items"`
	Currency string      `json:"currency,omitempty"`
}

// UpdateOrderRequest is the body of PUT /openapi/orders/{uid}; the
// official package sends status "active" unless told otherwise.
type UpdateOrderRequest struct {
	Status string      `json:"status,omitempty"`
	Items  []OrderItem `json:"items,omitempty"`
}

// Order is an order as Xepeng returns it. Its total may come under
// another name than total_amount (see Total); read it with Total, never
// from TotalAmount alone.
type Order struct {
	UID         string      `json:"uid"`
	Status      string      `json:"status"`
	Currency    string      `json:"currency"`
	TotalAmount int64       `json:"total_amount,omitempty"`
	Amount      int64       `json:"amount,omitempty"` // the total under the Postman page's name
	Items       []OrderItem `json:"items,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	// Received holds the money fields as they were received, set by
	// UnmarshalJSON; nil for an order built in code.
	Received *OrderMoney `json:"-"`
}

// Pagination describes one page of a list.
type Pagination struct {
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
	TotalItems  int `json:"total_items"`
	Limit       int `json:"limit"`
}

// OrderList is the data of GET /openapi/orders.
type OrderList struct {
	Orders     []Order    `json:"orders"`
	Pagination Pagination `json:"pagination"`
}

// GeneratePaymentLinkRequest is the body of POST /openapi/payment-links/generate.
type GeneratePaymentLinkRequest struct {
	OrderUID    string `json:"order_uid"`
	ExpiredAt   string `json:"expired_at,omitempty"` // RFC 3339
	CallbackURL string `json:"callback_url,omitempty"`
	SuccessURL  string `json:"success_url,omitempty"`
	CancelURL   string `json:"cancel_url,omitempty"`
}

// PaymentLink is a payment link as Xepeng returns it.
type PaymentLink struct {
	UID        string     `json:"uid"`
	OrderUID   string     `json:"order_uid"`
	Status     string     `json:"status"`
	PaymentURL string     `json:"payment_url"`
	Amount     int64      `json:"amount"`
	Currency   string     `json:"currency"`
	ExpiredAt  *time.Time `json:"expired_at"`
	PaidAt     *time.Time `json:"paid_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// Received holds the amount as it was received, set by
	// UnmarshalJSON; nil for a link built in code. Read it with
	// ReadAmount.
	Received *LinkMoney `json:"-"`
}

// PaymentLinkList is the data of GET /openapi/payment-links.
type PaymentLinkList struct {
	PaymentLinks []PaymentLink `json:"payment_links"`
	Pagination   Pagination    `json:"pagination"`
}
