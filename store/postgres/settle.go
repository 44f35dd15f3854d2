package postgres

import (
	"context"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// The settlement step's reads and writes (migration 0011), shared SQL in
// sqlstore/settle.go.

// SettlementBatches writes a run's settlement batches inside the Load.
func (l *Load) SettlementBatches(runID int64, bs []recon.SettlementBatch) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return 0, err
	}
	n, err := sqlstore.InsertSettlementBatches(l.ctx, l.q(), l.merchant, runID, bs)
	return n, l.fail0(err)
}

// LedgerTexts hands over every ledger entry's description and stated
// fee, in id order.
func (s *Snapshot) LedgerTexts(ctx context.Context, fn func([]store.EntryTextRow) error) error {
	return sqlstore.LedgerTexts(ctx, sqlstore.On(s.tx), s.merchant, fn)
}
