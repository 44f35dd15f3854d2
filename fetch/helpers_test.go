package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// Credentials of the tests: long and distinctive, so a leak shows up in a
// plain substring search.
const (
	testClientID = "cid-test-4471"
	testSecret   = "xsecret-DO-NOT-LEAK-9f2c"
	testAPIKey   = "ak-DO-NOT-LEAK-71aa"
	testSignKey  = "sk-DO-NOT-LEAK-55e0"
	testVersion  = "1.2.3"
)

var testNow = time.Date(2024, 1, 11, 7, 13, 16, 0, time.UTC)

// testOptions are fast options: millisecond backoffs, a fixed seed and a
// fixed clock.
func testOptions(base string) Options {
	return Options{
		BaseURL:     base,
		Timeout:     5 * time.Second,
		MaxAttempts: 5,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  2 * time.Millisecond,
		Concurrency: 4,
		Version:     testVersion,
		Seed:        1,
		Now:         func() time.Time { return testNow },
	}
}

// newServer starts an httptest server on 127.0.0.1 and closes it at the
// end of the test.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// recorder collects RequestInfo from Options.OnRequest.
type recorder struct {
	mu    sync.Mutex
	infos []RequestInfo
}

func (r *recorder) observe(i RequestInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.infos = append(r.infos, i)
}

func (r *recorder) all() []RequestInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RequestInfo(nil), r.infos...)
}

// counter counts requests a handler saw.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func xepengOK(data any) map[string]any {
	return map[string]any{"status": "success", "message": "ok", "data": data}
}

func xepengFail(message, code string) map[string]any {
	return map[string]any{"status": "error", "message": message, "data": map[string]any{"code": code}}
}

func oxOK(body any) map[string]any {
	return map[string]any{
		"headers": map[string]any{"status_code": 0, "status_message": "SUCCESS", "gateway_response_datetime": "20240111071316"},
		"body":    body,
	}
}

func oxFail(statusCode int, statusMessage, status, desc string) map[string]any {
	return map[string]any{
		"headers": map[string]any{"status_code": statusCode, "status_message": statusMessage, "gateway_response_datetime": "20240111071316"},
		"body":    map[string]any{"status": status, "status_desc": desc},
	}
}

// signedPath is the path Xepeng signs: as received, without the query.
func signedPath(r *http.Request) string {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	return p
}

// verifyXepeng wraps a handler with the server side of Xepeng's signing:
// the signature is recomputed over the raw body received, and a mismatch
// is answered 401 as the real API would.
func verifyXepeng(t testing.TB, next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
			return
		}
		if r.Header.Get("X-Client-ID") != testClientID ||
			!sign.VerifyXepeng(testSecret, r.Method, signedPath(r), r.Header.Get("X-Timestamp"), body, r.Header.Get("X-Signature")) {
			writeJSON(w, 401, xepengFail("invalid signature", "UNAUTHORIZED"))
			return
		}
		next(w, r, body)
	}
}

// hijackReset closes the connection with a TCP reset before any response.
func hijackReset(t testing.TB, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// hijackTruncated sends a 200 that promises the whole body and delivers
// half of it.
func hijackTruncated(t testing.TB, w http.ResponseWriter, body []byte) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
	conn.Close()
}

// blockUntilGone holds a request until the client gives up on it.
func blockUntilGone(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second): // a test bug, not a timing assertion
	}
}

func makeOrders(n int) []wire.Order {
	orders := make([]wire.Order, n)
	for i := range orders {
		amount := int64(10000 + i*7)
		orders[i] = wire.Order{
			UID:         fmt.Sprintf("ord-%05d", i+1),
			Status:      wire.OrderActive,
			Currency:    "IDR",
			TotalAmount: amount,
			Items:       []wire.OrderItem{{Amount: amount, ProductName: "Kemeja Flanel"}},
			CreatedAt:   testNow.Add(time.Duration(i) * time.Minute),
			UpdatedAt:   testNow.Add(time.Duration(i) * time.Minute),
		}
	}
	return orders
}

func uids(orders []wire.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.UID
	}
	return out
}

func withTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ignoreReceived leaves out what a decoded record keeps of its money
// fields as received, when a test compares it with one built in code.
var ignoreReceived = cmp.Options{
	cmpopts.IgnoreFields(wire.Order{}, "Received"),
	cmpopts.IgnoreFields(wire.PaymentLink{}, "Received"),
	cmpopts.IgnoreFields(wire.Transaction{}, "Received"),
}
