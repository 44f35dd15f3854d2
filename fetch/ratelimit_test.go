package fetch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/reconkit/reconkit/wire"
)

func newLimiter(perSecond float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), burst)
}

// The server's own arrival log is checked in generous windows: a limiter
// of 50/s with burst 1 lets at most 1+50·w requests start in any window
// w, and arrivals can bunch only by the scheduling noise added on top.
// Without the limiter, 20 requests four at a time arrive within a few
// milliseconds and fail both checks.
func TestRateLimiterPacesRequests(t *testing.T) {
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		writeJSON(w, 200, oxOK(wire.Transaction{OxpayTxnID: strings.TrimPrefix(r.URL.Path, "/payment/")}))
	}))
	opts := testOptions(srv.URL)
	opts.Limiter = newLimiter(50, 1)
	opts.Concurrency = 4
	o := NewOxPay(opts, testAPIKey, testSignKey)
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprint(i+1))
	}
	err := o.GetTransactions(withTimeout(t), ids, func(string, wire.Transaction, json.RawMessage, error) error { return nil })
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 20 {
		t.Fatalf("got %d requests, want 20", len(arrivals))
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	const window, slack = 100 * time.Millisecond, 3
	limit := 1 + int(50*window.Seconds()) + slack
	for i := range arrivals {
		n := 0
		for j := i; j < len(arrivals) && arrivals[j].Sub(arrivals[i]) < window; j++ {
			n++
		}
		if n > limit {
			t.Fatalf("got %d requests within %v of request %d, want at most %d", n, window, i+1, limit)
		}
	}
	// 19 gaps of 20ms make 380ms; allow half of it for noise.
	if span := arrivals[19].Sub(arrivals[0]); span < 190*time.Millisecond {
		t.Fatalf("got 20 requests within %v, want them spread over about 380ms", span)
	}
}
