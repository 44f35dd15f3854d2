package decide

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
)

var (
	fee = recon.Exception{Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "FEE", Currency: "IDR",
		ActualMinor: -500000, DifferenceMinor: -500000, LedgerEntryIDs: recon.IDList{7}}
	short = recon.Exception{Category: recon.AmountMismatch, Severity: "critical", OrderUID: "ORD-1", OxpayTxnID: "T1",
		MerchantReferenceID: "ORD-1", Currency: "IDR", ExpectedMinor: 1000000, ActualMinor: 990000, DifferenceMinor: -10000}
	gone = recon.Exception{Category: recon.LedgerMissing, Severity: "high", OxpayTxnID: "T9", Currency: "IDR",
		ExpectedMinor: 5000, DifferenceMinor: -5000}
)

func key(e recon.Exception) string { return recon.DecisionKey("default", &e) }

var at = time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)

func input(latest ...recon.Decision) Input {
	in := Input{Merchant: "default", Run: recon.Run{ID: 4, BusinessDate: "2026-11-10"},
		Exceptions: []recon.Exception{fee, short}, Latest: map[string]recon.Decision{},
		LastSeen: func(k string) (string, bool, error) {
			if k == recon.ExceptionKey(&gone) {
				return "2026-11-08", true, nil
			}
			return "", false, nil
		},
		By: "alice", At: at, File: "recon-2026-11-10.xlsx", SHA256: "ab"}
	for _, d := range latest {
		in.Latest[d.ExceptionKey] = d
	}
	return in
}

// decided is e's decision on the money it has now.
func decided(e recon.Exception, state recon.DecisionState, note string) recon.Decision {
	return recon.Decision{Merchant: "default", ExceptionKey: recon.ExceptionKey(&e), Category: e.Category,
		BusinessDate: "2026-11-10", RunID: 4, Currency: e.Currency, ExpectedMinor: e.ExpectedMinor,
		ActualMinor: e.ActualMinor, DifferenceMinor: e.DifferenceMinor, Decision: state, Note: note,
		DecidedBy: "alice", DecidedAt: at, SourceFile: "recon-2026-11-10.xlsx", SourceSHA256: "ab"}
}

func row(sheet string, r int, e recon.Exception, decision, note string) Row {
	return Row{Sheet: sheet, Row: r, Category: e.Category, Key: key(e), Decision: decision, Note: note}
}

func TestPlan(t *testing.T) {
	accepted := decided(fee, recon.DecisionAccepted, "bank fee")
	accepted.Seq = 1
	moved := accepted
	moved.ActualMinor, moved.DifferenceMinor = -400000, -400000 // decided on other money
	for _, tc := range []struct {
		name   string
		latest []recon.Decision
		rows   []Row
		want   func() []recon.Decision
	}{
		{"a decision and a note", nil, []Row{row("Ledger unmatched", 3, fee, " Written  Off ", " bank fee, written off\r\nby alice ")},
			func() []recon.Decision {
				return []recon.Decision{decided(fee, recon.DecisionWrittenOff, "bank fee, written off\nby alice")}
			}},
		{"an empty row asks for nothing", nil, []Row{row("Ledger unmatched", 3, fee, "", ""), {Sheet: "Ledger unmatched", Row: 4}}, nil},
		{"a note alone is an open exception's", nil, []Row{row("Ledger unmatched", 3, fee, "", "asked the bank")},
			func() []recon.Decision { return []recon.Decision{decided(fee, recon.DecisionOpen, "asked the bank")} }},
		{"the workbook as it showed the decision adds nothing", []recon.Decision{accepted},
			[]Row{row("Ledger unmatched", 3, fee, "accepted", "bank fee")}, nil},
		{"a changed note is a new decision that names the one before", []recon.Decision{accepted},
			[]Row{row("Ledger unmatched", 3, fee, "accepted", "bank fee for November")},
			func() []recon.Decision {
				d := decided(fee, recon.DecisionAccepted, "bank fee for November")
				d.Previous = recon.DecisionAccepted
				return []recon.Decision{d}
			}},
		{"a reopened exception shows nothing, so left empty it adds nothing", []recon.Decision{moved},
			[]Row{row("Ledger unmatched", 3, fee, "", "")}, nil},
		{"accepted again on the new money", []recon.Decision{moved},
			[]Row{row("Ledger unmatched", 3, fee, "accepted", "bank fee")},
			func() []recon.Decision {
				d := decided(fee, recon.DecisionAccepted, "bank fee")
				d.Previous = recon.DecisionAccepted
				return []recon.Decision{d}
			}},
		{"two rows of one exception that agree count once", nil,
			[]Row{row("Ledger unmatched", 3, fee, "accepted", "x"), row("Ledger unmatched", 9, fee, "Accepted", "x")},
			func() []recon.Decision { return []recon.Decision{decided(fee, recon.DecisionAccepted, "x")} }},
		{"a CSV row names no sheet", nil, []Row{{Row: 2, Key: key(short), Decision: "fixed at source"}},
			func() []recon.Decision { return []recon.Decision{decided(short, recon.DecisionFixedAtSource, "")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(input(tc.latest...), tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			var want []recon.Decision
			if tc.want != nil {
				want = tc.want()
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestPlanProblems(t *testing.T) {
	other := short
	other.OrderUID, other.MerchantReferenceID = "ORD-2", "ORD-2"
	for _, tc := range []struct {
		name string
		rows []Row
		want []string // each in the error, in order
	}{
		{"a decision not in the list", []Row{row("Amount mismatch", 3, short, "acepted", "")},
			[]string{"sheet 'Amount mismatch' row 3: decision \"acepted\" is not one of: open, investigating, accepted, written off, fixed at source"}},
		{"a key that is not one", []Row{{Sheet: "Amount mismatch", Row: 4, Key: "ORD-1", Decision: "accepted"}},
			[]string{"sheet 'Amount mismatch' row 4: unknown exception key \"ORD-1\""}},
		{"a key recon never wrote", []Row{row("Amount mismatch", 5, other, "accepted", "")},
			[]string{"row 5: unknown exception key: no exception of merchant \"default\" has it"}},
		{"a key of another merchant", []Row{{Row: 2, Key: recon.DecisionKey("acme", &short), Decision: "accepted"}},
			[]string{"line 2: the exception key is merchant \"acme\"'s; these decisions are for merchant \"default\""}},
		{"a key of another date", []Row{{Row: 3, Key: key(gone), Decision: "accepted"}},
			[]string{"line 3: the exception is of another date: it is not open on 2026-11-10 (run 4); it was last open on 2026-11-08"}},
		{"a row moved to another sheet", []Row{{Sheet: "Ledger missing", Row: 3, Category: recon.LedgerMissing, Key: key(short), Decision: "accepted"}},
			[]string{"sheet 'Ledger missing' row 3: the exception is a AMOUNT_MISMATCH, not a LEDGER_MISSING"}},
		{"a decision without its key", []Row{{Sheet: "Amount mismatch", Row: 6, Decision: "accepted"}},
			[]string{"row 6: a decision without an exception key"}},
		{"one exception decided two ways", []Row{row("Ledger unmatched", 3, fee, "accepted", ""), row("Ledger unmatched", 8, fee, "written off", "")},
			[]string{"row 8: the exception is decided otherwise than on sheet 'Ledger unmatched' row 3"}},
		{"every problem at once, good rows or not", []Row{row("Amount mismatch", 3, short, "accepted", ""), row("Amount mismatch", 4, short, "ok", ""),
			{Sheet: "Amount mismatch", Row: 5, Key: "x", Decision: "accepted"}},
			[]string{"row 4: decision \"ok\"", "row 5: unknown exception key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(input(), tc.rows)
			var ps Problems
			if !errors.As(err, &ps) || got != nil {
				t.Fatalf("Plan: %v, %d decisions; want Problems and none", err, len(got))
			}
			msg := err.Error()
			for _, w := range tc.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("the error lacks %q:\n%s", w, msg)
				}
				msg = msg[i+len(w):]
			}
			if len(ps) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ps), len(tc.want), err)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	latest := map[string]recon.Decision{}
	if s := StatusOf(latest, &fee); s.Latest != nil || s.Explained() || s.Reopened {
		t.Errorf("no decision: %+v", s)
	}
	for _, tc := range []struct {
		state              recon.DecisionState
		sameMoney          bool
		explained, reopens bool
	}{
		{recon.DecisionAccepted, true, true, false},
		{recon.DecisionWrittenOff, true, true, false},
		{recon.DecisionAccepted, false, false, true},
		{recon.DecisionWrittenOff, false, false, true},
		{recon.DecisionInvestigating, false, false, false},
		{recon.DecisionFixedAtSource, true, false, false},
		{recon.DecisionOpen, true, false, false},
	} {
		d := decided(fee, tc.state, "n")
		if !tc.sameMoney {
			d.ExpectedMinor++
		}
		latest[d.ExceptionKey] = d
		s := StatusOf(latest, &fee)
		shown, note := s.Shown()
		wantShown := tc.state
		if tc.reopens {
			wantShown = ""
		}
		if s.Explained() != tc.explained || s.Reopened != tc.reopens || shown != wantShown || (shown != "") != (note == "n") {
			t.Errorf("%s on the same money %v: explained %v reopened %v shown %q %q", tc.state, tc.sameMoney, s.Explained(), s.Reopened, shown, note)
		}
	}
}
