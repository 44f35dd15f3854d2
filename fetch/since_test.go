package fetch

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/wire"
)

// TestOrdersSince checks that an incremental walk delivers exactly the
// pages that may hold orders created at or after since, for a list kept
// oldest first and one kept newest first, and asks for few other pages.
func TestOrdersSince(t *testing.T) {
	const n, per = 250, 20 // 13 pages, the last one of 10
	asc := makeOrders(n)
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	at := func(i int) time.Time { return asc[i].CreatedAt } // order i+1 was created at(i)
	tests := []struct {
		name   string
		orders []wire.Order
		since  time.Time
		want   []wire.Order // what is delivered, in delivery order
	}{
		{"zero since walks all", asc, time.Time{}, asc},
		{"ascending, since in page 7", asc, at(130), asc[120:]},
		{"ascending, since on a page boundary", asc, at(120), asc[120:]},
		{"ascending, since just after a page", asc, at(119).Add(time.Second), asc[120:]},
		{"ascending, since before all", asc, at(0).Add(-time.Hour), asc},
		{"ascending, since after all reads the last page", asc, at(n - 1).Add(time.Hour), asc[240:]},
		{"descending, since in page 6", desc, at(130), desc[:120]},
		{"descending, since is page 7's first", desc, at(129), desc[:140]},
		{"descending, since after all reads page 1", desc, at(n - 1).Add(time.Hour), desc[:20]},
		{"descending, since before all", desc, at(0).Add(-time.Hour), desc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			s := &listServer{orders: tt.orders, before: func(int) { requests.Add(1) }}
			srv := newServer(t, s.handler(t))
			x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
			var got []wire.Order
			pages, err := x.OrdersSinceRaw(withTimeout(t), per, tt.since, func(items []Item[wire.Order]) error {
				for _, it := range items {
					got = append(got, it.Value)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if diff := cmp.Diff(uids(tt.want), uids(got)); diff != "" {
				t.Fatalf("delivered (-want +got):\n%s", diff)
			}
			wantPages := (len(tt.want) + per - 1) / per
			if pages != wantPages {
				t.Errorf("got %d pages walked, want %d", pages, wantPages)
			}
			// The walk, page 1, the last page and a binary search of 13
			// pages (at most 4 probes).
			if max := int64(wantPages + 2 + 4); requests.Load() > max {
				t.Errorf("made %d requests, want at most %d", requests.Load(), max)
			}
		})
	}
}

func TestPaymentLinksSince(t *testing.T) {
	orders := makeOrders(95)
	srv := newServer(t, (&listServer{orders: orders}).handler(t))
	x := NewXepeng(testOptions(srv.URL), testClientID, testSecret)
	var got []string
	_, err := x.PaymentLinksSinceRaw(withTimeout(t), 10, orders[52].CreatedAt, func(items []Item[wire.PaymentLink]) error {
		for _, it := range items {
			got = append(got, it.Value.OrderUID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(uids(orders[50:]), got); diff != "" {
		t.Fatalf("links (-want +got):\n%s", diff)
	}
}
