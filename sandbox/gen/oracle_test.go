package gen

import (
	"cmp"
	"encoding/json"
	"slices"
	"testing"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// keyRow is an answer-key row without its free-text detail.
type keyRow struct {
	Category                                 recon.Category
	Order, Link, Txn, MerchantRef, LedgerRef string
}

func keyRows(as []Anomaly) []keyRow {
	out := make([]keyRow, len(as))
	for i, a := range as {
		out[i] = keyRow{a.Category, a.OrderUID, a.PaymentLinkUID, a.OxpayTxnID, a.MerchantReferenceID, a.LedgerRef}
	}
	sortRows(out)
	return out
}

func sortRows(rows []keyRow) {
	slices.SortFunc(rows, func(x, y keyRow) int {
		return cmp.Or(cmp.Compare(x.Category, y.Category), cmp.Compare(x.Order, y.Order),
			cmp.Compare(x.Link, y.Link), cmp.Compare(x.Txn, y.Txn),
			cmp.Compare(x.MerchantRef, y.MerchantRef), cmp.Compare(x.LedgerRef, y.LedgerRef))
	})
}

// oracle is a deliberately plain matcher that follows the rules written
// in anomaly.go, working on the dataset as the real inputs would present
// it (API records, logged payloads, ledger lines). That it finds exactly
// the answer key shows both that every injected anomaly yields its one
// row and that the normal world breaks no rule.
func oracle(t *testing.T, ds *Dataset) []keyRow {
	t.Helper()
	units := recon.DefaultUnits()
	orders := map[string]*wire.Order{}
	for i := range ds.Orders {
		orders[ds.Orders[i].UID] = &ds.Orders[i]
	}
	links := map[string]*wire.PaymentLink{}
	for i := range ds.Links {
		l := &ds.Links[i]
		if links[l.OrderUID] != nil {
			t.Errorf("order %s has two payment links", l.OrderUID)
		}
		links[l.OrderUID] = l
	}
	txns := map[string]*wire.Transaction{}
	byRef := map[string][]*wire.Transaction{} // in id order
	voidedBy := map[string]bool{}             // sales a VOID of its own id names
	for i := range ds.Transactions {
		tx := &ds.Transactions[i]
		txns[tx.OxpayTxnID] = tx
		byRef[tx.MerchantReferenceID] = append(byRef[tx.MerchantReferenceID], tx)
		if tx.TransactionType == wire.TypeVoid && tx.TransactionState == wire.StateVoided {
			voidedBy[tx.OxpayOriginalTxnID] = true
		}
	}
	minor := func(source, currency string, v int64) int64 {
		m, err := units.ToMinor(source, currency, v)
		if err != nil {
			t.Fatalf("convert %d %s: %v", v, currency, err)
		}
		return m
	}

	var rows []keyRow
	txnRow := func(c recon.Category, tx *wire.Transaction) keyRow {
		r := keyRow{Category: c, Txn: tx.OxpayTxnID, MerchantRef: tx.MerchantReferenceID}
		if o := orders[tx.MerchantReferenceID]; o != nil {
			r.Order = o.UID
			if l := links[o.UID]; l != nil {
				r.Link = l.UID
			}
		}
		return r
	}

	// Webhooks: signatures, then per transaction the latest trusted state.
	type delivery struct {
		state   string
		trusted bool
	}
	hooks := map[string][]delivery{}
	badSig := map[string]bool{}
	for _, d := range ds.Webhooks {
		var env wire.OxEnvelope[wire.Notification]
		if err := json.Unmarshal(d.Payload, &env); err != nil {
			t.Fatalf("payload %q: %v", d.Payload, err)
		}
		id := env.Body.OxpayTxnID
		ok := sign.VerifyOxPay(ds.Options.SignKey, d.Payload, d.Signature).Valid()
		if !ok && !badSig[id] {
			badSig[id] = true
			rows = append(rows, txnRow(recon.WebhookBadSignature, txns[id]))
		}
		hooks[id] = append(hooks[id], delivery{env.Body.TransactionState, ok})
	}
	for i := range ds.Transactions {
		tx := &ds.Transactions[i]
		hs := hooks[tx.OxpayTxnID]
		if len(hs) == 0 {
			rows = append(rows, txnRow(recon.WebhookMissing, tx))
			continue
		}
		for j := len(hs) - 1; j >= 0; j-- {
			if hs[j].trusted {
				// A VOID's notifications speak for the sale it voided.
				superseded := voidedBy[tx.OxpayTxnID] && tx.TransactionState == wire.StateVoided
				if hs[j].state != tx.TransactionState && !superseded {
					rows = append(rows, txnRow(recon.WebhookStateMismatch, tx))
				}
				break
			}
		}
		if tx.TransactionType == wire.TypeSale && orders[tx.MerchantReferenceID] == nil {
			rows = append(rows, txnRow(recon.TransactionNoOrder, tx))
		}
	}

	// Orders against links and sales.
	for i := range ds.Orders {
		o := &ds.Orders[i]
		l := links[o.UID]
		all := byRef[o.UID]
		if l == nil {
			if len(all) > 0 {
				t.Errorf("order %s has transactions but no link", o.UID)
			}
			continue
		}
		var paid, success []*wire.Transaction
		for _, tx := range all {
			if tx.TransactionType != wire.TypeSale {
				continue
			}
			switch tx.TransactionState {
			case wire.StateSuccess:
				success = append(success, tx)
				paid = append(paid, tx)
			case wire.StateVoided:
				paid = append(paid, tx)
			}
		}
		base := keyRow{Order: o.UID, Link: l.UID}
		switch {
		case l.Status == wire.LinkPaid && len(all) == 0:
			base.Category = recon.OrderPaidNoTransaction
			rows = append(rows, base)
		case l.Status == wire.LinkPaid && len(paid) == 0:
			rows = append(rows, txnRow(recon.StatusMismatch, all[len(all)-1]))
		case l.Status != wire.LinkPaid && len(paid) > 0:
			// A called-off link is consistent with a voided sale.
			calledOff := l.Status == wire.LinkCancelled || l.Status == wire.LinkInactive
			for _, tx := range paid {
				if !calledOff || tx.TransactionState != wire.StateVoided {
					rows = append(rows, txnRow(recon.StatusMismatch, tx))
					break
				}
			}
		}
		for _, tx := range success[min(1, len(success)):] {
			rows = append(rows, txnRow(recon.DuplicatePayment, tx))
		}
		for _, tx := range paid {
			if tx.TransactionCurrency != o.Currency {
				t.Errorf("transaction %s: currency %s, order %s", tx.OxpayTxnID, tx.TransactionCurrency, o.Currency)
			}
			if minor(recon.SourceOxPay, tx.TransactionCurrency, tx.TransactionAmount) != minor(recon.SourceXepeng, o.Currency, o.TotalAmount) {
				rows = append(rows, txnRow(recon.AmountMismatch, tx))
			}
		}
	}

	// Ledger: resolve each line, then compare with what should be booked.
	settles := func(tx *wire.Transaction) bool {
		return tx.TransactionType == wire.TypeRefund ||
			tx.TransactionType == wire.TypeSale && tx.TransactionState == wire.StateSuccess
	}
	booked := map[string][]LedgerLine{}
	referenced := map[string]bool{}
	for _, ln := range ds.Ledger {
		tx := txns[ln.Reference]
		if tx == nil && orders[ln.Reference] != nil {
			var cands []*wire.Transaction
			for _, c := range byRef[ln.Reference] {
				if settles(c) && (ln.Credit > 0) == (c.TransactionType == wire.TypeSale) {
					cands = append(cands, c)
				}
			}
			if len(cands) != 1 {
				t.Errorf("ledger line %+v: %d candidate transactions by merchant reference", ln, len(cands))
				continue
			}
			tx = cands[0]
		}
		if tx == nil {
			rows = append(rows, keyRow{Category: recon.LedgerUnmatched, LedgerRef: ln.Reference})
			continue
		}
		if !settles(tx) {
			t.Errorf("ledger line %+v books unsettled transaction %s (%s)", ln, tx.OxpayTxnID, tx.TransactionState)
		}
		referenced[ln.Reference] = true
		booked[tx.OxpayTxnID] = append(booked[tx.OxpayTxnID], ln)
	}
	for i := range ds.Transactions {
		tx := &ds.Transactions[i]
		if len(hooks[tx.OxpayTxnID]) == 0 && !referenced[tx.OxpayTxnID] {
			t.Errorf("transaction %s has neither a webhook nor a ledger line: no matcher can find it", tx.OxpayTxnID)
		}
		if !settles(tx) {
			continue
		}
		lines := booked[tx.OxpayTxnID]
		if len(lines) == 0 {
			rows = append(rows, txnRow(recon.LedgerMissing, tx))
			continue
		}
		ln := lines[0]
		if len(lines) > 1 {
			for _, other := range lines[1:] {
				if other != ln {
					t.Errorf("transaction %s booked twice differently: %+v and %+v", tx.OxpayTxnID, ln, other)
				}
			}
			r := txnRow(recon.LedgerDuplicate, tx)
			r.LedgerRef = ln.Reference
			rows = append(rows, r)
		}
		want, got := minor(recon.SourceOxPay, tx.TransactionCurrency, tx.TransactionAmount), ln.Credit
		if tx.TransactionType == wire.TypeRefund {
			want, got = minor(recon.SourceOxPay, tx.TransactionCurrency, tx.RefundAmount), ln.Debit
		}
		if ln.Currency != tx.TransactionCurrency {
			t.Errorf("ledger line %+v: currency of transaction %s is %s", ln, tx.OxpayTxnID, tx.TransactionCurrency)
		}
		if got != want {
			r := txnRow(recon.LedgerAmountMismatch, tx)
			r.LedgerRef = ln.Reference
			rows = append(rows, r)
		}
	}
	sortRows(rows)
	return rows
}
