package match

import (
	"slices"
	"strings"

	"github.com/reconkit/reconkit/store"
)

// sourceTotals counts the rows the run read, per source and currency,
// as the Summary's inputs section shows them (store.SourceTotal): in
// the order of the Source constants, then by currency, a source without
// rows left out. Gateway types follow the gateway: REFUND and VOID,
// anything else is a sale; a refund's amount is its refund amount when
// stated. A delivery fails the signature when its check is neither raw
// nor compact; notifications are told apart as the match tells them
// (by their dedup key). Only the API's transactions count, not the
// deliveries that stand in for one.
//
// The run keeps them with its mark, so that the report reads them
// instead of reading every input table again: of every row for a whole
// run, of what the night reached for an incremental one.
func (e *engine) sourceTotals() []store.SourceTotal {
	d := e.d
	type key struct {
		source string
		cur    sym
	}
	type sum struct{ rows, amount int64 }
	sums := map[key]*sum{}
	add := func(source string, cur sym, amount int64) {
		k := key{source, cur}
		s := sums[k]
		if s == nil {
			s = &sum{}
			sums[k] = s
		}
		s.rows++
		if amount != noAmount {
			s.amount += amount
		}
	}
	for i := range d.orders {
		add(store.SourceOrders, d.orders[i].currency, d.orders[i].amount)
	}
	for i := range d.links {
		if l := &d.links[i]; l.hasPaidAt {
			add(store.SourcePaymentLinksPaid, l.currency, l.amount)
		}
	}
	for i := range d.txns {
		switch t := &d.txns[i]; {
		case e.isRefund(t):
			amount := t.amount
			if t.refund != 0 {
				amount = t.refund
			}
			add(store.SourceRefunds, t.currency, amount)
		case e.isVoid(t):
			add(store.SourceVoids, t.currency, t.amount)
		default:
			add(store.SourceSales, t.currency, t.amount)
		}
	}
	type note struct {
		cur   sym
		dedup uint64
	}
	notes := make([]note, 0, len(d.hooks))
	for i := range d.hooks {
		h := &d.hooks[i]
		add(store.SourceWebhooks, h.currency, 0)
		if !h.trusted {
			add(store.SourceWebhookBadSig, h.currency, 0)
		}
		notes = append(notes, note{h.currency, h.dedup})
	}
	slices.SortFunc(notes, func(a, b note) int {
		if a.cur != b.cur {
			return int(a.cur) - int(b.cur)
		}
		switch {
		case a.dedup < b.dedup:
			return -1
		case a.dedup > b.dedup:
			return 1
		}
		return 0
	})
	for i := range notes {
		if i == 0 || notes[i] != notes[i-1] {
			add(store.SourceWebhookUnique, notes[i].cur, 0)
		}
	}
	for i := range d.entries {
		ln := &d.entries[i]
		if ln.amount >= 0 {
			add(store.SourceLedgerCredits, ln.currency, ln.amount)
		} else {
			add(store.SourceLedgerDebits, ln.currency, ln.amount)
		}
		add(store.SourceLedger, ln.currency, ln.amount)
	}
	rank := map[string]int{}
	for i, s := range store.Sources {
		rank[s] = i
	}
	out := make([]store.SourceTotal, 0, len(sums))
	for k, s := range sums {
		out = append(out, store.SourceTotal{Source: k.source, Currency: e.s.str(k.cur), Rows: s.rows, AmountMinor: s.amount})
	}
	slices.SortFunc(out, func(a, b store.SourceTotal) int {
		if a.Source != b.Source {
			return rank[a.Source] - rank[b.Source]
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out
}
