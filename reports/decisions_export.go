package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/reconkit/reconkit/recon"
)

// DecisionColumns is the header of the decision history export: every
// field of an entry, in the order written, key first as a decisions CSV
// names it (recon.DecisionKey). Add columns at the end only.
var DecisionColumns = []string{
	"key", "decision", "note", "seq", "merchant", "category", "business_date", "run_id", "currency",
	"expected_minor", "actual_minor", "difference_minor", "previous", "decided_by", "decided_at",
	"source_file", "source_sha256", "prev_hash", "hash",
}

// WriteDecisionsCSV writes a decision history as CSV with
// DecisionColumns, one entry a line in the order given (the store's:
// the order written). Text a spreadsheet would run as a formula is
// defused as in the exception exports (CSVSafe), so the export is for
// reading and auditing, not for recomputing hashes (verify those with
// recon decisions verify) nor for importing again (it holds every
// decision an exception had, of every date). decided_at is UTC, to the
// microsecond.
func WriteDecisionsCSV(w io.Writer, ds []recon.Decision) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(DecisionColumns); err != nil {
		return fmt.Errorf("write decisions csv: %w", err)
	}
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	for i := range ds {
		d := &ds[i]
		rec := []string{recon.DecisionKeyOf(d.Merchant, d.ExceptionKey), CSVSafe(string(d.Decision)), CSVSafe(d.Note), num(d.Seq),
			CSVSafe(d.Merchant), CSVSafe(string(d.Category)), CSVSafe(d.BusinessDate), num(d.RunID), CSVSafe(d.Currency),
			num(d.ExpectedMinor), num(d.ActualMinor), num(d.DifferenceMinor), CSVSafe(string(d.Previous)), CSVSafe(d.DecidedBy),
			d.DecidedAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), CSVSafe(d.SourceFile), d.SourceSHA256, d.PrevHash, d.Hash}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write decisions csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write decisions csv: %w", err)
	}
	return nil
}
