package match

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/settle"
	"github.com/reconkit/reconkit/wire"
)

var wib = time.FixedZone("WIB", 7*3600)

// at is a time on a day of November 2026 in Jakarta; 2 November is a
// Monday.
func at(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, wib) }

// booked is a ledger booking date: midnight UTC of the day.
func booked(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }

func tp(t time.Time) *time.Time { return &t }

// fixture builds an Input by hand. Its zero state plus clean() is one
// paid order with its sale, webhook and ledger line, all agreeing.
type fixture struct {
	in     Input
	nextID int64
}

func (f *fixture) id() int64 { f.nextID++; return f.nextID }

func (f *fixture) order(uid, cur string, amount int64) {
	f.in.Orders = append(f.in.Orders, recon.Order{UID: uid, Status: wire.OrderActive, Currency: cur, AmountMinor: amount})
}

func (f *fixture) link(uid, order, status, cur string, amount int64, paidAt *time.Time) {
	f.in.Links = append(f.in.Links, recon.PaymentLink{UID: uid, OrderUID: order, Status: status, Currency: cur,
		AmountMinor: amount, PaidAt: paidAt})
}

func (f *fixture) sale(id, ref, state, cur string, amount int64) {
	f.in.Transactions = append(f.in.Transactions, recon.Transaction{OxpayTxnID: id, Type: wire.TypeSale,
		MerchantReferenceID: ref, State: state, Currency: cur, AmountMinor: amount})
}

func (f *fixture) refund(id, orig, ref, cur string, amount, refund int64) {
	f.in.Transactions = append(f.in.Transactions, recon.Transaction{OxpayTxnID: id, OriginalTxnID: orig,
		Type: wire.TypeRefund, MerchantReferenceID: ref, State: wire.StateRefunded, Currency: cur,
		AmountMinor: amount, RefundAmountMinor: refund})
}

// hook adds a delivery; its dedup key is the notification's content, so
// a second call with the same content is a redelivery.
func (f *fixture) hook(txnID, ref, state, sig, cur string, amount, refund int64, recv time.Time) {
	kind := wire.WebhookPayment
	switch {
	case refund != 0:
		kind = wire.WebhookRefund
	case state == wire.StateVoided:
		kind = wire.WebhookVoid
	}
	f.in.Webhooks = append(f.in.Webhooks, recon.WebhookEvent{ID: f.id(), ReceivedAt: recv.UTC(), Kind: kind,
		OxpayTxnID: txnID, MerchantReferenceID: ref, State: state, Currency: cur, AmountMinor: amount,
		RefundAmountMinor: refund, SigCheck: sig,
		DedupKey: fmt.Sprintf("%s|%s|%s|%d|%d", txnID, kind, state, amount, refund)})
}

func (f *fixture) line(ref, cur string, amount int64, day int) {
	f.in.Ledger = append(f.in.Ledger, recon.LedgerEntry{ID: f.id(), BookedOn: booked(day), Reference: ref,
		Currency: cur, AmountMinor: amount})
}

const (
	total  = 15000000 // Rp150.000,00
	txnID  = "10000001"
	txnID2 = "10000002"
)

// paidOrder adds ORD-n with its paid link PL-n, paid on 2 November.
func (f *fixture) paidOrder(n int) {
	uid := fmt.Sprintf("ORD-%d", n)
	f.order(uid, "IDR", total)
	f.link(fmt.Sprintf("PL-%d", n), uid, wire.LinkPaid, "IDR", total, tp(at(2, 10, 0)))
}

// clean adds ORD-1, paid by sale 10000001 with a signed webhook and a
// ledger credit the next day.
func (f *fixture) clean() {
	f.paidOrder(1)
	f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
	f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
	f.line(txnID, "IDR", total, 3)
}

// fee is the settled fixture's fee on one sale of total: 2% of
// Rp150.000 (Card).
const fee = total / 50

// settledSales adds n paid orders ORD-1... with their Card sales
// 10000001..., paid and notified on Monday 2 November: one batch of the
// settled fixture, paid out on the 3rd.
func (f *fixture) settledSales(n int) {
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("1000000%d", i)
		ref := fmt.Sprintf("ORD-%d", i)
		f.paidOrder(i)
		f.sale(id, ref, wire.StateSuccess, "IDR", total)
		f.in.Transactions[len(f.in.Transactions)-1].Brand = "Card"
		f.hook(id, ref, wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, i))
	}
}

// deposit adds a ledger credit with a description, and the fee it
// states when fee is not nil.
func (f *fixture) deposit(ref, desc string, amount int64, day int, fee *int64) {
	f.in.Ledger = append(f.in.Ledger, recon.LedgerEntry{ID: f.id(), BookedOn: booked(day), Reference: ref, Description: desc,
		Currency: "IDR", AmountMinor: amount, FeeMinor: fee})
}

// settled turns on net settlements: Card 2%, any other brand 1%, T+1 in
// Jakarta, deposits named "OXPAY SETTLEMENT YYYY-MM-DD CUR".
func settled(o *Options) {
	o.Settlement = &SettlementOptions{
		Schedule: settle.Schedule{Rules: []settle.FeeRule{{Brand: "Card", PercentE4: 20000}, {Brand: "*", PercentE4: 10000}}},
		Calendar: settle.Calendar{Zone: wib, PayoutDays: 1},
		Pattern:  regexp.MustCompile(`OXPAY SETTLEMENT (?P<date>\d{4}-\d{2}-\d{2}) (?P<currency>[A-Z]{3})`),
	}
}

// row is an exception by category and ids, as expected.csv compares them.
type row struct {
	Cat                                 recon.Category
	Order, Link, Txn, Ref, LedgerRef    string
	Expected, Actual, Difference        int64
	WebhookIDs, LedgerIDs, InputErrorID any
}

func rowsOf(es []recon.Exception) []row {
	out := []row{}
	for _, x := range es {
		out = append(out, row{Cat: x.Category, Order: x.OrderUID, Link: x.PaymentLinkUID, Txn: x.OxpayTxnID,
			Ref: x.MerchantReferenceID, LedgerRef: x.LedgerRef})
	}
	return out
}

// onTxn is the usual row naming ORD-1's order, link and a transaction.
func onTxn(c recon.Category, txn string) row {
	return row{Cat: c, Order: "ORD-1", Link: "PL-1", Txn: txn, Ref: "ORD-1"}
}

func withLedger(r row, ref string) row { r.LedgerRef = ref; return r }

func run(t *testing.T, f *fixture, mod func(*Options)) Output {
	t.Helper()
	opts := DefaultOptions()
	opts.Zone = wib
	if mod != nil {
		mod(&opts)
	}
	out, err := Match(f.in, opts)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	for _, x := range out.Exceptions {
		if x.Detail == "" || x.Severity == "" {
			t.Errorf("%s: empty detail or severity: %+v", x.Category, x)
		}
	}
	return out
}

func TestCategories(t *testing.T) {
	tests := []struct {
		name   string
		build  func(f *fixture)
		opts   func(*Options)
		want   []row
		detail string // a phrase the first exception's detail must hold
	}{
		{
			name:  "clean order, sale, webhook and ledger line",
			build: func(f *fixture) { f.clean() },
			want:  []row{},
		},
		{
			name:   "paid link without any transaction",
			build:  func(f *fixture) { f.paidOrder(1) },
			want:   []row{{Cat: recon.OrderPaidNoTransaction, Order: "ORD-1", Link: "PL-1"}},
			detail: "no transaction with merchant_reference_id ORD-1",
		},
		{
			name: "settled sale for a reference no order has",
			build: func(f *fixture) {
				f.sale(txnID, "POS-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "POS-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{{Cat: recon.TransactionNoOrder, Txn: txnID, Ref: "POS-1"}},
			detail: `merchant_reference_id "POS-1" matches no order`,
		},
		{
			name: "link uid in merchant_reference_id while matching by order uid",
			build: func(f *fixture) {
				f.order("ORD-1", "IDR", total)
				f.link("PL-1", "ORD-1", wire.LinkPending, "IDR", total, nil)
				f.sale(txnID, "PL-1", wire.StateRejected, "IDR", total)
				f.hook(txnID, "PL-1", wire.StateRejected, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
			},
			want:   []row{{Cat: recon.TransactionNoOrder, Txn: txnID, Ref: "PL-1"}},
			detail: "should matching.reference be payment_link_uid?",
		},
		{
			name: "order whose total could not be read: an input error, never an amount mismatch",
			build: func(f *fixture) {
				f.clean()
				f.in.Orders[0].AmountMinor = 0
				f.in.Orders[0].AmountProblem = "order ORD-1: no total: total_amount, amount and items[].amount are all missing"
			},
			want:   []row{{Cat: recon.InputErrorCategory, Order: "ORD-1"}},
			detail: "xepeng order amount could not be read, so it takes no part in amount checks: order ORD-1: no total",
		},
		{
			name: "paid order with an unknown total and no transaction: the status break stands, with no amount",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.in.Orders[0].AmountMinor, f.in.Orders[0].AmountProblem = 0, "order ORD-1: amount is missing"
			},
			want: []row{{Cat: recon.OrderPaidNoTransaction, Order: "ORD-1", Link: "PL-1"},
				{Cat: recon.InputErrorCategory, Order: "ORD-1"}},
			detail: "(order ORD-1 of an unknown amount)",
		},
		{
			name: "payment link whose amount could not be read, matching by link",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "PL-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "PL-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
				f.in.Links[0].AmountMinor, f.in.Links[0].AmountProblem = 0, "payment link PL-1: amount is missing"
			},
			opts: func(o *Options) { o.Reference = ReferencePaymentLinkUID },
			want: []row{{Cat: recon.InputErrorCategory, Order: "ORD-1", Link: "PL-1"}},
		},
		{
			name: "rupiah sent in whole units: 100x too small",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total/100)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total/100, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total/100, 3)
			},
			want:   []row{onTxn(recon.AmountMismatch, txnID)},
			detail: "amount 150,000 IDR on order ORD-1 vs 1,500 IDR on sale 10000001: differs by 148,500 IDR (100x too small",
		},
		{
			name: "sale in another currency than its order",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "SGD", 15000)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "SGD", 15000, 0, at(2, 10, 0))
				f.line(txnID, "SGD", 15000, 3)
			},
			want:   []row{onTxn(recon.CurrencyMismatch, txnID)},
			detail: "order ORD-1 is in IDR (150,000 IDR) but sale 10000001 is in SGD (150.00 SGD)",
		},
		{
			name: "paid link whose only transaction was rejected",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateRejected, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateRejected, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID)},
			detail: "the latest, sale 10000001, is rejected",
		},
		{
			name: "successful sale on a link still pending",
			build: func(f *fixture) {
				f.order("ORD-1", "IDR", total)
				f.link("PL-1", "ORD-1", wire.LinkPending, "IDR", total, nil)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID)},
			detail: "has payment link PL-1 in status pending",
		},
		{
			name: "second successful sale for one order",
			build: func(f *fixture) {
				f.clean()
				f.sale(txnID2, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID2, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 5))
				f.line(txnID2, "IDR", total, 3)
			},
			want:   []row{onTxn(recon.DuplicatePayment, txnID2)},
			detail: "the first is 10000001",
		},
		{
			name: "gateway knows a sale no webhook mentions",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.line(txnID, "IDR", total, 3)
			},
			want: []row{onTxn(recon.WebhookMissing, txnID)},
		},
		{
			name: "only delivery signed with a wrong key",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigInvalid, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3) // dated by the link's paid_at
			},
			want:   []row{onTxn(recon.WebhookBadSignature, txnID)},
			detail: "1 of 1 webhook deliveries for 10000001 failed the signature check (1 with a signature that does not verify)",
		},
		{
			name: "an unsigned delivery does not change the state",
			build: func(f *fixture) {
				f.clean()
				f.hook(txnID, "ORD-1", wire.StateRejected, recon.SigUnsigned, "IDR", total, 0, at(2, 11, 0))
			},
			want:   []row{onTxn(recon.WebhookBadSignature, txnID)},
			detail: "1 without a Signature header",
		},
		{
			name: "signed webhook for a sale nobody knows, with no ledger line: no ledger line is asked of it",
			build: func(f *fixture) {
				f.hook("20000001", "POS-9", wire.StateSuccess, recon.SigCompact, "IDR", 5000000, 0, at(2, 10, 0))
			},
			want: []row{{Cat: recon.WebhookUnknownTransaction, Txn: "20000001", Ref: "POS-9"}},
		},
		{
			name: "signed webhook for a transaction nobody knows",
			build: func(f *fixture) {
				f.hook("20000001", "POS-9", wire.StateSuccess, recon.SigCompact, "IDR", 5000000, 0, at(2, 10, 0))
				f.line("20000001", "IDR", 5000000, 2)
			},
			want:   []row{{Cat: recon.WebhookUnknownTransaction, Txn: "20000001", Ref: "POS-9"}},
			detail: "has no gateway API record",
		},
		{
			name: "signed webhooks stand in for an unconfirmed transaction",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
			},
			want: []row{},
		},
		{
			name: "only unverified deliveries for an unknown id",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.hook("20000001", "ORD-1", wire.StateSuccess, recon.SigInvalid, "IDR", total, 0, at(2, 10, 0))
			},
			want: []row{
				{Cat: recon.OrderPaidNoTransaction, Order: "ORD-1", Link: "PL-1"},
				{Cat: recon.WebhookBadSignature, Order: "ORD-1", Link: "PL-1", Txn: "20000001", Ref: "ORD-1"},
			},
		},
		{
			name: "signed webhook says rejected, the API says success",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateRejected, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{onTxn(recon.WebhookStateMismatch, txnID)},
			detail: "says rejected, the gateway API says success",
		},
		{
			name: "signed webhook reports another amount",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total+100, 0, at(2, 10, 0))
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{onTxn(recon.WebhookAmountMismatch, txnID)},
			detail: "transaction_amount 150,001 IDR vs 150,000 IDR on the gateway API: differs by 1 IDR",
		},
		{
			name: "late redelivery of the payment after the void",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateVoided, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.hook(txnID, "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 11, 0))
			},
			want: []row{},
		},
		{
			name: "settled sale without a ledger line",
			build: func(f *fixture) {
				f.clean()
				f.in.Ledger = nil
			},
			want:   []row{onTxn(recon.LedgerMissing, txnID)},
			detail: "sale 10000001 of 150,000 IDR has no ledger credit (paid 2026-11-02 10:00:00 WIB; window 2026-11-02 to 2026-11-05)",
		},
		{
			name:   "ledger line nothing knows",
			build:  func(f *fixture) { f.clean(); f.line("ADJ-20261102-0001", "IDR", 500000, 2) },
			want:   []row{{Cat: recon.LedgerUnmatched, LedgerRef: "ADJ-20261102-0001"}},
			detail: "ledger credit 5,000 IDR booked 2026-11-02 (ref ADJ-20261102-0001): the reference matches no transaction, order or payment link",
		},
		{
			name: "ledger credit a tenth short",
			build: func(f *fixture) {
				f.clean()
				f.in.Ledger[0].AmountMinor = total - 1500000
			},
			want:   []row{withLedger(onTxn(recon.LedgerAmountMismatch, txnID), txnID)},
			detail: "ledger credit 135,000 IDR booked 2026-11-03 vs 150,000 IDR on sale 10000001: differs by 15,000 IDR",
		},
		{
			name:   "same line booked twice",
			build:  func(f *fixture) { f.clean(); f.line(txnID, "IDR", total, 3) },
			want:   []row{withLedger(onTxn(recon.LedgerDuplicate, txnID), txnID)},
			detail: "is booked by 2 ledger lines",
		},
		{
			name: "ledger line by order uid fits two sales equally",
			build: func(f *fixture) {
				f.paidOrder(1)
				for i, id := range []string{txnID, txnID2} {
					f.sale(id, "ORD-1", wire.StateSuccess, "IDR", total)
					f.hook(id, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, i))
				}
				f.line("ORD-1", "IDR", total, 3)
			},
			want: []row{
				onTxn(recon.DuplicatePayment, txnID2),
				{Cat: recon.AmbiguousMatch, Order: "ORD-1", Link: "PL-1", Ref: "ORD-1", LedgerRef: "ORD-1"},
			},
		},
		{
			name: "ledger line by order uid told apart by its amount",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
				f.sale(txnID2, "ORD-1", wire.StateSuccess, "IDR", total/2)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.hook(txnID2, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total/2, 0, at(2, 10, 1))
				f.line("ORD-1", "IDR", total/2, 3)
				f.line("ORD-1", "IDR", total, 3)
			},
			want: []row{
				onTxn(recon.AmountMismatch, txnID2),
				onTxn(recon.DuplicatePayment, txnID2),
			},
		},
		{
			name: "one input error",
			build: func(f *fixture) {
				f.in.InputErrors = []recon.InputError{{ID: 4, Source: "ledger", File: "ledger.csv", Line: 7, Text: "=1+1", Reason: "bad date"}}
			},
			want:   []row{{Cat: recon.InputErrorCategory}},
			detail: `ledger input ledger.csv line 7 could not be read: bad date (input: "=1+1")`,
		},
		{
			name: "partial refund booked by order uid",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, 5000000)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 5000000, at(3, 15, 0))
				f.line("ORD-1", "IDR", -5000000, 4)
			},
			want: []row{},
		},
		{
			name: "partial refund: the API's transaction_amount is the refund's own, the webhook's the sale's",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", 5000000, 5000000)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 5000000, at(3, 15, 0))
				f.line("ORD-1", "IDR", -5000000, 4)
			},
			want: []row{},
		},
		{
			name: "partial refund: the webhook's refund_amount differs from the API's",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", 5000000, 5000000)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 4000000, at(3, 15, 0))
				f.line("ORD-1", "IDR", -5000000, 4)
			},
			want:   []row{onTxn(recon.WebhookAmountMismatch, txnID2)},
			detail: "refund_amount 40,000 IDR vs 50,000 IDR on the gateway API",
		},
		{
			name: "refund webhook whose transaction_amount is neither the refund's nor the sale's",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, 5000000)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", 7000000, 5000000, at(3, 15, 0))
				f.line("ORD-1", "IDR", -5000000, 4)
			},
			want:   []row{onTxn(recon.WebhookAmountMismatch, txnID2)},
			detail: "transaction_amount 70,000 IDR vs 150,000 IDR on the gateway API",
		},
		{
			name: "refund booked as a debit under the sale's id",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, 5000000)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 5000000, at(3, 15, 0))
				f.line(txnID, "IDR", -5000000, 4)
			},
			want: []row{},
		},
		{
			name: "refund of a voided sale",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateVoided, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.hook(txnID, "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.line(txnID2, "IDR", -total, 4)
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID2)},
			detail: "reverses sale 10000001, which is voided: there was nothing to refund",
		},
		{
			name: "refunds add up to more than the sale",
			build: func(f *fixture) {
				f.clean()
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.refund("10000003", txnID, "ORD-1", "IDR", total, 100)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.hook("10000003", "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 100, at(3, 16, 0))
				f.line(txnID2, "IDR", -total, 4)
				f.line("10000003", "IDR", -100, 4)
			},
			want:   []row{onTxn(recon.AmountMismatch, "10000003")},
			detail: "more than the sale's 150,000 IDR: 1 IDR too much",
		},
		{
			name: "voided sale needs no ledger line, and a credit for it matches nothing",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "ORD-1", wire.StateVoided, "IDR", total)
				f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.hook(txnID, "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{withLedger(onTxn(recon.LedgerUnmatched, txnID), txnID)},
			detail: "it names sale 10000001, which was voided and never settles",
		},
		{
			name: "ids holding the store readers' field separator",
			build: func(f *fixture) {
				uid := "ORD-\x1f1"
				f.order(uid, "IDR", total)
				f.link("PL-\x1f1", uid, wire.LinkPaid, "IDR", total, tp(at(2, 10, 0)))
				f.sale("1000\x1f0001", uid, wire.StateSuccess, "IDR", total)
				f.hook("1000\x1f0001", uid, wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line(uid, "IDR", total, 3)
				f.line("ADJ-\x1f", "IDR", 100, 3)
			},
			want: []row{{Cat: recon.LedgerUnmatched, LedgerRef: "ADJ-\x1f"}},
		},
		{
			name: "matching by payment link uid",
			build: func(f *fixture) {
				f.paidOrder(1)
				f.sale(txnID, "PL-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID, "PL-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.line("ORD-1", "IDR", total, 3) // booked by the order uid: found through the link
			},
			opts: func(o *Options) { o.Reference = ReferencePaymentLinkUID },
			want: []row{},
		},
		{
			name: "net settlement: one deposit pays the day's batch, fees and refund deducted",
			build: func(f *fixture) {
				f.settledSales(2)
				f.refund("10000003", txnID, "ORD-1", "IDR", total, 1_000_000)
				f.hook("10000003", "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 1_000_000, at(2, 15, 0))
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", 2*total-1_000_000-2*fee, 3, nil)
			},
			opts: settled,
			want: []row{},
		},
		{
			name:   "net settlement: a batch whose payout day has passed with no deposit",
			build:  func(f *fixture) { f.settledSales(2) },
			opts:   settled,
			want:   []row{{Cat: recon.SettlementMissing, LedgerRef: "2026-11-02 IDR"}},
			detail: "settlement batch 2026-11-02 IDR (2 transactions: gross 300,000 IDR, refunds 0 IDR, fees 6,000 IDR, net 294,000 IDR; paid out 2026-11-03) has no deposit",
		},
		{
			name: "net settlement: the deposit is short of the batch's net",
			build: func(f *fixture) {
				f.settledSales(2)
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", 2*total-2*fee-10_000, 3, nil)
			},
			opts:   settled,
			want:   []row{{Cat: recon.SettlementAmountMismatch, LedgerRef: "STL-1"}},
			detail: "expected 294,000 IDR, short by 100 IDR",
		},
		{
			name: "net settlement: the line states a higher fee than the schedule's, which explains the shortfall whole",
			build: func(f *fixture) {
				f.settledSales(2)
				stated := int64(2*fee + 10_000)
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", 2*total-stated, 3, &stated)
			},
			opts:   settled,
			want:   []row{{Cat: recon.FeeMismatch, LedgerRef: "STL-1"}},
			detail: "the line states fees of 6,100 IDR, the schedule's are 6,000 IDR: the gateway kept 100 IDR more than agreed",
		},
		{
			name: "net settlement: fees agree, the amount does not: the difference is in the gross or the refunds",
			build: func(f *fixture) {
				f.settledSales(2)
				stated := int64(2 * fee)
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", 2*total-stated-50_000, 3, &stated)
			},
			opts:   settled,
			want:   []row{{Cat: recon.SettlementAmountMismatch, LedgerRef: "STL-1"}},
			detail: "the fees the line states agree with the schedule",
		},
		{
			name: "net settlement: a deposit naming a day without a batch, and one in a currency no batch has",
			build: func(f *fixture) {
				f.settledSales(1)
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", total-fee, 3, nil)
				f.deposit("STL-2", "OXPAY SETTLEMENT 2026-11-04 IDR", 5_000_000, 5, nil)
				f.in.Ledger = append(f.in.Ledger, recon.LedgerEntry{ID: f.id(), BookedOn: booked(3), Reference: "STL-3",
					Description: "OXPAY SETTLEMENT 2026-11-02 SGD", Currency: "SGD", AmountMinor: 1000})
			},
			opts:   settled,
			want:   []row{{Cat: recon.SettlementUnmatched, LedgerRef: "STL-2"}, {Cat: recon.SettlementUnmatched, LedgerRef: "STL-3"}},
			detail: "names the batch of 2026-11-04 in IDR, which has no settled transaction",
		},
		{
			name: "net settlement: a line the pattern does not name and no batch explains stays LEDGER_UNMATCHED",
			build: func(f *fixture) {
				f.settledSales(1)
				f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", total-fee, 3, nil)
				f.deposit("ADJ-1", "Manual adjustment", 12_345, 3, nil)
			},
			opts:   settled,
			want:   []row{{Cat: recon.LedgerUnmatched, LedgerRef: "ADJ-1"}},
			detail: "no settlement batch explains it: the batch(es) in IDR paid out on 2026-11-03 are paid by the lines that name them",
		},
		{
			name: "net settlement: a transaction its own line books is not counted again in the batch",
			build: func(f *fixture) {
				f.settledSales(2)
				f.line(txnID, "IDR", total, 3)
				f.deposit("TRF 0042", "TRANSFER FROM OXPAY PTE LTD", total-fee, 3, nil) // by payout day and amount
			},
			opts: settled,
			want: []row{},
		},
		{
			name: "net settlement: a sale without a payment time cannot be batched: LEDGER_MISSING says why",
			build: func(f *fixture) {
				f.settledSales(1)
				f.in.Webhooks, f.in.Links[0].PaidAt = nil, nil
			},
			opts:   settled,
			want:   []row{onTxn(recon.WebhookMissing, txnID), onTxn(recon.LedgerMissing, txnID)},
			detail: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f fixture
			tc.build(&f)
			out := run(t, &f, tc.opts)
			if d := cmp.Diff(tc.want, rowsOf(out.Exceptions)); d != "" {
				t.Fatalf("exceptions (-want +got):\n%s\ndetails:\n%s", d, details(out.Exceptions))
			}
			if tc.detail != "" && !strings.Contains(out.Exceptions[0].Detail, tc.detail) {
				t.Errorf("detail: got %q, want it to hold %q", out.Exceptions[0].Detail, tc.detail)
			}

			// The same rows through the store: Run finds and stores
			// exactly what Match returns.
			db, in := storeOf(t, f.in)
			f.in = in
			want := run(t, &f, tc.opts)
			got := runStore(t, db, optsWith(tc.opts))
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Match (-) and Run over the store (+) differ:\n%s", d)
			}
		})
	}
}

func optsWith(mod func(*Options)) Options {
	opts := DefaultOptions()
	opts.Zone = wib
	if mod != nil {
		mod(&opts)
	}
	return opts
}

func details(es []recon.Exception) string {
	var b strings.Builder
	for _, x := range es {
		fmt.Fprintf(&b, "  %s: %s\n", x.Category, x.Detail)
	}
	return b.String()
}

// TestExceptionColumns checks the numeric columns and traceability ids of
// a few categories, not just their ids.
func TestExceptionColumns(t *testing.T) {
	var f fixture
	f.paidOrder(1)
	f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total/100)                                    // AMOUNT_MISMATCH
	f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigInvalid, "IDR", total/100, 0, at(2, 10, 0)) // id 1: BAD_SIGNATURE
	f.line(txnID, "IDR", total/100-100, 3)                                                         // id 2: LEDGER_AMOUNT_MISMATCH
	f.line("ADJ-1", "SGD", -2500, 3)                                                               // id 3: LEDGER_UNMATCHED
	f.in.InputErrors = []recon.InputError{{ID: 9, Source: "webhooks", File: "w.jsonl", Line: 2, Reason: "not JSON"}}
	out := run(t, &f, nil)
	base := recon.Exception{OrderUID: "ORD-1", PaymentLinkUID: "PL-1", OxpayTxnID: txnID, MerchantReferenceID: "ORD-1", Currency: "IDR"}
	with := func(c recon.Category, sev string, exp, act int64, mod func(*recon.Exception)) recon.Exception {
		x := base
		x.Category, x.Severity, x.ExpectedMinor, x.ActualMinor, x.DifferenceMinor = c, sev, exp, act, act-exp
		if mod != nil {
			mod(&x)
		}
		return x
	}
	want := []recon.Exception{
		with(recon.AmountMismatch, recon.SeverityCritical, total, total/100, nil),
		with(recon.WebhookBadSignature, recon.SeverityHigh, total/100, total/100, func(x *recon.Exception) { x.WebhookEventIDs = []int64{1} }),
		with(recon.LedgerUnmatched, recon.SeverityHigh, 0, -2500, func(x *recon.Exception) {
			*x = recon.Exception{Category: recon.LedgerUnmatched, Severity: recon.SeverityHigh, LedgerRef: "ADJ-1", Currency: "SGD",
				ActualMinor: -2500, DifferenceMinor: -2500, LedgerEntryIDs: []int64{3}}
		}),
		with(recon.LedgerAmountMismatch, recon.SeverityHigh, total/100, total/100-100, func(x *recon.Exception) {
			x.LedgerRef, x.LedgerEntryIDs = txnID, []int64{2}
		}),
		{Category: recon.InputErrorCategory, Severity: recon.SeverityMedium, InputErrorID: 9},
	}
	if d := cmp.Diff(want, out.Exceptions, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Detail"
	}, cmp.Ignore())); d != "" {
		t.Fatalf("exceptions (-want +got):\n%s", d)
	}
}

// TestTolerance walks the edges of the absolute and percent tolerance.
func TestTolerance(t *testing.T) {
	tests := []struct {
		name     string
		ledger   int64
		abs, pct int64
		match    bool
	}{
		{"exact, no tolerance", total, 0, 0, true},
		{"one minor unit off, no tolerance", total - 1, 0, 0, false},
		{"off by exactly the absolute tolerance", total - 5000, 5000, 0, true},
		{"one past the absolute tolerance", total - 5001, 5000, 0, false},
		{"above by exactly the absolute tolerance", total + 5000, 5000, 0, true},
		{"off by exactly 2.5%", total - 375000, 0, 25000, true},
		{"one past 2.5%", total - 375001, 0, 25000, false},
		{"the larger of the two applies", total - 375000, 100, 25000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f fixture
			f.clean()
			f.in.Ledger[0].AmountMinor = tc.ledger
			out := run(t, &f, func(o *Options) { o.ToleranceAbs, o.TolerancePercentE4 = tc.abs, tc.pct })
			got := len(out.Exceptions) == 0
			if got != tc.match {
				t.Fatalf("ledger %d vs gateway %d (abs %d, pct %d): matched %v, want %v\n%s",
					tc.ledger, total, tc.abs, tc.pct, got, tc.match, details(out.Exceptions))
			}
			if !tc.match && rowsOf(out.Exceptions)[0].Cat != recon.LedgerAmountMismatch {
				t.Fatalf("got %s, want LEDGER_AMOUNT_MISMATCH", out.Exceptions[0].Category)
			}
		})
	}
}

// TestSettlementWindow walks the window's edges: its first and last day,
// a last day on a weekend, and a payment logged just after midnight.
func TestSettlementWindow(t *testing.T) {
	tests := []struct {
		name   string
		paid   time.Time // the webhook's receipt
		booked int
		window [2]int
		match  bool
		opts   func(*Options) // settings beyond the window; nil: the defaults
	}{
		{"same day", at(2, 10, 0), 2, [2]int{0, 3}, true, nil},
		{"last day of the window", at(2, 10, 0), 5, [2]int{0, 3}, true, nil},
		{"a day past the window", at(2, 10, 0), 6, [2]int{0, 3}, false, nil},
		{"a day before the payment", at(2, 10, 0), 1, [2]int{0, 3}, false, nil},
		{"before the window's first day", at(2, 10, 0), 2, [2]int{1, 3}, false, nil},
		{"window's first day", at(2, 10, 0), 3, [2]int{1, 3}, true, nil},
		{"last day on a Sunday moves to Monday", at(5, 10, 0), 9, [2]int{0, 3}, true, nil},
		{"the Tuesday after is late", at(5, 10, 0), 10, [2]int{0, 3}, false, nil},
		{"logged just after midnight, booked the day before", at(3, 0, 10), 2, [2]int{0, 3}, true, nil},
		{"logged mid-morning, booked the day before", at(3, 9, 0), 2, [2]int{0, 3}, false, nil},
		{"no weekend roll: the Sunday is the last day", at(5, 10, 0), 8, [2]int{0, 3}, true,
			func(o *Options) { o.WeekendRoll = false }},
		{"no weekend roll: the Monday is late", at(5, 10, 0), 9, [2]int{0, 3}, false,
			func(o *Options) { o.WeekendRoll = false }},
		{"no payment lag: logged after midnight, booked the day before", at(3, 0, 10), 2, [2]int{0, 3}, false,
			func(o *Options) { o.PaymentLag = 0 }},
		{"a 10-hour lag: logged mid-morning, booked the day before", at(3, 9, 0), 2, [2]int{0, 3}, true,
			func(o *Options) { o.PaymentLag = 10 * time.Hour }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f fixture
			f.paidOrder(1)
			f.in.Links[0].PaidAt = tp(tc.paid)
			f.sale(txnID, "ORD-1", wire.StateSuccess, "IDR", total)
			f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, tc.paid)
			f.line(txnID, "IDR", total, tc.booked)
			out := run(t, &f, func(o *Options) {
				o.SettlementMinDays, o.SettlementMaxDays = tc.window[0], tc.window[1]
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			got := len(out.Exceptions) == 0
			if got != tc.match {
				t.Fatalf("paid %s, booked 2026-11-%02d, window %v: matched %v, want %v\n%s",
					tc.paid, tc.booked, tc.window, got, tc.match, details(out.Exceptions))
			}
			if !tc.match {
				want := []row{withLedger(onTxn(recon.LedgerUnmatched, txnID), txnID)}
				if d := cmp.Diff(want, rowsOf(out.Exceptions)); d != "" {
					t.Fatalf("a line outside the window (-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestNoPaymentTimeNoDateCheck: a refund with no signed webhook has no
// payment time, so any booking date fits.
func TestNoPaymentTimeNoDateCheck(t *testing.T) {
	var f fixture
	f.clean()
	f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
	f.line(txnID2, "IDR", -total, 28)
	out := run(t, &f, nil)
	want := []row{onTxn(recon.WebhookMissing, txnID2)}
	if d := cmp.Diff(want, rowsOf(out.Exceptions)); d != "" {
		t.Fatalf("(-want +got):\n%s\n%s", d, details(out.Exceptions))
	}
}

// TestAsOfDefersLedgerMissing: a settlement whose window is still open
// on AsOf is pending, not missing.
func TestAsOfDefersLedgerMissing(t *testing.T) {
	var f fixture
	f.clean()
	f.in.Ledger = nil
	for _, tc := range []struct {
		asOf    time.Time
		missing int
		pending int
	}{
		{time.Time{}, 1, 0},
		{at(4, 23, 0), 0, 1},
		{at(5, 12, 0), 1, 0}, // the window ends on the 5th: a ledger up to the 5th holds it
		{at(6, 1, 0), 1, 0},
		{at(3, 8, 0), 0, 1},
	} {
		out := run(t, &f, func(o *Options) { o.AsOf = tc.asOf })
		if got := out.Summary.Count(recon.LedgerMissing); got != tc.missing || out.Summary.PendingSettlement != tc.pending {
			t.Errorf("as of %s: got %d missing, %d pending; want %d, %d", tc.asOf, got, out.Summary.PendingSettlement, tc.missing, tc.pending)
		}
	}
}

// TestResults checks the matched rows of a sale, a partial refund and a
// voided sale, and the summary's totals.
func TestResults(t *testing.T) {
	var f fixture
	f.clean()
	f.refund(txnID2, txnID, "ORD-1", "IDR", total, 5000000)
	f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 5000000, at(3, 15, 0))
	f.line("ORD-1", "IDR", -5000000, 4)
	f.paidOrder(2)
	f.sale("10000003", "ORD-2", wire.StateVoided, "IDR", total)
	f.hook("10000003", "ORD-2", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 12, 0))
	f.hook("10000003", "ORD-2", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 12, 30))
	out := run(t, &f, nil)
	paid, day3, day4 := at(2, 10, 0).UTC(), booked(3), booked(4)
	refunded := at(3, 15, 0).UTC()
	voided := at(2, 12, 0).UTC()
	want := []recon.MatchResult{
		{Kind: KindSale, OrderUID: "ORD-1", PaymentLinkUID: "PL-1", OxpayTxnID: txnID, MerchantReferenceID: "ORD-1",
			LedgerRef: txnID, LedgerEntryID: 2, WebhookEventID: 1, State: "success", Source: SourceAPI, Currency: "IDR",
			OrderMinor: total, GatewayMinor: total, LedgerMinor: total, PaidAt: &paid, BookedOn: &day3, Clean: true},
		{Kind: KindRefund, OrderUID: "ORD-1", PaymentLinkUID: "PL-1", OxpayTxnID: txnID2, OriginalTxnID: txnID,
			MerchantReferenceID: "ORD-1", LedgerRef: "ORD-1", LedgerEntryID: 4, WebhookEventID: 3, State: "refunded",
			Source: SourceAPI, Currency: "IDR", OrderMinor: total, GatewayMinor: 5000000, LedgerMinor: -5000000,
			PaidAt: &refunded, BookedOn: &day4, Clean: true},
		{Kind: KindVoid, OrderUID: "ORD-2", PaymentLinkUID: "PL-2", OxpayTxnID: "10000003", MerchantReferenceID: "ORD-2",
			WebhookEventID: 6, State: "voided", Source: SourceAPI, Currency: "IDR", OrderMinor: total, GatewayMinor: total,
			PaidAt: &voided, Clean: true},
	}
	if d := cmp.Diff(want, out.Results); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	wantSum := Summary{Results: 3, Matched: 3, MatchRate: 1,
		Currencies: []CurrencyTotal{{Currency: "IDR", Results: 3, Matched: 3, MatchedMinor: total - 5000000}}}
	if d := cmp.Diff(wantSum, out.Summary); d != "" {
		t.Fatalf("summary (-want +got):\n%s", d)
	}
}

// TestOptionsValidate: Validate is the one place the engine's rules for
// its options (and so for recon.yaml's matching section) are checked.
func TestOptionsValidate(t *testing.T) {
	bad := []struct {
		opts Options
		want string
	}{
		{Options{Reference: "order"}, `reference "order": want order_uid or payment_link_uid`},
		{Options{ToleranceAbs: -1}, "absolute tolerance -1 must not be negative"},
		{Options{TolerancePercentE4: 100_0001}, "percent tolerance 100.0001% must be between 0 and 100%"},
		{Options{TolerancePercentE4: -1}, "percent tolerance -0.0001% must be between 0 and 100%"},
		{Options{SettlementMinDays: 2, SettlementMaxDays: 1}, "settlement window [2, 1] days: want 0 <= min <= max"},
		{Options{SettlementMinDays: -1}, "settlement window [-1, 0] days: want 0 <= min <= max"},
		{Options{PaymentLag: 25 * time.Hour}, "payment lag 25h0m0s: want 0 to 24h"},
		{Options{ReplayWindow: -time.Second}, "replay window -1s must not be negative"},
		{Options{ToleranceAbs: -1, PaymentLag: -time.Hour},
			"\n  - absolute tolerance -1 must not be negative\n  - payment lag -1h0m0s: want 0 to 24h"},
	}
	for _, tc := range bad {
		_, err := Match(Input{}, tc.opts)
		want := "match options: " + tc.want
		if strings.HasPrefix(tc.want, "\n") {
			want = "match options:" + tc.want // several: one a line
		}
		if err == nil || err.Error() != want {
			t.Errorf("%+v: got %v, want %q", tc.opts, err, want)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions: %v", err)
	}
}

// TestStandInsThroughTheStore runs webhooks standing in for a whole
// gateway (confirm mode none) through the store, reading the stand-ins'
// ids by id list and by one pass over the table.
func TestStandInsThroughTheStore(t *testing.T) {
	var f fixture
	for n := 1; n <= 3; n++ {
		f.paidOrder(n)
		id, ref := fmt.Sprintf("1000000%d", n), fmt.Sprintf("ORD-%d", n)
		f.hook(id, ref, wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, n))
		f.line(id, "IDR", total, 3)
	}
	f.refund("10000009", "10000001", "ORD-1", "IDR", total, 100) // an API refund of a stand-in sale
	f.hook("10000009", "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 100, at(3, 9, 0))
	f.line("ORD-1", "IDR", -100, 3)
	f.hook("20000001", "POS-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 11, 0))
	f.line("20000001", "IDR", total, 3)
	for _, scan := range []int{20000, 0} {
		t.Run(fmt.Sprintf("scan past %d orphans", scan), func(t *testing.T) {
			defer func(old int) { orphanScan = old }(orphanScan)
			orphanScan = scan
			db, in := storeOf(t, f.in)
			g := fixture{in: in}
			want := run(t, &g, nil)
			if d := cmp.Diff([]row{{Cat: recon.WebhookUnknownTransaction, Txn: "20000001", Ref: "POS-1"}}, rowsOf(want.Exceptions)); d != "" {
				t.Fatalf("Match (-want +got):\n%s", d)
			}
			for _, r := range want.Results[:3] {
				if r.Source != SourceWebhook || !r.Clean || r.LedgerEntryID == 0 {
					t.Errorf("stand-in result %+v: want source webhook, clean, with its ledger line", r)
				}
			}
			got := runStore(t, db, optsWith(nil))
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Match (-) and Run over the store (+) differ:\n%s", d)
			}
		})
	}
}

// TestSettlementBatches: what the settlement step keeps of each batch
// for the store and the workbook: its figures, its deposit and the
// deposit's share, its outcome and its members; a batch paid out after
// the business date is pending, its transactions pending settlement.
func TestSettlementBatches(t *testing.T) {
	var f fixture
	f.settledSales(2)
	f.refund("10000003", txnID, "ORD-1", "IDR", total, 1_000_000)
	f.hook("10000003", "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, 1_000_000, at(3, 15, 0))
	stated := int64(2*fee + 500)
	f.deposit("STL-1", "OXPAY SETTLEMENT 2026-11-02 IDR", 2*total-2*fee-500, 3, &stated) // a fee mismatch only
	out := run(t, &f, func(o *Options) { settled(o); o.AsOf = at(3, 23, 0) })
	if d := cmp.Diff([]row{{Cat: recon.FeeMismatch, LedgerRef: "STL-1"}}, rowsOf(out.Exceptions)); d != "" {
		t.Fatalf("exceptions (-want +got):\n%s\n%s", d, details(out.Exceptions))
	}
	x := out.Exceptions[0]
	if x.ExpectedMinor != 2*fee || x.ActualMinor != stated || x.DifferenceMinor != 500 {
		t.Errorf("fee mismatch amounts %d, %d, %d", x.ExpectedMinor, x.ActualMinor, x.DifferenceMinor)
	}
	paid := at(2, 10, 1).UTC()
	want := []recon.SettlementBatch{
		{Currency: "IDR", Day: "2026-11-02", PayoutDay: "2026-11-03", Transactions: 2, SalesMinor: 2 * total, FeesMinor: 2 * fee,
			FeesKnown: true, NetMinor: 2*total - 2*fee, DepositEntryID: 4, DepositMinor: 2*total - 2*fee - 500, DifferenceMinor: -500,
			FeeDiffMinor: 500, Outcome: recon.BatchPaid,
			Members: []recon.SettlementMember{
				{OxpayTxnID: txnID, Kind: KindSale, Brand: "Card", AmountMinor: total, FeeMinor: fee, PaidAt: paid},
				{OxpayTxnID: txnID2, Kind: KindSale, Brand: "Card", AmountMinor: total, FeeMinor: fee, PaidAt: paid.Add(time.Minute)},
			}},
		{Currency: "IDR", Day: "2026-11-03", PayoutDay: "2026-11-04", Transactions: 1, RefundsMinor: 1_000_000, FeesKnown: true,
			NetMinor: -1_000_000, Outcome: recon.BatchPending,
			Members: []recon.SettlementMember{
				{OxpayTxnID: "10000003", Kind: KindRefund, AmountMinor: 1_000_000, PaidAt: at(3, 15, 0).UTC()},
			}},
	}
	if d := cmp.Diff(want, out.Settlements, cmpopts.IgnoreFields(recon.SettlementBatch{}, "Detail")); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
	if out.Summary.PendingSettlement != 1 || out.Summary.Settlement == nil || out.Summary.Settlement.Paid != 1 || out.Summary.Settlement.Pending != 1 {
		t.Errorf("summary: %d pending, settlement %+v", out.Summary.PendingSettlement, out.Summary.Settlement)
	}
}

// TestSettlementPatternThatMatchesNothing: a reference pattern that
// names none of the lines offered as deposits is said as a warning of
// the run, naming the key and a line's text.
func TestSettlementPatternThatMatchesNothing(t *testing.T) {
	var f fixture
	f.settledSales(1)
	f.deposit("STL-1", "OXPAY PAYOUT 20261102", total-fee, 3, nil)
	out := run(t, &f, settled)
	if len(out.Summary.Warnings) != 1 || !strings.Contains(out.Summary.Warnings[0], `settlement.reference_pattern matched none of the 1 ledger lines offered as deposits (the lines no transaction explains, such as "STL-1 OXPAY PAYOUT 20261102")`) {
		t.Errorf("warnings %q", out.Summary.Warnings)
	}
	// The deposit still pays its batch by payout day and amount.
	if len(out.Exceptions) != 0 {
		t.Errorf("exceptions:\n%s", details(out.Exceptions))
	}
}
