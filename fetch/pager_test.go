package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/wire"
)

// listServer serves GET /openapi/orders and /openapi/payment-links from a
// fixed list, with hooks to misbehave.
type listServer struct {
	orders  []wire.Order
	success bool // answer in the {success: true} form
	// mutate may change what page n returns.
	mutate func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order
	// before runs before page n is answered, e.g. to hold it back.
	before func(n int)
}

func (s *listServer) handler(t testing.TB) http.Handler {
	return verifyXepeng(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if n < 1 || limit < 1 {
			writeJSON(w, 400, xepengFail("bad page or limit", "VALIDATION_ERROR"))
			return
		}
		if s.before != nil {
			s.before(n)
		}
		total := (len(s.orders) + limit - 1) / limit
		lo, hi := min((n-1)*limit, len(s.orders)), min(n*limit, len(s.orders))
		items := append([]wire.Order{}, s.orders[lo:hi]...)
		pg := wire.Pagination{CurrentPage: n, TotalPages: total, TotalItems: len(s.orders), Limit: limit}
		if s.mutate != nil {
			items = s.mutate(n, items, &pg)
		}
		var data any
		if strings.HasSuffix(r.URL.Path, "/payment-links") {
			links := make([]wire.PaymentLink, len(items))
			for i, o := range items {
				links[i] = wire.PaymentLink{UID: "pl-" + o.UID, OrderUID: o.UID, Status: wire.LinkPaid, Amount: o.TotalAmount, Currency: o.Currency, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
			}
			data = wire.PaymentLinkList{PaymentLinks: links, Pagination: pg}
		} else {
			data = wire.OrderList{Orders: items, Pagination: pg}
		}
		if s.success {
			writeJSON(w, 200, map[string]any{"success": true, "message": "ok", "data": data})
		} else {
			writeJSON(w, 200, xepengOK(data))
		}
	})
}

func TestAllOrdersDeliversInPageOrder(t *testing.T) {
	for _, form := range []string{"status", "success"} {
		t.Run(form, func(t *testing.T) {
			orders := makeOrders(250) // 13 pages of 20
			// Page 2 is held until page 5 is being answered, so answers
			// arrive out of order and only reordering keeps pages in order.
			// (With one request in flight at a time this would deadlock
			// until the test's context ends.)
			page5 := make(chan struct{})
			var once sync.Once
			s := &listServer{orders: orders, success: form == "success"}
			s.before = func(n int) {
				if n == 2 {
					<-page5
				}
			}
			s.mutate = func(n int, items []wire.Order, _ *wire.Pagination) []wire.Order {
				if n == 5 {
					defer once.Do(func() { close(page5) })
				}
				return items
			}
			srv := newServer(t, s.handler(t))
			opts := testOptions(srv.URL)
			var progress [][2]int
			opts.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
			x := NewXepeng(opts, testClientID, testSecret)

			var pages [][]string
			err := x.AllOrders(withTimeout(t), 20, func(got []wire.Order) error {
				pages = append(pages, uids(got))
				return nil
			})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var want [][]string
			for lo := 0; lo < len(orders); lo += 20 {
				want = append(want, uids(orders[lo:min(lo+20, len(orders))]))
			}
			if diff := cmp.Diff(want, pages); diff != "" {
				t.Fatalf("pages (-want +got):\n%s", diff)
			}
			if len(progress) != 13 || progress[12] != [2]int{13, 13} {
				t.Errorf("got progress %v, want 13 calls ending with 13/13", progress)
			}
		})
	}
}

func TestAllOrdersFullValues(t *testing.T) {
	orders := makeOrders(45)
	srv := newServer(t, (&listServer{orders: orders}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	var got []wire.Order
	if err := x.AllOrders(withTimeout(t), 10, func(p []wire.Order) error { got = append(got, p...); return nil }); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if diff := cmp.Diff(orders, got, ignoreReceived); diff != "" {
		t.Fatalf("orders (-want +got):\n%s", diff)
	}
}

func TestAllOrdersRawKeepsServerBytes(t *testing.T) {
	orders := makeOrders(3)
	srv := newServer(t, (&listServer{orders: orders}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	var got []string
	err := x.AllOrdersRaw(withTimeout(t), 2, func(items []Item[wire.Order]) error {
		for _, it := range items {
			got = append(got, string(it.Raw))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	var want []string
	for _, o := range orders {
		b, _ := json.Marshal(o) // the server encodes with json.Marshal too
		want = append(want, string(b))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("raw (-want +got):\n%s", diff)
	}
}

func TestAllPaymentLinks(t *testing.T) {
	orders := makeOrders(31)
	srv := newServer(t, (&listServer{orders: orders, success: true}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	var got []string
	err := x.AllPaymentLinks(withTimeout(t), 10, func(links []wire.PaymentLink) error {
		for _, l := range links {
			got = append(got, l.UID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	var want []string
	for _, o := range orders {
		want = append(want, "pl-"+o.UID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("links (-want +got):\n%s", diff)
	}
}

func TestAllOrdersEmptyList(t *testing.T) {
	srv := newServer(t, (&listServer{}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	calls := 0
	if err := x.AllOrders(withTimeout(t), 10, func([]wire.Order) error { calls++; return nil }); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if calls != 0 {
		t.Fatalf("got %d calls, want 0", calls)
	}
}

func TestAllOrdersInconsistent(t *testing.T) {
	tests := []struct {
		name    string
		orders  int
		mutate  func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order
		wantMsg string
	}{
		{
			name:   "more pages claimed than served",
			orders: 30, // 3 pages of 10, claimed as 5
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				pg.TotalPages, pg.TotalItems = 5, 0
				return items
			},
			wantMsg: "page 4 of 5 is empty",
		},
		{
			name:   "total_pages changes during the walk",
			orders: 50,
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				if n == 3 {
					pg.TotalPages = 6
				}
				return items
			},
			wantMsg: "total_pages changed from 5 to 6 at page 3",
		},
		{
			name:   "server ignores the page parameter",
			orders: 50,
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				pg.CurrentPage = 1
				return items
			},
			wantMsg: "asked for page 2, got current_page 1",
		},
		{
			name:   "total_items do not fit",
			orders: 50,
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				pg.TotalItems = 51
				return items
			},
			wantMsg: "total_items 51 do not fit in total_pages 5 of 10",
		},
		{
			name:   "total_items too few for the pages",
			orders: 50,
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				pg.TotalItems = 40
				return items
			},
			wantMsg: "total_items 40 need fewer than total_pages 5 of 10",
		},
		{
			name:   "first page empty",
			orders: 50,
			mutate: func(n int, items []wire.Order, pg *wire.Pagination) []wire.Order {
				pg.TotalItems = 0
				if n == 1 {
					return []wire.Order{}
				}
				return items
			},
			wantMsg: "page 1 of 5 is empty",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, (&listServer{orders: makeOrders(tc.orders), mutate: tc.mutate}).handler(t))
			x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
			err := x.AllOrders(withTimeout(t), 10, func([]wire.Order) error { return nil })
			if !errors.Is(err, ErrInconsistent) {
				t.Fatalf("got %v, want ErrInconsistent", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), "GET /openapi/orders") {
				t.Fatalf("got %q, want it to name the endpoint and say %q", err, tc.wantMsg)
			}
		})
	}
}

// When the list shifts under the walk, a uid is delivered once: with the
// later page when the pages are adjacent, with the first otherwise.
func TestAllOrdersDedupesShiftedItems(t *testing.T) {
	orders := makeOrders(40) // 4 pages of 10
	updated := orders[9]
	updated.Status = wire.OrderInactive
	s := &listServer{orders: orders}
	s.mutate = func(n int, items []wire.Order, _ *wire.Pagination) []wire.Order {
		switch n {
		case 2: // the last item of page 1 slid onto page 2, updated meanwhile
			return append([]wire.Order{updated}, items...)
		case 4: // an item of page 1 seen again far away, and a repeat within the page
			return append(append([]wire.Order{orders[0]}, items...), items[0])
		}
		return items
	}
	srv := newServer(t, s.handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	var got []wire.Order
	if err := x.AllOrders(withTimeout(t), 10, func(p []wire.Order) error { got = append(got, p...); return nil }); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := append(append(append([]wire.Order{}, orders[:9]...), updated), orders[10:30]...)
	want = append(append(want, orders[31:40]...), orders[30])
	if diff := cmp.Diff(want, got, ignoreReceived); diff != "" {
		t.Fatalf("orders (-want +got):\n%s", diff)
	}
}

func TestAllOrdersStopsOnCallbackError(t *testing.T) {
	srv := newServer(t, (&listServer{orders: makeOrders(100)}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	stop := errors.New("disk full")
	calls := 0
	err := x.AllOrders(withTimeout(t), 10, func([]wire.Order) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("got %v after %d calls, want %v after 3", err, calls, stop)
	}
}

func TestAllOrdersPageErrorNamesThePage(t *testing.T) {
	s := &listServer{orders: makeOrders(50)}
	inner := s.handler(t)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "3" {
			writeJSON(w, 500, xepengFail("database down", ""))
			return
		}
		inner.ServeHTTP(w, r)
	}))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	err := x.AllOrders(withTimeout(t), 10, func([]wire.Order) error { return nil })
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
	for _, want := range []string{"page 3 of 5", "/openapi/orders?page=3&limit=10", "HTTP 500", "database down"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to contain %q", err, want)
		}
	}
}

func TestAllOrdersCancelled(t *testing.T) {
	s := &listServer{orders: makeOrders(100)}
	srv := newServer(t, s.handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	ctx, cancel := context.WithCancel(withTimeout(t))
	err := x.AllOrders(ctx, 10, func([]wire.Order) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
