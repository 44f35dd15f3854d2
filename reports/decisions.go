package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Finance's decisions in the workbook. Every category sheet (and Input
// errors) has, where its Status and Notes columns were, a Decision
// column (a drop-down of recon.DecisionStates, from data validation) and
// a Note column, both unlocked and shaded as cells to type in; then, the
// first of the columns for the screen, Decided (who decided what, when,
// or that the decision reopened), and last a hidden Exception key
// (recon.DecisionKey), by which `recon decisions import` knows each row's
// exception whatever finance did to the order of rows or columns. The
// workbook names its merchant, date and run in the defined name
// WorkbookIDName, so that a workbook of another run or database is told
// apart on import. The sheets are not protected: protection would cost
// finance sorting (Excel sorts no range of a protected sheet that holds
// locked cells) and pasting, while an import reads only the key, the
// decision and the note, takes every amount from the database, and
// names the sheet and row of a key that was edited.

// Headers of the decision columns, as ReadDecisions looks for them.
const (
	HeaderDecision = "Decision"
	HeaderNote     = "Note"
	HeaderDecided  = "Decided"
	HeaderKey      = "Exception key"
)

// The decision columns' widths (the Note's wraps).
const (
	decisionWidth = 14
	noteWidth     = 30
	decidedWidth  = 44
)

// WorkbookIDName is the workbook's defined name that holds its
// WorkbookID.
const WorkbookIDName = "ReconkitWorkbook"

// WorkbookID says which run a workbook shows: the merchant, the
// business date, the run and when it started (which tells two databases'
// run 3 apart).
type WorkbookID struct {
	Merchant string
	Date     string
	RunID    int64
	Started  time.Time
}

const workbookIDPrefix = "reconkit workbook v1"

// String is the WorkbookID as the defined name holds it (without its
// quotes).
func (id WorkbookID) String() string {
	return fmt.Sprintf("%s merchant=%s date=%s run=%d started=%s", workbookIDPrefix, id.Merchant, id.Date, id.RunID,
		id.Started.UTC().Format(time.RFC3339Nano))
}

// Describe says which run it is, for an error.
func (id WorkbookID) Describe() string {
	return fmt.Sprintf("run %d of %s, merchant %q, started %s", id.RunID, id.Date, id.Merchant, id.Started.UTC().Format(time.RFC3339Nano))
}

// SameRun reports whether the workbook shows run r.
func (id WorkbookID) SameRun(r recon.Run) bool {
	return id.RunID == r.ID && id.Date == r.BusinessDate && id.Started.Equal(r.StartedAt)
}

// parseWorkbookID reads a defined name's value.
func parseWorkbookID(s string) (WorkbookID, bool) {
	s = strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "="), `"`)
	rest, ok := strings.CutPrefix(s, workbookIDPrefix+" ")
	if !ok {
		return WorkbookID{}, false
	}
	var id WorkbookID
	var err error
	for f := range strings.FieldsSeq(rest) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "merchant":
			id.Merchant = v
		case "date":
			id.Date = v
		case "run":
			id.RunID, err = strconv.ParseInt(v, 10, 64)
		case "started":
			id.Started, err = time.Parse(time.RFC3339Nano, v)
		}
		if err != nil {
			return WorkbookID{}, false
		}
	}
	return id, id.Merchant != "" && id.Date != "" && id.RunID > 0 && !id.Started.IsZero()
}

// setWorkbookID names the workbook's run in its defined name.
func (b *builder) setWorkbookID(run recon.Run) error {
	id := WorkbookID{Merchant: b.merchant, Date: run.BusinessDate, RunID: run.ID, Started: run.StartedAt}
	if err := b.f.SetDefinedName(&excelize.DefinedName{Name: WorkbookIDName, RefersTo: `"` + id.String() + `"`,
		Comment: "the run this workbook shows: recon decisions import checks it"}); err != nil {
		return fmt.Errorf("name the workbook's run: %w", err)
	}
	return nil
}

// decisionStyles are the styles of the decision columns.
type decisionStyles struct {
	input, note, decided, reopened int
}

func newDecisionStyles(s *styles) (decisionStyles, error) {
	var d decisionStyles
	unlocked := &excelize.Protection{Locked: false}
	for _, x := range []struct {
		id *int
		st excelize.Style
	}{
		{&d.input, excelize.Style{Fill: fill("FFF2CC"), Protection: unlocked, Alignment: topAligned}},
		{&d.note, excelize.Style{Fill: fill("FFF2CC"), Protection: unlocked, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&d.decided, excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&d.reopened, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
	} {
		id, err := s.newStyle(&x.st)
		if err != nil {
			return d, fmt.Errorf("new style: %w", err)
		}
		*x.id = id
	}
	return d, nil
}

// status is an exception's status by the latest decisions.
func (r *report) status(x *recon.Exception) decide.Status { return decide.StatusOf(r.decisions, x) }

// explained reports whether an exception is accepted or written off on
// the money it has: it needs no action, and the control counts it as
// explained by decision.
func (r *report) explained(x *recon.Exception) bool { return r.status(x).Explained() }

// decisionCells writes a row's Decision, Note and Decided cells: the
// latest decision and its note (none when it reopened), and who made it
// when, or why it reopened.
func (b *builder) decisionCells(e *rowEncoder, x *store.ReportException) {
	st := b.rep.status(&x.Exception)
	shown, note := st.Shown()
	e.text(string(shown), b.dst.input)
	e.text(note, b.dst.note)
	switch text := b.decidedText(st, &x.Exception); {
	case st.Reopened:
		e.text(text, b.dst.reopened)
	default:
		e.text(text, b.dst.decided)
	}
}

// decidedText says who decided what and when, or why the decision no
// longer holds; "" for an exception without one.
func (b *builder) decidedText(st decide.Status, x *recon.Exception) string {
	d := st.Latest
	if d == nil {
		return ""
	}
	when := d.DecidedAt.In(b.zone).Format("2006-01-02 15:04")
	if st.Reopened {
		return fmt.Sprintf("REOPENED: %s by %s on %s when the difference was %s; it is now %s. Decide again.",
			d.Decision, d.DecidedBy, when, decidedAmount(d.DifferenceMinor, d.Currency), decidedAmount(x.DifferenceMinor, x.Currency))
	}
	text := fmt.Sprintf("%s by %s on %s", d.Decision, d.DecidedBy, when)
	if d.Previous != "" {
		text += " (was " + string(d.Previous) + ")"
	}
	return text
}

// decidedAmount writes an amount for the Decided text, with its
// currency.
func decidedAmount(minor int64, currency string) string {
	return strings.TrimSpace(currency + " " + amountText(minor, currency))
}

// decisionHeight is how tall the Note and Decided cells want a row.
func (b *builder) decisionHeight(x *store.ReportException) int {
	st := b.rep.status(&x.Exception)
	_, note := st.Shown()
	return max(wrappedLines(note, noteWidth), wrappedLines(b.decidedText(st, &x.Exception), decidedWidth))
}

// keyCell writes the row's Exception key.
func (b *builder) keyCell(e *rowEncoder, x *store.ReportException) {
	e.text(recon.DecisionKey(b.merchant, &x.Exception), 0)
}

// decisionValidation returns a part's data validation: the Decision
// column's cells take one of the states, from a drop-down.
func (s *sheetSink) decisionValidation(p *part) string {
	col := s.spec.decisionCol
	if col < 0 || p.rows == 0 {
		return ""
	}
	c := colName(col + 1)
	ref := c + strconv.Itoa(p.headerRow()+1) + ":" + c + strconv.Itoa(p.lastRow())
	states := make([]string, len(recon.DecisionStates))
	for i, d := range recon.DecisionStates {
		states[i] = string(d)
	}
	return `<dataValidations count="1"><dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1"` +
		` errorTitle="Decision" error="Choose a decision from the list: ` + recon.DecisionStateList() + `."` +
		` promptTitle="Decision" prompt="Pick what you decided; write why in Note. Then: recon decisions import this file."` +
		` sqref="` + ref + `"><formula1>"` + strings.Join(states, ",") + `"</formula1></dataValidation></dataValidations>`
}
