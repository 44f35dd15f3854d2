package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SetFetchCursor records, inside the Load, that list has been read up to
// newest (the latest created_at among its items). A cursor only moves
// forward: an older newest leaves it as it is.
func (l *Load) SetFetchCursor(list string, newest time.Time) error {
	if err := l.check(); err != nil {
		return err
	}
	_, err := l.tx.ExecContext(l.ctx, `INSERT INTO fetch_cursors (list, newest, updated_at) VALUES (?, ?, ?)
ON CONFLICT (list) DO UPDATE SET newest = excluded.newest, updated_at = excluded.updated_at
WHERE excluded.newest > fetch_cursors.newest`, list, sqliteTimeText(newest), l.nowText)
	if err != nil {
		return l.fail(fmt.Errorf("set fetch cursor of %s: %w", list, err))
	}
	return nil
}

// FetchCursor returns where list was last read up to, and false when it
// has never been read.
func (db *DB) FetchCursor(ctx context.Context, list string) (time.Time, bool, error) {
	var t time.Time
	err := db.x.GetContext(ctx, &t, `SELECT newest FROM fetch_cursors WHERE list = ?`, list)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read fetch cursor of %s: %w", list, err)
	}
	return t.UTC(), true, nil
}
