package reconcli

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// requestLog keeps the records of a sandbox's requests.
type requestLog struct {
	mu   sync.Mutex
	recs []sandbox.RequestRecord
}

func (l *requestLog) add(r sandbox.RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
}

func (l *requestLog) all() []sandbox.RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.recs)
}

// serveWorld starts a sandbox of data with faults on 127.0.0.1, logging
// its requests. stop waits for the requests in flight, so the log is
// complete after it.
func serveWorld(t *testing.T, data *gen.Dataset, faults sandbox.Faults) (url string, log *requestLog, stop func()) {
	t.Helper()
	log = &requestLog{}
	cfg := sandbox.DefaultConfig()
	cfg.OnRequest = log.add
	cfg.Faults = faults
	url, stop, err := sandbox.New(cfg, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, log, stop
}

// nightConfig writes a recon.yaml for a night against url in its own
// directory, reading the inputs in inbox, with extra YAML under http.
func nightConfig(t *testing.T, url, inbox, httpYAML string) (cfgPath, dbPath, reportDir string) {
	t.Helper()
	dir := t.TempDir()
	dbPath, reportDir = filepath.Join(dir, "recon.db"), filepath.Join(dir, "reports")
	cfgPath = writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+dbPath+"\nreport_dir: "+reportDir+
		"\nhttp:\n"+httpYAML+"xepeng:\n  base_url: "+url+"\noxpay:\n  base_url: "+url+"/oxpay\n"+
		"inputs:\n  webhooks: ["+filepath.Join(inbox, "webhooks.jsonl")+"]\n  ledger: ["+filepath.Join(inbox, "ledger.csv")+"]\n")
	return cfgPath, dbPath, reportDir
}

func writeInbox(t *testing.T, data *gen.Dataset) string {
	t.Helper()
	inbox := t.TempDir()
	if err := data.WriteFiles(inbox); err != nil {
		t.Fatal(err)
	}
	return inbox
}

// apiRows is what a run stored from both APIs, without the columns that
// say when it was fetched.
type apiRows struct {
	Orders       []recon.Order
	PaymentLinks []recon.PaymentLink
	Transactions []recon.Transaction
}

func readAPIRows(t *testing.T, dbPath string) apiRows {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r apiRows
	if r.Orders, err = db.Orders(ctx); err != nil {
		t.Fatal(err)
	}
	if r.PaymentLinks, err = db.PaymentLinks(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Transactions, err = db.Transactions(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunThroughFaultsMatchesCleanRun runs the same night twice, against
// a clean sandbox and against one that faults 5% of requests with every
// kind (errors, Retry-After, timeouts beyond the client's, resets,
// truncated and non-JSON 200s, slow answers). Retries make the faulted
// run store the same orders, links and transactions and write the same
// exceptions, byte for byte.
func TestRunThroughFaultsMatchesCleanRun(t *testing.T) {
	data, err := gen.Generate(gen.Options{Seed: 3, Orders: 400})
	if err != nil {
		t.Fatal(err)
	}
	inbox := writeInbox(t, data)
	const date = "2026-11-10"
	// An attempt times out at 500ms; a timeout fault holds far longer, and
	// a slow answer comes well within it.
	const httpYAML = "  timeout: 500ms\n  max_attempts: 5\n"

	night := func(faults sandbox.Faults) (rows apiRows, csv, json []byte, log []sandbox.RequestRecord, stderr string) {
		url, reqs, stop := serveWorld(t, data, faults)
		cfg, dbPath, reportDir := nightConfig(t, url, inbox, httpYAML)
		code, _, errs := runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", date)
		stop()
		if code != 0 {
			t.Fatalf("run with faults %q: exit %d: %s", faults.String(), code, errs)
		}
		return readAPIRows(t, dbPath),
			mustRead(t, filepath.Join(reportDir, "exceptions-"+date+".csv")),
			mustRead(t, filepath.Join(reportDir, "exceptions-"+date+".json")),
			reqs.all(), errs
	}
	cleanRows, cleanCSV, cleanJSON, cleanLog, _ := night(sandbox.Faults{})
	// Seed 1 happens to draw every kind over this night's requests, with
	// few of the 429s and 503s that make the bulk fetch wait a second.
	rows, csv, json, log, stderr := night(sandbox.Faults{Rate: 0.05, Seed: 1, SlowDelay: 50 * time.Millisecond, Hold: time.Minute})

	if len(cleanRows.Orders) != len(data.Orders) || len(cleanRows.Transactions) == 0 {
		t.Fatalf("the clean run stored %d orders and %d transactions, want %d and some",
			len(cleanRows.Orders), len(cleanRows.Transactions), len(data.Orders))
	}
	// fetched_at is when the API was asked, which differs between runs.
	if diff := cmp.Diff(cleanRows, rows, cmpopts.IgnoreFields(recon.Transaction{}, "FetchedAt")); diff != "" {
		t.Errorf("stored API rows differ (-clean +faulted):\n%s", diff)
	}
	if string(csv) != string(cleanCSV) {
		t.Errorf("exceptions CSV differs from the clean run's")
	}
	if string(json) != string(cleanJSON) {
		t.Errorf("exceptions JSON differs from the clean run's")
	}

	faults := map[sandbox.FaultKind]int{}
	for _, r := range log {
		if r.Fault != "" {
			faults[r.Fault]++
		}
	}
	t.Logf("clean run: %d requests; faulted run: %d requests, faults %v", len(cleanLog), len(log), faults)
	// Each fault but a slow answer costs exactly one more request.
	if want := len(cleanLog) + sum(faults) - faults[sandbox.FaultSlow]; len(log) != want {
		t.Errorf("the faulted run made %d requests, want %d (clean) + %d (faults retried)", len(log), len(cleanLog), want-len(cleanLog))
	}
	if len(faults) < 5 {
		t.Errorf("got faults %v, want several kinds: the test must exercise the retries", faults)
	}
	if !strings.Contains(stderr, "request retried") {
		t.Errorf("the faulted run logged no retry:\n%s", stderr)
	}
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestFetchStaysWithinRateLimit runs recon fetch with 16 requests in
// flight under http.rate_limit and checks, in the sandbox's own request
// log, that each API's requests took at least as long as the limit
// allows them to. A slow machine only lengthens that span, so the check
// cannot fail under load; a client without a limiter sends them all in a
// fraction of it.
func TestFetchStaysWithinRateLimit(t *testing.T) {
	const rateLimit = 100 // per second per API
	data, err := gen.Generate(gen.Options{Seed: 3, Orders: 200})
	if err != nil {
		t.Fatal(err)
	}
	inbox := writeInbox(t, data)
	url, reqs, stop := serveWorld(t, data, sandbox.Faults{})
	cfg, _, _ := nightConfig(t, url, inbox, fmt.Sprintf("  concurrency: 16\n  rate_limit: %d\n", rateLimit))
	// Small pages, so the page walks alone take about two seconds.
	cfgText := strings.Replace(string(mustRead(t, cfg)), "xepeng:\n", "xepeng:\n  page_size: 2\n", 1)
	writeFile(t, cfg, cfgText)

	// The webhooks give recon transaction ids to confirm with OxPay.
	if code, _, errs := runCLI(t, sandboxEnv, "ingest", "webhooks", "--config", cfg, filepath.Join(inbox, "webhooks.jsonl")); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errs)
	}
	if code, _, errs := runCLI(t, sandboxEnv, "fetch", "--config", cfg, "--oxpay-confirm", "all"); code != 0 {
		t.Fatalf("fetch: exit %d: %s", code, errs)
	}
	stop()

	// The limiter lets a burst through at once (clientOptions: a tenth of
	// the rate), then one request per 1/rate: n requests span at least
	// (n − burst)/rate. The first arrival may be stamped a little late on
	// a busy machine, which shortens the span: a tenth is allowed for.
	burst := int(math.Max(1, math.Ceil(rateLimit/10.0)))
	byAPI := map[string][]time.Time{}
	for _, r := range reqs.all() {
		api := "xepeng"
		if strings.HasPrefix(r.Path, "/oxpay/") {
			api = "oxpay"
		}
		byAPI[api] = append(byAPI[api], r.Time)
	}
	for _, api := range []string{"xepeng", "oxpay"} {
		times := byAPI[api]
		// Enough requests that the limiter, not the burst, sets the pace.
		if len(times) < 4*burst+rateLimit {
			t.Fatalf("%s: only %d requests, want at least %d for the test to mean anything", api, len(times), 4*burst+rateLimit)
		}
		first, last := slices.MinFunc(times, time.Time.Compare), slices.MaxFunc(times, time.Time.Compare)
		span := last.Sub(first)
		least := time.Duration(len(times)-burst) * time.Second / rateLimit * 9 / 10
		t.Logf("%s: %d requests over %s (limit %d/s, burst %d: at least %s)", api, len(times), span, rateLimit, burst, least)
		if span < least {
			t.Errorf("%s: %d requests within %s, faster than %d/s with a burst of %d allows (at least %s)", api, len(times), span, rateLimit, burst, least)
		}
	}
}

func TestSandboxServeRejectsBadFaults(t *testing.T) {
	code, _, errs := runCLI(t, nil, "sandbox", "serve", "--addr", "127.0.0.1:0", "--faults", "rate=2,kinds=500|teapot")
	if code != ExitUsage {
		t.Fatalf("got exit %d, want %d: %s", code, ExitUsage, errs)
	}
	for _, want := range []string{"--faults", "rate 2", `"teapot"`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not mention %s: %s", want, errs)
		}
	}
}
