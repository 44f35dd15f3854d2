package decide

import (
	"fmt"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// Status is where an exception stands by its latest decision.
type Status struct {
	// Latest is the exception's latest decision; nil for none.
	Latest *recon.Decision
	// Reopened says Latest explains the exception (accepted, written
	// off) but was made on other amounts than the exception has now:
	// the decision applied to different money, so the exception needs
	// action again.
	Reopened bool
}

// StatusOf returns e's status by the latest decisions of a merchant,
// keyed by recon.ExceptionKey.
func StatusOf(latest map[string]recon.Decision, e *recon.Exception) Status {
	if len(latest) == 0 {
		return Status{} // no decision yet: no key to build, row after row
	}
	d, ok := latest[recon.ExceptionKey(e)]
	if !ok {
		return Status{}
	}
	return Status{Latest: &d, Reopened: d.Decision.Explains() && !d.SameMoney(e)}
}

// Explained reports whether the exception is accepted or written off
// on the money it has: it leaves what needs action, and counts in the
// control as explained by decision.
func (s Status) Explained() bool {
	return s.Latest != nil && s.Latest.Decision.Explains() && !s.Reopened
}

// Shown is the decision and note the workbook shows in its Decision
// and Note columns: the latest decision's, or none when there is none
// or it reopened (the Decided column says why), so that a decision made
// again on the new money is told from the workbook left as it was.
func (s Status) Shown() (recon.DecisionState, string) {
	if s.Latest == nil || s.Reopened {
		return "", ""
	}
	return s.Latest.Decision, s.Latest.Note
}

// Row is one exception's row in a decisions file, as read.
type Row struct {
	// Sheet is the workbook sheet the row is on, "" for a CSV; Row its
	// 1-based row on the sheet, or its line in the CSV.
	Sheet string
	Row   int
	// Category is the category of the sheet the row is on, "" when not
	// known (a CSV).
	Category recon.Category
	// Key is the exception's recon.DecisionKey; Decision and Note as
	// typed or picked.
	Key, Decision, Note string
}

// Where names the row for an error: sheet 'Ledger missing' row 7, or
// line 3.
func (r Row) Where() string {
	if r.Sheet == "" {
		return fmt.Sprintf("line %d", r.Row)
	}
	return fmt.Sprintf("sheet '%s' row %d", r.Sheet, r.Row)
}

// Problem is what is wrong with one row (or the file).
type Problem struct {
	Where   string
	Message string
}

// Problems are every problem a decisions file has; nothing of the file
// is stored while it has any.
type Problems []Problem

// maxProblems is how many problems the error lists.
const maxProblems = 30

// Error lists the problems, one a line.
func (p Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the decisions, nothing imported:", len(p))
	for i, x := range p {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n  ... and %d more", len(p)-maxProblems)
			break
		}
		b.WriteString("\n  ")
		if x.Where != "" {
			b.WriteString(x.Where + ": ")
		}
		b.WriteString(x.Message)
	}
	return b.String()
}

// Input is what Plan checks a file's rows against, and what it records
// with each decision.
type Input struct {
	// Merchant is the merchant the decisions are for.
	Merchant string
	// Run is the business date's run the decisions are for (its latest
	// successful matching run) and Exceptions its exceptions.
	Run        recon.Run
	Exceptions []recon.Exception
	// Latest are the merchant's latest decisions, by exception key.
	Latest map[string]recon.Decision
	// LastSeen returns the last business date an exception was open on
	// by its key, for the error that says a key belongs to another
	// date; nil: not looked up.
	LastSeen func(exceptionKey string) (date string, ok bool, err error)
	// By, At, File and SHA256 are recorded with every decision: who
	// imported it, when, the file's name and the hex SHA-256 of its
	// bytes.
	By     string
	At     time.Time
	File   string
	SHA256 string
}

// Plan turns a file's rows into the decisions to append, in the order
// of the rows, without Seq or hashes (Seal sets them). A row is taken
// when its decision or note differs from what the workbook shows for
// the exception (Status.Shown): a workbook imported again as it was
// adds nothing. A row with a note and no decision records the note as
// open. Every problem of every row is returned together as Problems,
// and then no decision: unknown keys, keys of another merchant or
// another date, decisions not in the list, a key on another category's
// sheet, or one exception decided two ways.
func Plan(in Input, rows []Row) ([]recon.Decision, error) {
	byKey := make(map[string]*recon.Exception, len(in.Exceptions))
	for i := range in.Exceptions {
		k := recon.ExceptionKey(&in.Exceptions[i])
		if _, ok := byKey[k]; !ok {
			byKey[k] = &in.Exceptions[i]
		}
	}
	var problems Problems
	bad := func(r Row, format string, args ...any) {
		problems = append(problems, Problem{Where: r.Where(), Message: fmt.Sprintf(format, args...)})
	}
	// What each exception's rows ask for, by exception key: rows of one
	// exception (a break listed twice) must agree.
	type asked struct {
		row   Row
		state recon.DecisionState
		note  string
	}
	seen := map[string]asked{}
	var out []recon.Decision
	for _, r := range rows {
		key, note := strings.TrimSpace(r.Key), normalizeNote(r.Note)
		text := strings.TrimSpace(r.Decision)
		if key == "" {
			if text != "" || note != "" {
				bad(r, "a decision without an exception key: the row's key was cleared or the row added by hand; decide on the exception's own row")
			}
			continue
		}
		merchant, ek, err := recon.ParseDecisionKey(key)
		if err != nil {
			// The error quotes the key again: say only what it is.
			bad(r, "unknown exception key %.60q: %v (the row's key was edited, or is not from a workbook or export of recon)", key, recon.ErrBadDecisionKey)
			continue
		}
		if merchant != in.Merchant {
			bad(r, "the exception key is merchant %q's; these decisions are for merchant %q (--merchant)", merchant, in.Merchant)
			continue
		}
		x, ok := byKey[ek]
		if !ok {
			bad(r, "%s", notInRun(in, ek))
			continue
		}
		if r.Category != "" && x.Category != r.Category {
			bad(r, "the exception is a %s, not a %s: the row was moved to another category's sheet", x.Category, r.Category)
			continue
		}
		st := StatusOf(in.Latest, x)
		shown, shownNote := st.Shown()
		// A row left empty asks for nothing new; a note alone is an
		// open exception's note.
		a := asked{row: r, state: shown, note: shownNote}
		switch {
		case text != "":
			if a.state, ok = recon.ParseDecisionState(text); !ok {
				bad(r, "decision %q is not one of: %s", text, recon.DecisionStateList())
				continue
			}
			a.note = note
		case note != "":
			a.state, a.note = recon.DecisionOpen, note
		}
		if prev, dup := seen[ek]; dup {
			if prev.state != a.state || prev.note != a.note {
				bad(r, "the exception is decided otherwise than on %s, its other row", prev.row.Where())
			}
			continue
		}
		seen[ek] = a
		if a.state == "" || a.state == shown && a.note == shownNote {
			continue // as the workbook shows it
		}
		d := recon.Decision{Merchant: in.Merchant, ExceptionKey: ek, Category: x.Category,
			BusinessDate: in.Run.BusinessDate, RunID: in.Run.ID, Currency: x.Currency,
			ExpectedMinor: x.ExpectedMinor, ActualMinor: x.ActualMinor, DifferenceMinor: x.DifferenceMinor,
			Decision: a.state, Note: a.note, DecidedBy: in.By, DecidedAt: in.At, SourceFile: in.File, SourceSHA256: in.SHA256}
		if st.Latest != nil {
			d.Previous = st.Latest.Decision
		}
		out = append(out, d)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// notInRun says why a merchant's exception key is not one of the run's
// exceptions: open on another date, or never seen.
func notInRun(in Input, ek string) string {
	if in.LastSeen != nil {
		date, ok, err := in.LastSeen(ek)
		switch {
		case err != nil:
			return fmt.Sprintf("the exception is not open on %s (and its history could not be read: %v)", in.Run.BusinessDate, err)
		case ok && date != in.Run.BusinessDate:
			return fmt.Sprintf("the exception is of another date: it is not open on %s (run %d); it was last open on %s: decide on that date's workbook, or on the newest one if it is still open",
				in.Run.BusinessDate, in.Run.ID, date)
		case ok:
			return fmt.Sprintf("the exception is no longer open on %s: run %d, which replaced the run the file was made from, resolved it", in.Run.BusinessDate, in.Run.ID)
		}
	}
	return fmt.Sprintf("unknown exception key: no exception of merchant %q has it (run %d of %s, or any other)", in.Merchant, in.Run.ID, in.Run.BusinessDate)
}

// normalizeNote trims a note and writes its line breaks as \n (Excel
// and Calc may store \r\n).
func normalizeNote(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}
