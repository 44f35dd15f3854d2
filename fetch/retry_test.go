package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/wire"
)

// failure makes a handler fail in one way.
type failure struct {
	name string
	fail func(t *testing.T, w http.ResponseWriter, r *http.Request)
	// timeout, when set, is the per-attempt timeout the case needs.
	timeout time.Duration
	// unacted says the server surely did not act on the request, so even
	// a POST that creates something may be retried.
	unacted bool
}

func failures() []failure {
	orderBody, _ := json.Marshal(xepengOK(makeOrders(1)[0]))
	return []failure{
		{name: "500", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { writeJSON(w, 500, xepengFail("boom", "")) }},
		{name: "502 from a proxy", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			w.Write([]byte("<html>Bad Gateway</html>"))
		}},
		{name: "503", unacted: true, fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, xepengFail("maintenance", ""))
		}},
		{name: "429 with Retry-After", unacted: true, fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 429, xepengFail("slow down", ""))
		}},
		{name: "408", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { w.WriteHeader(408) }},
		{name: "truncated 200 body", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { hijackTruncated(t, w, orderBody) }},
		{name: "200 body cut short but well framed", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.Write(orderBody[:len(orderBody)-10])
		}},
		{name: "non-JSON 200", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.Write([]byte("<html>captive portal</html>"))
		}},
		{name: "empty 200", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }},
		{name: "200 without an envelope", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) }},
		{name: "200 success without data", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"status": "success"})
		}},
		{name: "connection reset", fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { hijackReset(t, w) }},
		{name: "attempt timeout", timeout: 100 * time.Millisecond, fail: func(t *testing.T, w http.ResponseWriter, r *http.Request) { blockUntilGone(r) }},
	}
}

func TestRetryThenSucceed(t *testing.T) {
	const failTimes = 2
	order := makeOrders(1)[0]
	for _, f := range failures() {
		for _, method := range []string{"GET", "POST"} {
			t.Run(f.name+"/"+method, func(t *testing.T) {
				hits := &counter{}
				var (
					mu     sync.Mutex
					bodies []string
				)
				srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
					mu.Lock()
					bodies = append(bodies, string(body))
					mu.Unlock()
					if hits.inc() <= failTimes {
						f.fail(t, w, r)
						return
					}
					writeJSON(w, 200, xepengOK(order))
				}))
				rec := &recorder{}
				opts := testOptions(srv.URL)
				opts.OnRequest = rec.observe
				if f.timeout > 0 {
					opts.Timeout = f.timeout
				}
				x := NewXepeng(opts, testClientID, testSecret)
				var (
					got wire.Order
					err error
				)
				if method == "GET" {
					got, err = x.GetOrder(withTimeout(t), order.UID)
				} else {
					got, err = x.CreateOrder(withTimeout(t), wire.CreateOrderRequest{Items: order.Items})
				}
				if method == "POST" && !f.unacted {
					// The server may have created the order: one attempt only.
					if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "not retried") {
						t.Fatalf("got error %v, want ErrUnreachable saying it was not retried", err)
					}
					if hits.get() != 1 {
						t.Fatalf("got %d requests, want 1", hits.get())
					}
					return
				}
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if diff := cmp.Diff(order, got, ignoreReceived); diff != "" {
					t.Fatalf("order (-want +got):\n%s", diff)
				}
				infos := rec.all()
				if len(infos) != failTimes+1 || hits.get() != failTimes+1 {
					t.Fatalf("got %d attempts and %d requests, want %d", len(infos), hits.get(), failTimes+1)
				}
				for i, info := range infos {
					last := i == len(infos)-1
					if info.Attempt != i+1 || info.Retry == last || (info.Err == nil) != last {
						t.Errorf("attempt %d: got %+v", i+1, info)
					}
				}
				if method == "POST" {
					want := `{"items":[{"amount":10000,"product_name":"Kemeja Flanel"}]}`
					for i, b := range bodies {
						if b != want {
							t.Errorf("attempt %d sent %q, want %q", i+1, b, want)
						}
					}
				}
			})
		}
	}
}

func TestRetryExhausted(t *testing.T) {
	for _, f := range failures() {
		t.Run(f.name, func(t *testing.T) {
			hits := &counter{}
			srv := newServer(t, verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				hits.inc()
				f.fail(t, w, r)
			}))
			opts := testOptions(srv.URL)
			opts.MaxAttempts = 3
			if f.timeout > 0 {
				opts.Timeout = f.timeout
			}
			x := NewXepeng(opts, testClientID, testSecret)
			_, err := x.ListOrders(withTimeout(t), 2, 10)
			if !errors.Is(err, ErrUnreachable) {
				t.Fatalf("got %v, want ErrUnreachable", err)
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrRejected) {
				t.Errorf("got %v, want neither the caller's deadline nor ErrRejected", err)
			}
			ae, _ := errors.AsType[*APIError](err)
			if ae.Attempts != 3 || hits.get() != 3 {
				t.Errorf("got %d attempts and %d requests, want 3", ae.Attempts, hits.get())
			}
			for _, want := range []string{"xepeng GET /openapi/orders", "/openapi/orders?page=2&limit=10", "gave up after 3 attempts"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestRetryExhaustedMessage(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 503, oxFail(3, "ERROR", "Error", "acquirer unavailable"))
	}))
	o := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey)
	_, _, err := o.GetTransaction(withTimeout(t), "10001396")
	want := "oxpay GET /payment/{oxpay_txn_id} (/payment/10001396): gave up after 5 attempts: HTTP 503 Error: acquirer unavailable"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{400, ErrRejected},
		{401, ErrUnauthorized},
		{403, ErrUnauthorized},
		{404, ErrNotFound},
		{409, ErrRejected},
		{422, ErrRejected},
		{501, ErrUnreachable},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			hits := &counter{}
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.inc()
				writeJSON(w, tc.status, xepengFail("no", ""))
			}))
			rec := &recorder{}
			opts := testOptions(srv.URL)
			opts.OnRequest = rec.observe
			x := NewXepeng(opts, testClientID, testSecret)
			_, err := x.GetOrder(withTimeout(t), "ord-1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if hits.get() != 1 || len(rec.all()) != 1 {
				t.Fatalf("got %d requests and %d attempts, want 1", hits.get(), len(rec.all()))
			}
			if ae, _ := errors.AsType[*APIError](err); ae.StatusCode != tc.status || ae.Attempts != 1 {
				t.Fatalf("got status %d after %d attempts, want %d after 1", ae.StatusCode, ae.Attempts, tc.status)
			}
		})
	}
}

// Waits are recorded instead of slept, so Retry-After is checked exactly
// without a test that takes minutes.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		maxWait    time.Duration // Options.MaxRetryAfter
		want       time.Duration // -1: a jittered backoff, not the header
	}{
		{"429 seconds", 429, "7", 0, 7 * time.Second},
		{"429 HTTP-date", 429, testNow.Add(30 * time.Second).Format(http.TimeFormat), 0, 30 * time.Second},
		{"429 date in the past", 429, testNow.Add(-time.Minute).Format(http.TimeFormat), 0, 0},
		{"429 capped", 429, "3600", 10 * time.Second, 10 * time.Second},
		{"default cap is a minute", 429, "3600", 0, time.Minute},
		{"503 seconds", 503, "2", 0, 2 * time.Second},
		{"429 without header", 429, "", 0, -1},
		{"429 garbage header", 429, "soon", 0, -1},
		{"500 ignores the header", 500, "7", 0, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := &counter{}
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.inc() == 1 {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					w.WriteHeader(tc.status)
					return
				}
				writeJSON(w, 200, oxOK(wire.Transaction{OxpayTxnID: "1"}))
			}))
			opts := testOptions(srv.URL)
			opts.MaxRetryAfter = tc.maxWait
			opts.BaseBackoff, opts.MaxBackoff = 100*time.Millisecond, 100*time.Millisecond
			o := NewOxPay(opts, testAPIKey, testSignKey)
			var waits []time.Duration
			o.core.sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			if _, _, err := o.GetTransaction(withTimeout(t), "1"); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(waits) != 1 {
				t.Fatalf("got waits %v, want one", waits)
			}
			if tc.want >= 0 && waits[0] != tc.want {
				t.Fatalf("got wait %v, want %v", waits[0], tc.want)
			}
			if tc.want < 0 && (waits[0] < 0 || waits[0] > 100*time.Millisecond) {
				t.Fatalf("got wait %v, want a backoff within [0, 100ms]", waits[0])
			}
		})
	}
}

func TestBackoffIsBoundedFullJitter(t *testing.T) {
	opts := testOptions("http://127.0.0.1:1")
	opts.BaseBackoff, opts.MaxBackoff, opts.Seed = 10*time.Millisecond, 75*time.Millisecond, 42
	a, b := newCore("t", opts), newCore("t", opts)
	ceilings := []time.Duration{10, 20, 40, 75, 75, 75}
	var below [6]bool
	for range 200 {
		for i, ceil := range ceilings {
			d := a.backoff(i + 1)
			if d < 0 || d > ceil*time.Millisecond {
				t.Fatalf("attempt %d: got %v, want within [0, %v]", i+1, d, ceil*time.Millisecond)
			}
			if d < ceil*time.Millisecond/2 {
				below[i] = true
			}
			if e := b.backoff(i + 1); e != d {
				t.Fatalf("same seed gave %v and %v", d, e)
			}
		}
	}
	for i, ok := range below {
		if !ok {
			t.Errorf("attempt %d never waited under half its ceiling: not full jitter", i+1)
		}
	}
}

func TestCancelDuringRequest(t *testing.T) {
	arrived := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		blockUntilGone(r)
	}))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	ctx, cancel := context.WithCancel(withTimeout(t))
	go func() { <-arrived; cancel() }()
	_, err := x.GetOrder(ctx, "ord-1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want context.Canceled and not ErrUnreachable", err)
	}
	if ae, _ := errors.AsType[*APIError](err); ae == nil || ae.Attempts != 1 {
		t.Fatalf("got %#v, want an APIError after 1 attempt", ae)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	hits := &counter{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.WriteHeader(500)
	}))
	opts := testOptions(srv.URL)
	opts.BaseBackoff, opts.MaxBackoff, opts.Seed = time.Hour, time.Hour, 7
	ctx, cancel := context.WithCancel(withTimeout(t))
	opts.OnRequest = func(i RequestInfo) {
		if i.Retry && i.Wait < time.Second {
			t.Errorf("seed gave a wait of %v; pick another seed so the test waits long", i.Wait)
		}
		cancel()
	}
	x := NewXepeng(opts, testClientID, testSecret)
	done := make(chan error)
	go func() { _, err := x.GetOrder(ctx, "ord-1"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second): // a hang, not a timing assertion
		t.Fatal("GetOrder did not return after cancel")
	}
	if hits.get() != 1 {
		t.Fatalf("got %d requests, want 1", hits.get())
	}
}

func TestRateLimiterWaitBeyondDeadline(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, xepengOK(makeOrders(1)[0]))
	}))
	opts := testOptions(srv.URL)
	opts.Limiter = newLimiter(0.001, 1) // one request, then one every 1000s
	x := NewXepeng(opts, testClientID, testSecret)
	if _, err := x.GetOrder(withTimeout(t), "ord-1"); err != nil {
		t.Fatalf("first call: got %v, want none", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := x.GetOrder(ctx, "ord-1")
	if err == nil || !strings.Contains(err.Error(), "rate limiter") {
		t.Fatalf("got %v, want a rate limiter error", err)
	}
}
