package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// TestConcurrentClients has 32 clients create, read, list, activate,
// link and pay at once; run it with -race.
func TestConcurrentClients(t *testing.T) {
	const clients, rounds, seeded = 32, 8, 300
	var requests atomic.Int64
	e := newEnv(t, &gen.Dataset{Orders: seededOrders(seeded)}, func(c *Config) {
		c.OnRequest = func(RequestRecord) { requests.Add(1) }
	})
	var sent atomic.Int64
	expect := func(req *http.Request, want int) (resp, error) {
		sent.Add(1)
		r, err := e.send(req)
		if err != nil {
			return r, err
		}
		if r.status != want {
			return r, fmt.Errorf("%s %s: got %d, want %d: %s", req.Method, req.URL.Path, r.status, want, r.body)
		}
		return r, nil
	}
	decode := func(r resp, v any) error {
		env := struct {
			Data any `json:"data"`
		}{Data: v}
		return json.Unmarshal(r.body, &env)
	}

	errc := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			errc <- func() error {
				now := e.clock.Now().Unix()
				for i := range rounds {
					r, err := expect(e.xepengRequest("POST", "/openapi/orders", []byte(`{"items":[{"amount":1000,"product_name":"a"}]}`), now), 201)
					if err != nil {
						return err
					}
					var o wire.Order
					if err := decode(r, &o); err != nil {
						return err
					}
					if _, err := expect(e.xepengRequest("GET", "/openapi/orders/"+o.UID, nil, now), 200); err != nil {
						return err
					}
					if _, err := expect(e.xepengRequest("GET", fmt.Sprintf("/openapi/orders?page=%d&limit=100", i%4+1), nil, now), 200); err != nil {
						return err
					}
					if _, err := expect(e.xepengRequest("PUT", "/openapi/orders/"+o.UID, []byte(`{"status":"active"}`), now), 200); err != nil {
						return err
					}
					if _, err := expect(e.xepengRequest("POST", "/openapi/payment-links/generate", []byte(`{"order_uid":"`+o.UID+`"}`), now), 201); err != nil {
						return err
					}
					if _, err := expect(e.oxpayRequest("POST", "/oxpay/payment", rawJSON(t, e.payment(o.UID, 100000, "IDR"))), 200); err != nil {
						return err
					}
					if _, err := expect(e.xepengRequest("GET", "/openapi/payment-links?limit=100", nil, now), 200); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		return
	}

	seen := map[string]bool{}
	var total int
	for p := 1; ; p++ {
		sent.Add(1)
		list := data[wire.OrderList](t, e.xepeng("GET", fmt.Sprintf("/openapi/orders?page=%d&limit=100", p), nil), 200)
		total = list.Pagination.TotalItems
		for _, o := range list.Orders {
			if seen[o.UID] {
				t.Fatalf("order %s listed twice", o.UID)
			}
			seen[o.UID] = true
		}
		if p >= list.Pagination.TotalPages {
			break
		}
	}
	if want := seeded + clients*rounds; total != want || len(seen) != want {
		t.Fatalf("got %d orders (%d distinct), want %d", total, len(seen), want)
	}
	var paid int
	for p := 1; ; p++ {
		sent.Add(1)
		links := data[wire.PaymentLinkList](t, e.xepeng("GET", fmt.Sprintf("/openapi/payment-links?page=%d&limit=100", p), nil), 200)
		for _, l := range links.PaymentLinks {
			if l.Status != wire.LinkPaid {
				t.Fatalf("link %s is %s, want paid", l.UID, l.Status)
			}
			paid++
		}
		if p >= links.Pagination.TotalPages {
			break
		}
	}
	if paid != clients*rounds {
		t.Fatalf("got %d paid links, want %d", paid, clients*rounds)
	}
	if got, want := requests.Load(), sent.Load(); got != want {
		t.Fatalf("OnRequest saw %d requests, want %d", got, want)
	}
}

func TestRequestRecordsAndLogs(t *testing.T) {
	var mu sync.Mutex
	var records []RequestRecord
	var logs bytes.Buffer
	e := newEnv(t, nil, func(c *Config) {
		c.OnRequest = func(r RequestRecord) {
			mu.Lock()
			records = append(records, r)
			mu.Unlock()
		}
		c.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.xepeng("GET", "/openapi/orders?page=1", nil)
	e.oxpay("GET", "/oxpay/payment/1", nil)
	bad := e.xepengRequest("GET", "/openapi/orders", nil, 0)
	e.do(bad)

	mu.Lock()
	defer mu.Unlock()
	want := []RequestRecord{
		{Method: "GET", Path: "/openapi/orders", Status: 200, Time: t0},
		{Method: "GET", Path: "/oxpay/payment/1", Status: 400, Time: t0},
		{Method: "GET", Path: "/openapi/orders", Status: 401, Time: t0},
	}
	if len(records) != len(want) {
		t.Fatalf("got %d records, want %d", len(records), len(want))
	}
	for i, r := range records {
		r.Duration = 0
		if r != want[i] {
			t.Errorf("record %d: got %+v, want %+v", i, r, want[i])
		}
	}
	out := logs.String()
	if strings.Count(out, "sandbox request") != 3 {
		t.Fatalf("got log %q, want one line per request", out)
	}
	for _, secret := range []string{e.cfg.XepengClientSecret, e.cfg.OxPayAPIKey, e.cfg.OxPaySignKey, bad.Header.Get("X-Signature")} {
		if strings.Contains(out, secret) {
			t.Fatal("the log contains a credential or signature")
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestStartStop(t *testing.T) {
	cfg := DefaultConfig()
	srv := New(cfg, nil)
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("got url %s, want http://127.0.0.1:port", url)
	}
	ts := fmt.Sprint(time.Now().Unix())
	req, _ := http.NewRequest("GET", url+"/openapi/orders", nil)
	req.Header.Set("X-Client-ID", cfg.XepengClientID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", sign.Xepeng(cfg.XepengClientSecret, "GET", "/openapi/orders", ts, nil))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("got %d, want 200", res.StatusCode)
	}
	stop()
	stop() // a second stop is harmless
	if _, err := http.Get(url + "/openapi/orders"); err == nil {
		t.Fatal("got an answer after stop, want the connection refused")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(DefaultConfig(), nil).Serve(ctx, "127.0.0.1:0") }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("got %v, want nil after a clean shutdown", err)
	}
	if err := New(DefaultConfig(), nil).Serve(context.Background(), "127.0.0.1:-1"); err == nil {
		t.Fatal("got nil, want a listen error for a bad address")
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, nil)
	big := bytes.Repeat([]byte("x"), maxBody+1)
	xepengErr(t, e.do(e.xepengRequest("POST", "/openapi/orders", big, t0.Unix())), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}

// FuzzCreateOrder feeds arbitrary bodies to the create-order handler,
// correctly signed: the answer is always 201 or 422 in the envelope.
func FuzzCreateOrder(f *testing.F) {
	for _, seed := range []string{
		`{"items":[{"amount":50000,"product_name":"Kemeja Flanel"}]}`,
		`{"items":[{"amount":1e3,"product_name":"a"}],"currency":"SGD"}`,
		`{"items":null}`, `null`, `"x"`, `{"items":[{}]}`, `{"items":[{"amount":-1}]}`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return t0 }
	h := New(cfg, nil).Handler()
	ts := fmt.Sprint(t0.Unix())
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/openapi/orders", bytes.NewReader(body))
		req.Header.Set("X-Client-ID", cfg.XepengClientID)
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Signature", sign.Xepeng(cfg.XepengClientSecret, "POST", "/openapi/orders", ts, body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 201 && rec.Code != 422 {
			t.Fatalf("got %d, want 201 or 422: %s", rec.Code, rec.Body)
		}
		var env wire.XepengResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		if (rec.Code == 201) != (env.Status == wire.XepengStatusSuccess) {
			t.Fatalf("got status %d with envelope %q", rec.Code, env.Status)
		}
	})
}

// TestWriteJSONKeepsURLs checks that '&' in a URL is not escaped.
func TestWriteJSONKeepsURLs(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, 200, map[string]string{"u": "https://x.example/?a=1&b=<2>"})
	if got, want := rec.Body.String(), `{"u":"https://x.example/?a=1&b=<2>"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if rec.Header().Get("Content-Length") != fmt.Sprint(len(rec.Body.String())) {
		t.Fatalf("got Content-Length %s, want %d", rec.Header().Get("Content-Length"), rec.Body.Len())
	}
}
