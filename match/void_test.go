package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// voidID is the id a gateway that gives a void its own id (the OxPay
// document's style) gave the void of sale txnID.
const voidID = "10000005"

// void adds a VOID transaction as GET /payment/{id} reports it; orig is
// "" when the API does not name the sale.
func (f *fixture) void(id, orig, ref, state, cur string, amount int64) {
	f.in.Transactions = append(f.in.Transactions, recon.Transaction{OxpayTxnID: id, OriginalTxnID: orig,
		Type: wire.TypeVoid, MerchantReferenceID: ref, State: state, Currency: cur, AmountMinor: amount})
}

// sameIDVoid: ORD-1 paid by sale txnID, which the gateway later voided
// under the sale's own id: the API says voided, the payment delivery is
// followed by a void delivery for the same id.
func (f *fixture) sameIDVoid(linkStatus string) {
	f.orderWithLink(1, linkStatus)
	f.sale(txnID, "ORD-1", wire.StateVoided, "IDR", total)
	f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
	f.hook(txnID, "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
}

// ownIDVoid: ORD-1 paid by sale txnID (the API reports it in saleState)
// and voided by voidID, a transaction of its own whose webhook carries
// only its own id. apiVoid says whether the API has a record of the void
// (naming the sale as orig); without one, only its webhook tells of it
// (confirm mode unconfirmed or none).
func (f *fixture) ownIDVoid(linkStatus, saleState string, apiVoid bool, orig string) {
	f.orderWithLink(1, linkStatus)
	f.sale(txnID, "ORD-1", saleState, "IDR", total)
	f.hook(txnID, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
	if apiVoid {
		f.void(voidID, orig, "ORD-1", wire.StateVoided, "IDR", total)
	}
	f.hook(voidID, "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
}

// orderWithLink adds ORD-n with its link PL-n in a status; a paid link
// was paid on 2 November.
func (f *fixture) orderWithLink(n int, status string) {
	f.paidOrder(n)
	l := &f.in.Links[len(f.in.Links)-1]
	if l.Status = status; status != wire.LinkPaid {
		l.PaidAt = nil
	}
}

// TestVoids holds both ways a gateway may report a void: the sandbox's
// same-id style (the sale keeps its id and turns voided) and the OxPay
// document's own-id style (the void is a transaction of its own, named
// in the API by oxpay_original_txn_id, its webhook carrying only its own
// id). See "Voids" in doc.go.
func TestVoids(t *testing.T) {
	tests := []struct {
		name   string
		build  func(f *fixture)
		opts   func(*Options)
		want   []row
		detail string // a phrase some exception's detail must hold
	}{
		// Same id.
		{
			name:  "same id: voided sale on a paid link",
			build: func(f *fixture) { f.sameIDVoid(wire.LinkPaid) },
			want:  []row{},
		},
		{
			name:  "same id: voided sale on a cancelled link",
			build: func(f *fixture) { f.sameIDVoid(wire.LinkCancelled) },
			want:  []row{},
		},
		{
			name:  "same id: voided sale on an inactive link",
			build: func(f *fixture) { f.sameIDVoid(wire.LinkInactive) },
			want:  []row{},
		},
		{
			name:   "same id: voided sale on a link still pending",
			build:  func(f *fixture) { f.sameIDVoid(wire.LinkPending) },
			want:   []row{onTxn(recon.StatusMismatch, txnID)},
			detail: "gateway sale 10000001 of 150,000 IDR is voided, but order ORD-1 has payment link PL-1 in status pending",
		},
		{
			name: "same id: webhooks alone (confirm none)",
			build: func(f *fixture) {
				f.sameIDVoid(wire.LinkPaid)
				f.in.Transactions = nil
			},
			want: []row{},
		},
		{
			name: "same id: only the void delivery, no API record: the sale voided under its own id",
			build: func(f *fixture) {
				f.sameIDVoid(wire.LinkPaid)
				f.in.Transactions, f.in.Webhooks = nil, f.in.Webhooks[1:]
			},
			want: []row{},
		},
		{
			name: "same id: refund of the voided sale",
			build: func(f *fixture) {
				f.sameIDVoid(wire.LinkPaid)
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.line(txnID2, "IDR", -total, 4)
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID2)},
			detail: "reverses sale 10000001, which is voided: there was nothing to refund",
		},
		{
			name: "same id: the API says success, the latest signed webhook voided",
			build: func(f *fixture) {
				f.sameIDVoid(wire.LinkPaid)
				f.in.Transactions[0].State = wire.StateSuccess
				f.line(txnID, "IDR", total, 3)
			},
			want:   []row{onTxn(recon.WebhookStateMismatch, txnID)},
			detail: "says voided, the gateway API says success",
		},

		// Own id, the API naming the sale.
		{
			name:  "own id: the API names the sale and says it is voided",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkPaid, wire.StateVoided, true, txnID) },
			want:  []row{},
		},
		{
			name:  "own id: the API names the sale and keeps it success",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, true, txnID) },
			want:  []row{},
		},
		{
			name:  "own id: voided sale on a cancelled link",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkCancelled, wire.StateVoided, true, txnID) },
			want:  []row{},
		},
		{
			name:  "own id: voided sale the API keeps success, on an inactive link",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkInactive, wire.StateSuccess, true, txnID) },
			want:  []row{},
		},
		{
			name:   "own id: voided sale on a link still pending",
			build:  func(f *fixture) { f.ownIDVoid(wire.LinkPending, wire.StateVoided, true, txnID) },
			want:   []row{onTxn(recon.StatusMismatch, txnID)},
			detail: "gateway sale 10000001 of 150,000 IDR is voided by void 10000005, but order ORD-1 has payment link PL-1 in status pending",
		},
		{
			name: "own id: refund of the voided sale (API says voided)",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, true, txnID)
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.line(txnID2, "IDR", -total, 4)
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID2)},
			detail: "reverses sale 10000001, which is voided by void 10000005: there was nothing to refund",
		},
		{
			name: "own id: refund of the voided sale (API keeps it success)",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, true, txnID)
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.line(txnID2, "IDR", -total, 4)
			},
			want:   []row{onTxn(recon.StatusMismatch, txnID2)},
			detail: "reverses sale 10000001, which is voided by void 10000005: there was nothing to refund",
		},
		{
			name: "own id: ledger lines for the voided sale and for the void match nothing",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, true, txnID)
				f.line(voidID, "IDR", total, 3)
				f.line(txnID, "IDR", total, 3)
			},
			want: []row{
				withLedger(onTxn(recon.LedgerUnmatched, txnID), txnID),
				withLedger(onTxn(recon.LedgerUnmatched, voidID), voidID),
			},
		},
		{
			name: "own id: paid again after the void is no duplicate payment",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, true, txnID)
				f.sale("10000006", "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook("10000006", "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 11, 0))
				f.line("10000006", "IDR", total, 3)
			},
			want: []row{},
		},
		{
			name: "own id: the API says the sale is voided, but no void is known",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, false, "")
				f.in.Webhooks = f.in.Webhooks[:1]
			},
			want:   []row{onTxn(recon.WebhookStateMismatch, txnID)},
			detail: "says success, the gateway API says voided",
		},

		// Own id, the void linked by reference and amount.
		{
			name:  "own id: an API void without an original id",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkPaid, wire.StateVoided, true, "") },
			want:  []row{},
		},
		{
			name:  "own id: the void known only from its webhook (confirm unconfirmed)",
			build: func(f *fixture) { f.ownIDVoid(wire.LinkCancelled, wire.StateVoided, false, "") },
			want:  []row{},
		},
		{
			name: "own id: sale and void known only from webhooks (confirm none)",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, false, "")
				f.in.Transactions = nil
			},
			want: []row{},
		},
		{
			name: "own id: refund of a sale voided by a webhook-only void",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, false, "")
				f.refund(txnID2, txnID, "ORD-1", "IDR", total, total)
				f.hook(txnID2, "ORD-1", wire.StateRefunded, recon.SigRaw, "IDR", total, total, at(3, 15, 0))
				f.line(txnID2, "IDR", -total, 4)
			},
			want: []row{onTxn(recon.StatusMismatch, txnID2)},
		},
		{
			name: "own id: two sales fit the void equally: it is linked to neither",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, false, "")
				f.sale(txnID2, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID2, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 5))
			},
			want: []row{
				onTxn(recon.DuplicatePayment, txnID2),
				onTxn(recon.AmbiguousMatch, voidID),
			},
			detail: "void 10000005 of 150,000 IDR names no original sale and fits 2 sales equally well (10000001, 10000002): linked to none",
		},
		{
			name: "own id: of two sales, the one the API says is voided fits better",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, false, "")
				f.sale(txnID2, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID2, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 11, 0))
				f.line(txnID2, "IDR", total, 3)
			},
			want: []row{},
		},
		{
			name: "own id: a sale already voided by a void naming it is no candidate",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateSuccess, true, txnID)
				f.sale(txnID2, "ORD-1", wire.StateSuccess, "IDR", total)
				f.hook(txnID2, "ORD-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 11, 0))
				f.hook("10000007", "ORD-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 11, 30))
			},
			want: []row{},
		},
		{
			name: "own id: a void of another amount is linked to no sale",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, false, "")
				f.in.Webhooks[1].AmountMinor = total - 100
			},
			want: []row{
				onTxn(recon.AmountMismatch, voidID),
				onTxn(recon.WebhookStateMismatch, txnID),
			},
		},
		{
			name: "own id: a void naming a sale nobody knows is not linked by reference",
			build: func(f *fixture) {
				f.ownIDVoid(wire.LinkPaid, wire.StateVoided, true, "10000099")
			},
			want:   []row{onTxn(recon.WebhookStateMismatch, txnID)},
			detail: "says success, the gateway API says voided",
		},
		{
			name: "own id: void of a sale whose reference matches no order",
			build: func(f *fixture) {
				f.sale(txnID, "POS-1", wire.StateVoided, "IDR", total)
				f.hook(txnID, "POS-1", wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
				f.hook(voidID, "POS-1", wire.StateVoided, recon.SigRaw, "IDR", total, 0, at(2, 10, 30))
			},
			want: []row{{Cat: recon.TransactionNoOrder, Txn: txnID, Ref: "POS-1"}},
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
			if tc.detail != "" && !strings.Contains(details(out.Exceptions), tc.detail) {
				t.Errorf("details:\n%s\nwant one to hold %q", details(out.Exceptions), tc.detail)
			}
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

// TestVoidResults: a void linked by reference carries its sale's id in
// the results, beside the voided sale; neither counts money.
func TestVoidResults(t *testing.T) {
	var f fixture
	f.ownIDVoid(wire.LinkPaid, wire.StateVoided, false, "")
	out := run(t, &f, nil)
	sale, void := at(2, 10, 0).UTC(), at(2, 10, 30).UTC()
	want := []recon.MatchResult{
		{Kind: KindVoid, OrderUID: "ORD-1", PaymentLinkUID: "PL-1", OxpayTxnID: txnID, MerchantReferenceID: "ORD-1",
			WebhookEventID: 1, State: "voided", Source: SourceAPI, Currency: "IDR", OrderMinor: total, GatewayMinor: total,
			PaidAt: &sale, Clean: true},
		{Kind: KindVoid, OrderUID: "ORD-1", PaymentLinkUID: "PL-1", OxpayTxnID: voidID, OriginalTxnID: txnID,
			MerchantReferenceID: "ORD-1", WebhookEventID: 2, State: "voided", Source: SourceWebhook, Currency: "IDR",
			OrderMinor: total, GatewayMinor: total, PaidAt: &void, Clean: true},
	}
	if d := cmp.Diff(want, out.Results); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	if s := out.Summary; s.Matched != 2 || s.Currencies[0].MatchedMinor != 0 {
		t.Errorf("summary %+v: want 2 matched, no money", s)
	}
}
