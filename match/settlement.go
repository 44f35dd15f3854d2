package match

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/settle"
)

// The settlement step (Options.Settlement): many transactions to one
// ledger line. It runs in matchLedger after the lines are paired one by
// one and before checkMissing:
//
//  1. The settling transactions left without a line (neither paired nor
//     a candidate of an ambiguous line, and vouched for) are cut into
//     batches by settle.Build: one per gateway business day and
//     currency, with the fees the schedule says the gateway keeps.
//  2. The lines whose reference matches no transaction, order or
//     payment link (which would be LEDGER_UNMATCHED) are offered to the
//     batches as deposits (settle.Match): by the batch their text names
//     through the reference pattern, else by payout day and amount.
//  3. The outcomes become exceptions: SETTLEMENT_AMOUNT_MISMATCH for a
//     deposit beyond the tolerance (FEE_MISMATCH beside or instead of it
//     when the line states another fee than the schedule's),
//     SETTLEMENT_MISSING for a batch due and unpaid,
//     SETTLEMENT_UNMATCHED for a line the pattern names that pays
//     nothing, AMBIGUOUS_MATCH for a line two batches (or combinations)
//     explain alike; a line the pattern does not name that pays nothing
//     stays LEDGER_UNMATCHED. A batch paid out after Options.AsOf is
//     pending: its transactions count as pending settlement.
//
// A batched transaction is never LEDGER_MISSING: its batch answers for
// it. A settling transaction that cannot be batched (no payment time is
// known) is, saying why.

// batchOutcome is what the step found for one batch, beside it.
type batchOutcome struct {
	outcome string // recon.BatchPaid, ...
	deposit int32  // the paying ledger line (index into entries), -1
	share   int64  // the deposit's share of the line
	diff    int64  // share − net, with a deposit
	feeDiff int64  // the part a FEE_MISMATCH reports
	detail  string
}

// SettlementSummary counts what the settlement step found.
type SettlementSummary struct {
	Batches    int `json:"batches"`
	Paid       int `json:"paid"`
	Mismatched int `json:"mismatched"`
	Missing    int `json:"missing"`
	Pending    int `json:"pending"`
	Ambiguous  int `json:"ambiguous"`
	// Deposits counts the lines offered as deposits (those no
	// transaction explains), PatternHits those the reference pattern
	// named.
	Deposits    int `json:"deposits"`
	PatternHits int `json:"pattern_hits"`
}

// settleBatches is the settlement step; see above.
func (e *engine) settleBatches() {
	so := e.opts.Settlement
	es := e.d.entries

	var txns []settle.Txn
	for i := range e.txns {
		x := &e.txns[i]
		if x.ghost || x.line >= 0 || x.explained || !e.settles(x) || e.unvouched(x) {
			continue
		}
		t := settle.Txn{ID: int32(i), Brand: e.s.str(x.brand), Currency: e.s.str(x.currency), Amount: abs(e.settleAmount(x))}
		if e.isRefund(x) {
			t.Kind = settle.Refund
		}
		if at, ok := e.payTime(x); ok {
			t.At = time.Unix(0, at)
		}
		txns = append(txns, t)
	}
	batches, probs := settle.Build(txns, so.Schedule, so.Calendar)
	for _, p := range probs {
		if e.unbatched == nil {
			e.unbatched = map[int32]string{}
		}
		e.unbatched[p.ID] = p.Why
	}
	for _, b := range batches {
		for _, t := range b.Txns {
			e.txns[t].batched = true
		}
	}

	byID := make(map[int64]int32, len(e.deposits))
	deps := make([]settle.Deposit, 0, len(e.deposits))
	for _, i := range e.deposits {
		ln := &es[i]
		d := settle.Deposit{ID: ln.id, Day: settle.Day(ln.day), Currency: e.s.str(ln.currency), Amount: ln.amount, Text: ln.ref}
		if e.d.texts != nil {
			t := &e.d.texts[i]
			d.Text += " " + t.desc
			d.Fee, d.HasFee = t.fee, t.hasFee
		}
		byID[ln.id] = i
		deps = append(deps, d)
	}
	res := settle.Match(batches, deps, settle.Options{Pattern: so.Pattern, ToleranceAbs: e.opts.ToleranceAbs,
		TolerancePercentE4: e.opts.TolerancePercentE4, AsOf: settle.Day(e.asOfDay), HasAsOf: e.hasAsOf})

	e.batches = batches
	e.batchOut = make([]batchOutcome, len(batches))
	for i := range e.batchOut {
		e.batchOut[i].deposit = -1
	}
	sum := &SettlementSummary{Batches: len(batches), Deposits: len(deps), PatternHits: res.PatternHits}
	e.settleSum = sum
	for _, p := range res.Pairs {
		e.settlePair(p, byID[p.Deposit], sum)
	}
	for _, u := range res.Unmatched {
		e.settleUnmatched(u, byID[u.Deposit])
	}
	for _, a := range res.Ambiguous {
		e.settleAmbiguous(a, byID[a.Deposit])
	}
	for _, b := range res.Explained {
		e.batchOut[b].outcome = recon.BatchAmbiguous
		sum.Ambiguous++
	}
	for _, b := range res.Missing {
		e.settleMissing(b)
		sum.Missing++
	}
	for _, b := range res.Pending {
		e.batchOut[b].outcome = recon.BatchPending
		e.batchOut[b].detail = fmt.Sprintf("paid out on %s, after the business date: no deposit due yet", batches[b].Payout)
		e.pending += len(batches[b].Txns)
		sum.Pending++
	}
	if so.Pattern != nil && len(deps) > 0 && res.PatternHits == 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("settlement.reference_pattern matched none of the %d ledger lines offered as deposits "+
			"(the lines no transaction explains, such as %q): check it against the deposits' reference and description", len(deps), clip(deps[0].Text)))
	}
}

// batchText names a batch and what it owes, for details.
func (e *engine) batchText(b *settle.Batch) string {
	cur := b.Currency
	fees := e.amtText(b.Fees, cur)
	if !b.FeesKnown {
		fees = "unknown (no fee rule for " + strings.Join(b.NoRule, ", ") + ")"
	}
	n := fmt.Sprintf("%d transactions", len(b.Txns))
	if len(b.Txns) == 1 {
		n = "1 transaction"
	}
	return fmt.Sprintf("settlement batch %s (%s: gross %s, refunds %s, fees %s, net %s; paid out %s)",
		b.Name(), n, e.amtText(b.Sales, cur), e.amtText(b.Refunds, cur), fees, e.amtText(b.Net, cur), b.Payout)
}

// batchNames names the batches of a deposit.
func batchNames(batches []settle.Batch, bs []int) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = batches[b].Name()
	}
	return strings.Join(names, " + ")
}

// depositException starts an exception about a deposit line.
func (e *engine) depositException(c recon.Category, ln *entry) recon.Exception {
	return recon.Exception{Category: c, LedgerRef: ln.ref, Currency: e.s.str(ln.currency), LedgerEntryIDs: []int64{ln.id}}
}

// settlePair records a deposit paid for one batch or a combination, and
// reports its fee and amount when they disagree.
func (e *engine) settlePair(p settle.Pair, line int32, sum *SettlementSummary) {
	ln := &e.d.entries[line]
	batches := e.batches
	cur := e.s.str(ln.currency)
	how := "named by its text"
	if !p.ByReference {
		how = "by payout day and amount"
	}
	what := e.batchText(&batches[p.Batches[0]])
	if len(p.Batches) > 1 {
		what = fmt.Sprintf("settlement batches %s together (net %s)", batchNames(batches, p.Batches), e.amtText(p.Expected, cur))
	}
	lead := fmt.Sprintf("ledger %s booked %s (ref %s) pays %s, %s", e.lineText(ln), dayText(ln.day), ln.ref, what, how)

	var feeDiff int64
	var fees int64
	known := true
	var noRule []string
	for _, b := range p.Batches {
		fees += batches[b].Fees
		known = known && batches[b].FeesKnown
		noRule = append(noRule, batches[b].NoRule...)
	}
	if p.HasFeeDiff && p.FeeDiff != 0 {
		feeDiff = p.FeeDiff
		ex := e.depositException(recon.FeeMismatch, ln)
		setAmounts(&ex, fees, fees+feeDiff)
		more := "more"
		if feeDiff < 0 {
			more = "less"
		}
		ex.Detail = fmt.Sprintf("%s: the line states fees of %s, the schedule's are %s: the gateway kept %s %s than agreed",
			lead, e.amtText(fees+feeDiff, cur), e.amtText(fees, cur), e.amtText(abs(feeDiff), cur), more)
		e.add(ex, -1)
	}
	// The part of the difference the fee does not explain: what the
	// gross or the refunds the deposit was worked from differ by.
	gross := p.Diff + feeDiff
	within := known && settle.Options{ToleranceAbs: e.opts.ToleranceAbs, TolerancePercentE4: e.opts.TolerancePercentE4}.Within(gross, p.Expected)
	outcome := recon.BatchPaid
	if within {
		sum.Paid += len(p.Batches)
	} else {
		outcome = recon.BatchMismatch
		sum.Mismatched += len(p.Batches)
		ex := e.depositException(recon.SettlementAmountMismatch, ln)
		setAmounts(&ex, p.Expected-feeDiff, ln.amount)
		short := "short"
		if gross > 0 {
			short = "over"
		}
		var split string
		switch {
		case !known:
			slices.Sort(noRule)
			split = fmt.Sprintf("; its fees are not known, as no fee rule covers %s: add one to settlement.fees (or a \"*\" rule)",
				strings.Join(slices.Compact(noRule), ", "))
		case feeDiff != 0:
			split = fmt.Sprintf("; of the difference of %s, the fees account for %s and the rest, %s, is in the gross or the refunds the gateway paid out",
				e.amtText(abs(p.Diff), cur), e.amtText(abs(feeDiff), cur), e.amtText(abs(gross), cur))
		case p.HasFeeDiff:
			split = "; the fees the line states agree with the schedule, so the difference is in the gross or the refunds the gateway paid out"
		}
		ex.Detail = fmt.Sprintf("%s: expected %s, %s by %s%s%s", lead, e.amtText(p.Expected-feeDiff, cur), short,
			e.amtText(abs(gross), cur), split, e.toleranceText(ln.currency))
		e.add(ex, -1)
	}
	for k, b := range p.Batches {
		o := &e.batchOut[b]
		o.outcome, o.deposit, o.share, o.detail = outcome, line, batches[b].Net, lead
		if k == len(p.Batches)-1 {
			o.share += p.Diff
			o.diff, o.feeDiff = p.Diff, feeDiff
		}
	}
}

// settleUnmatched reports a deposit that pays no batch: one its text
// names is SETTLEMENT_UNMATCHED; any other line stays LEDGER_UNMATCHED.
func (e *engine) settleUnmatched(u settle.Unmatched, line int32) {
	ln := &e.d.entries[line]
	if !u.Named {
		e.unmatched(line, -1, -1, "the reference matches no transaction, order or payment link, and no settlement batch explains it: "+u.Why)
		return
	}
	ex := e.depositException(recon.SettlementUnmatched, ln)
	setAmounts(&ex, 0, ln.amount)
	ex.Detail = fmt.Sprintf("ledger %s booked %s (ref %s) is a settlement deposit by its text, but pays no batch: it %s",
		e.lineText(ln), dayText(ln.day), ln.ref, u.Why)
	e.add(ex, -1)
}

// settleAmbiguous reports a deposit that two or more batches or
// combinations explain alike.
func (e *engine) settleAmbiguous(a settle.Ambiguity, line int32) {
	ln := &e.d.entries[line]
	ex := e.depositException(recon.AmbiguousMatch, ln)
	setAmounts(&ex, 0, ln.amount)
	var cands []string
	for _, c := range a.Candidates {
		var net int64
		for _, b := range c {
			net += e.batches[b].Net
		}
		cands = append(cands, fmt.Sprintf("%s (net %s)", batchNames(e.batches, c), e.amtText(net, e.s.str(ln.currency))))
	}
	ex.Detail = fmt.Sprintf("ledger %s booked %s (ref %s) could be the deposit of %d settlement batches or combinations alike: %s; not matched to any",
		e.lineText(ln), dayText(ln.day), ln.ref, len(a.Candidates), strings.Join(cands, "; "))
	e.add(ex, -1)
}

// settleMissing reports a batch due with no deposit.
func (e *engine) settleMissing(i int) {
	b := &e.batches[i]
	ex := recon.Exception{Category: recon.SettlementMissing, LedgerRef: b.Name(), Currency: b.Currency}
	setAmounts(&ex, b.Net, 0)
	ex.Detail = fmt.Sprintf("%s has no deposit in the ledger", e.batchText(b))
	e.add(ex, -1)
	e.batchOut[i].outcome = recon.BatchMissing
	e.batchOut[i].detail = ex.Detail
}

// settlementBatch is batch i as the store keeps it, members and all.
func (e *engine) settlementBatch(i int) recon.SettlementBatch {
	b, o := &e.batches[i], &e.batchOut[i]
	out := recon.SettlementBatch{Currency: b.Currency, Day: b.Day.String(), PayoutDay: b.Payout.String(), Transactions: len(b.Txns),
		SalesMinor: b.Sales, RefundsMinor: b.Refunds, FeesMinor: b.Fees, FeesKnown: b.FeesKnown, NetMinor: b.Net,
		Outcome: o.outcome, Detail: o.detail, FeeDiffMinor: o.feeDiff}
	if o.deposit >= 0 {
		out.DepositEntryID, out.DepositMinor, out.DifferenceMinor = e.d.entries[o.deposit].id, o.share, o.diff
	}
	out.Members = make([]recon.SettlementMember, len(b.Txns))
	for k, t := range b.Txns {
		x := &e.txns[t]
		m := recon.SettlementMember{OxpayTxnID: x.id, Kind: KindSale, Brand: e.s.str(x.brand), AmountMinor: abs(e.settleAmount(x)),
			FeeMinor: b.TxnFees[k]}
		if e.isRefund(x) {
			m.Kind = KindRefund
		}
		if at, ok := e.payTime(x); ok {
			m.PaidAt = time.Unix(0, at).UTC()
		}
		out.Members[k] = m
	}
	return out
}

// clip shortens outside text quoted in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}
