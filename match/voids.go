package match

// Voids: linking a void that names no sale to the one it reverses, and
// reporting one that fits several.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/reconkit/reconkit/recon"
)

// voids: a VOID in a state in which it took effect.
func (e *engine) voids(t *txn) bool {
	return e.isVoid(t) && (e.taken(t.state) || t.state == e.stVoided)
}

// linkVoidsByReference links each VOID that names no original sale (an
// API record without oxpay_original_txn_id, or a stand-in built from
// void notifications, which carry none) to the sale it voided: the
// single best fit (voidFit) among the transactions with its
// merchant_reference_id. Every void is judged before any is linked, so
// the outcome does not depend on their order. A void that fits two or
// more sales equally well is linked to none (checkVoids reports it); a
// stand-in that fits none is read as a sale voided under its own id, as
// the same-id style reports one.
func (e *engine) linkVoidsByReference(voids []int32) {
	if len(voids) == 0 {
		return
	}
	const noSale, ambiguous = -1, -2
	links := make([]int32, len(voids))
	var tied []int32
	for k, v := range voids {
		var n int
		links[k], n, tied = e.voidCandidates(v, tied)
		if n > 1 {
			links[k] = ambiguous
			e.ambiguousVoids = append(e.ambiguousVoids, voidTie{void: v, sales: slices.Clone(tied)})
			// Which of them settles is not known: a missing ledger
			// line is reported with the void, not as LEDGER_MISSING.
			for _, s := range tied {
				e.txns[s].explained = true
			}
		}
	}
	for k, v := range voids {
		switch s := links[k]; s {
		case noSale:
			if e.txns[v].fromHook {
				e.txns[v].typ = e.typeSale
			}
		case ambiguous:
		default:
			e.txns[v].orig = e.txns[s].id
			e.reverse(v, s)
		}
	}
}

// voidTie is a void that fits two or more sales equally well.
type voidTie struct {
	void  int32
	sales []int32
}

// voidFit ranks how well sale s fits void v, which names no original: 0
// not at all; 1 a sale in the void's currency and amount, in a state a
// void applies to (success, captured, sale, authorized); 2 such a sale
// that the gateway API already reports voided. A sale that a VOID names
// by oxpay_original_txn_id, or whose own latest signed notification is a
// void (voided under its own id), is reversed already and fits not at
// all.
func (e *engine) voidFit(v, s int32) int {
	x, sale := &e.txns[v], &e.txns[s]
	if s == v || sale.ghost || !e.isSale(sale) || sale.voidedBy ||
		sale.amount != x.amount || sale.currency != x.currency {
		return 0
	}
	if sale.latest >= 0 && e.d.hooks[sale.latest].kind == e.kindVd {
		return 0
	}
	switch {
	case sale.state == e.stVoided:
		return 2
	case e.taken(sale.state) || sale.state == e.stAuthorized:
		return 1
	}
	return 0
}

// voidCandidates walks the transactions under void v's reference (its
// payable's, or those sharing a reference that matches no payable) and
// returns the best fit, how many fit as well, and those (in tied, whose
// array it reuses). best is -1 when none fits.
func (e *engine) voidCandidates(v int32, tied []int32) (best int32, n int, _ []int32) {
	best, bestFit := int32(-1), 0
	tied = tied[:0]
	consider := func(s int32) {
		switch f := e.voidFit(v, s); {
		case f == 0 || f < bestFit:
		case f > bestFit:
			best, bestFit, tied = s, f, append(tied[:0], s)
		default:
			tied = append(tied, s)
		}
	}
	x := &e.txns[v]
	if x.payable >= 0 {
		for s := e.payables[x.payable].txnHead; s >= 0; s = e.txnNext[s] {
			consider(s)
		}
	} else {
		for _, s := range e.orphanRef[x.ref] {
			consider(s)
		}
	}
	return best, len(tied), tied
}

// checkVoids reports each void that names no original sale and fits two
// or more sales equally well (see linkVoidsByReference): it was linked to
// none, since picking one would be a guess.
func (e *engine) checkVoids() {
	for _, tie := range e.ambiguousVoids {
		x := &e.txns[tie.void]
		e.sortTxns(tie.sales)
		names := make([]string, len(tie.sales))
		for i, s := range tie.sales {
			names[i] = e.txns[s].id
			e.marks = append(e.marks, s)
		}
		ex := e.txnException(recon.AmbiguousMatch, tie.void)
		setAmounts(&ex, 0, x.amount)
		ex.Detail = fmt.Sprintf("void %s of %s names no original sale and fits %d sales equally well (%s): linked to none, so none is taken as voided",
			x.id, e.amt(x.amount, x.currency), len(tie.sales), strings.Join(names, ", "))
		e.add(ex, tie.void)
	}
}
