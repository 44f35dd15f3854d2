package match

import (
	"cmp"
	"slices"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// Match runs every rule over in and returns the matched transactions,
// the exceptions in report order and their totals. It is the whole
// engine without the store: Run reads the same rows from the database.
func Match(in Input, opts Options) (Output, error) {
	if err := opts.Validate(); err != nil {
		return Output{}, err
	}
	e := newEngine(fromInput(in), opts.normalized())
	e.run()
	var out Output
	tally := newTally()
	e.eachResult(func(t time.Time) *time.Time { return &t }, func(r *recon.MatchResult) error {
		tally.result(r)
		out.Results = append(out.Results, *r)
		return nil
	})
	out.Exceptions = e.out
	out.Summary = e.summary(tally)
	for i := range e.batches {
		out.Settlements = append(out.Settlements, e.settlementBatch(i))
	}
	return out, nil
}

// summary is the run's totals: the tally of its results and exceptions,
// and what the settlement step counted and warned of.
func (e *engine) summary(t *tally) Summary {
	s := t.summary(e.out, e.pending)
	s.Settlement, s.Warnings = e.settleSum, e.warnings
	return s
}

// eachResult builds the result row of every transaction that moved or
// reversed money, in natural transaction id order, and hands it to fn. newTime
// gives the row's time pointers a home: the caller decides whether each
// row keeps its own or a batch shares a buffer.
func (e *engine) eachResult(newTime func(time.Time) *time.Time, fn func(*recon.MatchResult) error) error {
	var r recon.MatchResult
	// API rows are in natural id order already; stand-ins, appended after
	// them, are put in their place.
	var order []int32
	if len(e.txns) > len(e.d.txns) {
		order = make([]int32, len(e.txns))
		for i := range order {
			order[i] = int32(i)
		}
		e.sortTxns(order)
	}
	for k := range e.txns {
		i := k
		if order != nil {
			i = int(order[k])
		}
		x := &e.txns[i]
		if x.ghost {
			continue
		}
		var kind string
		switch {
		case e.isRefund(x) && e.refundDone(x):
			kind = KindRefund
		case e.isVoid(x) && (e.taken(x.state) || x.state == e.stVoided):
			kind = KindVoid
		case e.paidSale(x) && e.voided(x):
			kind = KindVoid
		case e.paidSale(x):
			kind = KindSale
		default:
			continue
		}
		r = recon.MatchResult{Kind: kind, OxpayTxnID: x.id, OriginalTxnID: x.orig, MerchantReferenceID: x.ref,
			State: e.s.str(x.state), Source: SourceAPI, Currency: e.s.str(x.currency),
			GatewayMinor: e.gatewayAmount(x), Clean: !x.unclean}
		if x.fromHook {
			r.Source = SourceWebhook
		}
		if x.payable >= 0 {
			r.OrderUID, r.PaymentLinkUID = e.payableIDs(x.payable)
			if a, _ := e.payAmount(x.payable); a != noAmount {
				r.OrderMinor = a
			}
		}
		if x.latest >= 0 {
			r.WebhookEventID = e.latestID(i)
		}
		if at, ok := e.payTime(x); ok {
			r.PaidAt = newTime(time.Unix(0, at).UTC())
		}
		if x.line >= 0 {
			ln := &e.d.entries[x.line]
			r.LedgerRef, r.LedgerEntryID, r.LedgerMinor = ln.ref, ln.id, ln.amount
			r.BookedOn = newTime(dayTime(ln.day))
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
}

// tally adds up results by currency as they stream past.
type tally struct {
	results, matched int
	byCur            map[string]*CurrencyTotal
}

func newTally() *tally { return &tally{byCur: map[string]*CurrencyTotal{}} }

func (t *tally) cur(c string) *CurrencyTotal {
	ct := t.byCur[c]
	if ct == nil {
		ct = &CurrencyTotal{Currency: c}
		t.byCur[c] = ct
	}
	return ct
}

func (t *tally) result(r *recon.MatchResult) {
	t.results++
	ct := t.cur(r.Currency)
	ct.Results++
	if !r.Clean {
		return
	}
	t.matched++
	ct.Matched++
	switch r.Kind {
	case KindSale:
		ct.MatchedMinor += r.GatewayMinor
	case KindRefund:
		ct.MatchedMinor -= r.GatewayMinor
	}
}

func (t *tally) summary(es []recon.Exception, pending int) Summary {
	s := Summary{Results: t.results, Matched: t.matched, MatchRate: 1, PendingSettlement: pending, Exceptions: len(es)}
	if t.results > 0 {
		s.MatchRate = float64(t.matched) / float64(t.results)
	}
	type key struct {
		c   recon.Category
		cur string
	}
	cats := map[key]*CategoryTotal{}
	for i := range es {
		x := &es[i]
		k := key{x.Category, x.Currency}
		ct := cats[k]
		if ct == nil {
			ct = &CategoryTotal{Category: x.Category, Severity: x.Severity, Currency: x.Currency}
			cats[k] = ct
		}
		ct.Count++
		ct.AmountMinor += abs(x.DifferenceMinor)
		if x.Currency != "" {
			cu := t.cur(x.Currency)
			cu.Exceptions++
			cu.AmountMinor += abs(x.DifferenceMinor)
		}
	}
	for _, ct := range cats {
		s.Categories = append(s.Categories, *ct)
	}
	slices.SortFunc(s.Categories, func(a, b CategoryTotal) int {
		return cmp.Or(cmp.Compare(a.Category.Rank(), b.Category.Rank()), cmp.Compare(a.Currency, b.Currency))
	})
	for _, ct := range t.byCur {
		s.Currencies = append(s.Currencies, *ct)
	}
	slices.SortFunc(s.Currencies, func(a, b CurrencyTotal) int { return cmp.Compare(a.Currency, b.Currency) })
	return s
}
