package match

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/money"
)

// The helpers below write the detail text: amounts with the currency's
// own digits, dates and times in the business zone. Only text for people
// is formatted here; the numeric columns stay integers.

// amt writes minor units as the workbook shows them: "150,000 IDR",
// "12.50 SGD" (money.FormatDisplay).
func (e *engine) amt(minor int64, cur sym) string { return e.amtText(minor, e.s.str(cur)) }

func (e *engine) amtText(minor int64, cur string) string {
	if minor == noAmount {
		return "an unknown amount"
	}
	exp, ok := money.Exponent(cur)
	if !ok {
		if cur == "" {
			return strconv.FormatInt(minor, 10) + " (minor units)"
		}
		return strconv.FormatInt(minor, 10) + " " + cur + " (minor units)"
	}
	return money.FormatDisplay(minor, exp, cur, e.opts.AmountFormat) + " " + cur
}

// stamp writes an instant in the business zone, to the second.
func (e *engine) stamp(ns int64) string {
	return time.Unix(0, ns).In(e.opts.Zone).Format("2006-01-02 15:04:05 MST")
}

func dayText(d int32) string { return dayTime(d).Format(time.DateOnly) }

func (e *engine) kindText(x *txn) string {
	switch {
	case e.isRefund(x):
		return "refund"
	case e.isVoid(x):
		return "void"
	}
	return "sale"
}

func (e *engine) paidAtText(p int32) string {
	at, ok := e.payPaidAt(p)
	if !ok {
		return ""
	}
	return " (paid_at " + e.stamp(at) + ")"
}

// lineText writes a ledger line as "credit 150,000 IDR".
func (e *engine) lineText(ln *entry) string {
	if ln.amount < 0 {
		return "debit " + e.amt(-ln.amount, ln.currency)
	}
	return "credit " + e.amt(ln.amount, ln.currency)
}

func (e *engine) toleranceText(cur sym) string {
	o := e.opts
	switch {
	case o.ToleranceAbs == 0 && o.TolerancePercentE4 == 0:
		return ""
	case o.TolerancePercentE4 == 0:
		return fmt.Sprintf(" (tolerance %s)", e.amt(o.ToleranceAbs, cur))
	}
	pct := strings.TrimRight(strings.TrimRight(money.FormatAmount(o.TolerancePercentE4, 4, money.Format{Decimal: '.'}), "0"), ".")
	return fmt.Sprintf(" (tolerance %s or %s%%)", e.amt(o.ToleranceAbs, cur), pct)
}
