package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/wire"
)

// XepengResult counts what a Xepeng pull loaded.
type XepengResult struct {
	Orders       store.UpsertStats `json:"orders"`
	PaymentLinks store.UpsertStats `json:"payment_links"`
	// Since is where an incremental pull started reading each list (zero
	// for a full walk); Pages how many pages it read.
	// AmountProblems counts the orders and links stored without an
	// amount because none could be read (each is an INPUT_ERROR).
	AmountProblems int           `json:"amount_problems,omitempty"`
	OrdersSince    time.Time     `json:"orders_since,omitzero"`
	LinksSince     time.Time     `json:"links_since,omitzero"`
	Pages          int           `json:"pages"`
	Duration       time.Duration `json:"duration_ns"`
}

// PullOptions say how much of each Xepeng list a pull reads.
type PullOptions struct {
	PageSize int
	// Lookback is how far before the newest item of the last committed
	// pull an incremental pull starts reading, so that late updates to
	// recent orders and links are seen. Full reads every page instead,
	// as does the first pull into an empty database.
	Lookback time.Duration
	Full     bool
}

// Fetch cursor names (store.FetchCursor).
const (
	cursorOrders = "orders"
	cursorLinks  = "payment_links"
)

// pullStore is the database as a pull of Xepeng uses it.
type pullStore interface {
	FetchCursor(ctx context.Context, list string) (time.Time, bool, error)
	BeginLoad(ctx context.Context) (store.Load, error)
}

// pullBatch is how many rows a pull hands the store at once. Pages come
// 100 items at a time, and a batch of the store's has its own costs (on
// PostgreSQL a few round trips, which for 100 rows weigh as much as the
// rows): rows wait, in page order, until this many have come.
const pullBatch = 5000

// PullXepeng walks the pages of orders and payment links (every page, or
// from the last pull's cursor minus the look-back) and upserts them, with
// the new cursors, in one transaction. Amounts are converted with units;
// the raw JSON of each row is kept as the API sent it.
func PullXepeng(ctx context.Context, db pullStore, x *fetch.Xepeng, opts PullOptions, units recon.Units, log *slog.Logger) (XepengResult, error) {
	start := time.Now()
	var res XepengResult
	since := func(list string) (time.Time, error) {
		if opts.Full {
			return time.Time{}, nil
		}
		c, ok, err := db.FetchCursor(ctx, list)
		if err != nil || !ok {
			return time.Time{}, err
		}
		return c.Add(-opts.Lookback), nil
	}
	var err error
	if res.OrdersSince, err = since(cursorOrders); err != nil {
		return res, err
	}
	if res.LinksSince, err = since(cursorLinks); err != nil {
		return res, err
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return res, err
	}
	defer load.Rollback()

	var problems []string // the first few, for the log
	problem := func(text string) {
		res.AmountProblems++
		if len(problems) < 3 {
			problems = append(problems, text)
		}
	}
	var newest time.Time
	orders := make([]recon.Order, 0, pullBatch)
	flushOrders := func() error {
		st, err := load.Orders(orders)
		res.Orders.Add(st)
		orders = orders[:0]
		return err
	}
	pages, err := x.OrdersSinceRaw(ctx, opts.PageSize, res.OrdersSince, func(items []fetch.Item[wire.Order]) error {
		for _, it := range items {
			o, err := recon.OrderFromWire(it.Value, it.Raw, units)
			if err != nil {
				return err
			}
			if !o.AmountKnown() {
				problem(o.AmountProblem)
			}
			orders = append(orders, o)
			if it.Value.CreatedAt.After(newest) {
				newest = it.Value.CreatedAt
			}
		}
		if len(orders) >= pullBatch {
			return flushOrders()
		}
		return nil
	})
	if err == nil {
		err = flushOrders()
	}
	if err != nil {
		return res, fmt.Errorf("pull xepeng orders: %w", err)
	}
	res.Pages += pages
	if !newest.IsZero() {
		if err := load.SetFetchCursor(cursorOrders, newest); err != nil {
			return res, err
		}
	}
	newest = time.Time{}
	links := make([]recon.PaymentLink, 0, pullBatch)
	flushLinks := func() error {
		st, err := load.PaymentLinks(links)
		res.PaymentLinks.Add(st)
		links = links[:0]
		return err
	}
	pages, err = x.PaymentLinksSinceRaw(ctx, opts.PageSize, res.LinksSince, func(items []fetch.Item[wire.PaymentLink]) error {
		for _, it := range items {
			l, err := recon.PaymentLinkFromWire(it.Value, it.Raw, units)
			if err != nil {
				return err
			}
			if !l.AmountKnown() {
				problem(l.AmountProblem)
			}
			links = append(links, l)
			if it.Value.CreatedAt.After(newest) {
				newest = it.Value.CreatedAt
			}
		}
		if len(links) >= pullBatch {
			return flushLinks()
		}
		return nil
	})
	if err == nil {
		err = flushLinks()
	}
	if err != nil {
		return res, fmt.Errorf("pull xepeng payment links: %w", err)
	}
	res.Pages += pages
	if !newest.IsZero() {
		if err := load.SetFetchCursor(cursorLinks, newest); err != nil {
			return res, err
		}
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store xepeng pull: %w", err)
	}
	res.Duration = time.Since(start)
	if res.AmountProblems > 0 {
		log.Warn("orders or payment links without a readable amount: stored, reported as INPUT_ERROR, left out of amount checks",
			"count", res.AmountProblems, "first", problems)
	}
	log.Info("phase done", "phase", "fetch xepeng", "incremental", !res.OrdersSince.IsZero() || !res.LinksSince.IsZero(),
		"pages", res.Pages,
		"orders", res.Orders.Total(), "orders_new", res.Orders.Inserted, "orders_updated", res.Orders.Updated,
		"payment_links", res.PaymentLinks.Total(), "links_new", res.PaymentLinks.Inserted, "links_updated", res.PaymentLinks.Updated,
		"seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return res, nil
}

// Confirm modes: which OxPay transactions to ask the API for.
const (
	ConfirmAll         = "all"         // every transaction id known from any source
	ConfirmUnconfirmed = "unconfirmed" // ids with no API record yet
	ConfirmNone        = "none"        // trust validly signed final webhooks alone
)

// OxPayResult counts what a confirmation pass did.
type OxPayResult struct {
	Asked        int               `json:"asked"`
	Transactions store.UpsertStats `json:"transactions"`
	NotFound     int               `json:"not_found"`
	Duration     time.Duration     `json:"duration_ns"`
}

// confirmStore is the database as the OxPay confirmations use it.
type confirmStore interface {
	KnownTransactionIDs(ctx context.Context) ([]string, error)
	TransactionIDsWithoutAPIRecord(ctx context.Context) ([]string, error)
	Upkeep()
	BeginLoad(ctx context.Context) (store.Load, error)
}

// ConfirmOxPay asks OxPay for transactions by id, as mode says, and
// upserts what it answers. An id the gateway does not know is counted and
// logged, and the pass goes on: the match reports what it means (a ledger
// reference to nothing is LEDGER_UNMATCHED, a signed webhook for an
// unknown sale WEBHOOK_UNKNOWN_TRANSACTION). An unreachable gateway fails
// the pass and nothing is stored.
func ConfirmOxPay(ctx context.Context, db confirmStore, o *fetch.OxPay, mode string, units recon.Units, now func() time.Time, log *slog.Logger) (OxPayResult, error) {
	start := time.Now()
	var res OxPayResult
	var ids []string
	var err error
	switch mode {
	case ConfirmNone:
		return res, nil
	case ConfirmAll:
		ids, err = db.KnownTransactionIDs(ctx)
	case ConfirmUnconfirmed:
		ids, err = db.TransactionIDsWithoutAPIRecord(ctx)
	default:
		return res, fmt.Errorf("oxpay confirm mode %q: want all, unconfirmed or none", mode)
	}
	if err != nil {
		return res, fmt.Errorf("list transaction ids to confirm: %w", err)
	}
	res.Asked = len(ids)
	// The gateway's answers come at the network's pace, and the CPU waits
	// with them: the time to copy what earlier phases wrote to the
	// database's log into its file.
	db.Upkeep()
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return res, err
	}
	defer load.Rollback()

	const batchSize = 1000
	batch := make([]recon.Transaction, 0, batchSize)
	var (
		missing  []recon.InputError
		notFound []string
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		st, err := load.Transactions(batch)
		res.Transactions.Add(st)
		batch = batch[:0]
		return err
	}
	err = o.GetTransactions(ctx, ids, func(id string, tx wire.Transaction, raw json.RawMessage, err error) error {
		if err != nil {
			// An id the gateway does not know is a finding for the match
			// (a webhook or ledger line naming an unknown transaction), not
			// a failure of the pass.
			if errors.Is(err, fetch.ErrNotFound) || errors.Is(err, fetch.ErrRejected) {
				res.NotFound++
				if len(notFound) < 5 {
					notFound = append(notFound, id)
				}
				return nil
			}
			return err
		}
		row, err := recon.TransactionFromWire(tx, raw, now(), units)
		if err != nil {
			missing = append(missing, recon.InputError{
				Source: recon.SourceOxPay, File: "GET /payment/{oxpay_txn_id}", Text: id,
				Reason: err.Error(), RecordedAt: now().UTC(),
			})
			return nil
		}
		batch = append(batch, row)
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && len(missing) > 0 {
		_, err = load.InputErrors(missing)
	}
	if err != nil {
		return res, fmt.Errorf("confirm oxpay transactions: %w", err)
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store oxpay transactions: %w", err)
	}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "fetch oxpay", "mode", mode, "asked", res.Asked,
		"transactions_new", res.Transactions.Inserted, "transactions_updated", res.Transactions.Updated,
		"not_found", res.NotFound, "not_found_sample", notFound, "seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return res, nil
}
