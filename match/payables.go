package match

// Orders and gateway: the payables (orders, or payment links) the
// gateway's transactions point at, and the rules that compare what
// Xepeng says of each with its transactions.

import (
	"fmt"

	"github.com/reconkit/reconkit/recon"
)

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

// --- rules ----------------------------------------------------------

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
