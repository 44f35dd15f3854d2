package match

// Refunds: each refund against the sale it names.

import (
	"fmt"

	"github.com/reconkit/reconkit/recon"
)

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
