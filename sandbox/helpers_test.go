package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

var t0 = time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sandbox on 127.0.0.1 plus a signed-request helper for each API.
type env struct {
	t     testing.TB
	cfg   Config
	clock *clock
	srv   *Server
	url   string
	hc    *http.Client
}

func newEnv(t testing.TB, data *gen.Dataset, mods ...func(*Config)) *env {
	t.Helper()
	c := &clock{t: t0}
	cfg := DefaultConfig()
	cfg.Now = c.Now
	for _, m := range mods {
		m(&cfg)
	}
	srv := New(cfg, data)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, cfg: cfg, clock: c, srv: srv, url: ts.URL, hc: ts.Client()}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// send performs req and checks that no credential leaks into the answer.
// It does not fail the test, so goroutines may use it.
func (e *env) send(req *http.Request) (resp, error) {
	res, err := e.hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	for _, secret := range []string{e.cfg.XepengClientSecret, e.cfg.OxPayAPIKey, e.cfg.OxPaySignKey} {
		if bytes.Contains(body, []byte(secret)) {
			return resp{}, fmt.Errorf("%s %s: response body contains a credential", req.Method, req.URL.Path)
		}
	}
	if ct := res.Header.Get("Content-Type"); len(body) > 0 && !strings.HasPrefix(req.URL.Path, "/pay/") &&
		!strings.HasPrefix(req.URL.Path, "/oxpay/hpp") && ct != "application/json" {
		return resp{}, fmt.Errorf("%s %s: got Content-Type %q, want application/json", req.Method, req.URL.Path, ct)
	}
	return resp{status: res.StatusCode, header: res.Header, body: body}, nil
}

func (e *env) do(req *http.Request) resp {
	e.t.Helper()
	r, err := e.send(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// rawJSON encodes body unless it is already bytes or a string, which are
// sent exactly as given.
func rawJSON(t testing.TB, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// xepengRequest builds a request the way xepeng-oauth-js does: the same
// headers and nothing else, signed over the path without its query.
func (e *env) xepengRequest(method, target string, raw []byte, ts int64) *http.Request {
	req, err := http.NewRequest(method, e.url+target, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	path, _, _ := strings.Cut(target, "?")
	tsStr := strconv.FormatInt(ts, 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Client-ID", e.cfg.XepengClientID)
	req.Header.Set("X-Timestamp", tsStr)
	req.Header.Set("X-Signature", sign.Xepeng(e.cfg.XepengClientSecret, method, path, tsStr, raw))
	return req
}

func (e *env) xepeng(method, target string, body any) resp {
	e.t.Helper()
	return e.do(e.xepengRequest(method, target, rawJSON(e.t, body), e.clock.Now().Unix()))
}

// oxpayRequest builds a request with the Bearer key, a User-Agent and,
// when there is a body, its Signature.
func (e *env) oxpayRequest(method, path string, raw []byte) *http.Request {
	var rd io.Reader = http.NoBody
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.cfg.OxPayAPIKey)
	req.Header.Set("User-Agent", "reconkit-test/1.0 (sandbox)")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Signature", sign.OxPay(e.cfg.OxPaySignKey, raw))
	}
	return req
}

func (e *env) oxpay(method, path string, body any) resp {
	e.t.Helper()
	return e.do(e.oxpayRequest(method, path, rawJSON(e.t, body)))
}

// data decodes a successful Xepeng answer.
func data[T any](t testing.TB, r resp, wantStatus int) T {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("got status %d, want %d: %s", r.status, wantStatus, r.body)
	}
	var env struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Data    T      `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if env.Status != wire.XepengStatusSuccess || env.Message == "" {
		t.Fatalf("got envelope status %q message %q, want success and a message", env.Status, env.Message)
	}
	return env.Data
}

// xepengErr decodes a Xepeng error answer and checks its status and code.
func xepengErr(t testing.TB, r resp, wantStatus int, wantCode string) wire.XepengError {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("got status %d, want %d: %s", r.status, wantStatus, r.body)
	}
	var env struct {
		Status  string           `json:"status"`
		Message string           `json:"message"`
		Data    wire.XepengError `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if env.Status != wire.XepengStatusError || env.Message == "" || env.Data.Code != wantCode {
		t.Fatalf("got status %q message %q code %q, want error with a message and code %s", env.Status, env.Message, env.Data.Code, wantCode)
	}
	return env.Data
}

// oxOKBody decodes a successful OxPay answer.
func oxOKBody[T any](t testing.TB, r resp) T {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("got status %d, want 200: %s", r.status, r.body)
	}
	var env wire.OxEnvelope[T]
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if env.Headers.StatusCode != wire.OxStatusSuccess || env.Headers.StatusMessage != "SUCCESS" {
		t.Fatalf("got headers %+v, want status_code 0 SUCCESS", env.Headers)
	}
	if _, err := time.Parse(wire.OxGatewayTimeLayout, env.Headers.GatewayResponseDatetime); err != nil {
		t.Fatalf("gateway_response_datetime %q: %v", env.Headers.GatewayResponseDatetime, err)
	}
	return env.Body
}

// oxRejected decodes an OxPay rejection and checks its shape.
func oxRejected(t testing.TB, r resp, wantStatus int) string {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("got status %d, want %d: %s", r.status, wantStatus, r.body)
	}
	var env wire.OxEnvelope[wire.OxError]
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if env.Headers.StatusCode != wire.OxStatusRejected || env.Body.Status != "Rejected" || env.Body.StatusDesc == "" {
		t.Fatalf("got %s, want status_code 2 and a Rejected body", r.body)
	}
	return env.Body.StatusDesc
}

// payment is a valid OxPay payment for ref.
func (e *env) payment(ref string, value int64, currency string) wire.PaymentRequest {
	return wire.PaymentRequest{
		MerchantID:          e.cfg.MerchantID,
		TerminalID:          e.cfg.TerminalID,
		MerchantReferenceID: ref,
		SuccessURL:          "https://merchant.example/success",
		FailureURL:          "https://merchant.example/failure",
		NotificationURL:     "https://merchant.example/notify",
		PaymentMethod:       wire.PaymentMethod{Brand: "GrabPay"},
		Amount:              wire.OxAmount{Value: value, Currency: currency},
	}
}

// followUp is a valid void, refund or capture request.
func (e *env) followUp(original, ref string, value int64, currency string) wire.FollowUpRequest {
	return wire.FollowUpRequest{
		MerchantID:          e.cfg.MerchantID,
		TerminalID:          e.cfg.TerminalID,
		OxpayOriginalTxnID:  original,
		MerchantReferenceID: ref,
		NotificationURL:     "https://merchant.example/notify",
		Amount:              wire.OxAmount{Value: value, Currency: currency},
	}
}

// activeOrder creates an order and activates it.
func (e *env) activeOrder(amount int64) wire.Order {
	e.t.Helper()
	o := data[wire.Order](e.t, e.xepeng("POST", "/openapi/orders", wire.CreateOrderRequest{
		Items: []wire.OrderItem{{Amount: amount, ProductName: "Kemeja Flanel"}},
	}), http.StatusCreated)
	return data[wire.Order](e.t, e.xepeng("PUT", "/openapi/orders/"+o.UID, wire.UpdateOrderRequest{Status: wire.OrderActive}), http.StatusOK)
}

// seededOrders returns n orders with created_at ties, listed in the
// dataset out of order, so tests see the server sort them.
func seededOrders(n int) []wire.Order {
	out := make([]wire.Order, n)
	for i := range n {
		j := n - 1 - i
		at := t0.Add(-time.Duration(j/3) * time.Minute) // three orders per minute
		out[i] = wire.Order{
			UID:         fmt.Sprintf("ORD-%07d", (j*7919)%1000003),
			Status:      wire.OrderActive,
			Currency:    "IDR",
			TotalAmount: int64(1000 + j),
			Items:       []wire.OrderItem{{Amount: int64(1000 + j), ProductName: "item"}},
			CreatedAt:   at,
			UpdatedAt:   at,
		}
	}
	return out
}

// ignoreReceived leaves out what a decoded record keeps of its money
// fields as received, when a test compares it with one built in code.
var ignoreReceived = cmp.Options{
	cmpopts.IgnoreFields(wire.Order{}, "Received"),
	cmpopts.IgnoreFields(wire.PaymentLink{}, "Received"),
	cmpopts.IgnoreFields(wire.Transaction{}, "Received"),
}
