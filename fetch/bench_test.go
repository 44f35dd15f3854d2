package fetch

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/reconkit/reconkit/wire"
)

// BenchmarkAllOrders walks 200 pages of 100 orders from a server that
// answers from pre-encoded pages, so the figure is the client's: request,
// signing, decoding, reordering and dedupe.
func BenchmarkAllOrders(b *testing.B) {
	x, limit := benchServer(b)
	ctx := withTimeout(b)
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		err := x.AllOrders(ctx, limit, func(got []wire.Order) error {
			total += len(got)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkAllOrdersRaw is BenchmarkAllOrders keeping each order's bytes.
func BenchmarkAllOrdersRaw(b *testing.B) {
	x, limit := benchServer(b)
	ctx := withTimeout(b)
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		err := x.AllOrdersRaw(ctx, limit, func(got []Item[wire.Order]) error {
			total += len(got)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "orders/s")
}

// benchServer serves 200 pages of 100 orders.
func benchServer(b *testing.B) (*Xepeng, int) {
	const pages, limit = 200, 100
	orders := makeOrders(pages * limit)
	bodies := make([][]byte, pages+1)
	for n := 1; n <= pages; n++ {
		data := wire.OrderList{
			Orders:     orders[(n-1)*limit : n*limit],
			Pagination: wire.Pagination{CurrentPage: n, TotalPages: pages, TotalItems: len(orders), Limit: limit},
		}
		body, err := json.Marshal(xepengOK(data))
		if err != nil {
			b.Fatal(err)
		}
		bodies[n] = body
	}
	srv := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if n < 1 || n > pages {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bodies[n])
	}))
	return NewXepeng(testOptions(srv.URL), testClientID, testSecret), limit
}
