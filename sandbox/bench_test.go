package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
)

const benchOrders = 100_000

// benchRequest is a signed list request for one page of 100.
func benchRequest(cfg Config, pageNo int) *http.Request {
	ts := fmt.Sprint(t0.Unix())
	req := httptest.NewRequest("GET", fmt.Sprintf("/openapi/orders?page=%d&limit=100", pageNo), nil)
	req.Header.Set("X-Client-ID", cfg.XepengClientID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", sign.Xepeng(cfg.XepengClientSecret, "GET", "/openapi/orders", ts, nil))
	return req
}

// BenchmarkListOrders pages through 100k seeded orders, 100 a page, as the
// order fetcher does: through the handler (the server's own cost, auth
// and JSON included), the same from many goroutines (RWMutex scaling),
// and over loopback HTTP.
func BenchmarkListOrders(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return t0 }
	srv := New(cfg, &gen.Dataset{Orders: seededOrders(benchOrders)})
	pages := benchOrders / 100
	report := func(b *testing.B, n int) {
		b.ReportMetric(float64(n*100)/b.Elapsed().Seconds(), "orders/s")
	}

	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, benchRequest(cfg, n%pages+1))
			if rec.Code != 200 {
				b.Fatalf("got %d: %s", rec.Code, rec.Body)
			}
			n++
		}
		report(b, n)
	})
	b.Run("handler-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := 0
			for pb.Next() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, benchRequest(cfg, n%pages+1))
				if rec.Code != 200 {
					b.Errorf("got %d", rec.Code)
					return
				}
				n++
			}
		})
		report(b, b.N)
	})
	b.Run("http", func(b *testing.B) {
		ts := httptest.NewServer(srv)
		defer ts.Close()
		n := 0
		for b.Loop() {
			req := benchRequest(cfg, n%pages+1)
			req.RequestURI = ""
			req.URL.Scheme, req.URL.Host = "http", ts.Listener.Addr().String()
			res, err := ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("got %d, %v", res.StatusCode, err)
			}
			n++
		}
		report(b, n)
	})
}
