package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/reconkit/reconkit/store"
)

// RecordInputFile records f in the transaction q (see
// DB.RecordInputFile).
// A file already recorded is looked for first, rather than left to ON
// CONFLICT alone, which on PostgreSQL would draw an id for nothing: the
// files keep the ids SQLite gives them.
func RecordInputFile(ctx context.Context, q Q, merchant string, f store.InputFile) error {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM input_files WHERE merchant = ? AND kind = ? AND sha256 = ?`, merchant, f.Kind, f.SHA256)
	if err == nil && n == 0 {
		_, err = q.ExecContext(ctx, insertInputFile[q.dialect()], inputFileArgs(merchant, f)...)
	}
	if err != nil {
		return fmt.Errorf("record %s input %s: %w", f.Kind, f.Path, err)
	}
	return nil
}

func inputFileArgs(merchant string, f store.InputFile) []any {
	run := sql.NullInt64{Int64: f.RunID, Valid: f.RunID != 0}
	return []any{merchant, f.Kind, f.Path, f.SHA256, int64(f.Rows), int64(f.Errors), f.IngestedAt.UTC(), run}
}

// InputFileSeen reports whether a file of this kind with this content
// hash was already recorded.
func (db *DB) InputFileSeen(ctx context.Context, kind, sha256 string) (bool, error) {
	var n int
	err := db.Q().GetContext(ctx, &n, `SELECT COUNT(*) FROM input_files WHERE merchant = ? AND kind = ? AND sha256 = ?`, db.merchant, kind, sha256)
	if err != nil {
		return false, fmt.Errorf("look up %s input %s: %w", kind, sha256, err)
	}
	return n > 0, nil
}

// RecordInputFile records an ingested file on its own. Prefer
// a Load's RecordInputFile, which records it in the same transaction as its
// rows. A file already recorded under the same kind and hash keeps its
// first record; a zero IngestedAt is stored as now.
func (db *DB) RecordInputFile(ctx context.Context, f store.InputFile) error {
	if f.IngestedAt.IsZero() {
		f.IngestedAt = time.Now()
	}
	return RecordInputFile(ctx, db.Q(), db.merchant, f)
}

// InputFiles returns every recorded input file, oldest first.
func (db *DB) InputFiles(ctx context.Context) ([]store.InputFile, error) {
	var fs []store.InputFile
	err := db.Q().SelectContext(ctx, &fs, `SELECT id, kind, path, sha256, row_count, error_count, ingested_at, COALESCE(run_id, 0) AS run_id
FROM input_files WHERE merchant = ? ORDER BY id`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read input files: %w", err)
	}
	return fs, nil
}

// insertInputFile records an input file; a file recorded under the same
// kind and hash keeps its first record. PostgreSQL numbers them on from
// the merchant's largest id, as SQLite does from its rowid (see
// startRunSQL).
var insertInputFile = map[Dialect]string{
	SQLite: `INSERT INTO input_files (merchant, kind, path, sha256, row_count, error_count, ingested_at, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (merchant, kind, sha256) DO NOTHING`,
	Postgres: `INSERT INTO input_files (id, merchant, kind, path, sha256, row_count, error_count, ingested_at, run_id)
SELECT COALESCE(MAX(id), 0) + 1, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS INTEGER),
    CAST($6 AS INTEGER), CAST($7 AS TIMESTAMPTZ), CAST($8 AS BIGINT)
FROM input_files WHERE merchant = $1
ON CONFLICT (merchant, kind, sha256) DO NOTHING`,
}
