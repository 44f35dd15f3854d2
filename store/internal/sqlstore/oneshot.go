package sqlstore

import (
	"context"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// OneShots are store.Backend's one-shot loads, each a Load of its own
// begun by Begin and committed at once. A backend embeds them with
// Begin set to its BeginLoad.
type OneShots struct {
	Begin func(ctx context.Context) (store.Load, error)
}

// UpsertOrders loads orders in one transaction; see store.Load.
func (o OneShots) UpsertOrders(ctx context.Context, rows []recon.Order) (store.UpsertStats, error) {
	return oneShot(ctx, o, func(l store.Load) (store.UpsertStats, error) { return l.Orders(rows) })
}

// UpsertPaymentLinks loads payment links in one transaction.
func (o OneShots) UpsertPaymentLinks(ctx context.Context, rows []recon.PaymentLink) (store.UpsertStats, error) {
	return oneShot(ctx, o, func(l store.Load) (store.UpsertStats, error) { return l.PaymentLinks(rows) })
}

// UpsertTransactions loads transactions in one transaction.
func (o OneShots) UpsertTransactions(ctx context.Context, rows []recon.Transaction) (store.UpsertStats, error) {
	return oneShot(ctx, o, func(l store.Load) (store.UpsertStats, error) { return l.Transactions(rows) })
}

// InsertWebhookEvents loads webhook events in one transaction.
func (o OneShots) InsertWebhookEvents(ctx context.Context, rows []recon.WebhookEvent) (int, error) {
	return oneShot(ctx, o, func(l store.Load) (int, error) { return l.WebhookEvents(rows) })
}

// InsertLedgerEntries loads ledger entries in one transaction.
func (o OneShots) InsertLedgerEntries(ctx context.Context, rows []recon.LedgerEntry) (int, error) {
	return oneShot(ctx, o, func(l store.Load) (int, error) { return l.LedgerEntries(rows) })
}

// InsertInputErrors loads input errors in one transaction, tied to no
// run.
func (o OneShots) InsertInputErrors(ctx context.Context, rows []recon.InputError) (int, error) {
	return oneShot(ctx, o, func(l store.Load) (int, error) { return l.InputErrors(rows) })
}

func oneShot[T any](ctx context.Context, o OneShots, f func(store.Load) (T, error)) (T, error) {
	var zero T
	l, err := o.Begin(ctx)
	if err != nil {
		return zero, err
	}
	defer l.Rollback()
	v, err := f(l)
	if err != nil {
		return zero, err
	}
	if err := l.Commit(); err != nil {
		return zero, err
	}
	return v, nil
}
