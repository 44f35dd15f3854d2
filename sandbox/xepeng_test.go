package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// TestOfficialVectors sends the exact requests of the xepeng-oauth-js
// vectors (shared/reference/xepeng-integration-facts.md), headers and
// all, and expects them accepted.
func TestOfficialVectors(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) {
		c.XepengClientSecret = "test_secret"
		c.Now = func() time.Time { return time.Unix(1700000000, 0) }
	})
	tests := []struct {
		name, method, target, body, sig string
		want                            int
	}{
		{"create order", "POST", "/openapi/orders", `{"items":[{"amount":50000,"product_name":"Kemeja Flanel"}]}`,
			"84c265c935d932e5f01da4eef080cd5ed52809867da227d15cb4fd2eaa376ba0", http.StatusCreated},
		{"list signs the path without its query", "GET", "/openapi/orders?page=1&limit=10", "",
			"ca9f5afda153be2df0d3b6ea4a1190f1f64d2820c3d6812c2ba226ab94175b07", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := mustGet(t, e.url+tc.target)
			req.Method = tc.method
			if tc.body != "" {
				req = e.xepengRequest(tc.method, tc.target, []byte(tc.body), 1700000000)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Client-ID", e.cfg.XepengClientID)
			req.Header.Set("X-Timestamp", "1700000000")
			req.Header.Set("X-Signature", tc.sig)
			if r := e.do(req); r.status != tc.want {
				t.Fatalf("got %d, want %d: %s", r.status, tc.want, r.body)
			}
		})
	}
}

func TestXepengAuth(t *testing.T) {
	e := newEnv(t, nil)
	body := []byte(`{"items":[{"amount":50000,"product_name":"Kemeja Flanel"}]}`)
	now := e.clock.Now().Unix()
	hexMAC := func(payload string) string {
		m := hmac.New(sha256.New, []byte(e.cfg.XepengClientSecret))
		m.Write([]byte(payload))
		return hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"valid", func() *http.Request { return e.xepengRequest("POST", "/openapi/orders", body, now) }, http.StatusCreated},
		{"missing signature", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Del("X-Signature")
			return r
		}, http.StatusUnauthorized},
		{"wrong signature", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Set("X-Signature", sign.Xepeng("other-secret", "POST", "/openapi/orders", strconv.FormatInt(now, 10), body))
			return r
		}, http.StatusUnauthorized},
		{"upper-case signature is the same signature", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Set("X-Signature", strings.ToUpper(r.Header.Get("X-Signature")))
			return r
		}, http.StatusCreated},
		{"wrong client id", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Set("X-Client-ID", "someone-else")
			return r
		}, http.StatusUnauthorized},
		{"missing client id", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Del("X-Client-ID")
			return r
		}, http.StatusUnauthorized},
		{"timestamp 6 minutes behind", func() *http.Request { return e.xepengRequest("POST", "/openapi/orders", body, now-360) }, http.StatusUnauthorized},
		{"timestamp 6 minutes ahead", func() *http.Request { return e.xepengRequest("POST", "/openapi/orders", body, now+360) }, http.StatusUnauthorized},
		{"timestamp 4 minutes behind", func() *http.Request { return e.xepengRequest("POST", "/openapi/orders", body, now-240) }, http.StatusCreated},
		{"timestamp in milliseconds", func() *http.Request { return e.xepengRequest("POST", "/openapi/orders", body, now*1000) }, http.StatusUnauthorized},
		{"timestamp not a number", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			r.Header.Set("X-Timestamp", "yesterday")
			return r
		}, http.StatusUnauthorized},
		{"body tampered after signing", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			tampered := []byte(strings.Replace(string(body), "50000", "50001", 1))
			r2 := e.xepengRequest("POST", "/openapi/orders", tampered, now)
			r2.Header.Set("X-Signature", r.Header.Get("X-Signature"))
			return r2
		}, http.StatusUnauthorized},
		{"body re-encoded with spaces after signing", func() *http.Request {
			r := e.xepengRequest("POST", "/openapi/orders", body, now)
			spaced := []byte(`{"items": [{"amount": 50000, "product_name": "Kemeja Flanel"}]}`)
			r2 := e.xepengRequest("POST", "/openapi/orders", spaced, now)
			r2.Header.Set("X-Signature", r.Header.Get("X-Signature"))
			return r2
		}, http.StatusUnauthorized},
		{"list signed without the query", func() *http.Request {
			return e.xepengRequest("GET", "/openapi/orders?page=2&limit=5", nil, now)
		}, http.StatusOK},
		{"list signed with the query", func() *http.Request {
			r := e.xepengRequest("GET", "/openapi/orders?page=2&limit=5", nil, now)
			r.Header.Set("X-Signature", hexMAC(fmt.Sprintf("GET/openapi/orders?page=2&limit=5%d", now)))
			return r
		}, http.StatusUnauthorized},
		{"signature of another path", func() *http.Request {
			r := e.xepengRequest("GET", "/openapi/orders", nil, now)
			r.Header.Set("X-Signature", sign.Xepeng(e.cfg.XepengClientSecret, "GET", "/openapi/payment-links", strconv.FormatInt(now, 10), nil))
			return r
		}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.req())
			if tc.status == http.StatusUnauthorized {
				xepengErr(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
				return
			}
			if r.status != tc.status {
				t.Fatalf("got %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
}

func TestXepengValidation(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name       string
		body       string
		wantFields []string
	}{
		{"no items", `{"items":[]}`, []string{"items"}},
		{"items missing", `{}`, []string{"items"}},
		{"postman-style body", `{"amount":100000,"currency":"IDR","description":"Order for product X","customer":{"name":"John Doe"}}`, []string{"items"}},
		{"zero amount and no name", `{"items":[{"amount":0,"product_name":" "}]}`, []string{"items.0.amount", "items.0.product_name"}},
		{"second item bad", `{"items":[{"amount":1,"product_name":"a"},{"amount":-5,"product_name":"b"}]}`, []string{"items.1.amount"}},
		{"fractional amount", `{"items":[{"amount":500.5,"product_name":"a"}]}`, []string{"items.amount"}},
		{"amount as a string", `{"items":[{"amount":"500","product_name":"a"}]}`, []string{"items.amount"}},
		{"lower-case currency", `{"items":[{"amount":1,"product_name":"a"}],"currency":"idr"}`, []string{"currency"}},
		{"unknown currency", `{"items":[{"amount":1,"product_name":"a"}],"currency":"XYZ"}`, []string{"currency"}},
		{"malformed JSON", `{"items":[`, []string{"body"}},
		{"not an object", `[1,2]`, []string{"body"}},
		{"empty body", ``, []string{"body"}},
		{"total overflows", `{"items":[{"amount":9223372036854775807,"product_name":"a"},{"amount":1,"product_name":"b"}]}`, []string{"items.1.amount"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := xepengErr(t, e.xepeng("POST", "/openapi/orders", tc.body), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
			var fields []string
			for _, fe := range got.Errors {
				fields = append(fields, fe.Field)
				if fe.Message == "" {
					t.Errorf("field %s has no message", fe.Field)
				}
			}
			if d := cmp.Diff(tc.wantFields, fields); d != "" {
				t.Fatalf("fields (-want +got):\n%s", d)
			}
		})
	}
	// A valid order in another known currency keeps it.
	if o := data[wire.Order](t, e.xepeng("POST", "/openapi/orders", `{"items":[{"amount":1,"product_name":"a"}],"currency":"SGD"}`), http.StatusCreated); o.Currency != "SGD" {
		t.Fatalf("got currency %s, want SGD", o.Currency)
	}
}

func TestOrderTransitions(t *testing.T) {
	items := []wire.OrderItem{{Amount: 10, ProductName: "a"}}
	tests := []struct {
		name       string
		from       string
		body       string
		status     int
		code       string
		wantStatus string
		wantTotal  int64
	}{
		{"pending to active (default)", wire.OrderPending, `{}`, 200, "", wire.OrderActive, 10},
		{"pending to active with no body", wire.OrderPending, ``, 200, "", wire.OrderActive, 10},
		{"pending to active with new items", wire.OrderPending, `{"status":"active","items":[{"amount":7,"product_name":"b"},{"amount":8,"product_name":"c"}]}`, 200, "", wire.OrderActive, 15},
		{"pending to inactive", wire.OrderPending, `{"status":"inactive"}`, 200, "", wire.OrderInactive, 10},
		{"active to inactive", wire.OrderActive, `{"status":"inactive"}`, 200, "", wire.OrderInactive, 10},
		{"active again is a no-op", wire.OrderActive, `{"status":"active"}`, 200, "", wire.OrderActive, 10},
		{"active again with the same items", wire.OrderActive, `{"status":"active","items":[{"amount":10,"product_name":"a"}]}`, 200, "", wire.OrderActive, 10},
		{"active back to pending", wire.OrderActive, `{"status":"pending"}`, 422, "VALIDATION_ERROR", "", 0},
		{"unknown status", wire.OrderPending, `{"status":"paid"}`, 422, "VALIDATION_ERROR", "", 0},
		{"inactive to active", wire.OrderInactive, `{"status":"active"}`, 422, "INVALID_ORDER_STATUS", "", 0},
		{"active to inactive with the same items (the package always sends them)", wire.OrderActive, `{"status":"inactive","items":[{"amount":10,"product_name":"a"}]}`, 200, "", wire.OrderInactive, 10},
		{"items once active", wire.OrderActive, `{"status":"active","items":[{"amount":7,"product_name":"b"}]}`, 422, "INVALID_ORDER_STATUS", "", 0},
		{"empty items", wire.OrderPending, `{"items":[]}`, 422, "VALIDATION_ERROR", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := &gen.Dataset{Orders: []wire.Order{{UID: "O-1", Status: tc.from, Currency: "IDR", TotalAmount: 10, Items: items, CreatedAt: t0, UpdatedAt: t0}}}
			e := newEnv(t, ds)
			e.clock.Add(time.Minute)
			r := e.xepeng("PUT", "/openapi/orders/O-1", tc.body)
			if tc.code != "" {
				xepengErr(t, r, tc.status, tc.code)
				if got := data[wire.Order](t, e.xepeng("GET", "/openapi/orders/O-1", nil), 200); got.Status != tc.from || !got.UpdatedAt.Equal(t0) {
					t.Fatalf("got %s updated %v after a rejected update, want %s unchanged", got.Status, got.UpdatedAt, tc.from)
				}
				return
			}
			got := data[wire.Order](t, r, tc.status)
			if got.Status != tc.wantStatus || got.TotalAmount != tc.wantTotal {
				t.Fatalf("got %s total %d, want %s total %d", got.Status, got.TotalAmount, tc.wantStatus, tc.wantTotal)
			}
			wantUpdated := t0.Add(time.Minute)
			if tc.from == tc.wantStatus && !strings.Contains(tc.body, "items") || tc.name == "active again with the same items" {
				wantUpdated = t0
			}
			if !got.UpdatedAt.Equal(wantUpdated) {
				t.Fatalf("got updated_at %v, want %v", got.UpdatedAt, wantUpdated)
			}
		})
	}
}

func TestPaymentLinkRules(t *testing.T) {
	paidAt := t0.Add(-time.Minute)
	ds := &gen.Dataset{
		Orders: []wire.Order{
			{UID: "O-PENDING", Status: wire.OrderPending, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
			{UID: "O-ACTIVE", Status: wire.OrderActive, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
			{UID: "O-INACTIVE", Status: wire.OrderInactive, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
		},
		Links: []wire.PaymentLink{
			{UID: "L-PAID", OrderUID: "O-ACTIVE", Status: wire.LinkPaid, PaidAt: &paidAt, CreatedAt: t0, UpdatedAt: t0},
			{UID: "L-PENDING", OrderUID: "O-ACTIVE", Status: wire.LinkPending, CreatedAt: t0, UpdatedAt: t0},
		},
	}
	e := newEnv(t, ds)
	tests := []struct {
		name, method, target, body string
		status                     int
		code                       string
	}{
		{"link for a pending order", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-PENDING"}`, 422, "INVALID_ORDER_STATUS"},
		{"link for an inactive order", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-INACTIVE"}`, 422, "INVALID_ORDER_STATUS"},
		{"link for an unknown order", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-NOPE"}`, 404, "NOT_FOUND"},
		{"link without order uid", "POST", "/openapi/payment-links/generate", `{}`, 422, "VALIDATION_ERROR"},
		{"link with a bad expiry", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-ACTIVE","expired_at":"tomorrow"}`, 422, "VALIDATION_ERROR"},
		{"link expiring in the past", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-ACTIVE","expired_at":"2024-04-30T00:00:00Z"}`, 422, "VALIDATION_ERROR"},
		{"link with a relative callback", "POST", "/openapi/payment-links/generate", `{"order_uid":"O-ACTIVE","callback_url":"/cb"}`, 422, "VALIDATION_ERROR"},
		{"unknown order", "GET", "/openapi/orders/O-NOPE", "", 404, "NOT_FOUND"},
		{"update unknown order", "PUT", "/openapi/orders/O-NOPE", `{"status":"active"}`, 404, "NOT_FOUND"},
		{"unknown link", "GET", "/openapi/payment-links/L-NOPE", "", 404, "NOT_FOUND"},
		{"inactivate unknown link", "PUT", "/openapi/payment-links/L-NOPE/inactivate", "", 404, "NOT_FOUND"},
		{"inactivate a paid link", "PUT", "/openapi/payment-links/L-PAID/inactivate", "", 422, "INVALID_ORDER_STATUS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xepengErr(t, e.xepeng(tc.method, tc.target, tc.body), tc.status, tc.code)
		})
	}
	t.Run("inactivate twice", func(t *testing.T) {
		for range 2 {
			if got := data[wire.PaymentLink](t, e.xepeng("PUT", "/openapi/payment-links/L-PENDING/inactivate", nil), 200); got.Status != wire.LinkInactive {
				t.Fatalf("got %s, want inactive", got.Status)
			}
		}
	})
	t.Run("an inactive link is not paid", func(t *testing.T) {
		oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("L-PENDING", 10, "IDR")))
		if got := data[wire.PaymentLink](t, e.xepeng("GET", "/openapi/payment-links/L-PENDING", nil), 200); got.Status != wire.LinkInactive {
			t.Fatalf("got %s, want inactive", got.Status)
		}
	})
}

func TestPagination(t *testing.T) {
	orders := seededOrders(250)
	want := slices.Clone(orders)
	slices.SortFunc(want, func(a, b wire.Order) int { return compareOrders(&a, &b) })
	links := make([]wire.PaymentLink, 30)
	for i := range links {
		links[i] = wire.PaymentLink{UID: fmt.Sprintf("L-%03d", 29-i), OrderUID: want[i].UID, Status: wire.LinkPending, CreatedAt: t0}
	}
	e := newEnv(t, &gen.Dataset{Orders: orders, Links: links})

	var got []wire.Order
	for p, wantLen := range []int{100, 100, 50} {
		list := data[wire.OrderList](t, e.xepeng("GET", fmt.Sprintf("/openapi/orders?page=%d&limit=100", p+1), nil), 200)
		if d := cmp.Diff(wire.Pagination{CurrentPage: p + 1, TotalPages: 3, TotalItems: 250, Limit: 100}, list.Pagination); d != "" {
			t.Fatalf("page %d pagination (-want +got):\n%s", p+1, d)
		}
		if len(list.Orders) != wantLen {
			t.Fatalf("page %d: got %d orders, want %d", p+1, len(list.Orders), wantLen)
		}
		got = append(got, list.Orders...)
	}
	if d := cmp.Diff(want, got, ignoreReceived); d != "" {
		t.Fatalf("orders across pages (-want +got):\n%s", d)
	}

	tests := []struct {
		name, query string
		wantLen     int
		wantPage    wire.Pagination
	}{
		{"defaults", "", 10, wire.Pagination{CurrentPage: 1, TotalPages: 25, TotalItems: 250, Limit: 10}},
		{"empty values mean defaults", "?page=&limit=", 10, wire.Pagination{CurrentPage: 1, TotalPages: 25, TotalItems: 250, Limit: 10}},
		{"past the end", "?page=4&limit=100", 0, wire.Pagination{CurrentPage: 4, TotalPages: 3, TotalItems: 250, Limit: 100}},
		{"far past the end", "?page=9223372036854775807&limit=100", 0, wire.Pagination{CurrentPage: 9223372036854775807, TotalPages: 3, TotalItems: 250, Limit: 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.xepeng("GET", "/openapi/orders"+tc.query, nil)
			list := data[wire.OrderList](t, r, 200)
			if len(list.Orders) != tc.wantLen {
				t.Fatalf("got %d orders, want %d", len(list.Orders), tc.wantLen)
			}
			if d := cmp.Diff(tc.wantPage, list.Pagination); d != "" {
				t.Fatalf("pagination (-want +got):\n%s", d)
			}
			if tc.wantLen == 0 && !strings.Contains(string(r.body), `"orders":[]`) {
				t.Fatalf("got %s, want an empty array rather than null", r.body)
			}
		})
	}
	for _, q := range []string{"?page=0", "?page=-1", "?page=abc", "?limit=0", "?limit=101", "?limit=1.5"} {
		t.Run("invalid "+q, func(t *testing.T) {
			xepengErr(t, e.xepeng("GET", "/openapi/orders"+q, nil), 422, "VALIDATION_ERROR")
			xepengErr(t, e.xepeng("GET", "/openapi/payment-links"+q, nil), 422, "VALIDATION_ERROR")
		})
	}
	t.Run("links sorted by created_at then uid", func(t *testing.T) {
		list := data[wire.PaymentLinkList](t, e.xepeng("GET", "/openapi/payment-links?limit=100", nil), 200)
		if len(list.PaymentLinks) != 30 || list.PaymentLinks[0].UID != "L-000" || list.PaymentLinks[29].UID != "L-029" {
			t.Fatalf("got %d links from %s, want 30 from L-000 to L-029", len(list.PaymentLinks), list.PaymentLinks[0].UID)
		}
	})
	t.Run("a new order sorts last", func(t *testing.T) {
		o := data[wire.Order](t, e.xepeng("POST", "/openapi/orders", `{"items":[{"amount":1,"product_name":"a"}]}`), 201)
		list := data[wire.OrderList](t, e.xepeng("GET", "/openapi/orders?page=26&limit=10", nil), 200)
		if len(list.Orders) != 1 || list.Orders[0].UID != o.UID || list.Pagination.TotalItems != 251 {
			t.Fatalf("got %+v, want only %s on page 26 of 251 items", list, o.UID)
		}
	})
}

func TestEmptyLists(t *testing.T) {
	e := newEnv(t, nil)
	list := data[wire.OrderList](t, e.xepeng("GET", "/openapi/orders", nil), 200)
	if d := cmp.Diff(wire.OrderList{Orders: []wire.Order{}, Pagination: wire.Pagination{CurrentPage: 1, TotalPages: 0, TotalItems: 0, Limit: 10}}, list); d != "" {
		t.Fatalf("empty list (-want +got):\n%s", d)
	}
}

func TestInsertSorted(t *testing.T) {
	at := func(minute int, uid string) *wire.Order {
		return &wire.Order{UID: uid, CreatedAt: t0.Add(time.Duration(minute) * time.Minute)}
	}
	s := []*wire.Order{at(1, "b"), at(2, "a"), at(2, "c")}
	s = insertSorted(s, at(3, "z"), compareOrders)
	s = insertSorted(s, at(0, "y"), compareOrders)
	s = insertSorted(s, at(2, "b"), compareOrders)
	var got []string
	for _, o := range s {
		got = append(got, o.UID)
	}
	if d := cmp.Diff([]string{"y", "b", "a", "b", "c", "z"}, got); d != "" {
		t.Fatalf("order (-want +got):\n%s", d)
	}
}
