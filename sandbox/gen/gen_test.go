package gen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// cmpOpts compares locations by name: *time.Location has only unexported
// fields.
var cmpOpts = []cmp.Option{cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })}

// sameDataset fails t when a and b differ. Large datasets are compared
// through their JSON first, because cmp walks a 20,000-order world slowly;
// cmp.Diff then says where they differ.
func sameDataset(t *testing.T, a, b *Dataset, what string) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(ja) == string(jb) && a.Options.Zone.String() == b.Options.Zone.String() {
		return
	}
	t.Fatalf("%s (-first +second):\n%s", what, cmp.Diff(a, b, cmpOpts...))
}

func generate(t testing.TB, opts Options) *Dataset {
	t.Helper()
	ds, err := Generate(opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return ds
}

func TestGenerateIsDeterministic(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"defaults", Options{Seed: 1, Orders: 500}},
		{"other zone and start", Options{Seed: -7, Orders: 300, Days: 5, Zone: time.FixedZone("SGT", 8*3600),
			Start: time.Date(2027, 2, 26, 0, 0, 0, 0, time.UTC), AnomalyRate: 0.05, SignKey: "k2"}},
		{"no orders", Options{Seed: 3}},
		{"voids with their own id", Options{Seed: 1, Orders: 500, VoidStyle: VoidOwnID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := generate(t, tc.opts), generate(t, tc.opts)
			if diff := cmp.Diff(a, b, cmpOpts...); diff != "" {
				t.Fatalf("same options, different datasets (-first +second):\n%s", diff)
			}
			if len(a.Webhooks) > 0 && &a.Webhooks[0] == &b.Webhooks[0] {
				t.Fatal("the two datasets share memory")
			}
		})
	}
}

func TestSeedsDiffer(t *testing.T) {
	a, b := generate(t, Options{Seed: 1, Orders: 200}), generate(t, Options{Seed: 2, Orders: 200})
	if a.Orders[0].TotalAmount == b.Orders[0].TotalAmount && a.Orders[0].CreatedAt.Equal(b.Orders[0].CreatedAt) {
		t.Error("seeds 1 and 2 gave the same first order")
	}
	if string(a.Webhooks[0].Payload) == string(b.Webhooks[0].Payload) {
		t.Error("seeds 1 and 2 gave the same first webhook")
	}
	if a.Ledger[0] == b.Ledger[0] {
		t.Error("seeds 1 and 2 gave the same first ledger line")
	}
}

// The payloads are built by several goroutines; the result must not
// depend on how many.
func TestWorkersDoNotChangeTheDataset(t *testing.T) {
	defer func(n int) { maxWorkers = n }(maxWorkers)
	opts := Options{Seed: 5, Orders: 20000, Zone: time.UTC}
	maxWorkers = 1
	one := generate(t, opts)
	maxWorkers = 3
	three := generate(t, opts)
	sameDataset(t, one, three, "1 worker vs 3 workers")
}

func TestOptions(t *testing.T) {
	jakarta := defaultZone()
	t.Run("defaults", func(t *testing.T) {
		ds := generate(t, Options{Seed: 1})
		got := ds.Options
		want := Options{Seed: 1, FirstTxnID: DefaultFirstTxnID, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, jakarta), Days: 3, Zone: jakarta,
			SignKey: "sandbox-sign-key", AnomalyRate: 0.02, VoidStyle: VoidSameID, LedgerStyle: LedgerGross}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Fatalf("options (-want +got):\n%s", diff)
		}
	})
	t.Run("start keeps its calendar date", func(t *testing.T) {
		ds := generate(t, Options{Seed: 1, Orders: 10, Start: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)})
		if got, want := ds.Options.Start, time.Date(2026, 12, 7, 0, 0, 0, 0, jakarta); !got.Equal(want) {
			t.Fatalf("start: got %v, want %v", got, want)
		}
		if got := ds.Orders[0].CreatedAt.In(jakarta).Format("2006-01-02"); got != "2026-12-07" {
			t.Fatalf("first order created on %s, want 2026-12-07", got)
		}
	})
	t.Run("negative rate injects nothing", func(t *testing.T) {
		ds := generate(t, Options{Seed: 1, Orders: 1000, AnomalyRate: -1})
		if len(ds.Anomalies) != 0 {
			t.Fatalf("got %d anomalies, want 0", len(ds.Anomalies))
		}
		if diff := cmp.Diff([]keyRow(nil), oracle(t, ds)); diff != "" {
			t.Fatalf("a world without anomalies breaks rules (-want +got):\n%s", diff)
		}
	})
	t.Run("first transaction id", func(t *testing.T) {
		// Two worlds with ranges apart share no transaction id and no
		// reference nothing knows, so a month of them fits one database.
		a := generate(t, Options{Seed: 1, Orders: 400, AnomalyRate: 0.3})
		b := generate(t, Options{Seed: 1, Orders: 400, AnomalyRate: 0.3, FirstTxnID: DefaultFirstTxnID + 1000})
		if len(a.Transactions) != len(b.Transactions) || b.Transactions[0].OxpayTxnID != "10001001" {
			t.Fatalf("got %d and %d transactions, the second world's first %s, want the same count and 10001001",
				len(a.Transactions), len(b.Transactions), b.Transactions[0].OxpayTxnID)
		}
		refs := map[string]bool{}
		for _, w := range []*Dataset{a, b} {
			for _, tx := range w.Transactions {
				refs[tx.OxpayTxnID] = true
			}
			for _, l := range w.Ledger {
				if strings.HasPrefix(l.Reference, "9") {
					refs[l.Reference] = true
				}
			}
		}
		want := 2 * len(a.Transactions)
		for _, l := range a.Ledger {
			if strings.HasPrefix(l.Reference, "9") {
				want += 2
			}
		}
		if len(refs) != want {
			t.Errorf("got %d distinct transaction ids and unknown references, want %d", len(refs), want)
		}
	})
	for _, bad := range []Options{{Orders: -1}, {Orders: MaxOrders + 1}, {Days: -1}, {AnomalyRate: 1.5}, {VoidStyle: "new-id"},
		{Orders: 10, FirstTxnID: DefaultFirstTxnID - 1}, {Orders: 10, FirstTxnID: DefaultFirstTxnID + MaxOrders - 9}} {
		t.Run(fmt.Sprintf("rejects %+v", bad), func(t *testing.T) {
			if _, err := Generate(bad); err == nil {
				t.Fatal("got no error")
			}
		})
	}
}

func TestAnswerKeyIsExact(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"500 orders", Options{Seed: 1, Orders: 500}},
		{"another seed", Options{Seed: 42, Orders: 500}},
		{"many anomalies", Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7}},
		{"few orders", Options{Seed: 4, Orders: 60, AnomalyRate: 0.5}},
		{"singapore", Options{Seed: 11, Orders: 800, Zone: time.FixedZone("SGT", 8*3600)}},
		{"voids with their own id", Options{Seed: 1, Orders: 2000, VoidStyle: VoidOwnID}},
		{"voids with their own id, many anomalies", Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7, VoidStyle: VoidOwnID}},
		{"ids from 13000001", Options{Seed: 2, Orders: 800, AnomalyRate: 0.2, FirstTxnID: 13_000_001}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := generate(t, tc.opts)
			if len(ds.Anomalies) == 0 {
				t.Fatal("no anomalies")
			}
			if diff := cmp.Diff(keyRows(ds.Anomalies), oracle(t, ds)); diff != "" {
				t.Fatalf("answer key vs what the rules find (-key +found):\n%s", diff)
			}
		})
	}
}

func TestEveryCategoryAt500Orders(t *testing.T) {
	ds := generate(t, Options{Seed: 1, Orders: 500})
	want := []recon.Category{
		recon.AmountMismatch, recon.WebhookMissing, recon.WebhookBadSignature, recon.DuplicatePayment,
		recon.LedgerMissing, recon.LedgerUnmatched, recon.LedgerAmountMismatch, recon.LedgerDuplicate,
		recon.StatusMismatch, recon.WebhookStateMismatch, recon.OrderPaidNoTransaction, recon.TransactionNoOrder,
	}
	count := map[recon.Category]int{}
	details := map[string]bool{}
	for _, a := range ds.Anomalies {
		count[a.Category]++
		details[a.Detail] = true
		if a.Detail == "" {
			t.Errorf("anomaly %+v has no detail", a)
		}
	}
	for _, c := range want {
		if count[c] == 0 {
			t.Errorf("no %s anomaly", c)
		}
	}
	// Both flavours of the two-flavoured categories.
	for _, sub := range []string{"100x too small", "differs from order total", "is paid but", "link is pending"} {
		found := false
		for d := range details {
			found = found || strings.Contains(d, sub)
		}
		if !found {
			t.Errorf("no anomaly detail contains %q", sub)
		}
	}
	if got, want := len(ds.Anomalies), 14; got != want {
		t.Errorf("got %d anomalies, want %d (2%% of 500 rounds to 10, raised to one of each kind)", got, want)
	}
}

func TestAnomalyIDsExist(t *testing.T) {
	ds := generate(t, Options{Seed: 3, Orders: 2000})
	orders, links, txns, ledger := map[string]bool{}, map[string]string{}, map[string]*wire.Transaction{}, map[string]int{}
	for _, o := range ds.Orders {
		orders[o.UID] = true
	}
	for _, l := range ds.Links {
		links[l.UID] = l.OrderUID
	}
	for i := range ds.Transactions {
		txns[ds.Transactions[i].OxpayTxnID] = &ds.Transactions[i]
	}
	for _, l := range ds.Ledger {
		ledger[l.Reference]++
	}
	delivered := map[string]bool{}
	for _, d := range ds.Webhooks {
		var env wire.OxEnvelope[wire.Notification]
		if err := json.Unmarshal(d.Payload, &env); err != nil {
			t.Fatal(err)
		}
		delivered[env.Body.OxpayTxnID] = true
	}
	for _, a := range ds.Anomalies {
		t.Run(string(a.Category)+" "+a.OrderUID+a.OxpayTxnID+a.LedgerRef, func(t *testing.T) {
			if a.OrderUID != "" && !orders[a.OrderUID] {
				t.Errorf("order %s does not exist", a.OrderUID)
			}
			if a.PaymentLinkUID != "" && links[a.PaymentLinkUID] != a.OrderUID {
				t.Errorf("link %s belongs to order %q, want %s", a.PaymentLinkUID, links[a.PaymentLinkUID], a.OrderUID)
			}
			tx := txns[a.OxpayTxnID]
			if a.OxpayTxnID != "" && (tx == nil || tx.MerchantReferenceID != a.MerchantReferenceID) {
				t.Errorf("transaction %s with reference %s does not exist", a.OxpayTxnID, a.MerchantReferenceID)
			}
			if a.LedgerRef != "" && ledger[a.LedgerRef] == 0 {
				t.Errorf("no ledger line references %s", a.LedgerRef)
			}
			switch a.Category {
			case recon.TransactionNoOrder:
				if a.OrderUID != "" || orders[a.MerchantReferenceID] {
					t.Errorf("reference %s names an order", a.MerchantReferenceID)
				}
			case recon.LedgerUnmatched:
				if txns[a.LedgerRef] != nil || orders[a.LedgerRef] || a.OrderUID+a.OxpayTxnID != "" {
					t.Errorf("ledger reference %s is known", a.LedgerRef)
				}
			case recon.OrderPaidNoTransaction:
				for _, tx := range ds.Transactions {
					if tx.MerchantReferenceID == a.OrderUID {
						t.Errorf("transaction %s references the order", tx.OxpayTxnID)
					}
				}
			case recon.WebhookMissing:
				if delivered[a.OxpayTxnID] {
					t.Error("the transaction has a delivery")
				}
				if ledger[a.OxpayTxnID] == 0 {
					t.Error("no ledger line references the transaction id, so nothing finds it")
				}
			case recon.LedgerDuplicate:
				if ledger[a.LedgerRef] != 2 {
					t.Errorf("got %d lines for %s, want 2", ledger[a.LedgerRef], a.LedgerRef)
				}
			case recon.LedgerMissing:
				if ledger[a.OxpayTxnID]+ledger[a.OrderUID] != 0 {
					t.Error("a ledger line references the sale")
				}
			}
		})
	}
}

func TestSignatures(t *testing.T) {
	ds := generate(t, Options{Seed: 1, Orders: 2000, SignKey: "sk_test_Zoë"})
	seen := map[sign.Match]int{}
	var forged, asString int
	for i, d := range ds.Webhooks {
		m := sign.VerifyOxPay("sk_test_Zoë", d.Payload, d.Signature)
		seen[m]++
		if d.Forged {
			forged++
			if m.Valid() {
				t.Errorf("delivery %d is forged but verifies (%s)", i, m)
			}
			continue
		}
		if !m.Valid() {
			t.Errorf("delivery %d does not verify: %s\n%s", i, m, d.Payload)
		}
		if d.AsString {
			asString++
		} else if m != sign.MatchRaw {
			t.Errorf("delivery %d is logged as an object but matched %s", i, m)
		}
	}
	for _, m := range []sign.Match{sign.MatchRaw, sign.MatchCompact, sign.MatchNone, sign.MatchUnsigned} {
		if seen[m] == 0 {
			t.Errorf("no delivery verifies as %s (got %v)", m, seen)
		}
	}
	if forged == 0 || asString == 0 {
		t.Errorf("got %d forged and %d as-string deliveries, want some of each", forged, asString)
	}
}

// The hand-written encoder must write exactly what encoding/json writes,
// and the payloads must tell the truth about the transactions.
func TestPayloads(t *testing.T) {
	for _, style := range []VoidStyle{VoidSameID, VoidOwnID} {
		t.Run(string(style), func(t *testing.T) { testPayloads(t, style) })
	}
}

func testPayloads(t *testing.T, style VoidStyle) {
	ds := generate(t, Options{Seed: 2, Orders: 1500, VoidStyle: style})
	txns := map[string]wire.Transaction{}
	for _, tx := range ds.Transactions {
		txns[tx.OxpayTxnID] = tx
	}
	forms := map[string]int{}
	for i, d := range ds.Webhooks {
		compact, err := sign.Compact(d.Payload)
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		if d.AsString && string(compact) != string(d.Payload) {
			forms["pretty"]++
			if !strings.Contains(string(d.Payload), "\n  ") {
				t.Errorf("delivery %d: not compact, but not indented either: %s", i, d.Payload)
			}
		}
		var env wire.OxEnvelope[wire.Notification]
		if err := json.Unmarshal(d.Payload, &env); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		again, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(compact) {
			t.Fatalf("delivery %d:\ngot  %s\nwant %s (encoding/json)", i, compact, again)
		}
		b := env.Body
		tx, ok := txns[b.OxpayTxnID]
		if !ok {
			t.Fatalf("delivery %d names unknown transaction %s", i, b.OxpayTxnID)
		}
		wantState := tx.TransactionState
		switch {
		case tx.TransactionState == wire.StateVoided && b.TransactionState == wire.StateSuccess:
			forms["void's payment"]++
			wantState = wire.StateSuccess
		case b.TransactionState == wire.StateRejected && tx.TransactionState == wire.StateSuccess:
			wantState = wire.StateRejected // WEBHOOK_STATE_MISMATCH
		}
		orig := tx.OxpayOriginalTxnID
		if tx.TransactionType == wire.TypeVoid {
			forms["own-id void"]++
			orig = "" // OxPay's void webhook names no original
		}
		want := wire.Notification{HostTxnID: tx.HostTxnID, MerchantReferenceID: tx.MerchantReferenceID,
			OxpayOriginalTxnID: orig, OxpayTxnID: tx.OxpayTxnID, PaymentBrand: tx.PaymentBrand,
			TransactionAmount: tx.TransactionAmount, RefundAmount: tx.RefundAmount,
			TransactionCurrency: tx.TransactionCurrency, TransactionState: wantState}
		if diff := cmp.Diff(want, b); diff != "" {
			t.Errorf("delivery %d body (-transaction +webhook):\n%s", i, diff)
		}
		code, _ := statusOf(b.TransactionState)
		if env.Headers.StatusCode != code {
			t.Errorf("delivery %d: status_code %d for state %s, want %d", i, env.Headers.StatusCode, b.TransactionState, code)
		}
		if _, err := time.Parse(wire.OxGatewayTimeLayout, env.Headers.GatewayResponseDatetime); err != nil {
			t.Errorf("delivery %d: gateway_response_datetime: %v", i, err)
		}
		if i > 0 && d.ReceivedAt.Before(ds.Webhooks[i-1].ReceivedAt) {
			t.Errorf("delivery %d logged before delivery %d", i, i-1)
		}
	}
	if forms["pretty"] == 0 || forms["void's payment"] == 0 || (forms["own-id void"] > 0) != (style == VoidOwnID) {
		t.Errorf("%s style: kinds of deliveries %v", style, forms)
	}
}

func TestWorldShape(t *testing.T) {
	ds := generate(t, Options{Seed: 8, Orders: 5000})
	zone := ds.Options.Zone
	first := ds.Options.Start
	last := first.AddDate(0, 0, ds.Options.Days)
	orderRE := regexp.MustCompile(`^ORD-(\d{8})-(\d{6})$`)
	status := map[string]int{}
	idr := 0
	for i, o := range ds.Orders {
		m := orderRE.FindStringSubmatch(o.UID)
		if m == nil || m[2] != fmt.Sprintf("%06d", i+1) {
			t.Fatalf("order %d uid %q", i, o.UID)
		}
		local := o.CreatedAt.In(zone)
		if m[1] != local.Format("20060102") || local.Hour() < 7 || local.Hour() >= 22 ||
			o.CreatedAt.Before(first) || !o.CreatedAt.Before(last) {
			t.Errorf("order %s created at %v", o.UID, local)
		}
		if o.CreatedAt.Location() != time.UTC || o.CreatedAt.Nanosecond() != 0 {
			t.Errorf("order %s: created_at %v is not UTC seconds", o.UID, o.CreatedAt)
		}
		if i > 0 && o.CreatedAt.Before(ds.Orders[i-1].CreatedAt) {
			t.Errorf("order %s created before the order before it", o.UID)
		}
		var sum int64
		for _, it := range o.Items {
			sum += it.Amount
			if o.Currency == "IDR" && it.Amount%500 != 0 || it.Amount <= 0 {
				t.Errorf("order %s item amount %d", o.UID, it.Amount)
			}
		}
		if sum != o.TotalAmount || len(o.Items) < 1 || len(o.Items) > 3 {
			t.Errorf("order %s: %d items summing to %d, total %d", o.UID, len(o.Items), sum, o.TotalAmount)
		}
		status[o.Status]++
		if o.Currency == "IDR" {
			idr++
		}
	}
	if share := float64(idr) / float64(len(ds.Orders)); share < 0.8 || share > 0.9 {
		t.Errorf("IDR share %.2f, want about 0.85", share)
	}
	if status[wire.OrderPending] == 0 || status[wire.OrderInactive] == 0 || status[wire.OrderActive] < len(ds.Orders)*8/10 {
		t.Errorf("order statuses %v", status)
	}

	orders := map[string]wire.Order{}
	for _, o := range ds.Orders {
		orders[o.UID] = o
	}
	linkStatus := map[string]int{}
	for _, l := range ds.Links {
		o := orders[l.OrderUID]
		if o.Status != wire.OrderActive || l.Amount != o.TotalAmount || l.Currency != o.Currency ||
			l.UID != "PL-"+strings.TrimPrefix(o.UID, "ORD-") || l.PaymentURL != PaymentURLBase+l.UID {
			t.Errorf("link %+v does not fit order %+v", l, o)
		}
		if (l.Status == wire.LinkPaid) != (l.PaidAt != nil) || l.ExpiredAt == nil || l.CreatedAt.Before(o.CreatedAt) {
			t.Errorf("link %s: status %s, paid_at %v, expired_at %v", l.UID, l.Status, l.PaidAt, l.ExpiredAt)
		}
		linkStatus[l.Status]++
	}
	for _, s := range []string{wire.LinkPaid, wire.LinkExpired, wire.LinkPending, wire.LinkCancelled, wire.LinkInactive} {
		if linkStatus[s] == 0 {
			t.Errorf("no %s link (%v)", s, linkStatus)
		}
	}

	counts := map[string]int{}
	for i, tx := range ds.Transactions {
		if want := strconv.Itoa(10000001 + i); tx.OxpayTxnID != want {
			t.Fatalf("transaction %d id %s, want %s", i, tx.OxpayTxnID, want)
		}
		if len(tx.HostTxnID) != 32 || strings.Trim(tx.HostTxnID, "0123456789abcdef") != "" {
			t.Errorf("transaction %s host_txn_id %q", tx.OxpayTxnID, tx.HostTxnID)
		}
		counts[tx.TransactionType+" "+tx.TransactionState]++
		if tx.TransactionType == wire.TypeRefund {
			n, _ := strconv.Atoi(tx.OxpayOriginalTxnID)
			sale := ds.Transactions[n-10000001]
			if sale.TransactionType != wire.TypeSale || sale.TransactionState != wire.StateSuccess ||
				tx.TransactionAmount != sale.TransactionAmount || tx.RefundAmount <= 0 || tx.RefundAmount > sale.TransactionAmount ||
				tx.MerchantReferenceID != sale.MerchantReferenceID || n >= 10000001+i {
				t.Errorf("refund %+v of sale %+v", tx, sale)
			}
		}
	}
	sales := counts["SALE success"] + counts["SALE voided"] + counts["REFUND refunded"]
	for _, k := range []string{"SALE voided", "REFUND refunded"} {
		if share := float64(counts[k]) / float64(sales); share < 0.03 || share > 0.07 {
			t.Errorf("%s: %d of %d sales (%.3f), want about 5%%", k, counts[k], sales, share)
		}
	}
	if counts["SALE rejected"] == 0 || counts["SALE error"] == 0 {
		t.Errorf("no failed attempts: %v", counts)
	}
	if per := float64(len(ds.Webhooks)) / float64(len(ds.Transactions)); per < 1.05 || per > 1.2 {
		t.Errorf("%.3f deliveries per transaction, want about 1.1", per)
	}

	for i, l := range ds.Ledger {
		if (l.Debit == 0) == (l.Credit == 0) || l.Debit < 0 || l.Credit < 0 {
			t.Errorf("ledger line %d: debit %d, credit %d", i, l.Debit, l.Credit)
		}
		if wd := l.Date.Weekday(); wd == time.Saturday || wd == time.Sunday || l.Date.Location() != zone {
			t.Errorf("ledger line %d booked on %v", i, l.Date)
		}
		if i > 0 && l.Date.Before(ds.Ledger[i-1].Date) {
			t.Errorf("ledger line %d booked before the line before it", i)
		}
	}
}

// TestVoidStyles: the two void styles give the same world but for the
// voids. In own-id style each voided sale has a VOID of its own that
// names it, whose one notification carries only its own id, and two
// voided sales in three have their link called off.
func TestVoidStyles(t *testing.T) {
	same := generate(t, Options{Seed: 6, Orders: 3000})
	own := generate(t, Options{Seed: 6, Orders: 3000, VoidStyle: VoidOwnID})
	if diff := cmp.Diff(same.Orders, own.Orders); diff != "" {
		t.Fatalf("orders differ between the styles:\n%s", diff)
	}
	if len(same.Ledger) != len(own.Ledger) || len(same.Anomalies) != len(own.Anomalies) {
		t.Fatalf("same-id: %d ledger lines, %d anomalies; own-id: %d, %d",
			len(same.Ledger), len(same.Anomalies), len(own.Ledger), len(own.Anomalies))
	}
	for i := range same.Anomalies {
		if a, b := same.Anomalies[i], own.Anomalies[i]; a.Category != b.Category || a.OrderUID != b.OrderUID {
			t.Errorf("anomaly %d: %s %s in same-id style, %s %s in own-id style", i, a.Category, a.OrderUID, b.Category, b.OrderUID)
		}
	}

	txns := map[string]wire.Transaction{}
	for _, tx := range own.Transactions {
		txns[tx.OxpayTxnID] = tx
	}
	links := map[string]string{}
	for _, l := range own.Links {
		links[l.OrderUID] = l.Status
	}
	voidOf := map[string]string{}
	statuses := map[string]int{}
	for _, v := range own.Transactions {
		if v.TransactionType != wire.TypeVoid {
			continue
		}
		sale, ok := txns[v.OxpayOriginalTxnID]
		if !ok || sale.TransactionType != wire.TypeSale || sale.TransactionState != wire.StateVoided ||
			v.TransactionState != wire.StateVoided || v.MerchantReferenceID != sale.MerchantReferenceID ||
			v.TransactionAmount != sale.TransactionAmount || v.TransactionCurrency != sale.TransactionCurrency {
			t.Errorf("void %+v of sale %+v", v, sale)
		}
		if voidOf[sale.OxpayTxnID] != "" {
			t.Errorf("sale %s voided twice", sale.OxpayTxnID)
		}
		voidOf[sale.OxpayTxnID] = v.OxpayTxnID
		statuses[links[sale.MerchantReferenceID]]++
	}
	voidedSales := 0
	for _, tx := range own.Transactions {
		if tx.TransactionType == wire.TypeSale && tx.TransactionState == wire.StateVoided {
			voidedSales++
			if voidOf[tx.OxpayTxnID] == "" {
				t.Errorf("voided sale %s has no VOID", tx.OxpayTxnID)
			}
		}
	}
	if voidedSales == 0 || len(voidOf) != voidedSales || len(own.Transactions) != len(same.Transactions)+voidedSales {
		t.Errorf("%d voided sales, %d voids; %d transactions in own-id style, %d in same-id style",
			voidedSales, len(voidOf), len(own.Transactions), len(same.Transactions))
	}
	for _, st := range []string{wire.LinkPaid, wire.LinkCancelled, wire.LinkInactive} {
		if statuses[st] == 0 {
			t.Errorf("no voided sale with a %s link: %v", st, statuses)
		}
	}
	for i, d := range own.Webhooks {
		var env wire.OxEnvelope[wire.Notification]
		if err := json.Unmarshal(d.Payload, &env); err != nil {
			t.Fatal(err)
		}
		b := env.Body
		tx := txns[b.OxpayTxnID]
		if b.TransactionState == wire.StateVoided && (tx.TransactionType != wire.TypeVoid || b.OxpayOriginalTxnID != "") {
			t.Errorf("delivery %d: a void notification for %s %s naming original %q", i, tx.TransactionType, b.OxpayTxnID, b.OxpayOriginalTxnID)
		}
	}
}

// TestEveryCategoryInjectedOrNot: each category of recon.Categories is
// injected by a kind or listed in neverInjected, not both; and each kind
// injects a known category.
func TestEveryCategoryInjectedOrNot(t *testing.T) {
	injected := map[recon.Category]bool{}
	for _, k := range append(kindsUpTo(kindCount), settlementKinds...) {
		c := k.category()
		if _, ok := c.Info(); !ok {
			t.Errorf("kind %d injects %q, which is not in recon.Categories", k, c)
		}
		injected[c] = true
	}
	for _, info := range recon.Categories {
		never := slices.Contains(neverInjected, info.Code)
		if injected[info.Code] == never {
			t.Errorf("%s: injected %v, in neverInjected %v; want exactly one", info.Code, injected[info.Code], never)
		}
	}
}

// kindsUpTo lists the order kinds 1..end-1.
func kindsUpTo(end kind) []kind {
	var ks []kind
	for k := kind(1); k < end; k++ {
		ks = append(ks, k)
	}
	return ks
}
