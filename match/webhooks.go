package match

// Gateway and webhooks: the transactions and their deliveries, stand-ins
// for ids the API did not report, and the rules that compare the two.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
)

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

// --- rules ----------------------------------------------------------

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
