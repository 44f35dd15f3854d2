package match

// Orphans: transactions whose reference matches no order (or link).

import (
	"fmt"

	"github.com/reconkit/reconkit/recon"
)

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
