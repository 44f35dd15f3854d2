package job

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/store/sqlite"
)

const (
	rightKey = "sign-key-right-7c1e"
	wrongKey = "sign-key-wrong-03aa"
)

// webhookLog writes a log of n payments signed with key, and one
// delivery signed with another key (a forgery) when forged.
func webhookLog(t *testing.T, key string, n int, forged bool) string {
	t.Helper()
	var b strings.Builder
	line := func(i int, k string) {
		payload := fmt.Sprintf(`{"headers":{"status_code":0},"body":{"oxpay_txn_id":"%d","merchant_reference_id":"ORD-%d","transaction_state":"success","transaction_amount":1000,"transaction_currency":"SGD"}}`, 10000000+i, i)
		fmt.Fprintf(&b, `{"received_at":"2026-11-02T03:%02d:00Z","headers":{"Signature":%q},"body":%s}`+"\n", i%60, sign.OxPay(k, []byte(payload)), payload)
	}
	for i := range n {
		line(i, key)
	}
	if forged {
		line(n, "not-the-merchants-key")
	}
	path := filepath.Join(t.TempDir(), "webhooks.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sigChecks counts the stored deliveries by verdict.
func sigChecks(t *testing.T, db *sqlite.DB) map[string]int {
	t.Helper()
	hooks, err := db.WebhookEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, h := range hooks {
		out[h.SigCheck]++
	}
	return out
}

// TestWrongSignKeyIsRecoverable is the night a wrong OXPAY_SIGN_KEY was
// set: every delivery stored invalid, and the warning names the file.
// The next run, with the right key, corrects the stored verdicts without
// the log, leaves the forgery failed, and reads nothing on the night
// after.
func TestWrongSignKeyIsRecoverable(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	path := webhookLog(t, rightKey, 9, true)

	res, err := IngestWebhooks(ctx, db, []string{path}, ingest.WebhookOptions{SignKey: wrongKey}, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int{recon.SigInvalid: 10}, sigChecks(t, db)); d != "" {
		t.Fatalf("verdicts under the wrong key (-want +got):\n%s", d)
	}
	warn := SignKeyWarnings(res.Files, DefaultMaxBadSignatureShare)
	if len(warn) != 1 || !strings.Contains(warn[0], "webhooks.jsonl: 10 of 10 signed webhook deliveries (100%) failed") ||
		!strings.Contains(warn[0], "check OXPAY_SIGN_KEY") {
		t.Fatalf("warnings %q, want one naming the file and the key", warn)
	}

	// The log is gone; the right key verifies the stored deliveries.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	rv, err := ReverifyWebhooks(ctx, db, rightKey, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Checked != 10 || rv.Passed != 9 {
		t.Fatalf("reverify: checked %d, passed %d; want 10 and 9", rv.Checked, rv.Passed)
	}
	if d := cmp.Diff(map[string]int{recon.SigRaw: 9, recon.SigInvalid: 1}, sigChecks(t, db)); d != "" {
		t.Fatalf("verdicts after the right key (-want +got):\n%s", d)
	}
	// The same key again reads nothing: the forgery's verdict was made
	// with it already.
	if rv, err = ReverifyWebhooks(ctx, db, rightKey, false, quiet); err != nil || rv.Checked != 0 {
		t.Fatalf("second reverify: checked %d, %v; want nothing", rv.Checked, err)
	}
	// A rotated key fails the old deliveries, but never un-verifies them.
	if rv, err = ReverifyWebhooks(ctx, db, "rotated-key", false, quiet); err != nil || rv.Passed != 0 {
		t.Fatalf("rotated key: %+v, %v", rv, err)
	}
	if d := cmp.Diff(map[string]int{recon.SigRaw: 9, recon.SigInvalid: 1}, sigChecks(t, db)); d != "" {
		t.Fatalf("verdicts after a rotated key (-want +got):\n%s", d)
	}
	hooks, err := db.WebhookEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if strings.Contains(h.KeyFingerprint+h.Signature, "sign-key") {
			t.Fatalf("a key is stored: %+v", h)
		}
	}
}

// TestReverifyFromTheLog mends deliveries stored before signatures were
// kept: only the log, read again, can verify them.
func TestReverifyFromTheLog(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	path := webhookLog(t, rightKey, 4, false)
	if _, err := IngestWebhooks(ctx, db, []string{path}, ingest.WebhookOptions{SignKey: wrongKey}, false, quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := db.X().ExecContext(ctx, `UPDATE webhook_events SET signature = '', key_fp = ''`); err != nil {
		t.Fatal(err)
	}
	if rv, err := ReverifyWebhooks(ctx, db, rightKey, true, quiet); err != nil || rv.Checked != 0 {
		t.Fatalf("from the database: %+v, %v; want nothing checked (no signature kept)", rv, err)
	}
	rv, err := ReverifyWebhookLogs(ctx, db, []string{path}, ingest.WebhookOptions{SignKey: rightKey}, quiet)
	if err != nil || rv.Checked != 4 || rv.Passed != 4 {
		t.Fatalf("from the log: %+v, %v; want 4 checked and passed", rv, err)
	}
	if d := cmp.Diff(map[string]int{recon.SigRaw: 4}, sigChecks(t, db)); d != "" {
		t.Fatalf("verdicts (-want +got):\n%s", d)
	}
}

// TestSignKeyWarningsThreshold: a few forged deliveries are not a key
// problem; a share above the threshold is.
func TestSignKeyWarningsThreshold(t *testing.T) {
	files := []ingest.Result{
		{File: "/in/a.jsonl", Kind: ingest.KindWebhooks, Signed: 100, BadSignatures: 3},
		{File: "/in/b.jsonl", Kind: ingest.KindWebhooks, Signed: 10, BadSignatures: 6},
		{File: "/in/c.jsonl", Kind: ingest.KindWebhooks, Signed: 0, BadSignatures: 0},
		{File: "/in/d.csv", Kind: ingest.KindLedger},
	}
	got := SignKeyWarnings(files, 0.5)
	want := []string{"b.jsonl: 6 of 10 signed webhook deliveries (60%) failed their signature check: check OXPAY_SIGN_KEY"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if got := SignKeyWarnings(files, 0.7); len(got) != 0 {
		t.Fatalf("at 0.7: %q", got)
	}
}
