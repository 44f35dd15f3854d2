package fetch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// seen is what the test server observed of one request.
type seen struct {
	Method, RequestURI, SignedPath, Body string
	ClientID, Timestamp, ContentType     string
	Accept, UserAgent                    string
}

func TestXepengRequests(t *testing.T) {
	order := makeOrders(1)[0]
	link := wire.PaymentLink{UID: "pl-1", OrderUID: order.UID, Status: wire.LinkPending, PaymentURL: "https://pay.example/pl-1", Amount: 50000, Currency: "IDR", CreatedAt: testNow, UpdatedAt: testNow}
	tests := []struct {
		name string
		call func(ctx context.Context, x *Xepeng) (any, error)
		data any // what the server answers in data
		want seen
		out  any
	}{
		{
			name: "create order",
			call: func(ctx context.Context, x *Xepeng) (any, error) {
				return x.CreateOrder(ctx, wire.CreateOrderRequest{Items: []wire.OrderItem{{Amount: 50000, ProductName: "Kemeja Flanel & Co <1>"}}})
			},
			data: order,
			want: seen{Method: "POST", RequestURI: "/xp/openapi/orders", SignedPath: "/xp/openapi/orders",
				Body: `{"items":[{"amount":50000,"product_name":"Kemeja Flanel & Co <1>"}]}`},
			out: order,
		},
		{
			name: "update order defaults to active",
			call: func(ctx context.Context, x *Xepeng) (any, error) {
				return x.UpdateOrder(ctx, "ord/1 x", wire.UpdateOrderRequest{})
			},
			data: order,
			want: seen{Method: "PUT", RequestURI: "/xp/openapi/orders/ord%2F1%20x", SignedPath: "/xp/openapi/orders/ord%2F1%20x",
				Body: `{"status":"active"}`},
			out: order,
		},
		{
			name: "get order",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.GetOrder(ctx, order.UID) },
			data: order,
			want: seen{Method: "GET", RequestURI: "/xp/openapi/orders/ord-00001", SignedPath: "/xp/openapi/orders/ord-00001"},
			out:  order,
		},
		{
			name: "list orders signs the path without the query",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.ListOrders(ctx, 2, 25) },
			data: wire.OrderList{Orders: []wire.Order{order}, Pagination: wire.Pagination{CurrentPage: 2, TotalPages: 2, TotalItems: 26, Limit: 25}},
			want: seen{Method: "GET", RequestURI: "/xp/openapi/orders?page=2&limit=25", SignedPath: "/xp/openapi/orders"},
			out:  wire.OrderList{Orders: []wire.Order{order}, Pagination: wire.Pagination{CurrentPage: 2, TotalPages: 2, TotalItems: 26, Limit: 25}},
		},
		{
			name: "list orders defaults page and limit",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.ListOrders(ctx, 0, 0) },
			data: wire.OrderList{Orders: []wire.Order{}, Pagination: wire.Pagination{CurrentPage: 1, Limit: 10}},
			want: seen{Method: "GET", RequestURI: "/xp/openapi/orders?page=1&limit=10", SignedPath: "/xp/openapi/orders"},
			out:  wire.OrderList{Orders: []wire.Order{}, Pagination: wire.Pagination{CurrentPage: 1, Limit: 10}},
		},
		{
			name: "generate payment link",
			call: func(ctx context.Context, x *Xepeng) (any, error) {
				return x.GeneratePaymentLink(ctx, wire.GeneratePaymentLinkRequest{OrderUID: order.UID, CallbackURL: "https://m.example/cb?a=1&b=2"})
			},
			data: link,
			want: seen{Method: "POST", RequestURI: "/xp/openapi/payment-links/generate", SignedPath: "/xp/openapi/payment-links/generate",
				Body: `{"order_uid":"ord-00001","callback_url":"https://m.example/cb?a=1&b=2"}`},
			out: link,
		},
		{
			name: "list payment links",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.ListPaymentLinks(ctx, 1, 50) },
			data: wire.PaymentLinkList{PaymentLinks: []wire.PaymentLink{link}, Pagination: wire.Pagination{CurrentPage: 1, TotalPages: 1, TotalItems: 1, Limit: 50}},
			want: seen{Method: "GET", RequestURI: "/xp/openapi/payment-links?page=1&limit=50", SignedPath: "/xp/openapi/payment-links"},
			out:  wire.PaymentLinkList{PaymentLinks: []wire.PaymentLink{link}, Pagination: wire.Pagination{CurrentPage: 1, TotalPages: 1, TotalItems: 1, Limit: 50}},
		},
		{
			name: "get payment link",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.GetPaymentLink(ctx, "pl-1") },
			data: link,
			want: seen{Method: "GET", RequestURI: "/xp/openapi/payment-links/pl-1", SignedPath: "/xp/openapi/payment-links/pl-1"},
			out:  link,
		},
		{
			name: "inactivate payment link without data",
			call: func(ctx context.Context, x *Xepeng) (any, error) { return x.InactivatePaymentLink(ctx, "pl-1") },
			want: seen{Method: "PUT", RequestURI: "/xp/openapi/payment-links/pl-1/inactivate", SignedPath: "/xp/openapi/payment-links/pl-1/inactivate"},
			out:  wire.PaymentLink{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got []seen
			)
			srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				mu.Lock()
				got = append(got, seen{
					Method: r.Method, RequestURI: r.RequestURI, SignedPath: signedPath(r), Body: string(body),
					ClientID: r.Header.Get("X-Client-ID"), Timestamp: r.Header.Get("X-Timestamp"),
					ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept"), UserAgent: r.Header.Get("User-Agent"),
				})
				mu.Unlock()
				writeJSON(w, 200, xepengOK(tc.data))
			}))
			x := NewXepeng(testOptions(srv.URL+"/xp/"), testClientID, testSecret)
			out, err := tc.call(withTimeout(t), x)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			want := tc.want
			want.ClientID, want.Timestamp = testClientID, strconv.FormatInt(testNow.Unix(), 10)
			want.ContentType, want.Accept, want.UserAgent = "application/json", "application/json", UserAgent(testVersion)
			if diff := cmp.Diff([]seen{want}, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.out, out, ignoreReceived); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The signature covers the body's exact bytes: a server that sees other
// bytes, or verifies with another secret, refuses the request.
func TestXepengSignatureMismatchIsUnauthorized(t *testing.T) {
	srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, xepengOK(makeOrders(1)[0]))
	}))
	x := NewXepeng(testOptions(srv.URL), testClientID, "another-secret")
	_, err := x.GetOrder(withTimeout(t), "ord-00001")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	ae, _ := errors.AsType[*APIError](err)
	if ae == nil || ae.StatusCode != 401 || ae.Code != "UNAUTHORIZED" || ae.Message != "invalid signature" || ae.Attempts != 1 {
		t.Fatalf("got %#v, want a 401 UNAUTHORIZED after 1 attempt", ae)
	}
}

func TestXepengFreshTimestampOnRetry(t *testing.T) {
	var (
		mu     sync.Mutex
		stamps []string
	)
	srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		stamps = append(stamps, r.Header.Get("X-Timestamp"))
		n := len(stamps)
		mu.Unlock()
		if n < 3 {
			writeJSON(w, 503, xepengFail("busy", ""))
			return
		}
		writeJSON(w, 200, xepengOK(makeOrders(1)[0]))
	}))
	opts := testOptions(srv.URL)
	var tick int64
	opts.Now = func() time.Time { tick++; return testNow.Add(time.Duration(tick) * time.Second) }
	x := NewXepeng(opts, testClientID, testSecret)
	if _, err := x.CreateOrder(withTimeout(t), wire.CreateOrderRequest{Items: []wire.OrderItem{{Amount: 1, ProductName: "a"}}}); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	base := testNow.Unix()
	want := []string{strconv.FormatInt(base+1, 10), strconv.FormatInt(base+2, 10), strconv.FormatInt(base+3, 10)}
	if diff := cmp.Diff(want, stamps); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
}

func TestXepengEnvelopes(t *testing.T) {
	order := makeOrders(1)[0]
	tests := []struct {
		name     string
		status   int
		body     any
		wantKind error // nil: success
		wantCode string
		wantMsg  string
	}{
		{name: "status form", status: 200, body: xepengOK(order)},
		{name: "success form", status: 200, body: map[string]any{"success": true, "message": "ok", "data": order}},
		{name: "status error on 200", status: 200, body: xepengFail("order is not active", "INVALID_ORDER_STATUS"),
			wantKind: ErrRejected, wantCode: "INVALID_ORDER_STATUS", wantMsg: "order is not active"},
		{name: "success false NOT_FOUND on 200", status: 200, body: map[string]any{"success": false, "message": "Order not found", "data": map[string]any{"code": "NOT_FOUND"}},
			wantKind: ErrNotFound, wantCode: "NOT_FOUND", wantMsg: "Order not found"},
		{name: "404", status: 404, body: map[string]any{"success": false, "message": "Order not found", "data": map[string]any{"code": "NOT_FOUND"}},
			wantKind: ErrNotFound, wantCode: "NOT_FOUND", wantMsg: "Order not found"},
		{name: "422 with field errors", status: 422, body: map[string]any{"status": "error", "message": "Validation failed",
			"data": map[string]any{"code": "VALIDATION_ERROR", "errors": []map[string]string{{"field": "items.0.amount", "message": "must be > 0"}, {"field": "items.0.product_name", "message": "required"}}}},
			wantKind: ErrRejected, wantCode: "VALIDATION_ERROR", wantMsg: "Validation failed: items.0.amount: must be > 0; items.0.product_name: required"},
		{name: "403 from a proxy in HTML", status: 403, body: "<html><body>\n  Forbidden\n</body></html>",
			wantKind: ErrUnauthorized, wantMsg: "<html><body> Forbidden </body></html>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := &counter{}
			srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				hits.inc()
				if s, ok := tc.body.(string); ok {
					w.WriteHeader(tc.status)
					w.Write([]byte(s))
					return
				}
				writeJSON(w, tc.status, tc.body)
			}))
			x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
			got, err := x.GetOrder(withTimeout(t), order.UID)
			if tc.wantKind == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if diff := cmp.Diff(order, got, ignoreReceived); diff != "" {
					t.Fatalf("order (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tc.wantKind) {
				t.Fatalf("got %v, want %v", err, tc.wantKind)
			}
			ae, _ := errors.AsType[*APIError](err)
			if ae.Code != tc.wantCode || ae.Message != tc.wantMsg {
				t.Errorf("got code %q message %q, want %q %q", ae.Code, ae.Message, tc.wantCode, tc.wantMsg)
			}
			if ae.StatusCode != tc.status || ae.Endpoint != "GET /openapi/orders/{uid}" || ae.Path != "/openapi/orders/ord-00001" {
				t.Errorf("got status %d endpoint %q path %q", ae.StatusCode, ae.Endpoint, ae.Path)
			}
			if !strings.Contains(err.Error(), "GET /openapi/orders/{uid}") || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %q, want the endpoint and the server's message", err)
			}
			if hits.get() != 1 {
				t.Errorf("got %d requests, want 1 (never retried)", hits.get())
			}
		})
	}
}

func TestXepengEmptyUIDIsNotSent(t *testing.T) {
	hits := &counter{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.inc() }))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	ctx := withTimeout(t)
	for name, call := range map[string]func() error{
		"get order":       func() error { _, err := x.GetOrder(ctx, ""); return err },
		"update order":    func() error { _, err := x.UpdateOrder(ctx, "", wire.UpdateOrderRequest{}); return err },
		"get link":        func() error { _, err := x.GetPaymentLink(ctx, ""); return err },
		"inactivate link": func() error { _, err := x.InactivatePaymentLink(ctx, ""); return err },
		"get transaction": func() error {
			_, _, err := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey).GetTransaction(ctx, "")
			return err
		},
		"get session by id": func() error {
			_, err := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey).GetPaymentBySession(ctx, "")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ErrRejected) {
				t.Fatalf("got %v, want ErrRejected", err)
			}
		})
	}
	if hits.get() != 0 {
		t.Fatalf("got %d requests, want 0", hits.get())
	}
}

// The signed path is what went on the wire, so a server verifying
// against its own view of the request agrees even for escaped uids.
func TestXepengSignsEscapedPath(t *testing.T) {
	var got string
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("X-Signature")
		writeJSON(w, 200, xepengOK(makeOrders(1)[0]))
	}))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	if _, err := x.GetOrder(withTimeout(t), "a/b?c"); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := sign.Xepeng(testSecret, "GET", "/openapi/orders/a%2Fb%3Fc", strconv.FormatInt(testNow.Unix(), 10), nil)
	if got != want {
		t.Fatalf("got signature %s, want %s", got, want)
	}
}

func TestInactivatePaymentLinkAnswers(t *testing.T) {
	link := wire.PaymentLink{UID: "pl-1", Status: wire.LinkInactive, CreatedAt: testNow, UpdatedAt: testNow}
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   wire.PaymentLink
	}{
		{"204 no content", func(w http.ResponseWriter) { w.WriteHeader(204) }, wire.PaymentLink{}},
		{"envelope without data", func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"success": true, "message": "inactivated"})
		}, wire.PaymentLink{}},
		{"envelope with the link", func(w http.ResponseWriter) { writeJSON(w, 200, xepengOK(link)) }, link},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if r.Method != "PUT" || len(body) != 0 {
					t.Errorf("got %s with body %q, want PUT without a body", r.Method, body)
				}
				tc.answer(w)
			}))
			x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
			got, err := x.InactivatePaymentLink(withTimeout(t), "pl-1")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreReceived); diff != "" {
				t.Fatalf("link (-want +got):\n%s", diff)
			}
		})
	}
}
