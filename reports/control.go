package reports

import (
	"maps"
	"slices"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// The control line proves, per currency, that every break between the
// gateway and the ledger is listed:
//
//	gateway net  = sales that settle (kind sale) − refunds (kind refund),
//	               matched or not; voids move no money
//	ledger net   = the sum of every ledger line (signed)
//	difference   = gateway net − ledger net
//
// Each part of the difference belongs to exactly one row, and each row
// is accounted for once:
//
//   - a settling transaction without a ledger line adds its signed
//     amount: explained by its LEDGER_MISSING, or, when it has none, the
//     line is not due yet (settlement window open) or an ambiguous line
//     may be its own ("no ledger line yet");
//   - a transaction paired with a line adds gateway − line: explained by
//     the exception that names the pair's line (LEDGER_AMOUNT_MISMATCH,
//     LEDGER_UNMATCHED outside the window, CURRENCY_MISMATCH), else it is
//     a difference the matching tolerance let through ("within
//     tolerance");
//   - a line paired with nothing subtracts its amount: explained by its
//     LEDGER_UNMATCHED or AMBIGUOUS_MATCH, or, for the extra lines of a
//     LEDGER_DUPLICATE, by that exception;
//   - with net settlements, a batch's transactions have no line of their
//     own: when the batch is paid or missing, their gross (sales −
//     refunds) is the fees the gateway kept (a line of its own) plus the
//     expected net, which the deposit pays, or SETTLEMENT_MISSING
//     explains; a deposit's difference from the net is explained by its
//     SETTLEMENT_AMOUNT_MISMATCH and FEE_MISMATCH, or else the tolerance
//     let it through. A pending or ambiguous batch's transactions have
//     no ledger line yet; a deposit that pays nothing is its
//     SETTLEMENT_UNMATCHED (or AMBIGUOUS_MATCH, LEDGER_UNMATCHED).
//
// An exception's share is the negated difference it reports (its
// difference is ledger − gateway), except CURRENCY_MISMATCH, whose
// difference is 0: its gateway amount is explained in the gateway's
// currency and its line in the line's, LEDGER_DUPLICATE, which
// reports all its lines while the best one is paired: only the others
// are its share, and FEE_MISMATCH, whose difference (stated fee −
// schedule's) is what the deposit lacks beyond the fees line: its share
// is the difference itself. Unexplained is what is left; it is zero whenever the
// exceptions list every break, and the Summary shows it red otherwise.
// The part a category plays is its Control in recon.Categories. An
// exception finance accepted or wrote off (on the money it has) keeps
// its share, counted apart as explained by decision: it needs no action,
// and nothing leaves the totals.
type control struct {
	gateway, explained, decided, awaiting, tolerance map[string]int64

	missing   map[string]bool           // txn ids with LEDGER_MISSING
	pairLines map[int64]bool            // ledger lines a pair exception names
	dups      map[string]*duplicateLine // LEDGER_DUPLICATE by txn id

	// Net settlements: the fees of the paid and missing batches, and per
	// deposit line its batches' difference and what the settlement
	// exceptions naming it explain of it.
	fees      map[string]int64
	deposits  map[int64]*depositLine
	lineShare map[int64]int64 // by ledger line: what its settlement exceptions explain
}

type depositLine struct {
	currency   string
	difference int64
}

func (c *control) deposit(id int64, currency string) *depositLine {
	d := c.deposits[id]
	if d == nil {
		d = &depositLine{currency: currency}
		c.deposits[id] = d
	}
	return d
}

type duplicateLine struct {
	currency string
	all      int64 // every line the exception lists
	best     int64 // the paired line, from the result
	decided  bool  // explained by decision
}

// ControlLine is the control of one currency, in minor units.
type ControlLine struct {
	Currency   string `json:"currency"`
	GatewayNet int64  `json:"gateway_net"`
	LedgerNet  int64  `json:"ledger_net"`
	Difference int64  `json:"difference"`
	Explained  int64  `json:"explained"`
	// ExplainedByDecision is what exceptions finance accepted or wrote
	// off explain (not in Explained).
	ExplainedByDecision int64 `json:"explained_by_decision"`
	AwaitingYet         int64 `json:"awaiting_ledger"`
	Tolerance           int64 `json:"within_tolerance"`
	// Fees are the fees the gateway kept from the settlement batches it
	// paid out (or owes): the part of the difference a net settlement
	// deposit is short by design.
	Fees        int64 `json:"settlement_fees"`
	Unexplained int64 `json:"unexplained"`
}

// newControl starts the control of a run's exceptions; decided says
// which are explained by decision (nil: none).
func newControl(es []store.ReportException, decided func(*recon.Exception) bool) *control {
	c := &control{
		gateway: map[string]int64{}, explained: map[string]int64{}, decided: map[string]int64{}, awaiting: map[string]int64{}, tolerance: map[string]int64{},
		missing: map[string]bool{}, pairLines: map[int64]bool{}, dups: map[string]*duplicateLine{},
		fees: map[string]int64{}, deposits: map[int64]*depositLine{}, lineShare: map[int64]int64{},
	}
	for i := range es {
		x := &es[i]
		if x.Carried {
			continue // its rows were not read: see report.mark
		}
		info, _ := x.Category.Info()
		explained := c.explained
		byDecision := decided != nil && decided(&x.Exception)
		if byDecision {
			explained = c.decided
		}
		switch info.Control {
		case recon.ControlMissing:
			c.missing[x.OxpayTxnID] = true
			explained[x.Currency] -= x.DifferenceMinor
		case recon.ControlPaired:
			explained[x.Currency] -= x.DifferenceMinor
			if len(x.LedgerEntryIDs) == 1 {
				c.pairLines[x.LedgerEntryIDs[0]] = true
			}
		case recon.ControlUnpaired:
			explained[x.Currency] -= x.DifferenceMinor
		case recon.ControlCurrency:
			if len(x.LedgerEntryIDs) == 0 {
				continue // order, refund or webhook against the gateway
			}
			lineCur := x.LedgerCurrency
			if lineCur == "" {
				lineCur = x.Currency
			}
			explained[x.Currency] += x.ExpectedMinor
			explained[lineCur] -= x.ActualMinor
			c.pairLines[x.LedgerEntryIDs[0]] = true
		case recon.ControlDuplicate:
			c.dups[x.OxpayTxnID] = &duplicateLine{currency: x.Currency, all: x.ActualMinor, decided: byDecision}
		case recon.ControlSettlement, recon.ControlFee:
			share := -x.DifferenceMinor
			if info.Control == recon.ControlFee {
				share = x.DifferenceMinor
			}
			explained[x.Currency] += share
			if len(x.LedgerEntryIDs) == 1 {
				c.lineShare[x.LedgerEntryIDs[0]] += share
			}
		}
	}
	return c
}

// settlements adds a run's settlement batches: see above.
func (c *control) settlements(bs []recon.SettlementBatch) {
	for i := range bs {
		b := &bs[i]
		switch b.Outcome {
		case recon.BatchPaid, recon.BatchMismatch, recon.BatchMissing:
		default:
			continue // pending or ambiguous: no ledger line yet
		}
		c.awaiting[b.Currency] -= b.SalesMinor - b.RefundsMinor
		c.fees[b.Currency] += b.FeesMinor
		if b.DepositEntryID != 0 {
			c.deposit(b.DepositEntryID, b.Currency).difference += b.DifferenceMinor
		}
	}
}

// result adds one match result.
func (c *control) result(r *store.ReportResult) {
	var signed int64
	switch r.Kind {
	case match.KindSale:
		signed = r.GatewayMinor
	case match.KindRefund:
		signed = -r.GatewayMinor
	default:
		return
	}
	c.gateway[r.Currency] += signed
	if d := c.dups[r.OxpayTxnID]; d != nil {
		d.best = r.LedgerMinor
	}
	switch {
	case r.LedgerEntryID == 0:
		if !c.missing[r.OxpayTxnID] {
			c.awaiting[r.Currency] += signed
		}
	case !c.pairLines[r.LedgerEntryID]:
		c.tolerance[r.Currency] += signed - r.LedgerMinor
	}
}

// lines returns the control per currency, in code order, given the
// ledger's net per currency.
func (c *control) lines(ledger map[string]int64) []ControlLine {
	explained, decided := maps.Clone(c.explained), maps.Clone(c.decided)
	for _, d := range c.dups {
		if d.decided {
			decided[d.currency] += d.best - d.all
		} else {
			explained[d.currency] += d.best - d.all
		}
	}
	tolerance := maps.Clone(c.tolerance)
	for id, d := range c.deposits {
		// The deposit pays net + difference: −difference of the gap is
		// its, less what its exceptions explain.
		tolerance[d.currency] += -d.difference - c.lineShare[id]
	}
	var curs []string
	for _, m := range []map[string]int64{c.gateway, ledger, explained, decided, c.awaiting, tolerance, c.fees} {
		for k := range m {
			if !slices.Contains(curs, k) {
				curs = append(curs, k)
			}
		}
	}
	slices.Sort(curs)
	out := make([]ControlLine, 0, len(curs))
	for _, cur := range curs {
		l := ControlLine{Currency: cur, GatewayNet: c.gateway[cur], LedgerNet: ledger[cur],
			Explained: explained[cur], ExplainedByDecision: decided[cur], AwaitingYet: c.awaiting[cur], Tolerance: tolerance[cur],
			Fees: c.fees[cur]}
		l.Difference = l.GatewayNet - l.LedgerNet
		l.Unexplained = l.Difference - l.Explained - l.ExplainedByDecision - l.AwaitingYet - l.Tolerance - l.Fees
		out = append(out, l)
	}
	return out
}
