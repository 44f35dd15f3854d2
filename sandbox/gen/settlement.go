package gen

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// Net settlements (Options.LedgerStyle net or mixed).
//
// In a net world the gateway pays out each of its business days'
// settled transactions, per currency, as one deposit net of its fees and
// of the day's refunds, and finance books those deposits instead of one
// line per transaction:
//
//   - A transaction belongs to the batch of the business day its
//     payment time falls on in the world's zone: the receipt of its
//     first correctly signed delivery, from SettlementCutOff on the next
//     day, moved on past weekends and SettlementHoliday. The batch is
//     paid out SettlementPayoutDays business days later.
//   - Fees are FeeTerms (the brand's rule for the currency, else the
//     brand's, else "*" the same way): percent of the amount plus the
//     fixed fee, at least the minimum, each rounded half-up to a minor
//     unit. A refund's fee is not returned.
//   - The deposit is booked on the payout day: reference
//     STL-YYYYMMDD-CUR, description "OXPAY SETTLEMENT YYYY-MM-DD CUR"
//     (the batch's day), the net as a credit (a debit when refunds
//     exceed it), and the fees in the Fee column.
//   - Every transaction of an order that carries an anomaly keeps its
//     own line, so the one-to-one anomalies read as in a gross world;
//     only LEDGER_MISSING cannot be told apart: its sale, with no line,
//     is paid in its batch like any other, and is not in the answer key.
//     In a mixed world half of the other transactions keep their own
//     line too (drawn one by one).
//
// The anomalies of a net world, one of each when AnomalyRate is
// positive and there are at least three batches (ledger_ref says which
// row):
//
//	SETTLEMENT_MISSING          a batch's deposit is left out; ledger_ref is the batch, "YYYY-MM-DD CUR"
//	SETTLEMENT_AMOUNT_MISMATCH  a deposit short by one major unit (Rp1.000 in IDR), its stated fee right
//	FEE_MISMATCH                a deposit stating one major unit more fee than the schedule's, and that
//	                            much less money: the fee explains the difference whole
//	SETTLEMENT_UNMATCHED        a deposit naming the day before the first business day, which has no batch
//
// Everything here is computed from the world alone, without recon's
// settle package: the answer key is an independent check of it.

// LedgerStyle is how finance books the gateway's money.
type LedgerStyle string

const (
	// LedgerGross: one line per settled transaction (the default).
	LedgerGross LedgerStyle = "gross"
	// LedgerNet: one deposit per gateway business day and currency, net
	// of fees and refunds; see above.
	LedgerNet LedgerStyle = "net"
	// LedgerMixed: half of the transactions booked one by one, the rest
	// in net deposits.
	LedgerMixed LedgerStyle = "mixed"
)

// ParseLedgerStyle reads "gross", "net" or "mixed".
func ParseLedgerStyle(s string) (LedgerStyle, error) {
	switch v := LedgerStyle(s); v {
	case LedgerGross, LedgerNet, LedgerMixed:
		return v, nil
	}
	return "", fmt.Errorf("ledger style %q: want %s, %s or %s", s, LedgerGross, LedgerNet, LedgerMixed)
}

// settles reports whether the style books net settlement deposits.
func (s LedgerStyle) settles() bool { return s == LedgerNet || s == LedgerMixed }

// LedgerFeeColumn is the header of the Fee column a net ledger adds.
const LedgerFeeColumn = "Fee"

// FeeTerm is one row of the generated gateway's fee schedule: Percent as
// decimal text (what recon.yaml says), PerMillion the same rate in
// millionths of the amount (2.9% is 29000).
type FeeTerm struct {
	Brand, Currency string
	Percent         string
	PerMillion      int64
	FixedMinor      int64
	MinMinor        int64
}

// FeeTerms is the generated gateway's fee schedule.
var FeeTerms = []FeeTerm{
	{Brand: "Card", Currency: "IDR", Percent: "2.0", PerMillion: 20_000, FixedMinor: 200_000}, // 2% + Rp2.000
	{Brand: "Card", Percent: "2.9", PerMillion: 29_000, FixedMinor: 30},                       // 2.9% + S$0.30
	{Brand: "*", Currency: "IDR", Percent: "0.7", PerMillion: 7_000, MinMinor: 100_000},       // 0.7%, at least Rp1.000
	{Brand: "*", Percent: "1.5", PerMillion: 15_000},
}

// The generated gateway's calendar.
const (
	// SettlementCutOff: a payment from 23:00 on counts for the next day.
	SettlementCutOff     = 23 * time.Hour
	SettlementPayoutDays = 1
	// SettlementPattern finds the batch a deposit names.
	SettlementPattern = `OXPAY SETTLEMENT (?P<date>\d{4}-\d{2}-\d{2}) (?P<currency>[A-Z]{3})`
)

// SettlementHoliday is the generated gateway's one holiday: the fourth
// day from Start (a Wednesday from the default Start).
func SettlementHoliday(start time.Time) time.Time { return start.AddDate(0, 0, 3) }

// SettlementConfig is the recon.yaml text that describes the generated
// gateway's settlements to recon: the settlement: section and the
// ledger's Fee column. WriteFiles writes it as settlement.yaml for a net
// or mixed world; it is empty for a gross one.
func (d *Dataset) SettlementConfig() string {
	if !d.Options.LedgerStyle.settles() {
		return ""
	}
	var b strings.Builder
	b.WriteString("# The generated gateway's settlements (recon sandbox generate --ledger-style ")
	b.WriteString(string(d.Options.LedgerStyle) + ").\nsettlement:\n  fees:\n")
	for _, f := range FeeTerms {
		fmt.Fprintf(&b, "    - {brand: %q, currency: %q, percent: %q, fixed_minor: %d, min_minor: %d}\n",
			f.Brand, f.Currency, f.Percent, f.FixedMinor, f.MinMinor)
	}
	b.WriteString("  rounding: transaction\n")
	if z := d.Options.Zone.String(); z != "" && z != "Local" {
		if _, err := time.LoadLocation(z); err == nil {
			fmt.Fprintf(&b, "  zone: %s\n", z)
		}
	}
	cut := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(SettlementCutOff)
	fmt.Fprintf(&b, "  cut_off: %q\n  payout_days: %d\n  holidays: [%s]\n  reference_pattern: '%s'\n",
		cut.Format("15:04"), SettlementPayoutDays, SettlementHoliday(d.Options.Start).Format(time.DateOnly), SettlementPattern)
	b.WriteString("ledger:\n  columns:\n    fee: " + LedgerFeeColumn + "\n")
	return b.String()
}

// SettlementFile is the name WriteFiles gives SettlementConfig.
const SettlementFile = "settlement.yaml"

// Settlement kinds: anomalies of a batch rather than of an order, so
// planAnomalies does not deal them out.
const (
	kindSettlementMissing kind = kindCount + 1 + iota
	kindSettlementAmount
	kindFeeMismatch
	kindSettlementUnmatched
)

// settlementKinds are the kinds a net world plants.
var settlementKinds = []kind{kindSettlementMissing, kindSettlementAmount, kindFeeMismatch, kindSettlementUnmatched}

// genBatch is one batch of the generated gateway.
type genBatch struct {
	day   int32 // calendar index of the batch's business day
	cur   uint8
	sales int64
	refs  int64
	fees  int64
	n     int
}

func (b *genBatch) net() int64 { return b.sales - b.refs - b.fees }

// feeTerm finds the fee rule for a brand and currency.
func feeTerm(brand, cur string) FeeTerm {
	for _, want := range [][2]string{{brand, cur}, {brand, ""}, {"*", cur}, {"*", ""}} {
		for _, f := range FeeTerms {
			if f.Brand == want[0] && f.Currency == want[1] {
				return f
			}
		}
	}
	return FeeTerm{}
}

// fee is one transaction's fee, rounded half-up to a minor unit.
func fee(f FeeTerm, amount int64) int64 {
	exact := amount*f.PerMillion + f.FixedMinor*1_000_000
	exact = max(exact, f.MinMinor*1_000_000)
	return (exact + 500_000) / 1_000_000
}

// businessDay reports whether calendar day i is a business day of the
// generated gateway.
func (w *world) businessDay(i int) bool {
	d := w.cal[i].date
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	h := SettlementHoliday(w.opts.Start)
	return !(d.Year() == h.Year() && d.YearDay() == h.YearDay())
}

// nextBusiness is i, or the first business day after it.
func (w *world) nextBusiness(i int) int {
	for i < len(w.cal) && !w.businessDay(i) {
		i++
	}
	if i >= len(w.cal) && w.err == nil {
		w.err = fmt.Errorf("a settlement day falls past the calendar's last day %s", w.cal[len(w.cal)-1].date.Format(time.DateOnly))
	}
	return min(i, len(w.cal)-1)
}

// batchDay is the calendar index of the business day whose batch
// settles a payment received at recv (Unix seconds).
func (w *world) batchDay(recv int64) int {
	i := 0
	for i+1 < len(w.cal) && w.cal[i+1].start <= recv {
		i++
	}
	local := time.Unix(recv, 0).In(w.opts.Zone)
	clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute + time.Duration(local.Second())*time.Second
	if clock >= SettlementCutOff {
		i++
	}
	return w.nextBusiness(i)
}

// payoutDay is the calendar index of the day a batch cut on day i is
// paid out.
func (w *world) payoutDay(i int) int {
	for n := 0; n < SettlementPayoutDays; {
		i++
		if i >= len(w.cal) {
			break
		}
		if w.businessDay(i) {
			n++
		}
	}
	return w.nextBusiness(i)
}

// settleLedger turns the world's ledger into a net one: see above.
func (w *world) settleLedger() {
	// The transactions that keep their own line: every one of an order
	// with an anomaly, and those the anomalies name.
	involved := make([]bool, len(w.txns))
	for t := range w.txns {
		if o := w.txns[t].order; o >= 0 && w.kindOf[o] != kindNone {
			involved[t] = true
		}
	}
	for _, in := range w.inj {
		for _, t := range []int32{in.txn, in.other} {
			if t >= 0 {
				involved[t] = true
			}
		}
	}
	booked := make([]bool, len(w.txns))
	kept := w.lines[:0]
	moved := make([]int32, len(w.lines)) // old index to new, for the answer key
	for i, l := range w.lines {
		moved[i] = -1
		if l.txn < 0 || involved[l.txn] || (w.opts.LedgerStyle == LedgerMixed && w.rng.IntN(2) == 0) {
			moved[i] = int32(len(kept))
			kept = append(kept, l)
			if l.txn >= 0 {
				booked[l.txn] = true
			}
		}
	}
	w.lines = kept
	for i := range w.inj {
		if in := &w.inj[i]; in.line >= 0 {
			in.line = moved[in.line]
		}
	}

	// The payment time recon goes by: the first correctly signed
	// delivery's receipt.
	first := make([]int64, len(w.txns))
	for _, h := range w.hooks {
		if h.mode == hookNormal && (first[h.txn] == 0 || h.recv < first[h.txn]) {
			first[h.txn] = h.recv
		}
	}
	type key struct {
		day int32
		cur uint8
	}
	idx := map[key]int{}
	var batches []genBatch
	for t := range w.txns {
		x := &w.txns[t]
		settled := (!x.isRefund && !x.isVoid && x.state == stSuccess) || (x.isRefund && x.state == stRefunded)
		if !settled || booked[t] {
			continue
		}
		if first[t] == 0 {
			if w.err == nil {
				w.err = fmt.Errorf("transaction %d settles without a signed delivery, so its batch is not known", t)
			}
			return
		}
		k := key{int32(w.batchDay(first[t])), x.cur}
		i, ok := idx[k]
		if !ok {
			i = len(batches)
			idx[k] = i
			batches = append(batches, genBatch{day: k.day, cur: k.cur})
		}
		b := &batches[i]
		b.n++
		if x.isRefund {
			b.refs += x.refund
			continue
		}
		b.sales += x.amount
		b.fees += fee(feeTerm(brands[x.brand], currencies[x.cur]), x.amount)
	}
	slices.SortFunc(batches, func(a, b genBatch) int { return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.cur, b.cur)) })

	// LEDGER_MISSING reads as a paid batch member in a net world.
	w.inj = slices.DeleteFunc(w.inj, func(in injected) bool { return in.kind == kindLedgerMissing })

	plant := map[int]kind{}
	if w.opts.AnomalyRate > 0 && len(batches) >= 3 {
		for k, b := range w.rng.Perm(len(batches))[:3] {
			plant[b] = settlementKinds[k]
		}
	}
	for i := range batches {
		b := &batches[i]
		cur := currencies[b.cur]
		net, fees := b.net(), b.fees
		unit := int64(100) // one major unit in minor units: S$1.00
		if b.cur == curIDR {
			unit = 100_000 // Rp1.000
		}
		k := plant[i]
		switch k {
		case kindSettlementMissing:
			w.inject(k, -1, -1, -1, -1, w.cal[b.day].date.Format(time.DateOnly)+" "+cur)
			continue
		case kindSettlementAmount:
			net -= unit
		case kindFeeMismatch:
			net -= unit
			fees += unit
		}
		ln := w.deposit(int(b.day), b.cur, net, fees)
		if k != kindNone {
			w.inject(k, -1, -1, -1, ln, "")
		}
	}
	if w.opts.AnomalyRate > 0 && len(batches) >= 3 {
		// A deposit naming a day with no batch: the day before the first.
		ln := w.deposit(0, curIDR, 4_321_000, 0)
		w.inject(kindSettlementUnmatched, -1, -1, -1, ln, "")
	}
}

// deposit books the deposit of the batch of calendar day day, on its
// payout day, and returns its line.
func (w *world) deposit(day int, cur uint8, net, fees int64) int32 {
	pay := w.payoutDay(day)
	ymd := w.cal[day].ymd
	c := currencies[cur]
	f := fees
	w.unknown = append(w.unknown, unknownLine{ref: "STL-" + ymd + "-" + c,
		desc: "OXPAY SETTLEMENT " + w.cal[day].date.Format(time.DateOnly) + " " + c, fee: &f})
	l := line{at: w.cal[pay].start + 9*3600, txn: -1, unknown: int32(len(w.unknown) - 1), day: int32(pay), cur: cur}
	if net >= 0 {
		l.credit = net
	} else {
		l.debit = -net
	}
	w.lines = append(w.lines, l)
	return int32(len(w.lines) - 1)
}

// settlementDetail is the answer key's detail of a settlement anomaly.
func (w *world) settlementDetail(in injected) string {
	switch in.kind {
	case kindSettlementMissing:
		return "settlement batch " + in.note + " has no deposit"
	case kindSettlementAmount:
		return "deposit " + w.lineRef(&w.lines[in.line]) + " is one major unit short of its batch's net"
	case kindFeeMismatch:
		return "deposit " + w.lineRef(&w.lines[in.line]) + " states one major unit more fee than the schedule's"
	case kindSettlementUnmatched:
		return "deposit " + w.lineRef(&w.lines[in.line]) + " names a day without a batch"
	}
	return ""
}

// settlementCategory is a settlement kind's category.
func (k kind) settlementCategory() recon.Category {
	switch k {
	case kindSettlementMissing:
		return recon.SettlementMissing
	case kindSettlementAmount:
		return recon.SettlementAmountMismatch
	case kindFeeMismatch:
		return recon.FeeMismatch
	case kindSettlementUnmatched:
		return recon.SettlementUnmatched
	}
	return ""
}
