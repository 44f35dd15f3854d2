package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/wire"
)

// The load: 32 clients, each with its own connections, making 50 signed
// calls drawn from a seeded generator: list and get orders and payment
// links on Xepeng, get transactions on OxPay.
const (
	loadClients   = 32
	loadCalls     = 50
	loadPageLimit = 20
)

// norm passes v through JSON, as an answer on the wire does, so that a
// record of the dataset compares equal to the same record decoded.
func norm[T any](t testing.TB, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadWant is every answer the load may get, from the dataset.
type loadWant struct {
	orderPages []wire.OrderList
	linkPages  []wire.PaymentLinkList
	orders     map[string]wire.Order
	links      map[string]wire.PaymentLink
	txns       map[string]wire.Transaction
	orderUIDs  []string
	linkUIDs   []string
	txnIDs     []string
}

func pages[T any](t testing.TB, all []T, compare func(a, b *T) int) ([][]T, wire.Pagination) {
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b T) int { return compare(&a, &b) })
	var out [][]T
	for p := range slices.Chunk(sorted, loadPageLimit) {
		out = append(out, norm(t, p))
	}
	return out, wire.Pagination{TotalPages: len(out), TotalItems: len(all), Limit: loadPageLimit}
}

func newLoadWant(t testing.TB, data *gen.Dataset) *loadWant {
	w := &loadWant{orders: map[string]wire.Order{}, links: map[string]wire.PaymentLink{}, txns: map[string]wire.Transaction{}}
	op, opg := pages(t, data.Orders, compareOrders)
	for i, p := range op {
		opg.CurrentPage = i + 1
		w.orderPages = append(w.orderPages, wire.OrderList{Orders: p, Pagination: opg})
	}
	lp, lpg := pages(t, data.Links, compareLinks)
	for i, p := range lp {
		lpg.CurrentPage = i + 1
		w.linkPages = append(w.linkPages, wire.PaymentLinkList{PaymentLinks: p, Pagination: lpg})
	}
	for _, o := range data.Orders {
		w.orders[o.UID] = norm(t, o)
		w.orderUIDs = append(w.orderUIDs, o.UID)
	}
	for _, l := range data.Links {
		w.links[l.UID] = norm(t, l)
		w.linkUIDs = append(w.linkUIDs, l.UID)
	}
	for _, tx := range data.Transactions {
		w.txns[tx.OxpayTxnID] = norm(t, tx)
		w.txnIDs = append(w.txnIDs, tx.OxpayTxnID)
	}
	return w
}

// loadClient makes one client's calls and checks every answer.
func loadClient(ctx context.Context, w *loadWant, base string, opts fetch.Options, client int) error {
	xo, oo := opts, opts
	xo.BaseURL, oo.BaseURL = base, base+"/oxpay"
	x := fetch.NewXepeng(xo, DefaultXepengClientID, DefaultXepengClientSecret)
	ox := fetch.NewOxPay(oo, DefaultOxPayAPIKey, DefaultOxPaySignKey)
	rng := rand.New(rand.NewPCG(uint64(client), 0x10ad))
	for i := range loadCalls {
		var (
			what      string
			got, want any
			err       error
		)
		switch rng.IntN(5) {
		case 0:
			p := rng.IntN(len(w.orderPages)) + 1
			what, want = fmt.Sprintf("orders page %d", p), w.orderPages[p-1]
			got, err = x.ListOrders(ctx, p, loadPageLimit)
		case 1:
			uid := w.orderUIDs[rng.IntN(len(w.orderUIDs))]
			what, want = "order "+uid, w.orders[uid]
			got, err = x.GetOrder(ctx, uid)
		case 2:
			p := rng.IntN(len(w.linkPages)) + 1
			what, want = fmt.Sprintf("payment links page %d", p), w.linkPages[p-1]
			got, err = x.ListPaymentLinks(ctx, p, loadPageLimit)
		case 3:
			uid := w.linkUIDs[rng.IntN(len(w.linkUIDs))]
			what, want = "payment link "+uid, w.links[uid]
			got, err = x.GetPaymentLink(ctx, uid)
		case 4:
			id := w.txnIDs[rng.IntN(len(w.txnIDs))]
			what, want = "transaction "+id, w.txns[id]
			got, _, err = ox.GetTransaction(ctx, id)
		}
		if err != nil {
			return fmt.Errorf("client %d call %d, %s: %w", client, i, what, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("client %d call %d, %s (-dataset +answer):\n%s", client, i, what, diff)
		}
	}
	return nil
}

// runLoad runs every client's calls, all at once or one client after the
// other, and returns the sandbox's request log once every request has
// been answered.
func runLoad(t *testing.T, data *gen.Dataset, w *loadWant, f Faults, opts fetch.Options, concurrent bool) []RequestRecord {
	t.Helper()
	url, log, closeSrv := faultyServer(t, data, f)
	errs := make([]error, loadClients)
	if concurrent {
		var wg sync.WaitGroup
		for c := range loadClients {
			wg.Go(func() { errs[c] = loadClient(t.Context(), w, url, opts, c) })
		}
		wg.Wait()
	} else {
		for c := range loadClients {
			errs[c] = loadClient(t.Context(), w, url, opts, c)
		}
	}
	closeSrv()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	return log.all()
}

func loadOptions() fetch.Options {
	return fetch.Options{
		Timeout: 10 * time.Second, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		MaxRetryAfter: time.Millisecond, Concurrency: 1, Seed: 1,
		Now: func() time.Time { return t0 }, Version: "test",
	}
}

// TestLoad: 32 concurrent clients get exactly the dataset's answers, and
// the sandbox answers every request 200 the first time.
func TestLoad(t *testing.T) {
	data := testData(t, 2, 300)
	w := newLoadWant(t, data)
	opts := loadOptions()
	opts.MaxAttempts = 1 // a retry would hide a wrong or failed first answer
	recs := runLoad(t, data, w, Faults{}, opts, true)
	if len(recs) != loadClients*loadCalls {
		t.Fatalf("the sandbox logged %d requests, want %d", len(recs), loadClients*loadCalls)
	}
	for _, r := range recs {
		if r.Status != 200 || r.Fault != "" {
			t.Fatalf("got %+v, want every request answered 200", r)
		}
	}
}

// TestLoadWithFaults: with 5% of requests faulted, the 32 concurrent
// clients still get exactly the dataset's answers after retries, and the
// sandbox injects exactly the faults it injects when the same calls come
// one client after the other: arrival order does not change which calls
// fail. (Timeouts are left out only to keep the test fast.)
func TestLoadWithFaults(t *testing.T) {
	data := testData(t, 2, 300)
	w := newLoadWant(t, data)
	f := Faults{Rate: 0.05, Seed: 11, SlowDelay: time.Millisecond, Kinds: []FaultKind{
		Fault500, Fault502, Fault503, Fault429, FaultReset, FaultCutBody, FaultTruncated, FaultNonJSON, FaultSlow}}
	opts := loadOptions()
	opts.MaxAttempts = DefaultMaxConsecutiveFaults + 1
	count := func(recs []RequestRecord) map[FaultKind]int {
		out := map[FaultKind]int{}
		for _, r := range recs {
			out[r.Fault]++
		}
		return out
	}
	concurrent := count(runLoad(t, data, w, f, opts, true))
	sequential := count(runLoad(t, data, w, f, opts, false))
	if diff := cmp.Diff(sequential, concurrent); diff != "" {
		t.Fatalf("requests by fault (\"\" for none) differ (-one client at a time +all at once):\n%s", diff)
	}
	// Every call ends with one answer, clean or slow; every other request
	// was a fault that the client retried.
	if ends := concurrent[""] + concurrent[FaultSlow]; ends != loadClients*loadCalls || len(concurrent) < 5 {
		t.Fatalf("got %v: %d calls answered, want %d and faults of several kinds", concurrent, ends, loadClients*loadCalls)
	}
}
