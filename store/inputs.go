package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InputFile records one ingested file, so that the same content is not
// ingested twice under a new name.
type InputFile struct {
	ID         int64     `db:"id" json:"id"`
	Kind       string    `db:"kind" json:"kind"` // webhooks, ledger
	Path       string    `db:"path" json:"path"`
	SHA256     string    `db:"sha256" json:"sha256"` // hex of the file's bytes
	Rows       int       `db:"row_count" json:"rows"`
	Errors     int       `db:"error_count" json:"errors"`
	IngestedAt time.Time `db:"ingested_at" json:"ingested_at"`
	RunID      int64     `db:"run_id" json:"run_id"` // 0: no run
}

func inputFileArgs(f InputFile) []any {
	run := sql.NullInt64{Int64: f.RunID, Valid: f.RunID != 0}
	return []any{f.Kind, f.Path, f.SHA256, int64(f.Rows), int64(f.Errors), f.IngestedAt.UTC(), run}
}

// InputFileSeen reports whether a file of this kind with this content
// hash was already recorded.
func (db *DB) InputFileSeen(ctx context.Context, kind, sha256 string) (bool, error) {
	var n int
	err := db.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM input_files WHERE kind = ? AND sha256 = ?`, kind, sha256)
	if err != nil {
		return false, fmt.Errorf("look up %s input %s: %w", kind, sha256, err)
	}
	return n > 0, nil
}

// RecordInputFile records an ingested file on its own. Prefer
// Load.RecordInputFile, which records it in the same transaction as its
// rows. A file already recorded under the same kind and hash keeps its
// first record; a zero IngestedAt is stored as now.
func (db *DB) RecordInputFile(ctx context.Context, f InputFile) error {
	if f.IngestedAt.IsZero() {
		f.IngestedAt = time.Now()
	}
	_, err := db.x.ExecContext(ctx, insertInputFile, inputFileArgs(f)...)
	if err != nil {
		return fmt.Errorf("record %s input %s: %w", f.Kind, f.Path, err)
	}
	return nil
}

// InputFiles returns every recorded input file, oldest first.
func (db *DB) InputFiles(ctx context.Context) ([]InputFile, error) {
	var fs []InputFile
	err := db.x.SelectContext(ctx, &fs, `SELECT id, kind, path, sha256, row_count, error_count, ingested_at, COALESCE(run_id, 0) AS run_id
FROM input_files ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read input files: %w", err)
	}
	return fs, nil
}
