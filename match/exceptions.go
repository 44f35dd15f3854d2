package match

// How a rule records what it found.

import "github.com/reconkit/reconkit/recon"

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

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
