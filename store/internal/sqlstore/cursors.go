package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SetFetchCursor records, in the transaction q, that list has been read
// up to newest (the latest created_at among its items), at now. A cursor
// only moves forward: an older newest leaves it as it is.
func SetFetchCursor(ctx context.Context, q Q, merchant, list string, newest, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO fetch_cursors (merchant, list, newest, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (merchant, list) DO UPDATE SET newest = excluded.newest, updated_at = excluded.updated_at
WHERE excluded.newest > fetch_cursors.newest`, merchant, list, newest.UTC(), now.UTC())
	if err != nil {
		return fmt.Errorf("set fetch cursor of %s: %w", list, err)
	}
	return nil
}

// FetchCursor returns where list was last read up to, and false when it
// has never been read.
func (db *DB) FetchCursor(ctx context.Context, list string) (time.Time, bool, error) {
	var t time.Time
	err := db.Q().GetContext(ctx, &t, `SELECT newest FROM fetch_cursors WHERE merchant = ? AND list = ?`, db.merchant, list)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read fetch cursor of %s: %w", list, err)
	}
	return t.UTC(), true, nil
}
