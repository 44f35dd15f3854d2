package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// Xepeng is a client of the Xepeng Open API. It is safe for concurrent use.
type Xepeng struct {
	core     *core
	clientID string
	secret   string
}

// NewXepeng returns a client that signs every request with clientSecret.
// Invalid options are reported by the first call (see Options.Validate).
func NewXepeng(opts Options, clientID, clientSecret string) *Xepeng {
	x := &Xepeng{clientID: clientID, secret: clientSecret}
	c := newCore("xepeng", opts)
	c.authorize = x.authorize
	c.sensitive = []string{"X-Signature"}
	c.secrets = redactor{clientSecret, clientID}
	c.errorMessage = xepengErrorMessage
	x.core = c
	return x
}

// String keeps the credentials out of %v and %+v.
func (x *Xepeng) String() string { return "fetch.Xepeng(" + x.core.opts.BaseURL + ")" }

// GoString keeps the credentials out of %#v.
func (x *Xepeng) GoString() string { return x.String() }

// authorize signs one attempt. The signed path is the path as it goes on
// the wire, base-URL prefix included and query excluded, and the
// timestamp is taken per attempt so a retry is never stale.
func (x *Xepeng) authorize(req *http.Request, body []byte) {
	ts := strconv.FormatInt(x.core.opts.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Client-ID", x.clientID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", sign.Xepeng(x.secret, req.Method, req.URL.EscapedPath(), ts, body))
}

// send runs one call and hands the envelope's data to decode.
func (x *Xepeng) send(ctx context.Context, method, template, path string, in any, decode func(data json.RawMessage) error) error {
	cl := call{method: method, endpoint: method + " " + template, path: path, mutates: method == http.MethodPost}
	if in != nil {
		b, err := encodeBody(in)
		if err != nil {
			return fmt.Errorf("xepeng %s: encode body: %w", cl.endpoint, err)
		}
		cl.body = b
	}
	return x.core.do(ctx, cl, func(body []byte) error {
		data, err := xepengData(body)
		if err != nil {
			return err
		}
		return decode(data)
	})
}

// xepengData opens the envelope in either of its published forms:
// {status: "success"|"error", ...} (Node package) or {success: bool, ...}
// (PHP package). An envelope that has neither is not Xepeng's.
func xepengData(body []byte) (json.RawMessage, error) {
	var env wire.XepengResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, bad("decode envelope: %w", err)
	}
	if env.Status == "" && env.Success == nil {
		return nil, bad("envelope has neither status nor success")
	}
	if !xepengSucceeded(env.Status, env.Success) {
		code, msg := xepengFailure(env)
		kind := ErrRejected
		switch code {
		case "NOT_FOUND":
			kind = ErrNotFound
		case "UNAUTHORIZED":
			kind = ErrUnauthorized
		}
		return nil, &refusal{kind: kind, code: code, msg: msg}
	}
	return env.Data, nil
}

// xepengSucceeded reads either form of the envelope's verdict; when a
// server sends both, both must say success.
func xepengSucceeded(status string, success *bool) bool {
	if status == "" && success == nil {
		return false
	}
	return (status == "" || strings.EqualFold(status, wire.XepengStatusSuccess)) &&
		(success == nil || *success)
}

// xepengFailure reads the code and message of an error envelope, field
// errors included, so a VALIDATION_ERROR says which field to fix.
func xepengFailure(env wire.XepengResponse) (code, msg string) {
	msg = env.Message
	var data wire.XepengError
	if present(env.Data) && json.Unmarshal(env.Data, &data) == nil {
		code = data.Code
		for i, fe := range data.Errors {
			sep := "; "
			if i == 0 && msg != "" {
				sep = ": "
			} else if i == 0 {
				sep = ""
			}
			msg += sep + fe.Field + ": " + fe.Message
		}
	}
	return code, msg
}

// xepengErrorMessage reads a non-2xx body.
func xepengErrorMessage(body []byte) (code, msg string) {
	var env wire.XepengResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return "", snippet(body)
	}
	return xepengFailure(env)
}

func decodeOrder(data json.RawMessage, o *wire.Order) error {
	if err := decodeObject(data, "order", o); err != nil {
		return err
	}
	if o.UID == "" {
		return bad("order has no uid")
	}
	return nil
}

func decodeLink(data json.RawMessage, l *wire.PaymentLink) error {
	if err := decodeObject(data, "payment link", l); err != nil {
		return err
	}
	if l.UID == "" && l.PaymentURL == "" {
		return bad("payment link has neither uid nor payment_url")
	}
	return nil
}

// CreateOrder creates an order (status pending) with POST /openapi/orders.
func (x *Xepeng) CreateOrder(ctx context.Context, req wire.CreateOrderRequest) (wire.Order, error) {
	var o wire.Order
	err := x.send(ctx, "POST", "/openapi/orders", "/openapi/orders", req,
		func(data json.RawMessage) error { return decodeOrder(data, &o) })
	return o, err
}

// UpdateOrder updates an order with PUT /openapi/orders/{uid}. An empty
// status is sent as "active", as the official package does, since
// activating is what the call is for.
func (x *Xepeng) UpdateOrder(ctx context.Context, uid string, req wire.UpdateOrderRequest) (wire.Order, error) {
	const tmpl = "/openapi/orders/{uid}"
	if uid == "" {
		return wire.Order{}, x.core.invalidArg("PUT", "PUT "+tmpl, "empty order uid")
	}
	if req.Status == "" {
		req.Status = wire.OrderActive
	}
	var o wire.Order
	err := x.send(ctx, "PUT", tmpl, "/openapi/orders/"+url.PathEscape(uid), req,
		func(data json.RawMessage) error { return decodeOrder(data, &o) })
	return o, err
}

// GetOrder reads one order with GET /openapi/orders/{uid}.
func (x *Xepeng) GetOrder(ctx context.Context, uid string) (wire.Order, error) {
	const tmpl = "/openapi/orders/{uid}"
	if uid == "" {
		return wire.Order{}, x.core.invalidArg("GET", "GET "+tmpl, "empty order uid")
	}
	var o wire.Order
	err := x.send(ctx, "GET", tmpl, "/openapi/orders/"+url.PathEscape(uid), nil,
		func(data json.RawMessage) error { return decodeOrder(data, &o) })
	return o, err
}

// ListOrders reads one page of GET /openapi/orders. A page or limit
// below 1 is sent as the package's defaults, 1 and 10.
func (x *Xepeng) ListOrders(ctx context.Context, page, limit int) (wire.OrderList, error) {
	p, err := getPage(ctx, x, ordersList, page, limit, same[wire.Order], orderUID)
	return wire.OrderList{Orders: p.items, Pagination: p.pg}, err
}

// GeneratePaymentLink creates a payment link for an order with POST
// /openapi/payment-links/generate.
func (x *Xepeng) GeneratePaymentLink(ctx context.Context, req wire.GeneratePaymentLinkRequest) (wire.PaymentLink, error) {
	var l wire.PaymentLink
	err := x.send(ctx, "POST", "/openapi/payment-links/generate", "/openapi/payment-links/generate", req,
		func(data json.RawMessage) error { return decodeLink(data, &l) })
	return l, err
}

// ListPaymentLinks reads one page of GET /openapi/payment-links, with
// the same defaults as ListOrders.
func (x *Xepeng) ListPaymentLinks(ctx context.Context, page, limit int) (wire.PaymentLinkList, error) {
	p, err := getPage(ctx, x, linksList, page, limit, same[wire.PaymentLink], linkUID)
	return wire.PaymentLinkList{PaymentLinks: p.items, Pagination: p.pg}, err
}

// GetPaymentLink reads one payment link with GET
// /openapi/payment-links/{uid}.
func (x *Xepeng) GetPaymentLink(ctx context.Context, uid string) (wire.PaymentLink, error) {
	const tmpl = "/openapi/payment-links/{uid}"
	if uid == "" {
		return wire.PaymentLink{}, x.core.invalidArg("GET", "GET "+tmpl, "empty payment link uid")
	}
	var l wire.PaymentLink
	err := x.send(ctx, "GET", tmpl, "/openapi/payment-links/"+url.PathEscape(uid), nil,
		func(data json.RawMessage) error { return decodeLink(data, &l) })
	return l, err
}

// InactivatePaymentLink inactivates a link with PUT
// /openapi/payment-links/{uid}/inactivate (no body, as the PHP package
// sends it). The link is returned when the server sends it back, else
// the zero value; an empty 2xx body (204 No Content) is success too, as
// there is no data to lose.
func (x *Xepeng) InactivatePaymentLink(ctx context.Context, uid string) (wire.PaymentLink, error) {
	const tmpl = "/openapi/payment-links/{uid}/inactivate"
	if uid == "" {
		return wire.PaymentLink{}, x.core.invalidArg("PUT", "PUT "+tmpl, "empty payment link uid")
	}
	var l wire.PaymentLink
	cl := call{method: "PUT", endpoint: "PUT " + tmpl, path: "/openapi/payment-links/" + url.PathEscape(uid) + "/inactivate"}
	err := x.core.do(ctx, cl, func(body []byte) error {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		data, err := xepengData(body)
		if err != nil || !present(data) {
			return err
		}
		l = wire.PaymentLink{}
		return decodeObject(data, "payment link", &l)
	})
	return l, err
}
