package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/store"
)

// DecisionCounts say how finance's decisions bear on a run's
// exceptions: Explained counts those accepted or written off on the
// money they have (they need no action; --fail-on-category passes them
// over), by category in ByCategory; Reopened those whose money changed
// since they were accepted or written off.
type DecisionCounts struct {
	Explained  int                    `json:"explained"`
	Reopened   int                    `json:"reopened"`
	ByCategory map[recon.Category]int `json:"by_category,omitempty"`
}

// countDecisions counts how the latest decisions bear on es.
func countDecisions(es []recon.Exception, latest map[string]recon.Decision) DecisionCounts {
	var c DecisionCounts
	for i := range es {
		switch st := decide.StatusOf(latest, &es[i]); {
		case st.Explained():
			c.Explained++
			if c.ByCategory == nil {
				c.ByCategory = map[recon.Category]int{}
			}
			c.ByCategory[es[i].Category]++
		case st.Reopened:
			c.Reopened++
		}
	}
	return c
}

// ImportOptions say which decisions file to import, for which date and
// as whom.
type ImportOptions struct {
	// Path is the workbook (.xlsx) as finance saved it, or a CSV with
	// the columns key, decision and note.
	Path string
	// Date is the business date a CSV's decisions are for; "" is the
	// latest date that was matched. A workbook names its own date: a
	// Date that is not it is refused.
	Date string
	// By is who decided; At when the decisions are recorded (zero:
	// now).
	By string
	At time.Time
}

// ImportResult is what an import did.
type ImportResult struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Date and RunID are the run the decisions were checked against:
	// the date's latest successful matching run.
	Date  string `json:"business_date"`
	RunID int64  `json:"run_id"`
	// Rows counts the file's rows that hold a key, a decision or a
	// note; Recorded the decisions appended (rows that change nothing
	// are not); Seq and Head are the history's last entry after it.
	Rows     int    `json:"rows"`
	Recorded int    `json:"recorded"`
	Seq      int64  `json:"seq"`
	Head     string `json:"head"`
}

// importStore is the database as an import uses it.
type importStore interface {
	Merchant() string
	GetRun(ctx context.Context, id int64) (recon.Run, error)
	MatchRunOf(ctx context.Context, date string) (recon.Run, bool, error)
	Exceptions(ctx context.Context, runID int64) ([]recon.Exception, error)
	LatestDecisions(ctx context.Context) (map[string]recon.Decision, error)
	ExceptionLastSeen(ctx context.Context, exceptionKey string) (string, bool, error)
	DecisionHead(ctx context.Context) (int64, string, error)
	AppendDecisions(ctx context.Context, ds []recon.Decision) error
}

// ErrBadDecisions matches every error that is the decisions file's
// fault (decide.Problems among them): fix the file, do not retry.
var ErrBadDecisions = errors.New("the decisions cannot be imported")

// badFile marks an error as the file's fault.
type badFile struct{ err error }

func (e badFile) Error() string        { return e.err.Error() }
func (e badFile) Unwrap() error        { return e.err }
func (e badFile) Is(target error) bool { return target == ErrBadDecisions }

func refuse(format string, args ...any) error { return badFile{fmt.Errorf(format, args...)} }

// ImportDecisions reads finance's decisions from a workbook or a CSV,
// checks them against the run of their date (decide.Plan) and appends
// those that change anything to the merchant's history, sealed, in one
// transaction: every problem of the file is reported together, and then
// nothing is stored. A workbook must be one of this database and
// merchant (its WorkbookID names a run recorded here); its decisions are
// checked against its date's latest run, so that a re-run of the date
// in between does not void them. The caller holds the run lock, so the
// history cannot move between its read and the append.
func ImportDecisions(ctx context.Context, db importStore, o ImportOptions, log *slog.Logger) (ImportResult, error) {
	res := ImportResult{File: o.Path}
	b, err := os.ReadFile(o.Path)
	if err != nil {
		return res, badFile{fmt.Errorf("read decisions: %w", err)}
	}
	sum := sha256.Sum256(b)
	res.SHA256 = hex.EncodeToString(sum[:])
	name := filepath.Base(o.Path)
	date := o.Date
	var rows []decide.Row
	switch ext := strings.ToLower(filepath.Ext(o.Path)); ext {
	case ".xlsx":
		id, rs, err := reports.ReadDecisions(bytes.NewReader(b), name)
		if err != nil {
			return res, fileError(o.Path, err)
		}
		if err := checkWorkbook(ctx, db, id, o); err != nil {
			return res, err
		}
		rows, date = rs, id.Date
	case ".csv":
		if rows, err = decide.ReadCSV(bytes.NewReader(b), o.Path); err != nil {
			return res, badFile{err}
		}
	default:
		return res, refuse("%s: want the workbook (.xlsx) or a CSV (.csv) of decisions, not %q", o.Path, ext)
	}
	res.Rows = len(rows)
	run, ok, err := db.MatchRunOf(ctx, date)
	if err != nil {
		return res, err
	}
	if !ok {
		what := "no date has been matched yet"
		if date != "" {
			what = "no run of " + date + " succeeded"
		}
		return res, refuse("%s: %s: there are no exceptions to decide on", o.Path, what)
	}
	res.Date, res.RunID = run.BusinessDate, run.ID
	es, err := db.Exceptions(ctx, run.ID)
	if err != nil {
		return res, err
	}
	latest, err := db.LatestDecisions(ctx)
	if err != nil {
		return res, err
	}
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	ds, err := decide.Plan(decide.Input{Merchant: db.Merchant(), Run: run, Exceptions: es, Latest: latest,
		LastSeen: func(k string) (string, bool, error) { return db.ExceptionLastSeen(ctx, k) },
		By:       o.By, At: at, File: name, SHA256: res.SHA256}, rows)
	if err != nil {
		return res, fileError(o.Path, err)
	}
	seq, head, err := db.DecisionHead(ctx)
	if err != nil {
		return res, err
	}
	for i := range ds {
		seq++
		ds[i].Seq = seq
		decide.Seal(&ds[i], head)
		head = ds[i].Hash
	}
	if err := db.AppendDecisions(ctx, ds); err != nil {
		return res, err
	}
	res.Recorded, res.Seq, res.Head = len(ds), seq, head
	log.Info("decisions imported", "file", o.Path, "sha256", res.SHA256, "business_date", run.BusinessDate, "checked_against_run", run.ID,
		"rows", res.Rows, "recorded", res.Recorded, "by", o.By, "head", head)
	return res, nil
}

// fileError names the file in front of a reading or checking error and
// marks it as the file's fault.
func fileError(path string, err error) error {
	var ps decide.Problems
	if errors.As(err, &ps) {
		return badFile{fmt.Errorf("%s: %w", path, err)}
	}
	return badFile{err}
}

// checkWorkbook refuses a workbook of another merchant, date or run
// than this database recorded.
func checkWorkbook(ctx context.Context, db importStore, id reports.WorkbookID, o ImportOptions) error {
	if id.Merchant != db.Merchant() {
		return refuse("%s is merchant %q's workbook; these decisions would go to merchant %q: run with --merchant %s", o.Path, id.Merchant, db.Merchant(), id.Merchant)
	}
	if o.Date != "" && o.Date != id.Date {
		return refuse("%s is the workbook of %s, not of --date %s", o.Path, id.Date, o.Date)
	}
	run, err := db.GetRun(ctx, id.RunID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || !id.SameRun(run) {
		return refuse("%s is a workbook of another run: it shows %s, which this database did not record (a workbook of another database, or the run's record was changed); import the workbook recon wrote from this database",
			o.Path, id.Describe())
	}
	return nil
}
