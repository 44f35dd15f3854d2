package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/wire"
)

func TestParseFaults(t *testing.T) {
	all := FaultKinds()
	tests := []struct {
		name string
		spec string
		want Faults
		errs []string // substrings the error must hold; nil for success
	}{
		{name: "the issue's example", spec: "rate=0.05,kinds=500|502|503|429|timeout|reset|truncated|slow,seed=7",
			want: Faults{Rate: 0.05, Seed: 7, Kinds: []FaultKind{Fault500, Fault502, Fault503, Fault429, FaultTimeout, FaultReset, FaultTruncated, FaultSlow}}},
		{name: "rate alone means every kind", spec: "rate=1", want: Faults{Rate: 1}},
		{name: "every key, spaces around", spec: " rate = 0.5 , kinds = nonjson | cut-body , seed=-3, max-consecutive=3, slow=10ms, hold=1s, retry-after=2s ",
			want: Faults{Rate: 0.5, Kinds: []FaultKind{FaultNonJSON, FaultCutBody}, Seed: -3, MaxConsecutive: 3,
				SlowDelay: 10 * time.Millisecond, Hold: time.Second, RetryAfter: 2 * time.Second}},
		{name: "zero rate is allowed", spec: "rate=0", want: Faults{}},
		{name: "empty", spec: " ", errs: []string{"empty"}},
		{name: "rate missing", spec: "seed=1", errs: []string{"rate is required"}},
		{name: "rate out of range", spec: "rate=1.5", errs: []string{"rate 1.5 must be between 0 and 1"}},
		{name: "rate negative", spec: "rate=-0.1", errs: []string{"between 0 and 1"}},
		{name: "rate NaN", spec: "rate=NaN", errs: []string{"between 0 and 1"}},
		{name: "rate not a number", spec: "rate=often", errs: []string{`rate="often"`}},
		{name: "unknown kind", spec: "rate=0.1,kinds=500|teapot", errs: []string{`unknown fault kind "teapot"`, "500|502|503"}},
		{name: "kind twice", spec: "rate=0.1,kinds=500|500", errs: []string{`"500" listed twice`}},
		{name: "empty kind", spec: "rate=0.1,kinds=500|", errs: []string{`unknown fault kind ""`}},
		{name: "unknown key", spec: "rate=0.1,ratio=2", errs: []string{`unknown key "ratio"`}},
		{name: "key twice", spec: "rate=0.1,rate=0.2", errs: []string{"rate given twice"}},
		{name: "no equals sign", spec: "rate=0.1,slow", errs: []string{`"slow": want key=value`}},
		{name: "empty item", spec: "rate=0.1,,seed=2", errs: []string{`"": want key=value`}},
		{name: "bad duration", spec: "rate=0.1,slow=fast", errs: []string{`slow="fast"`}},
		{name: "negative duration", spec: "rate=0.1,hold=-1s", errs: []string{`hold="-1s"`}},
		{name: "retry-after not whole seconds", spec: "rate=0.1,retry-after=0.5", errs: []string{`retry-after="0.5"`}},
		{name: "retry-after zero", spec: "rate=0.1,retry-after=0", errs: []string{`retry-after="0"`}},
		{name: "max-consecutive zero", spec: "rate=0.1,max-consecutive=0", errs: []string{`max-consecutive="0"`}},
		{name: "bad seed", spec: "rate=0.1,seed=x", errs: []string{`seed="x"`}},
		{name: "every problem at once", spec: "rate=2,kinds=teapot,color=red,slow=x",
			errs: []string{"rate 2", `"teapot"`, `"color"`, `slow="x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Fatalf("faults (-want +got):\n%s", diff)
				}
				// String writes a spec that reads back to the same faults,
				// defaults filled in.
				again, err := ParseFaults(got.String())
				if err != nil {
					t.Fatalf("reparse %q: %v", got.String(), err)
				}
				if diff := cmp.Diff(got.withDefaults(), again); diff != "" {
					t.Fatalf("String round trip of %q (-want +got):\n%s", got.String(), diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %+v, want an error", got)
			}
			for _, want := range tc.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
	if len(all) != 10 {
		t.Fatalf("got %d kinds, want 10: the table and the docs list ten", len(all))
	}
}

// decisions asks f for the fault of each identity calls times in a row.
func decisions(fl *faulter, ids []string, calls int) map[string][]FaultKind {
	out := make(map[string][]FaultKind, len(ids))
	for _, id := range ids {
		for range calls {
			out[id] = append(out[id], fl.decide(id))
		}
	}
	return out
}

func identities(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("GET /openapi/orders?page=%d&limit=100", i+1)
	}
	return ids
}

func TestFaultDecisionsAreDeterministic(t *testing.T) {
	f := Faults{Rate: 0.3, Seed: 7}
	ids := identities(500)
	want := decisions(newFaulter(f), ids, 6)

	// The same seed again, and the same calls asked by 32 goroutines at
	// once in another order: each identity gets the same sequence.
	fl := newFaulter(f)
	got := make(map[string][]FaultKind, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := len(ids) - 1 - g; i >= 0; i -= 32 {
				seq := make([]FaultKind, 0, 6)
				for range 6 {
					seq = append(seq, fl.decide(ids[i]))
				}
				mu.Lock()
				got[ids[i]] = seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("same seed, concurrent calls: decisions differ (-sequential +concurrent):\n%s", diff)
	}

	other := decisions(newFaulter(Faults{Rate: 0.3, Seed: 8}), ids, 6)
	if cmp.Equal(want, other) {
		t.Fatal("seeds 7 and 8 fault the same requests; the seed must matter")
	}
}

func TestFaultRateAndKinds(t *testing.T) {
	const n = 20000
	fl := newFaulter(Faults{Rate: 0.05, Seed: 1})
	count := map[FaultKind]int{}
	for _, id := range identities(n) {
		if k := fl.decide(id); k != "" {
			count[k]++
		}
	}
	var faults int
	for _, k := range FaultKinds() {
		faults += count[k]
		// 100 expected per kind; the seed is fixed, so this is exact, and
		// the bounds only say the choice is spread over every kind.
		if count[k] < 50 || count[k] > 150 {
			t.Errorf("kind %s chosen %d times of %d faults, want about a tenth", k, count[k], faults)
		}
	}
	if share := float64(faults) / n; share < 0.04 || share > 0.06 {
		t.Errorf("faulted %d of %d requests (%.3f), want about 0.05", faults, n, share)
	}
}

func TestFaultsInARowAreCapped(t *testing.T) {
	for _, tc := range []struct {
		max  int
		want string
	}{
		{max: 0, want: "FF.FF.FF."}, // the default, 2
		{max: 1, want: "F.F.F.F.F"},
		{max: 3, want: "FFF.FFF.F"},
	} {
		t.Run(strconv.Itoa(tc.max), func(t *testing.T) {
			fl := newFaulter(Faults{Rate: 1, Kinds: []FaultKind{Fault500}, MaxConsecutive: tc.max})
			var got strings.Builder
			for range len(tc.want) {
				if fl.decide("GET /openapi/orders?") == "" {
					got.WriteByte('.')
				} else {
					got.WriteByte('F')
				}
			}
			if got.String() != tc.want {
				t.Fatalf("got %s, want %s", got.String(), tc.want)
			}
		})
	}
}

// reqLog collects the sandbox's request records.
type reqLog struct {
	mu   sync.Mutex
	recs []RequestRecord
}

func (l *reqLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
}

func (l *reqLog) all() []RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.recs)
}

// faults counts the records of each fault kind.
func (l *reqLog) faults() map[FaultKind]int {
	out := map[FaultKind]int{}
	for _, r := range l.all() {
		if r.Fault != "" {
			out[r.Fault]++
		}
	}
	return out
}

// faultyServer serves data on 127.0.0.1 with faults, logging every
// request. Its close waits for every request in flight, so the log is
// complete after it.
func faultyServer(t testing.TB, data *gen.Dataset, f Faults) (url string, log *reqLog, close func()) {
	t.Helper()
	log = &reqLog{}
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return t0 }
	cfg.OnRequest = log.add
	cfg.Faults = f
	ts := httptest.NewServer(New(cfg, data).Handler())
	t.Cleanup(ts.Close)
	return ts.URL, log, ts.Close
}

func testData(t testing.TB, seed int64, orders int) *gen.Dataset {
	t.Helper()
	data, err := gen.Generate(gen.Options{Seed: seed, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFaultAnswers checks what each kind puts on the wire, for both APIs.
func TestFaultAnswers(t *testing.T) {
	data := testData(t, 1, 20)
	targets := []struct {
		api, path string
		sign      bool
	}{
		{"xepeng", "/openapi/orders?page=1&limit=5", true},
		{"oxpay", "/oxpay/payment/" + data.Transactions[0].OxpayTxnID, false},
	}
	request := func(t *testing.T, base, path string, sign bool) *http.Request {
		e := &env{t: t, cfg: DefaultConfig(), url: base}
		if sign {
			return e.xepengRequest("GET", path, nil, t0.Unix())
		}
		return e.oxpayRequest("GET", path, nil)
	}
	for _, tg := range targets {
		cleanURL, _, _ := faultyServer(t, data, Faults{})
		res, err := http.DefaultClient.Do(request(t, cleanURL, tg.path, tg.sign))
		if err != nil {
			t.Fatal(err)
		}
		clean, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !json.Valid(clean) {
			t.Fatalf("%s: clean answer %d %s", tg.api, res.StatusCode, clean)
		}

		for _, kind := range FaultKinds() {
			t.Run(tg.api+"/"+string(kind), func(t *testing.T) {
				url, log, closeSrv := faultyServer(t, data, Faults{Rate: 1, Kinds: []FaultKind{kind},
					SlowDelay: 10 * time.Millisecond, Hold: 20 * time.Millisecond, RetryAfter: 2 * time.Second})
				tr := &http.Transport{}
				t.Cleanup(tr.CloseIdleConnections)
				hc := &http.Client{Transport: tr}
				res, err := hc.Do(request(t, url, tg.path, tg.sign))
				var body []byte
				if err == nil {
					body, err = io.ReadAll(res.Body)
					res.Body.Close()
				}
				closeSrv()

				recs := log.all()
				if len(recs) != 1 || recs[0].Fault != kind {
					t.Fatalf("got records %+v, want one with fault %s", recs, kind)
				}
				switch kind {
				case FaultReset:
					if err == nil || recs[0].Status != 0 {
						t.Fatalf("got %v, record status %d; want a connection error and status 0", err, recs[0].Status)
					}
					return
				case FaultCutBody:
					if !errors.Is(err, io.ErrUnexpectedEOF) || res.StatusCode != 200 || recs[0].Status != 200 {
						t.Fatalf("got err %v, record status %d; want 200 and an unexpected EOF mid-body", err, recs[0].Status)
					}
					if res.ContentLength != int64(len(clean)) || len(body) != len(clean)/2 {
						t.Errorf("got Content-Length %d and %d bytes, want %d promised and half sent", res.ContentLength, len(body), len(clean))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if recs[0].Status != res.StatusCode {
					t.Errorf("record status %d, response %d", recs[0].Status, res.StatusCode)
				}
				wantRetryAfter := ""
				if kind == Fault429 || kind == Fault503 {
					wantRetryAfter = "2"
				}
				if got := res.Header.Get("Retry-After"); got != wantRetryAfter {
					t.Errorf("got Retry-After %q, want %q", got, wantRetryAfter)
				}
				if res.ContentLength != int64(len(body)) {
					t.Errorf("got Content-Length %d for a body of %d bytes", res.ContentLength, len(body))
				}
				switch kind {
				case Fault500, Fault502, Fault503, Fault429, FaultTimeout:
					status := map[FaultKind]int{Fault500: 500, Fault502: 502, Fault503: 503, Fault429: 429, FaultTimeout: 504}[kind]
					code := map[FaultKind]string{Fault500: "INTERNAL_ERROR", Fault502: "BAD_GATEWAY", Fault503: "SERVICE_UNAVAILABLE",
						Fault429: "TOO_MANY_REQUESTS", FaultTimeout: "GATEWAY_TIMEOUT"}[kind]
					r := resp{status: res.StatusCode, header: res.Header, body: body}
					if tg.api == "xepeng" {
						xepengErr(t, r, status, code)
						return
					}
					var env wire.OxEnvelope[wire.OxError]
					if err := json.Unmarshal(body, &env); err != nil || res.StatusCode != status ||
						env.Headers.StatusCode != wire.OxStatusError || env.Body.StatusDesc == "" {
						t.Fatalf("got %d %s, want %d with status_code 3 and a status_desc", res.StatusCode, body, status)
					}
				case FaultTruncated:
					if res.StatusCode != 200 || len(body) != len(clean)/2 || !bytes.HasPrefix(clean, body) || json.Valid(body) {
						t.Fatalf("got %d %q, want 200 with the first half of %q", res.StatusCode, body, clean)
					}
				case FaultNonJSON:
					if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || json.Valid(body) {
						t.Fatalf("got %d %s %q, want 200 text/html", res.StatusCode, res.Header.Get("Content-Type"), body)
					}
				case FaultSlow:
					if res.StatusCode != 200 || !bytes.Equal(body, clean) {
						t.Fatalf("got %d %s, want the clean answer", res.StatusCode, body)
					}
				default:
					t.Fatalf("kind %s is not checked", kind)
				}
			})
		}
	}
}

func TestFaultsSpareBrowserPagesAndUnknownRoutes(t *testing.T) {
	data := testData(t, 1, 20)
	url, log, closeSrv := faultyServer(t, data, Faults{Rate: 1, Kinds: []FaultKind{Fault500}})
	for _, path := range []string{"/pay/" + data.Links[0].UID, "/oxpay/hpp?session_id=nope", "/openapi/nope", "/elsewhere", "/openapi/orders"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	closeSrv()
	var got []string
	for _, r := range log.all() {
		got = append(got, fmt.Sprintf("%s %d %q", r.Path, r.Status, r.Fault))
	}
	want := []string{
		"/pay/" + data.Links[0].UID + ` 200 ""`,
		`/oxpay/hpp 400 ""`,
		`/openapi/nope 404 ""`,
		`/elsewhere 404 ""`,
		`/openapi/orders 500 "500"`, // the API itself is faulted
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
}

// callResults is what callAll reads through the real clients.
type callResults struct {
	Orders []wire.Order
	Order  wire.Order
	Txn    wire.Transaction
	TxnRaw string
}

// callAll walks the orders (three pages), reads one order and one
// transaction through recon's own clients.
func callAll(ctx context.Context, base string, data *gen.Dataset, opts fetch.Options) (callResults, error) {
	var r callResults
	xo, oo := opts, opts
	xo.BaseURL, oo.BaseURL = base, base+"/oxpay"
	x := fetch.NewXepeng(xo, DefaultXepengClientID, DefaultXepengClientSecret)
	ox := fetch.NewOxPay(oo, DefaultOxPayAPIKey, DefaultOxPaySignKey)
	err := x.AllOrders(ctx, 10, func(p []wire.Order) error {
		r.Orders = append(r.Orders, p...)
		return nil
	})
	if err != nil {
		return r, err
	}
	if r.Order, err = x.GetOrder(ctx, data.Orders[len(data.Orders)/2].UID); err != nil {
		return r, err
	}
	tx, raw, err := ox.GetTransaction(ctx, data.Transactions[0].OxpayTxnID)
	r.Txn, r.TxnRaw = tx, string(raw)
	return r, err
}

// TestFaultsThroughClients faults every request of every call twice in a
// row (rate 1, the default cap of 2) and reads through recon's clients
// with three attempts: each kind is retried and the result is exactly
// the clean one. A truncated or non-JSON 200 is retried, never taken for
// an empty page.
func TestFaultsThroughClients(t *testing.T) {
	data := testData(t, 4, 24)
	opts := fetch.Options{
		Timeout: 5 * time.Second, MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		// Retry-After is honoured up to this cap; the header itself is
		// checked in TestFaultAnswers.
		MaxRetryAfter: time.Millisecond,
		Seed:          1, Now: func() time.Time { return t0 }, Version: "test",
	}
	cleanURL, cleanLog, closeClean := faultyServer(t, data, Faults{})
	want, err := callAll(t.Context(), cleanURL, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	closeClean()
	calls := len(cleanLog.all())
	if len(want.Orders) != len(data.Orders) || calls != 5 {
		t.Fatalf("clean run: %d orders in %d calls, want %d in 5", len(want.Orders), calls, len(data.Orders))
	}

	for _, kind := range FaultKinds() {
		t.Run(string(kind), func(t *testing.T) {
			url, log, closeSrv := faultyServer(t, data, Faults{Rate: 1, Kinds: []FaultKind{kind},
				SlowDelay: 10 * time.Millisecond, Hold: time.Minute})
			o := opts
			if kind == FaultTimeout {
				o.Timeout = 300 * time.Millisecond
			}
			var mu sync.Mutex
			var retries []fetch.RequestInfo
			o.OnRequest = func(ri fetch.RequestInfo) {
				if ri.Retry {
					mu.Lock()
					retries = append(retries, ri)
					mu.Unlock()
				}
			}
			got, err := callAll(t.Context(), url, data, o)
			if err != nil {
				t.Fatalf("got %v, want the calls to get through on the third attempt", err)
			}
			closeSrv() // every held request has answered: the log is complete
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("results differ from a clean run (-clean +faulted):\n%s", diff)
			}

			faults, total := log.faults()[kind], len(log.all())
			if kind == FaultSlow {
				// A slow answer is an answer: nothing is retried.
				if faults != calls || total != calls || len(retries) != 0 {
					t.Fatalf("got %d slow of %d requests and %d retries, want %d, %d and 0", faults, total, len(retries), calls, calls)
				}
				return
			}
			if faults != 2*calls || total != 3*calls {
				t.Fatalf("got %d faults in %d requests, want %d in %d", faults, total, 2*calls, 3*calls)
			}
			// Go's transport itself resends a GET whose reused connection
			// was reset before any answer, so the client may see fewer.
			if kind == FaultReset && len(retries) <= faults {
				return
			}
			if len(retries) != faults {
				t.Fatalf("the client retried %d times for %d faults", len(retries), faults)
			}
			if kind == FaultTruncated || kind == FaultNonJSON {
				for _, ri := range retries {
					if ri.StatusCode != 200 || ri.Err == nil {
						t.Errorf("retry after %s: status %d, err %v; want a 200 whose body was refused", ri.Path, ri.StatusCode, ri.Err)
					}
				}
			}
		})
	}
}

// TestShutdownReleasesHeldRequests: a request held by a timeout fault
// gets its 504 as soon as the server shuts down, instead of keeping the
// shutdown waiting for the hold.
func TestShutdownReleasesHeldRequests(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = Faults{Rate: 1, Kinds: []FaultKind{FaultTimeout}, Hold: time.Hour}
	srv := New(cfg, nil)
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		// The client's timeout only ends the test should the release not work.
		res, err := (&http.Client{Timeout: time.Minute}).Get(url + "/openapi/orders")
		if err != nil {
			done <- result{err: err}
			return
		}
		res.Body.Close()
		done <- result{status: res.StatusCode}
	}()
	for held := false; !held; {
		srv.faults.mu.Lock()
		held = len(srv.faults.calls) > 0
		srv.faults.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	stop()
	if r := <-done; r.err != nil || r.status != http.StatusGatewayTimeout {
		t.Fatalf("got %d %v, want 504", r.status, r.err)
	}
}

func TestNewPanicsOnInvalidFaults(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "teapot") {
			t.Fatalf("got panic %v, want one naming the bad kind", r)
		}
	}()
	New(Config{Faults: Faults{Rate: 0.1, Kinds: []FaultKind{"teapot"}}}, nil)
}
