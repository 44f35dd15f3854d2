package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/recon"
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

// payable is what a gateway transaction's merchant_reference_id points
// at: an order (ReferenceOrderUID) or a payment link
// (ReferencePaymentLinkUID), with what Xepeng says about it.
// Its key, currency, amount and paid_at are read from its order and
// link (see the methods below) rather than copied: a million payables
// stay at 20 bytes each.
type payable struct {
	order   int32 // -1: the order is not in the input
	link    int32 // its payment link (the paid one, if any), -1: none
	txnHead int32 // its transactions, chained by engine.txnNext
	txnTail int32
	paid    bool // Xepeng says paid: a payment link is paid
}

// payKey is the merchant_reference_id that names a payable.
func (e *engine) payKey(p int32) string {
	py := &e.payables[p]
	switch {
	case e.opts.Reference == ReferencePaymentLinkUID:
		return e.d.links[py.link].uid
	case py.order >= 0:
		return e.d.orders[py.order].uid
	}
	return e.d.links[py.link].orderUID
}

// payAmount is what the payable should be paid: the order total, or the
// link amount when matching by link (or when the order is missing).
func (e *engine) payAmount(p int32) (int64, sym) {
	py := &e.payables[p]
	if e.opts.Reference == ReferenceOrderUID && py.order >= 0 {
		o := &e.d.orders[py.order]
		return o.amount, o.currency
	}
	l := &e.d.links[py.link]
	return l.amount, l.currency
}

// payPaidAt is the paid link's paid_at.
func (e *engine) payPaidAt(p int32) (int64, bool) {
	py := &e.payables[p]
	if !py.paid || py.link < 0 || !e.d.links[py.link].hasPaidAt {
		return 0, false
	}
	return e.d.links[py.link].paidAt, true
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

// --- indexes --------------------------------------------------------

// indexTxns takes the dataset's sorted, indexed API rows.
func (e *engine) indexTxns() {
	e.txns, e.byID = e.d.txns, e.d.byID
	// Stand-ins are appended to e.txns, not d.txns.
	e.byID.key = func(i int32) string { return e.txns[i].id }
	for i := range e.txns {
		t := &e.txns[i]
		t.payable, t.origIdx, t.hookHead, t.hookTail, t.lineHead, t.line, t.latest = -1, -1, -1, -1, -1, -1, -1
	}
}

func (e *engine) newTxn(t txn) int32 {
	t.payable, t.origIdx, t.hookHead, t.hookTail, t.lineHead, t.line, t.latest = -1, -1, -1, -1, -1, -1, -1
	e.txns = append(e.txns, t)
	i := int32(len(e.txns) - 1)
	e.byID.put(t.id, i)
	return i
}

func (e *engine) chainHook(t int32, h int32) {
	x := &e.txns[t]
	e.d.hooks[h].next = -1
	if x.hookTail < 0 {
		x.hookHead = h
	} else {
		e.d.hooks[x.hookTail].next = h
	}
	x.hookTail = h
}

// attachHooks chains each delivery to its transaction. Deliveries for an
// id the API did not report make a stand-in from the latest signed one
// (preferring a final state), or a ghost when none is signed.
func (e *engine) attachHooks() {
	hs := e.d.hooks
	var orphans map[string][]int32
	for i := range hs {
		if hs[i].txn >= 0 {
			e.chainHook(hs[i].txn, int32(i))
			continue
		}
		if orphans == nil {
			orphans = map[string][]int32{}
		}
		id := e.d.orphans[hs[i].orphan].txnID
		orphans[id] = append(orphans[id], int32(i))
	}
	ids := make([]string, 0, len(orphans))
	for id := range orphans {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareIDs)
	for _, id := range ids {
		group := orphans[id]
		pick := e.latestSigned(group, true)
		var t int32
		if pick < 0 {
			o := &e.d.orphans[hs[group[0]].orphan]
			t = e.newTxn(txn{id: id, orig: o.orig, ref: o.ref, ghost: true})
		} else {
			h, o := &hs[pick], &e.d.orphans[hs[pick].orphan]
			typ := e.typeSale
			switch {
			case h.kind == e.kindRefund || o.orig != "" && h.kind != e.kindVd:
				typ = e.typeRefund
			case h.kind == e.kindVd && (o.orig != "" && o.orig != id || e.onlyVoids(group)):
				// A void of its own id; one that names no sale is
				// linked by reference and amount in attachTxns, or
				// read as a sale voided under its own id.
				typ = e.typeVoid
			}
			t = e.newTxn(txn{id: id, orig: o.orig, ref: o.ref, typ: typ, state: h.state,
				currency: h.currency, amount: h.amount, refund: h.refund, fromHook: true})
		}
		for _, h := range group {
			hs[h].txn = t
			e.chainHook(t, h)
		}
	}
	for i := range e.txns {
		e.summariseHooks(int32(i))
		if x := &e.txns[i]; x.fromHook {
			// A stand-in's delivery is the one it was built from.
			x.latest = e.latestSigned(e.hookList(int32(i)), true)
		}
	}
}

// onlyVoids reports whether every signed delivery among deliveries is a
// void notification: an id no signed payment or refund notification
// mentions, as a void with its own id is.
func (e *engine) onlyVoids(deliveries []int32) bool {
	for _, h := range deliveries {
		if x := &e.d.hooks[h]; x.trusted && x.kind != e.kindVd {
			return false
		}
	}
	return true
}

// hookRank is a signed delivery being ranked by latestSigned.
type hookRank struct {
	h     int32
	dedup uint64
	recv  int64
	pos   int
}

// latestSigned returns the latest signed notification among deliveries
// (in input order), -1 when none is signed. Redeliveries share a dedup
// key and count once, at their first receipt: a late redelivery of an
// earlier notification does not make it the latest. With preferFinal, a
// notification in a final state wins over a later non-final one.
func (e *engine) latestSigned(deliveries []int32, preferFinal bool) int32 {
	hs := e.d.hooks
	r := e.signedByNotification(deliveries)
	if len(r) == 0 {
		return -1
	}
	if len(r) > 1 {
		// Each notification's first delivery, then the latest of those.
		firsts := r[:0]
		for i := range r {
			if i == 0 || r[i].dedup != r[i-1].dedup {
				firsts = append(firsts, r[i])
			}
		}
		r = firsts
	}
	best := -1
	for i := range r {
		if preferFinal && best >= 0 {
			bf, f := e.final(hs[r[best].h].state), e.final(hs[r[i].h].state)
			if bf != f {
				if f {
					best = i
				}
				continue
			}
		}
		if best < 0 || r[i].recv > r[best].recv || r[i].recv == r[best].recv && r[i].pos > r[best].pos {
			best = i
		}
	}
	return r[best].h
}

// signedByNotification returns the signed deliveries among deliveries
// (given in input order), sorted by notification (dedup key), then by
// receipt, then by input order, so that each notification's first
// receipt leads its run. The slice is scratch, valid until the next call.
func (e *engine) signedByNotification(deliveries []int32) []hookRank {
	hs := e.d.hooks
	r := e.hookScr[:0]
	for pos, h := range deliveries {
		if hs[h].trusted {
			r = append(r, hookRank{h: h, dedup: hs[h].dedup, recv: hs[h].recv, pos: pos})
		}
	}
	e.hookScr = r
	if len(r) > 1 {
		slices.SortFunc(r, func(a, b hookRank) int {
			return cmp.Or(cmp.Compare(a.dedup, b.dedup), cmp.Compare(a.recv, b.recv), cmp.Compare(a.pos, b.pos))
		})
	}
	return r
}

// hookList returns a transaction's deliveries in input order, in a
// scratch slice valid until the next call.
func (e *engine) hookList(t int32) []int32 {
	ds := e.txnScr[:0]
	for h := e.txns[t].hookHead; h >= 0; h = e.d.hooks[h].next {
		ds = append(ds, h)
	}
	e.txnScr = ds
	return ds
}

// summariseHooks sets a transaction's latest signed notification and its
// earliest signed receipt.
func (e *engine) summariseHooks(t int32) {
	x := &e.txns[t]
	if x.hookHead < 0 {
		return
	}
	hs := e.d.hooks
	ds := e.txnScr[:0]
	for h := x.hookHead; h >= 0; h = hs[h].next {
		ds = append(ds, h)
		if hs[h].trusted && (!x.hasSigned || hs[h].recv < x.firstSigned) {
			x.firstSigned, x.hasSigned = hs[h].recv, true
		}
	}
	e.txnScr = ds
	x.latest = e.latestSigned(ds, false)
}

// buildPayables makes one payable per order (or per payment link) and
// chooses, per order, the link whose status speaks for it: a paid link
// (the earliest paid), else the last by uid.
func (e *engine) buildPayables() {
	d := e.d
	e.linkPayable = make([]int32, len(d.links))
	if e.opts.Reference == ReferencePaymentLinkUID {
		orders := make(map[string]int32, len(d.orders))
		for i := range d.orders {
			if _, dup := orders[d.orders[i].uid]; !dup {
				orders[d.orders[i].uid] = int32(i)
			}
		}
		e.payables = make([]payable, 0, len(d.links))
		e.byKey = newIndex(len(d.links), e.payKey)
		for j := range d.links {
			l := &d.links[j]
			if p, dup := e.byKey.get(l.uid); dup {
				e.linkPayable[j] = p
				continue
			}
			o, ok := orders[l.orderUID]
			if !ok {
				o = -1
			}
			p := int32(len(e.payables))
			e.payables = append(e.payables, payable{order: o, link: int32(j), paid: l.status == e.linkPaid, txnHead: -1, txnTail: -1})
			e.byKey.put(l.uid, p)
			e.linkPayable[j] = p
		}
		return
	}
	// A payable is added before its key is put: the index reads the key
	// back from it (payKey).
	e.payables = make([]payable, 0, len(d.orders))
	e.byKey = newIndex(len(d.orders), e.payKey)
	for i := range d.orders {
		o := &d.orders[i]
		if _, dup := e.byKey.get(o.uid); dup {
			continue
		}
		e.payables = append(e.payables, payable{order: int32(i), link: -1, txnHead: -1, txnTail: -1})
		e.byKey.put(o.uid, int32(len(e.payables)-1))
	}
	for j := range d.links {
		l := &d.links[j]
		p, ok := e.byKey.get(l.orderUID)
		if !ok {
			// The link's order was not fetched: the link speaks for it.
			p = int32(len(e.payables))
			e.payables = append(e.payables, payable{order: -1, link: int32(j), txnHead: -1, txnTail: -1})
			e.byKey.put(l.orderUID, p)
		} else if o := e.payables[p].order; o >= 0 {
			l.orderUID = d.orders[o].uid // one copy of the uid, not two
		}
		e.linkPayable[j] = p
		py := &e.payables[p]
		if py.link < 0 || e.betterLink(l, &d.links[py.link]) {
			py.link = int32(j)
		}
	}
	for i := range e.payables {
		if py := &e.payables[i]; py.link >= 0 {
			py.paid = d.links[py.link].status == e.linkPaid
		}
	}
}

func (e *engine) betterLink(a, b *link) bool {
	ap, bp := a.status == e.linkPaid, b.status == e.linkPaid
	switch {
	case ap != bp:
		return ap
	case ap:
		if a.hasPaidAt != b.hasPaidAt {
			return a.hasPaidAt
		}
		return a.paidAt < b.paidAt || a.paidAt == b.paidAt && a.uid < b.uid
	}
	return a.uid > b.uid
}

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

// payableTxns returns a payable's transactions in natural id order, in a
// scratch slice valid until the next call.
func (e *engine) payableTxns(p int32) []int32 {
	ts := e.txnScr[:0]
	for t := e.payables[p].txnHead; t >= 0; t = e.txnNext[t] {
		ts = append(ts, t)
	}
	e.sortTxns(ts)
	e.txnScr = ts
	return ts
}

func (e *engine) sortTxns(ts []int32) {
	if len(ts) > 1 {
		slices.SortFunc(ts, func(a, b int32) int { return compareIDs(e.txns[a].id, e.txns[b].id) })
	}
}

// --- exceptions -----------------------------------------------------

// add records an exception and the transaction it names (t >= 0), which
// finish marks as not clean.
func (e *engine) add(x recon.Exception, t int32) {
	x.Severity = x.Category.Severity()
	if t >= 0 {
		e.marks = append(e.marks, t)
	}
	e.out = append(e.out, x)
}

func setAmounts(x *recon.Exception, expected, actual int64) {
	x.ExpectedMinor, x.ActualMinor, x.DifferenceMinor = expected, actual, actual-expected
}

// txnException starts an exception naming a transaction and, through its
// merchant_reference_id, its order and payment link.
func (e *engine) txnException(c recon.Category, t int32) recon.Exception {
	x := &e.txns[t]
	ex := recon.Exception{Category: c, OxpayTxnID: x.id, MerchantReferenceID: x.ref, Currency: e.s.str(x.currency)}
	if x.payable >= 0 {
		e.fillPayable(&ex, x.payable)
	}
	return ex
}

func (e *engine) fillPayable(ex *recon.Exception, p int32) {
	ex.OrderUID, ex.PaymentLinkUID = e.payableIDs(p)
}

func (e *engine) payableIDs(p int32) (orderUID, linkUID string) {
	py := &e.payables[p]
	if py.link >= 0 {
		linkUID = e.d.links[py.link].uid
	}
	switch {
	case py.order >= 0:
		orderUID = e.d.orders[py.order].uid
	case py.link >= 0:
		orderUID = e.d.links[py.link].orderUID
	}
	return orderUID, linkUID
}

// what names a payable in text: "order X" or "payment link Y".
func (e *engine) what(p int32) string {
	o, l := e.payableIDs(p)
	if e.opts.Reference == ReferencePaymentLinkUID {
		return "payment link " + l
	}
	return "order " + o
}

func (e *engine) hookIDs(t int32, keep func(*hook) bool) []int64 {
	var ids []int64
	for h := e.txns[t].hookHead; h >= 0; h = e.d.hooks[h].next {
		if keep(&e.d.hooks[h]) {
			ids = append(ids, e.d.hooks[h].id)
		}
	}
	return ids
}

// --- gateway and webhooks -------------------------------------------

// checkWebhooks compares each transaction's deliveries with it: none at
// all, any that failed the signature check, and the latest signed one's
// state, currency and amounts against the API record.
func (e *engine) checkWebhooks() {
	hs := e.d.hooks
	for i := range e.txns {
		t := int32(i)
		x := &e.txns[i]
		if x.hookHead < 0 {
			if !x.fromHook && !x.ghost {
				ex := e.txnException(recon.WebhookMissing, t)
				setAmounts(&ex, e.gatewayAmount(x), 0)
				ex.Detail = fmt.Sprintf("no webhook delivery mentions %s %s (%s, %s)", e.kindText(x), x.id,
					e.s.str(x.state), e.amt(e.gatewayAmount(x), x.currency))
				e.add(ex, t)
			}
			continue
		}
		e.checkSignatures(t)
		e.checkReplays(t)
		if x.fromHook || x.ghost || x.latest < 0 {
			continue
		}
		h := &hs[x.latest]
		when := e.stamp(h.recv)
		if h.state != x.state && !e.supersededByVoid(x, h) {
			ex := e.txnException(recon.WebhookStateMismatch, t)
			setAmounts(&ex, e.gatewayAmount(x), e.hookAmount(x, h))
			ex.WebhookEventIDs = []int64{h.id}
			ex.Detail = fmt.Sprintf("latest signed webhook for %s (event %d, received %s) says %s, the gateway API says %s",
				x.id, h.id, when, e.s.str(h.state), e.s.str(x.state))
			e.add(ex, t)
		}
		switch {
		case h.currency != x.currency:
			ex := e.txnException(recon.CurrencyMismatch, t)
			ex.ExpectedMinor, ex.ActualMinor = e.gatewayAmount(x), e.hookAmount(x, h)
			ex.WebhookEventIDs = []int64{h.id}
			ex.Detail = fmt.Sprintf("latest signed webhook for %s (event %d) is in %s, the gateway API in %s",
				x.id, h.id, e.s.str(h.currency), e.s.str(x.currency))
			e.add(ex, t)
		case !e.sameTxnAmount(x, h) || h.refund != x.refund:
			ex := e.txnException(recon.WebhookAmountMismatch, t)
			ex.WebhookEventIDs = []int64{h.id}
			var parts []string
			if !e.sameTxnAmount(x, h) {
				parts = append(parts, fmt.Sprintf("transaction_amount %s vs %s on the gateway API", e.amt(h.amount, h.currency), e.amt(x.amount, x.currency)))
			}
			if h.refund != x.refund {
				parts = append(parts, fmt.Sprintf("refund_amount %s vs %s on the gateway API", e.amt(h.refund, h.currency), e.amt(x.refund, x.currency)))
			}
			if e.isRefund(x) && h.refund != x.refund {
				setAmounts(&ex, x.refund, h.refund)
			} else {
				setAmounts(&ex, x.amount, h.amount)
			}
			ex.Detail = fmt.Sprintf("latest signed webhook for %s (event %d) says %s: differs by %s",
				x.id, h.id, strings.Join(parts, "; "), e.amt(abs(ex.DifferenceMinor), x.currency))
			e.add(ex, t)
		}
	}
}

// sameTxnAmount reports whether a delivery's transaction_amount agrees
// with the API's. For a refund OxPay's document allows two readings of
// transaction_amount (the refund's own amount, or the sale's it refunds,
// as its full-refund example cannot tell apart), and a server may answer
// the two calls in different ones: any of those values agrees, and the
// refund_amount, which both carry, is compared on its own.
func (e *engine) sameTxnAmount(x *txn, h *hook) bool {
	if h.amount == x.amount {
		return true
	}
	if !e.isRefund(x) {
		return false
	}
	if h.amount == x.refund {
		return true
	}
	return x.origIdx >= 0 && h.amount == e.txns[x.origIdx].amount
}

// supersededByVoid reports whether a sale's latest signed notification,
// h, is outdone by a VOID of its own id that reverses the sale: the void
// (checked against its own notifications) has the last word on the sale,
// whatever the order of receipt, so a sale the gateway API reports
// voided while its own latest notification still says it was paid
// (success, captured, sale, authorized) agrees with its webhooks. (An
// API that keeps the sale's own state beside the void agrees with them
// as it is.)
func (e *engine) supersededByVoid(x *txn, h *hook) bool {
	return e.isSale(x) && x.voidedBy && x.state == e.stVoided && (e.taken(h.state) || h.state == e.stAuthorized)
}

func (e *engine) hookAmount(x *txn, h *hook) int64 {
	if e.isRefund(x) && h.refund != 0 {
		return h.refund
	}
	return h.amount
}

// checkReplays reports each signed notification of a transaction that
// was delivered again later than the replay window after its first
// receipt, once per notification, naming the late deliveries. (Such a
// delivery never counts: redeliveries share a dedup key and count at
// their first receipt; see latestSigned.)
func (e *engine) checkReplays(t int32) {
	x := &e.txns[t]
	hs := e.d.hooks
	r := e.signedByNotification(e.hookList(t))
	if len(r) < 2 {
		return
	}
	window := e.opts.ReplayWindow.Nanoseconds()
	for i := 0; i < len(r); {
		j := i + 1
		for j < len(r) && r[j].dedup == r[i].dedup {
			j++
		}
		first := &hs[r[i].h]
		var late []int64
		var last int64
		for _, k := range r[i+1 : j] {
			if k.recv-first.recv > window {
				late = append(late, hs[k.h].id)
				last = k.recv
			}
		}
		if len(late) > 0 {
			ex := e.txnException(recon.WebhookReplayed, t)
			claim := e.hookAmount(x, first)
			ex.ExpectedMinor, ex.ActualMinor = claim, claim // nothing at stake: it changed nothing
			ex.Currency = e.s.str(first.currency)
			ex.WebhookEventIDs = append([]int64{first.id}, late...)
			ex.Detail = fmt.Sprintf("signed webhook for %s (%s, %s; event %d, first received %s) was delivered again %d time(s) more than %s later, the last at %s: a replay, ignored",
				x.id, e.s.str(first.state), e.amt(claim, first.currency), first.id, e.stamp(first.recv),
				len(late), shortDuration(e.opts.ReplayWindow), e.stamp(last))
			e.add(ex, t)
		}
		i = j
	}
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkSignatures reports, once per transaction id, the deliveries whose
// signature did not verify.
func (e *engine) checkSignatures(t int32) {
	x := &e.txns[t]
	hs := e.d.hooks
	var bad []int64
	var invalid, unsigned, total int
	first := int32(-1)
	for h := x.hookHead; h >= 0; h = hs[h].next {
		total++
		if hs[h].trusted {
			continue
		}
		if first < 0 {
			first = h
		}
		bad = append(bad, hs[h].id)
		if e.s.str(hs[h].sig) == recon.SigUnsigned {
			unsigned++
		} else {
			invalid++
		}
	}
	if len(bad) == 0 {
		return
	}
	h := &hs[first]
	ex := recon.Exception{Category: recon.WebhookBadSignature, OxpayTxnID: x.id, MerchantReferenceID: x.ref,
		Currency: e.s.str(h.currency), WebhookEventIDs: bad}
	p := x.payable
	if x.ghost {
		ref := e.d.orphans[h.orphan].ref
		ex.MerchantReferenceID = ref
		if q, ok := e.byKey.get(ref); ok {
			p = q
		}
	}
	if p >= 0 {
		e.fillPayable(&ex, p)
	}
	var how []string
	if invalid > 0 {
		how = append(how, fmt.Sprintf("%d with a signature that does not verify", invalid))
	}
	if unsigned > 0 {
		how = append(how, fmt.Sprintf("%d without a Signature header", unsigned))
	}
	claim := e.hookAmount(x, h)
	switch {
	case x.ghost:
		setAmounts(&ex, 0, claim)
		ex.Detail = fmt.Sprintf("%d of %d webhook deliveries for %s failed the signature check (%s), and no signed delivery or gateway API record confirms it: its content (%s, %s) is unverified",
			len(bad), total, x.id, strings.Join(how, ", "), e.s.str(h.state), e.amt(claim, h.currency))
	default:
		setAmounts(&ex, e.gatewayAmount(x), claim)
		ex.Detail = fmt.Sprintf("%d of %d webhook deliveries for %s failed the signature check (%s); their content was ignored",
			len(bad), total, x.id, strings.Join(how, ", "))
	}
	e.add(ex, t)
}

// --- orders and gateway ---------------------------------------------

// checkPayables compares what Xepeng says of each order (or link) with
// the gateway's transactions for it.
func (e *engine) checkPayables() {
	var paid, success []int32
	for pi := range e.payables {
		p := int32(pi)
		py := &e.payables[p]
		ts := e.payableTxns(p)
		paid, success = paid[:0], success[:0]
		for _, t := range ts {
			x := &e.txns[t]
			if !e.paidSale(x) {
				continue
			}
			paid = append(paid, t)
			if e.taken(x.state) && !x.voidedBy {
				success = append(success, t)
			}
		}
		amount, currency := e.payAmount(p)
		known := amount != noAmount
		// expected is the amount an exception states as expected: 0
		// when the payable's amount is unknown (its INPUT_ERROR says so).
		expected := amount
		if !known {
			expected = 0
		}
		cur := e.s.str(currency)
		key := e.payKey(p)
		orderUID, linkUID := e.payableIDs(p)
		switch {
		case py.paid && len(ts) == 0:
			ex := recon.Exception{Category: recon.OrderPaidNoTransaction, OrderUID: orderUID, PaymentLinkUID: linkUID, Currency: cur}
			setAmounts(&ex, expected, 0)
			ex.Detail = fmt.Sprintf("payment link %s is paid%s but the gateway has no transaction with merchant_reference_id %s (%s of %s)",
				linkUID, e.paidAtText(p), key, e.what(p), e.amt(amount, currency))
			e.add(ex, -1)
		case py.paid && len(paid) == 0:
			last := ts[len(ts)-1]
			x := &e.txns[last]
			ex := e.txnException(recon.StatusMismatch, last)
			setAmounts(&ex, expected, 0)
			ex.Detail = fmt.Sprintf("payment link %s is paid%s but none of the gateway's %d transaction(s) for %s is paid: the latest, %s %s, is %s",
				linkUID, e.paidAtText(p), len(ts), key, e.kindText(x), x.id, e.s.str(x.state))
			e.add(ex, last)
		case !py.paid && len(paid) > 0:
			first := e.firstUnexplainedPaid(py, paid)
			if first < 0 {
				break
			}
			x := &e.txns[first]
			ex := e.txnException(recon.StatusMismatch, first)
			setAmounts(&ex, 0, x.amount)
			xepeng := "has no payment link"
			if py.link >= 0 {
				xepeng = fmt.Sprintf("has payment link %s in status %s", linkUID, e.s.str(e.d.links[py.link].status))
			}
			ex.Detail = fmt.Sprintf("gateway sale %s of %s is %s, but %s %s", x.id, e.amt(x.amount, x.currency),
				e.saleStateText(first), e.what(p), xepeng)
			e.add(ex, first)
		}
		for k, t := range success {
			if k == 0 {
				continue
			}
			x, first := &e.txns[t], &e.txns[success[0]]
			ex := e.txnException(recon.DuplicatePayment, t)
			setAmounts(&ex, 0, x.amount)
			ex.Detail = fmt.Sprintf("sale %s of %s is successful sale number %d for %s; the first is %s (%s)",
				x.id, e.amt(x.amount, x.currency), k+1, e.what(p), first.id, e.amt(first.amount, first.currency))
			e.add(ex, t)
		}
		for _, t := range paid {
			x := &e.txns[t]
			if x.currency != currency {
				ex := e.txnException(recon.CurrencyMismatch, t)
				ex.Currency = cur
				ex.ExpectedMinor, ex.ActualMinor = expected, x.amount
				ex.Detail = fmt.Sprintf("%s is in %s (%s) but sale %s is in %s (%s)", e.what(p), cur,
					e.amt(amount, currency), x.id, e.s.str(x.currency), e.amt(x.amount, x.currency))
				e.add(ex, t)
				continue
			}
			if !known || x.amount == amount {
				// An amount never read cannot mismatch: the payable's
				// INPUT_ERROR reports it instead.
				continue
			}
			ex := e.txnException(recon.AmountMismatch, t)
			setAmounts(&ex, amount, x.amount)
			ex.Detail = fmt.Sprintf("amount %s on %s vs %s on sale %s: differs by %s%s", e.amt(amount, currency),
				e.what(p), e.amt(x.amount, x.currency), x.id, e.amt(abs(x.amount-amount), x.currency), unitHint(amount, x.amount))
			e.add(ex, t)
		}
	}
}

// firstUnexplainedPaid returns the first of an unpaid payable's paid
// sales that its link does not explain, -1 when it explains them all: a
// voided sale agrees with a link that was cancelled or inactivated (the
// payment was called off on both sides); nothing else explains a paid
// sale on a link that is not paid.
func (e *engine) firstUnexplainedPaid(py *payable, paid []int32) int32 {
	calledOff := false
	if py.link >= 0 {
		st := e.d.links[py.link].status
		calledOff = st == e.linkCancelled || st == e.linkInactive
	}
	for _, t := range paid {
		if !calledOff || !e.voided(&e.txns[t]) {
			return t
		}
	}
	return -1
}

// unitHint names the classic unit mistake: an amount sent in major units
// (whole rupiah) where minor units were due, or the other way round.
func unitHint(expected, actual int64) string {
	switch {
	case actual != 0 && actual*100 == expected:
		return " (100x too small: sent in whole units instead of minor units?)"
	case expected != 0 && expected*100 == actual:
		return " (100x too large: sent in minor units where whole units were due?)"
	}
	return ""
}

// checkRefunds holds each refund against the sale it names: the sale must
// have been paid and not voided, be in the same currency, and all its
// refunds together may not exceed it.
func (e *engine) checkRefunds() {
	var rs []int32
	for si := range e.txns {
		s := int32(si)
		sale := &e.txns[s]
		if e.refHead[s] < 0 || !e.isSale(sale) {
			continue
		}
		rs = rs[:0]
		for r := e.refHead[s]; r >= 0; r = e.refNext[r] {
			if e.refundDone(&e.txns[r]) {
				rs = append(rs, r)
			}
		}
		e.sortTxns(rs)
		var total int64
		for _, r := range rs {
			x := &e.txns[r]
			switch {
			case e.voided(sale) || !e.paidSale(sale):
				ex := e.txnException(recon.StatusMismatch, r)
				setAmounts(&ex, 0, x.refund)
				ex.Detail = fmt.Sprintf("refund %s of %s reverses sale %s, which is %s: there was nothing to refund",
					x.id, e.amt(x.refund, x.currency), sale.id, e.saleStateText(s))
				e.add(ex, r)
			case x.currency != sale.currency:
				ex := e.txnException(recon.CurrencyMismatch, r)
				ex.Currency = e.s.str(sale.currency)
				ex.ExpectedMinor, ex.ActualMinor = sale.amount, x.refund
				ex.Detail = fmt.Sprintf("refund %s is in %s but sale %s is in %s", x.id, e.s.str(x.currency), sale.id, e.s.str(sale.currency))
				e.add(ex, r)
			default:
				total += x.refund
				if total > sale.amount {
					ex := e.txnException(recon.AmountMismatch, r)
					setAmounts(&ex, sale.amount, total)
					ex.Detail = fmt.Sprintf("refunds of sale %s add up to %s with refund %s, more than the sale's %s: %s too much",
						sale.id, e.amt(total, x.currency), x.id, e.amt(sale.amount, sale.currency), e.amt(total-sale.amount, x.currency))
					e.add(ex, r)
				}
			}
		}
	}
}

// saleStateText is sale s's state in words: "voided by void V" when a
// VOID of its own id reversed it, else its state.
func (e *engine) saleStateText(s int32) string {
	t := &e.txns[s]
	if t.voidedBy {
		for r := e.refHead[s]; r >= 0; r = e.refNext[r] {
			if v := &e.txns[r]; e.voids(v) {
				return "voided by void " + v.id
			}
		}
	}
	return e.s.str(t.state)
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

// checkOrphans reports transactions whose merchant_reference_id matches
// no order (or link). A refund or void of a known sale is left to that
// sale's row. A stand-in (no API record) is WEBHOOK_UNKNOWN_TRANSACTION
// instead: neither the gateway API nor Xepeng vouches for it.
func (e *engine) checkOrphans() {
	orphan := e.orphan
	var hints map[string]string
	for i := range e.txns {
		if x := &e.txns[i]; orphan(x) && e.isSale(x) {
			if hints == nil {
				hints = map[string]string{}
			}
			hints[x.ref] = ""
		}
	}
	e.referenceHints(hints)
	noun := "order"
	if e.opts.Reference == ReferencePaymentLinkUID {
		noun = "payment link"
	}
	for i := range e.txns {
		t := int32(i)
		x := &e.txns[i]
		if !orphan(x) {
			continue
		}
		c := recon.TransactionNoOrder
		if x.fromHook {
			c = recon.WebhookUnknownTransaction
		}
		ex := e.txnException(c, t)
		setAmounts(&ex, 0, e.gatewayAmount(x))
		var why string
		if e.isSale(x) {
			why = fmt.Sprintf("its merchant_reference_id %q matches no %s%s", x.ref, noun, hints[x.ref])
		} else {
			why = fmt.Sprintf("it names sale %q, which is not known, and its merchant_reference_id %q matches no %s", x.orig, x.ref, noun)
		}
		if x.fromHook {
			ex.WebhookEventIDs = []int64{e.d.hooks[x.latest].id}
			ex.Detail = fmt.Sprintf("signed webhook for %s %s (%s, %s) has no gateway API record, and %s",
				e.kindText(x), x.id, e.s.str(x.state), e.amt(e.gatewayAmount(x), x.currency), why)
		} else {
			ex.Detail = fmt.Sprintf("gateway %s %s (%s, %s): %s", e.kindText(x), x.id, e.s.str(x.state),
				e.amt(e.gatewayAmount(x), x.currency), why)
		}
		e.add(ex, t)
	}
}

// orphan: a sale whose reference matches no order (or link), or a refund
// or void of a sale nobody knows. It is TRANSACTION_NO_ORDER, or
// WEBHOOK_UNKNOWN_TRANSACTION when only its webhooks stand for it.
func (e *engine) orphan(x *txn) bool {
	return !x.ghost && x.payable < 0 && (e.isSale(x) || x.origIdx < 0)
}

// unvouched: an orphan that only webhooks stand for, which neither the
// gateway API nor Xepeng knows. It is reported WEBHOOK_UNKNOWN_TRANSACTION
// and nothing more is asked of it: no ledger line is due for money
// nobody vouches for.
func (e *engine) unvouched(x *txn) bool { return x.fromHook && e.orphan(x) }

// referenceHints says, for references that match no order (or link),
// which are the other kind of Xepeng id: the usual sign of
// matching.reference set the wrong way. One pass over the links or
// orders serves every reference.
func (e *engine) referenceHints(refs map[string]string) {
	if len(refs) == 0 {
		return
	}
	if e.opts.Reference == ReferenceOrderUID {
		for j := range e.d.links {
			if _, ok := refs[e.d.links[j].uid]; ok {
				refs[e.d.links[j].uid] = " (it is a payment link uid: should matching.reference be payment_link_uid?)"
			}
		}
		return
	}
	for i := range e.d.orders {
		if _, ok := refs[e.d.orders[i].uid]; ok {
			refs[e.d.orders[i].uid] = " (it is an order uid: should matching.reference be order_uid?)"
		}
	}
}

// checkAmountProblems reports each order and payment link whose amount
// could not be read as an INPUT_ERROR naming it. It names no transaction:
// the sales for it are not at fault.
func (e *engine) checkAmountProblems() {
	for _, ap := range e.d.amountProblems {
		ex := recon.Exception{Category: recon.InputErrorCategory}
		what := "order"
		if ap.order >= 0 {
			o := &e.d.orders[ap.order]
			ex.OrderUID, ex.Currency = o.uid, e.s.str(o.currency)
		} else {
			l := &e.d.links[ap.link]
			ex.OrderUID, ex.PaymentLinkUID, ex.Currency = l.orderUID, l.uid, e.s.str(l.currency)
			what = "payment link"
		}
		ex.Detail = fmt.Sprintf("xepeng %s amount could not be read, so it takes no part in amount checks: %s", what, ap.text)
		e.add(ex, -1)
	}
}

func (e *engine) checkInputErrors() {
	for _, ie := range e.d.errs {
		text := ie.text
		if r := []rune(text); len(r) > 80 {
			text = string(r[:80]) + "…"
		}
		ex := recon.Exception{Category: recon.InputErrorCategory, InputErrorID: ie.id}
		ex.Detail = fmt.Sprintf("%s input %s line %d could not be read: %s", ie.source, ie.file, ie.line, ie.reason)
		if text != "" {
			ex.Detail += fmt.Sprintf(" (input: %q)", text)
		}
		e.add(ex, -1)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
