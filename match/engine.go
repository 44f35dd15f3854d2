package match

// The engine: its state, the order its rules run in, and what every
// rule asks of a transaction (its kind, whether it was paid or settles).

import (
	"slices"
	"sync"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/settle"
	"github.com/reconkit/reconkit/wire"
)

// engine holds the input, the indexes built over it and what the rules
// found. It is single-use: build, run (or prepare* then finish), read.
type engine struct {
	d    *dataset
	s    *symbols
	opts Options

	txns     []txn  // API rows in natural id order, then stand-ins and ghosts
	byID     *index // txns by id
	payables []payable
	byKey    *index  // payables by payKey
	txnNext  []int32 // next transaction of the same payable
	refHead  []int32 // per transaction, the refunds and voids naming it
	refTail  []int32
	refNext  []int32
	// orphanRef holds transactions whose merchant_reference_id matches no
	// payable, so a ledger line can still find them by that reference.
	orphanRef   map[string][]int32
	linkPayable []int32

	// alias holds the ledger references that are the other kind of
	// Xepeng id, resolved to payables in one pass over the links.
	alias map[string][]int32

	// latestIDs holds, once release has dropped the deliveries, the id
	// of each transaction's latest signed delivery (0: none).
	latestIDs []int64

	// ambiguousVoids holds the voids that name no original and fit two or
	// more sales equally well (see linkVoidsByReference).
	ambiguousVoids []voidTie

	// The settlement step's (settlement.go): the lines offered as
	// deposits (indexes into entries), the batches and what became of
	// each, the settling transactions it could not batch and why, and
	// its counts.
	deposits  []int32
	batches   []settle.Batch
	batchOut  []batchOutcome
	unbatched map[int32]string
	settleSum *SettlementSummary
	// warnings are said about the run as a whole (a reference pattern
	// that matched nothing).
	warnings []string

	out     []recon.Exception
	marks   []int32 // transactions named by out, marked not clean in finish
	pending int
	hookScr []hookRank
	txnScr  []int32
	asOfDay int32
	hasAsOf bool

	// Symbol codes of the values the rules test.
	linkPaid, linkCancelled, linkInactive  sym
	typeRefund, typeVoid, typeSale         sym
	stSuccess, stCaptured, stSale          sym
	stVoided, stRefunded                   sym
	stPending, stRequested, stAuthorized   sym
	stCaptureSubmitted, kindRefund, kindVd sym
}

func newEngine(d *dataset, opts Options) *engine {
	s := d.syms
	e := &engine{d: d, s: s, opts: opts,
		linkPaid: s.of(wire.LinkPaid), linkCancelled: s.of(wire.LinkCancelled), linkInactive: s.of(wire.LinkInactive),
		typeRefund: s.of(wire.TypeRefund), typeVoid: s.of(wire.TypeVoid), typeSale: s.of(wire.TypeSale),
		stSuccess: s.of(wire.StateSuccess), stCaptured: s.of(wire.StateCaptured), stSale: s.of(wire.StateSale),
		stVoided: s.of(wire.StateVoided), stRefunded: s.of(wire.StateRefunded),
		stPending: s.of(wire.StatePending), stRequested: s.of(wire.StateRequested),
		stAuthorized: s.of(wire.StateAuthorized), stCaptureSubmitted: s.of(wire.StateCaptureSubmitted),
		kindRefund: s.of(wire.WebhookRefund), kindVd: s.of(wire.WebhookVoid),
	}
	if !opts.AsOf.IsZero() {
		e.asOfDay, e.hasAsOf = dayNumber(opts.AsOf.In(opts.Zone)), true
	}
	return e
}

// run applies every rule; the order matters only where a later rule
// reads what an earlier one set (pairs, flags).
func (e *engine) run() {
	e.prepareGateway()
	e.prepareXepeng()
	e.finish()
}

// prepareGateway indexes transactions and their deliveries. It touches
// only d.txns, d.hooks and d.syms, so it may run beside prepareXepeng.
func (e *engine) prepareGateway() {
	e.indexTxns()
	e.attachHooks()
}

// prepareXepeng builds the payables from orders and links. It reads no
// symbol table (the codes it compares are seeded), so it may run beside
// prepareGateway while another table codes the orders and links.
func (e *engine) prepareXepeng() {
	e.buildPayables()
}

// finish applies the rules once both sides are prepared.
//
// The ledger is matched on a second core beside the other rules: it works
// on a shallow copy of the engine with its own exceptions, marks and
// scratch space, and writes only fields no other rule reads (a
// transaction's line, the ledger chains); "not clean" marks are applied
// once both are done.
func (e *engine) finish() {
	e.attachTxns()
	l := *e
	l.out, l.marks, l.txnScr, l.hookScr = nil, nil, nil, nil
	var wg sync.WaitGroup
	wg.Go(l.matchLedger)
	e.checkWebhooks()
	e.checkPayables()
	e.checkRefunds()
	e.checkVoids()
	e.checkOrphans()
	e.checkAmountProblems()
	e.checkInputErrors()
	wg.Wait()
	e.out = append(e.out, l.out...)
	e.marks = append(e.marks, l.marks...)
	e.pending, e.alias = l.pending, l.alias
	e.deposits, e.batches, e.batchOut, e.unbatched, e.settleSum, e.warnings = l.deposits, l.batches, l.batchOut, l.unbatched, l.settleSum, l.warnings
	for _, t := range e.marks {
		e.txns[t].unclean = true
	}
	SortExceptions(e.out)
}

// release drops what only the rules needed, once they have run, keeping
// what eachResult reads: the transactions, payables, orders, links,
// ledger lines and symbols. At a million orders that is a fifth of the
// heap, which the garbage collector's target (twice the live heap) would
// otherwise double while the results are written.
func (e *engine) release() {
	e.latestIDs = make([]int64, len(e.txns))
	for i := range e.txns {
		if h := e.txns[i].latest; h >= 0 {
			e.latestIDs[i] = e.d.hooks[h].id
		}
	}
	e.d.hooks, e.d.orphans, e.d.errs, e.d.byID = nil, nil, nil, nil
	e.byID, e.byKey, e.orphanRef, e.alias, e.linkPayable = nil, nil, nil, nil, nil
	e.txnNext, e.refHead, e.refTail, e.refNext = nil, nil, nil, nil
	e.marks, e.hookScr, e.txnScr, e.ambiguousVoids = nil, nil, nil, nil
	e.deposits, e.unbatched, e.d.texts = nil, nil, nil
}

// latestID is the id of a transaction's latest signed delivery.
func (e *engine) latestID(i int) int64 {
	if e.latestIDs != nil {
		return e.latestIDs[i]
	}
	return e.d.hooks[e.txns[i].latest].id
}

// --- transaction kinds and states -----------------------------------

func (e *engine) isRefund(t *txn) bool { return t.typ == e.typeRefund }
func (e *engine) isVoid(t *txn) bool   { return t.typ == e.typeVoid }

// isSale: SALE, CAPTURE or a type the gateway did not state.
func (e *engine) isSale(t *txn) bool { return !e.isRefund(t) && !e.isVoid(t) }

// taken: a sale state in which the gateway took the money.
func (e *engine) taken(st sym) bool {
	return st == e.stSuccess || st == e.stCaptured || st == e.stSale
}

// paidSale: a sale the customer paid, even if it was voided later.
func (e *engine) paidSale(t *txn) bool {
	return e.isSale(t) && (e.taken(t.state) || t.state == e.stVoided)
}

// voided: a paid sale reversed before settlement.
func (e *engine) voided(t *txn) bool {
	return e.isSale(t) && (t.state == e.stVoided || t.voidedBy && e.taken(t.state))
}

func (e *engine) refundDone(t *txn) bool {
	return e.isRefund(t) && (t.state == e.stRefunded || t.state == e.stSuccess)
}

// settles: the transaction should have exactly one ledger line.
func (e *engine) settles(t *txn) bool {
	if e.isSale(t) {
		return e.taken(t.state) && !t.voidedBy
	}
	return e.refundDone(t)
}

// final: a state that no later notification should change.
func (e *engine) final(st sym) bool {
	return st != e.stPending && st != e.stRequested && st != e.stAuthorized && st != e.stCaptureSubmitted
}

// settleAmount is the signed ledger amount a settling transaction
// expects: a sale's amount in, a refund's refund amount out.
func (e *engine) settleAmount(t *txn) int64 {
	if e.isRefund(t) {
		if t.refund != 0 {
			return -t.refund
		}
		return -t.amount
	}
	return t.amount
}

// gatewayAmount is the amount a transaction is about: the refund amount
// for a refund.
func (e *engine) gatewayAmount(t *txn) int64 {
	if e.isRefund(t) && t.refund != 0 {
		return t.refund
	}
	return t.amount
}

// --- joining the two sides ------------------------------------------

// attachTxns ties transactions to payables by merchant_reference_id and
// refunds and voids to the transaction they name.
func (e *engine) attachTxns() {
	n := len(e.txns)
	e.txnNext = make([]int32, n)
	e.refHead = make([]int32, n)
	e.refTail = make([]int32, n)
	e.refNext = make([]int32, n)
	for i := range n {
		e.refHead[i], e.refTail[i], e.refNext[i], e.txnNext[i] = -1, -1, -1, -1
	}
	var byRef []int32 // voids that name no original
	for i := range e.txns {
		t := &e.txns[i]
		if t.ghost {
			continue
		}
		if p, ok := e.byKey.get(t.ref); ok {
			// Share the payable's copy of the id: one string, not two,
			// for each of a million references.
			t.ref = e.payKey(p)
			t.payable = p
			py := &e.payables[p]
			if py.txnTail < 0 {
				py.txnHead = int32(i)
			} else {
				e.txnNext[py.txnTail] = int32(i)
			}
			py.txnTail = int32(i)
		} else {
			if e.orphanRef == nil {
				e.orphanRef = map[string][]int32{}
			}
			e.orphanRef[t.ref] = append(e.orphanRef[t.ref], int32(i))
		}
		if t.orig == "" || t.orig == t.id {
			if e.isVoid(t) {
				byRef = append(byRef, int32(i))
			}
			continue
		}
		if o, ok := e.byID.get(t.orig); ok && !e.txns[o].ghost {
			e.reverse(int32(i), o)
		}
	}
	e.linkVoidsByReference(byRef)
}

// reverse records that transaction r (a refund or void) names sale o.
func (e *engine) reverse(r, o int32) {
	t := &e.txns[r]
	t.origIdx = o
	if e.refTail[o] < 0 {
		e.refHead[o] = r
	} else {
		e.refNext[e.refTail[o]] = r
	}
	e.refTail[o] = r
	if e.voids(t) {
		e.txns[o].voidedBy = true
	}
}

func (e *engine) sortTxns(ts []int32) {
	if len(ts) > 1 {
		slices.SortFunc(ts, func(a, b int32) int { return compareIDs(e.txns[a].id, e.txns[b].id) })
	}
}
