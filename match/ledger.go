package match

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// Ledger matching, in three steps:
//
//  1. Each line is resolved by its reference: an oxpay_txn_id names one
//     transaction (a debit naming a sale is read as that sale's refund);
//     otherwise the reference is a merchant_reference_id (or the other
//     kind of Xepeng id of the same order) and the candidates are the
//     transactions under it that settle in the line's direction: sales
//     for credits, refunds for debits.
//  2. A transaction named by exactly one line is paired with it. One
//     named by several keeps the best (in tolerance and window, then the
//     earliest) and reports the rest as LEDGER_DUPLICATE.
//  3. Lines with several candidates go last, by booking date: among the
//     candidates still without a line, the single best fit is paired;
//     two or more equally good ones make an AMBIGUOUS_MATCH and nothing
//     is paired at random.
//
// A pair whose currencies differ is a CURRENCY_MISMATCH, one booked
// outside the settlement window a LEDGER_UNMATCHED (naming the
// transaction too), one outside the tolerance a LEDGER_AMOUNT_MISMATCH.

type deferredLine struct {
	line  int32
	cands []int32
	via   int32 // the transaction the reference names, -1
	scope int32 // the payable the reference names, -1
}

func (e *engine) matchLedger() {
	es := e.d.entries
	var deferred []deferredLine
	for i := range es {
		es[i].next = -1
	}
	e.resolveAliases()
	for i := range es {
		if d, ok := e.resolveLine(int32(i)); ok {
			deferred = append(deferred, d)
		}
	}
	for t := range e.txns {
		if e.txns[t].lineHead >= 0 {
			e.pairGroup(int32(t))
		}
	}
	slices.SortStableFunc(deferred, func(a, b deferredLine) int {
		return cmp.Or(cmp.Compare(es[a.line].day, es[b.line].day), cmp.Compare(a.line, b.line))
	})
	for _, d := range deferred {
		e.pairDeferred(d)
	}
	if e.opts.Settlement != nil {
		e.settleBatches()
	}
	e.checkMissing()
}

// resolveLine attaches a line to the one transaction it names, reports it,
// or returns it with its candidates for step 3.
func (e *engine) resolveLine(i int32) (deferredLine, bool) {
	ln := &e.d.entries[i]
	if t, ok := e.byID.get(ln.ref); ok {
		x := &e.txns[t]
		switch {
		case x.ghost:
			e.unmatched(i, t, -1, fmt.Sprintf("only webhook deliveries whose signature failed mention %s", x.id))
		case ln.amount < 0 && e.isSale(x):
			// Finance may book a refund under the sale's id.
			var rs []int32
			for r := e.refHead[t]; r >= 0; r = e.refNext[r] {
				if e.isRefund(&e.txns[r]) && e.settles(&e.txns[r]) {
					rs = append(rs, r)
				}
			}
			switch len(rs) {
			case 0:
				e.unmatched(i, t, -1, fmt.Sprintf("a debit names sale %s, which has no refund", x.id))
			case 1:
				e.attachLine(i, rs[0])
			default:
				e.sortTxns(rs)
				return deferredLine{line: i, cands: rs, via: t, scope: -1}, true
			}
		default:
			if why := e.whyNoSettlement(x, ln.amount >= 0); why != "" {
				e.unmatched(i, t, -1, why)
			} else {
				e.attachLine(i, t)
			}
		}
		return deferredLine{}, false
	}

	credit := ln.amount >= 0
	var first int32 = -1
	var cands []int32
	n, pool := 0, 0
	scope, found := e.eachByReference(ln.ref, func(t int32) {
		pool++
		x := &e.txns[t]
		if !e.settles(x) || credit != e.isSale(x) {
			return
		}
		n++
		switch n {
		case 1:
			first = t
		case 2:
			cands = append(cands, first, t)
		default:
			cands = append(cands, t)
		}
	})
	switch {
	case !found && e.opts.Settlement != nil:
		e.deposits = append(e.deposits, i) // the settlement step's to place
	case !found:
		e.unmatched(i, -1, -1, "the reference matches no transaction, order or payment link")
	case n == 0:
		dir := "credit: no sale under it settled"
		if !credit {
			dir = "debit: no refund under it was made"
		}
		e.unmatched(i, -1, scope, fmt.Sprintf("the reference has %d gateway transaction(s), none of which settles as a %s", pool, dir))
	case n == 1:
		e.attachLine(i, first)
	default:
		e.sortTxns(cands)
		return deferredLine{line: i, cands: cands, via: -1, scope: scope}, true
	}
	return deferredLine{}, false
}

// eachByReference calls fn for every transaction a ledger reference
// reaches as a merchant_reference_id, or as the other kind of Xepeng id
// of the same order (a link uid when matching by order uid, an order uid
// when matching by link uid). scope is the payable it names, if one.
func (e *engine) eachByReference(ref string, fn func(t int32)) (scope int32, found bool) {
	walk := func(p int32) {
		for t := e.payables[p].txnHead; t >= 0; t = e.txnNext[t] {
			fn(t)
		}
	}
	if p, ok := e.byKey.get(ref); ok {
		walk(p)
		return p, true
	}
	if ts, ok := e.orphanRef[ref]; ok {
		for _, t := range ts {
			fn(t)
		}
		return -1, true
	}
	ps, ok := e.alias[ref]
	for _, p := range ps {
		walk(p)
	}
	if len(ps) == 1 {
		return ps[0], ok
	}
	return -1, ok
}

// resolveAliases finds, in one pass over the links, the ledger references
// that are no transaction id and no merchant_reference_id but the other
// kind of Xepeng id: a payment link uid when matching by order uid (its
// order's payable), an order uid when matching by link uid (the payables
// of its links).
func (e *engine) resolveAliases() {
	var refs map[string][]int32
	for i := range e.d.entries {
		ref := e.d.entries[i].ref
		if _, ok := e.byID.get(ref); ok {
			continue
		}
		if _, ok := e.byKey.get(ref); ok {
			continue
		}
		if _, ok := e.orphanRef[ref]; ok {
			continue
		}
		if refs == nil {
			refs = map[string][]int32{}
		}
		refs[ref] = nil
	}
	if len(refs) == 0 {
		return
	}
	for j := range e.d.links {
		l := &e.d.links[j]
		key := l.uid
		if e.opts.Reference == ReferencePaymentLinkUID {
			key = l.orderUID
		}
		if ps, ok := refs[key]; ok && !slices.Contains(ps, e.linkPayable[j]) {
			refs[key] = append(ps, e.linkPayable[j])
		}
	}
	e.alias = make(map[string][]int32, len(refs))
	for ref, ps := range refs {
		if len(ps) > 0 {
			e.alias[ref] = ps
		}
	}
}

// whyNoSettlement says why a ledger line in a direction cannot settle a
// transaction, "" when it can.
func (e *engine) whyNoSettlement(x *txn, credit bool) string {
	switch {
	case e.isVoid(x):
		return fmt.Sprintf("it names void %s, which moves no money", x.id)
	case e.isRefund(x) && credit:
		return fmt.Sprintf("a credit names refund %s (a refund is booked as a debit)", x.id)
	case e.isRefund(x) && !e.refundDone(x):
		return fmt.Sprintf("it names refund %s, which is %s and returned no money", x.id, e.s.str(x.state))
	case e.isSale(x) && e.voided(x):
		return fmt.Sprintf("it names sale %s, which was voided and never settles", x.id)
	case e.isSale(x) && !e.settles(x):
		return fmt.Sprintf("it names sale %s, which is %s and never settled", x.id, e.s.str(x.state))
	}
	return ""
}

// attachLine adds a line to the ones naming a transaction; pairGroup
// puts them in order.
func (e *engine) attachLine(i, t int32) {
	x := &e.txns[t]
	e.d.entries[i].next = x.lineHead
	x.lineHead = i
}

// score ranks how well a line fits a transaction: same currency first,
// then the amount within tolerance, then the booking date in the window.
func (e *engine) score(x *txn, ln *entry) int {
	s := 0
	if ln.currency == x.currency {
		s += 4
		if e.withinTolerance(e.settleAmount(x), ln.amount) {
			s += 2
		}
	}
	if e.inWindow(x, ln.day) {
		s++
	}
	return s
}

const fullFit = 7

// pairGroup pairs a transaction with the best of the lines that name it
// and reports any others as a duplicate booking.
func (e *engine) pairGroup(t int32) {
	x := &e.txns[t]
	es := e.d.entries
	lines := e.txnScr[:0]
	for l := x.lineHead; l >= 0; l = es[l].next {
		lines = append(lines, l)
	}
	e.txnScr = lines
	if len(lines) > 1 {
		slices.SortFunc(lines, func(a, b int32) int {
			return cmp.Or(cmp.Compare(es[a].day, es[b].day), cmp.Compare(es[a].id, es[b].id), cmp.Compare(a, b))
		})
	}
	best, bestScore := lines[0], -1
	for _, l := range lines {
		if s := e.score(x, &es[l]); s > bestScore {
			best, bestScore = l, s
		}
	}
	e.pair(t, best)
	if len(lines) < 2 {
		return
	}
	ln := &es[best]
	ex := e.txnException(recon.LedgerDuplicate, t)
	ex.LedgerRef = ln.ref
	var sum int64
	var days []string
	for _, l := range lines {
		ex.LedgerEntryIDs = append(ex.LedgerEntryIDs, es[l].id)
		sum += es[l].amount
		days = append(days, fmt.Sprintf("%s on %s", e.amt(abs(es[l].amount), es[l].currency), dayText(es[l].day)))
	}
	setAmounts(&ex, e.settleAmount(x), sum)
	ex.Detail = fmt.Sprintf("%s %s of %s is booked by %d ledger lines (%s): %s in total",
		e.kindText(x), x.id, e.amt(abs(e.settleAmount(x)), x.currency), len(lines), strings.Join(days, "; "), e.amt(abs(sum), ln.currency))
	e.add(ex, t)
}

// pair records a transaction's ledger line and reports the first check
// the pair fails: currency, settlement window, amount.
func (e *engine) pair(t, l int32) {
	x := &e.txns[t]
	x.line = l
	ln := &e.d.entries[l]
	want := e.settleAmount(x)
	switch {
	case ln.currency != x.currency:
		ex := e.txnException(recon.CurrencyMismatch, t)
		ex.LedgerRef, ex.LedgerEntryIDs = ln.ref, []int64{ln.id}
		ex.ExpectedMinor, ex.ActualMinor = want, ln.amount
		ex.Detail = fmt.Sprintf("ledger %s booked %s for %s %s is in %s, the gateway's %s in %s",
			e.lineText(ln), dayText(ln.day), e.kindText(x), x.id, e.s.str(ln.currency), e.amt(abs(want), x.currency), e.s.str(x.currency))
		e.add(ex, t)
	case !e.inWindow(x, ln.day):
		lo, hi, _ := e.window(x)
		at, _ := e.payTime(x)
		ex := e.txnException(recon.LedgerUnmatched, t)
		ex.LedgerRef, ex.LedgerEntryIDs = ln.ref, []int64{ln.id}
		setAmounts(&ex, want, ln.amount)
		ex.Detail = fmt.Sprintf("ledger %s for %s %s is booked %s, outside the settlement window %s to %s (payment %s, window %d to %d days)",
			e.lineText(ln), e.kindText(x), x.id, dayText(ln.day), dayText(lo), dayText(hi), e.stamp(at),
			e.opts.SettlementMinDays, e.opts.SettlementMaxDays)
		e.add(ex, t)
	case !e.withinTolerance(want, ln.amount):
		ex := e.txnException(recon.LedgerAmountMismatch, t)
		ex.LedgerRef, ex.LedgerEntryIDs = ln.ref, []int64{ln.id}
		setAmounts(&ex, want, ln.amount)
		ex.Detail = fmt.Sprintf("ledger %s booked %s vs %s on %s %s: differs by %s%s", e.lineText(ln), dayText(ln.day),
			e.amt(abs(want), x.currency), e.kindText(x), x.id, e.amt(abs(ln.amount-want), x.currency), e.toleranceText(x.currency))
		e.add(ex, t)
	}
}

// pairDeferred gives a line with several candidates to the single best
// of those still without a line, or reports it as ambiguous.
func (e *engine) pairDeferred(d deferredLine) {
	ln := &e.d.entries[d.line]
	best, bestScore := int32(-1), -1
	var tied []int32
	for _, t := range d.cands {
		x := &e.txns[t]
		if x.line >= 0 {
			continue
		}
		s := e.score(x, ln)
		switch {
		case s > bestScore:
			best, bestScore, tied = t, s, append(tied[:0], t)
		case s == bestScore:
			tied = append(tied, t)
		}
	}
	if len(tied) == 1 {
		e.pair(best, d.line)
		return
	}
	ex := recon.Exception{Category: recon.AmbiguousMatch, LedgerRef: ln.ref, Currency: e.s.str(ln.currency),
		LedgerEntryIDs: []int64{ln.id}}
	switch {
	case d.via >= 0:
		ex = e.txnException(recon.AmbiguousMatch, d.via)
		ex.LedgerRef, ex.Currency, ex.LedgerEntryIDs = ln.ref, e.s.str(ln.currency), []int64{ln.id}
	case d.scope >= 0:
		e.fillPayable(&ex, d.scope)
		ex.MerchantReferenceID = e.payKey(d.scope)
	default:
		ex.MerchantReferenceID = ln.ref
	}
	setAmounts(&ex, 0, ln.amount)
	var names []string
	for _, t := range d.cands {
		names = append(names, e.txns[t].id)
	}
	if len(tied) == 0 {
		ex.Detail = fmt.Sprintf("ledger %s booked %s (ref %s) fits %d transactions (%s), all of which already have a ledger line: not matched",
			e.lineText(ln), dayText(ln.day), ln.ref, len(d.cands), strings.Join(names, ", "))
	} else {
		names = names[:0]
		for _, t := range tied {
			names = append(names, e.txns[t].id)
			e.txns[t].explained = true
			e.marks = append(e.marks, t)
		}
		how := "equally well"
		if bestScore == fullFit {
			how = "equally well (amount, currency and date)"
		}
		ex.Detail = fmt.Sprintf("ledger %s booked %s (ref %s) fits %d transactions %s: %s; not matched to any",
			e.lineText(ln), dayText(ln.day), ln.ref, len(tied), how, strings.Join(names, ", "))
	}
	e.add(ex, -1)
}

// unmatched reports a line that settles nothing, naming the transaction
// (t) or payable (scope) its reference reached, if any.
func (e *engine) unmatched(i, t, scope int32, why string) {
	ln := &e.d.entries[i]
	var ex recon.Exception
	switch {
	case t >= 0:
		ex = e.txnException(recon.LedgerUnmatched, t)
	case scope >= 0:
		ex = recon.Exception{Category: recon.LedgerUnmatched, MerchantReferenceID: e.payKey(scope)}
		e.fillPayable(&ex, scope)
	default:
		ex = recon.Exception{Category: recon.LedgerUnmatched}
	}
	ex.LedgerRef, ex.Currency, ex.LedgerEntryIDs = ln.ref, e.s.str(ln.currency), []int64{ln.id}
	setAmounts(&ex, 0, ln.amount)
	ex.Detail = fmt.Sprintf("ledger %s booked %s (ref %s): %s", e.lineText(ln), dayText(ln.day), ln.ref, why)
	e.add(ex, t)
}

// checkMissing reports settling transactions left without a ledger line,
// unless an ambiguous line already names them or, with AsOf, their
// window is still open.
func (e *engine) checkMissing() {
	for i := range e.txns {
		x := &e.txns[i]
		if x.ghost || x.line >= 0 || x.explained || x.batched || !e.settles(x) || e.unvouched(x) {
			continue
		}
		_, hi, ok := e.window(x)
		if e.hasAsOf && ok && hi > e.asOfDay {
			e.pending++
			continue
		}
		ex := e.txnException(recon.LedgerMissing, int32(i))
		want := e.settleAmount(x)
		setAmounts(&ex, want, 0)
		dir := "credit"
		if want < 0 {
			dir = "debit"
		}
		paid := ""
		if at, ok := e.payTime(x); ok {
			paid = fmt.Sprintf(" (paid %s; window %s to %s)", e.stamp(at), dayText(e.mustLo(x)), dayText(hi))
		}
		if why, ok := e.unbatched[int32(i)]; ok {
			paid += "; no settlement batch either: " + why
		}
		ex.Detail = fmt.Sprintf("%s %s of %s has no ledger %s%s", e.kindText(x), x.id, e.amt(abs(want), x.currency), dir, paid)
		e.add(ex, int32(i))
	}
}

func (e *engine) mustLo(x *txn) int32 {
	lo, _, _ := e.window(x)
	return lo
}

// --- settlement window and tolerance ---------------------------------

// payTime is when a transaction happened, as well as the inputs say: its
// earliest signed webhook delivery, else (for a sale) its payment link's
// paid_at, else unknown (and the window is not checked).
func (e *engine) payTime(x *txn) (int64, bool) {
	if x.hasSigned {
		return x.firstSigned, true
	}
	if e.isSale(x) && x.payable >= 0 {
		return e.payPaidAt(x.payable)
	}
	return 0, false
}

// window returns the first and last booking day a transaction's ledger
// line may have: from the payment's date (taken PaymentLag earlier) plus
// SettlementMinDays, to its date plus SettlementMaxDays, a last day on a
// Saturday or Sunday moved to the Monday under WeekendRoll.
func (e *engine) window(x *txn) (lo, hi int32, ok bool) {
	at, ok := e.payTime(x)
	if !ok {
		return 0, 0, false
	}
	lo = dayNumber(time.Unix(0, at-int64(e.opts.PaymentLag)).In(e.opts.Zone)) + int32(e.opts.SettlementMinDays)
	hi = dayNumber(time.Unix(0, at).In(e.opts.Zone)) + int32(e.opts.SettlementMaxDays)
	if !e.opts.WeekendRoll {
		return lo, hi, true
	}
	switch weekday(hi) {
	case time.Saturday:
		hi += 2
	case time.Sunday:
		hi++
	}
	return lo, hi, true
}

func (e *engine) inWindow(x *txn, day int32) bool {
	lo, hi, ok := e.window(x)
	return !ok || day >= lo && day <= hi
}

func weekday(day int32) time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday((int64(day)%7 + 7 + 4) % 7)
}

// withinTolerance reports whether actual is within the larger of the
// absolute tolerance and the percent of expected, computed in 128 bits
// so no amount overflows.
func (e *engine) withinTolerance(expected, actual int64) bool {
	diff := absDiff(expected, actual)
	if diff == 0 || diff <= uint64(e.opts.ToleranceAbs) {
		return true
	}
	if e.opts.TolerancePercentE4 <= 0 {
		return false
	}
	base := uint64(expected)
	if expected < 0 {
		base = -base
	}
	dh, dl := bits.Mul64(diff, 1_000_000)
	ah, al := bits.Mul64(base, uint64(e.opts.TolerancePercentE4))
	return dh < ah || dh == ah && dl <= al
}

func absDiff(a, b int64) uint64 {
	if a > b {
		return uint64(a) - uint64(b)
	}
	return uint64(b) - uint64(a)
}
