package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// ExceptionColumns is the header of the exception exports, CSV and JSON
// alike. Finance filters on these names: add columns at the end only.
var ExceptionColumns = []string{
	"category", "severity", "order_uid", "payment_link_uid", "oxpay_txn_id", "merchant_reference_id",
	"ledger_ref", "currency", "expected_minor", "actual_minor", "difference_minor", "detail",
	"first_seen", "age_days",
	"decision", "decision_note", "decided_by", "decided_at", "explained", "reopened",
}

// Annotations are what the exports say of each exception beyond its own
// columns, keyed by recon.ExceptionKey:
//   - how long it has been open: Date is the run's business date and
//     FirstSeen the first-seen date of each exception (store.CarryForward
//     records them); one without a first-seen date has an empty
//     first_seen and age_days;
//   - finance's latest decision on it (store.LatestDecisions): the
//     decision, its note, who made it and when (UTC), whether it explains
//     the exception on the money it has now (accepted or written off:
//     explained, so that a CI gate can pass it over as --fail-on-category
//     does), and whether the money changed since it was accepted or
//     written off (reopened). One without a decision has empty decision
//     columns and explained and reopened false.
//
// The zero Annotations leave every one of those columns empty or false.
type Annotations struct {
	Date      string
	FirstSeen map[string]string
	Decisions map[string]recon.Decision
}

// decisionCells are an exception's decision columns, as text.
type decisionCells struct {
	decision, note, by, at string
	explained, reopened    bool
}

// decision returns x's decision columns.
func (a Annotations) decision(x *recon.Exception) decisionCells {
	st := decide.StatusOf(a.Decisions, x)
	if st.Latest == nil {
		return decisionCells{}
	}
	d := st.Latest
	return decisionCells{decision: string(d.Decision), note: d.Note, by: d.DecidedBy,
		at: d.DecidedAt.UTC().Format(time.RFC3339Nano), explained: st.Explained(), reopened: st.Reopened}
}

// ages returns what says an exception's first-seen date and its age in
// whole days, or "" and false when it is not known. The ages of the few
// first-seen dates are worked out once each: a month of open exceptions
// has a few dozen of them. Each writer takes its own (not safe for
// concurrent use).
func (a Annotations) ages() func(x *recon.Exception) (string, int, bool) {
	type age struct {
		days int
		ok   bool
	}
	memo := map[string]age{}
	return func(x *recon.Exception) (string, int, bool) {
		first := a.FirstSeen[recon.ExceptionKey(x)]
		g, done := memo[first]
		if !done {
			g.days, g.ok = recon.AgeDays(first, a.Date)
			memo[first] = g
		}
		if !g.ok {
			return "", 0, false
		}
		return first, g.days, true
	}
}

// sorted returns the exceptions in report order without touching the
// caller's slice, so that any input order gives the same bytes. A run's
// exceptions are stored in that order, and come back as they are.
func sorted(es []recon.Exception) []recon.Exception {
	if match.ExceptionsSorted(es) {
		return es
	}
	out := slices.Clone(es)
	match.SortExceptions(out)
	return out
}

// WriteExceptionsCSV writes exceptions as CSV with ExceptionColumns, in
// report order. Text cells that a spreadsheet would run as a formula are
// defused (see CSVSafe); the amount columns are plain integers in minor
// units, negative ones included. The output depends only on the
// exceptions: the same findings give the same bytes.
func WriteExceptionsCSV(w io.Writer, es []recon.Exception, a Annotations) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExceptionColumns); err != nil {
		return fmt.Errorf("write exceptions csv: %w", err)
	}
	rec := make([]string, len(ExceptionColumns))
	ages := a.ages()
	for _, x := range sorted(es) {
		exceptionRecord(rec, &x)
		rec[12], rec[13] = "", ""
		if first, age, ok := ages(&x); ok {
			rec[12], rec[13] = first, strconv.Itoa(age)
		}
		d := a.decision(&x)
		rec[14], rec[15], rec[16], rec[17] = CSVSafe(d.decision), CSVSafe(d.note), CSVSafe(d.by), d.at
		rec[18], rec[19] = strconv.FormatBool(d.explained), strconv.FormatBool(d.reopened)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write exceptions csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write exceptions csv: %w", err)
	}
	return nil
}

// exceptionRecord fills rec[0:12] with x's columns.
func exceptionRecord(rec []string, x *recon.Exception) {
	rec[0] = CSVSafe(string(x.Category))
	rec[1] = CSVSafe(x.Severity)
	rec[2] = CSVSafe(x.OrderUID)
	rec[3] = CSVSafe(x.PaymentLinkUID)
	rec[4] = CSVSafe(x.OxpayTxnID)
	rec[5] = CSVSafe(x.MerchantReferenceID)
	rec[6] = CSVSafe(x.LedgerRef)
	rec[7] = CSVSafe(x.Currency)
	rec[8] = strconv.FormatInt(x.ExpectedMinor, 10)
	rec[9] = strconv.FormatInt(x.ActualMinor, 10)
	rec[10] = strconv.FormatInt(x.DifferenceMinor, 10)
	rec[11] = CSVSafe(x.Detail)
}

// ResolvedColumns is the header of the resolved export: the exception's
// columns as the previous run had them, its first-seen date, and the
// business date of the last run it was open in.
var ResolvedColumns = append(slices.Clone(ExceptionColumns[:12]), "first_seen", "last_seen")

// WriteResolvedCSV writes the exceptions resolved since the previous run
// (store.ResolvedSince) as CSV with ResolvedColumns, in the order given:
// ResolvedSince keeps the order the previous run wrote them in, which is
// report order.
func WriteResolvedCSV(w io.Writer, rs []store.ResolvedException) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ResolvedColumns); err != nil {
		return fmt.Errorf("write resolved csv: %w", err)
	}
	rec := make([]string, len(ResolvedColumns))
	for i := range rs {
		x := &rs[i]
		exceptionRecord(rec, &x.Exception)
		rec[12], rec[13] = x.FirstSeen, x.LastSeen
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write resolved csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write resolved csv: %w", err)
	}
	return nil
}

// CSVSafe defuses a text cell that a spreadsheet would read as a formula
// (one starting with =, +, -, @, a tab or a carriage return) by putting a
// single quote in front, as OWASP advises for CSV injection. Only text
// cells go through it: a negative amount must stay a number.
func CSVSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// exceptionJSON is one exception in the JSON export: ExceptionColumns,
// in that order.
type exceptionJSON struct {
	Category            string `json:"category"`
	Severity            string `json:"severity"`
	OrderUID            string `json:"order_uid"`
	PaymentLinkUID      string `json:"payment_link_uid"`
	OxpayTxnID          string `json:"oxpay_txn_id"`
	MerchantReferenceID string `json:"merchant_reference_id"`
	LedgerRef           string `json:"ledger_ref"`
	Currency            string `json:"currency"`
	ExpectedMinor       int64  `json:"expected_minor"`
	ActualMinor         int64  `json:"actual_minor"`
	DifferenceMinor     int64  `json:"difference_minor"`
	Detail              string `json:"detail"`
	FirstSeen           string `json:"first_seen"`
	AgeDays             *int   `json:"age_days"` // null when not known
	Decision            string `json:"decision"`
	DecisionNote        string `json:"decision_note"`
	DecidedBy           string `json:"decided_by"`
	DecidedAt           string `json:"decided_at"`
	Explained           bool   `json:"explained"`
	Reopened            bool   `json:"reopened"`
}

// WriteExceptionsJSON writes exceptions as a JSON array of objects keyed
// by ExceptionColumns, in report order, indented. Text is kept as it is
// (JSON is not run by spreadsheets); amounts are integers in minor units.
func WriteExceptionsJSON(w io.Writer, es []recon.Exception, a Annotations) error {
	ages := a.ages()
	es = sorted(es)
	var days int // the row's age, which the row points to while it is written
	err := writeExceptionsJSON(w, len(es), func(i int, r *exceptionJSON) {
		x := &es[i]
		first, age, ok := ages(x)
		d := a.decision(x)
		*r = exceptionJSON{
			FirstSeen: first,
			Category:  string(x.Category), Severity: x.Severity, OrderUID: x.OrderUID, PaymentLinkUID: x.PaymentLinkUID,
			OxpayTxnID: x.OxpayTxnID, MerchantReferenceID: x.MerchantReferenceID, LedgerRef: x.LedgerRef,
			Currency: x.Currency, ExpectedMinor: x.ExpectedMinor, ActualMinor: x.ActualMinor,
			DifferenceMinor: x.DifferenceMinor, Detail: x.Detail,
			Decision: d.decision, DecisionNote: d.note, DecidedBy: d.by, DecidedAt: d.at,
			Explained: d.explained, Reopened: d.reopened,
		}
		if ok {
			days = age
			r.AgeDays = &days
		}
	})
	if err != nil {
		return fmt.Errorf("write exceptions json: %w", err)
	}
	return nil
}
