package match

// Inputs that could not be read: amounts, and lines of the input files.

import (
	"fmt"
	"strings"

	"github.com/reconkit/reconkit/recon"
)

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
		// The ingest readers start a reason with its line ("line 4: ..."):
		// the line is said once.
		at := fmt.Sprintf(" line %d", ie.line)
		if strings.HasPrefix(ie.reason, "line ") || strings.HasPrefix(ie.reason, "lines ") {
			at = ""
		}
		ex.Detail = fmt.Sprintf("%s input %s%s could not be read: %s", ie.source, ie.file, at, ie.reason)
		if text != "" {
			ex.Detail += fmt.Sprintf(" (input: %q)", text)
		}
		e.add(ex, -1)
	}
}
