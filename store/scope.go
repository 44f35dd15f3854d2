package store

import "time"

// What an incremental match reads (match/incremental.go): the rows that
// are new or changed since the previous match run's Mark, and every row
// their keys reach, and no other. A key is a value the rules join on, of
// one of two kinds: a transaction id (a transaction's id and original
// id, a webhook delivery's the same two) or a reference (an order's uid,
// a link's uid and order uid, a transaction's or a delivery's
// merchant_reference_id). A ledger line's reference is tried by the rules
// as either kind, and is looked for as both.

// Mark is how far a match run read: a later run finds the rows stored or
// changed after it with Snapshot.Since.
type Mark struct {
	// WebhookID and LedgerID are the highest webhook_events and
	// ledger_entries ids read (both tables only grow, by id); OrderID,
	// LinkID and TxnID the highest row ids of orders, payment links and
	// transactions (the backend's own: SQLite's rowid, PostgreSQL's
	// load_order), which an upsert that changes a row keeps.
	WebhookID, LedgerID    int64
	OrderID, LinkID, TxnID int64
	// ChangedAt is the latest changed_at of an order, payment link or
	// transaction read (an upsert moves it only when a row's content
	// changes). Zero when the three tables are empty.
	ChangedAt time.Time
}

// The tables a KeyedRow comes from.
const (
	KeyedOrder = iota + 1
	KeyedLink
	KeyedTxn
	KeyedHook
	KeyedLedger
)

// KeyedRow is one row found by Since or Reach: its table (Keyed*), its
// row id (as in Mark) and the keys it carries, in the order of the
// table's key columns (empty where it has fewer than three):
//
//	orders          uid
//	payment_links   uid, order_uid
//	transactions    oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id
//	webhook_events  oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id
//	ledger_entries  reference
type KeyedRow struct {
	Table int
	ID    int64
	Keys  [3]string
}

// Scope is the rows an incremental match reads, by row id (as in Mark).
// When Beyond is set, every row beyond it is in the scope too, listed or
// not: a backend reads those by range. BeyondRows counts those, by table
// (Keyed*), as Since found them: a reader sizes its slices by Len.
type Scope struct {
	Orders, Links, Txns, Hooks, Ledger []int64
	Beyond                             *Mark
	BeyondRows                         [KeyedLedger + 1]int
}

// Len is how many rows of a table (as Snapshot.Count names it) the
// scope holds; false for a table it does not restrict.
func (s *Scope) Len(table string) (int, bool) {
	switch table {
	case "orders":
		return len(s.Orders) + s.BeyondRows[KeyedOrder], true
	case "payment_links":
		return len(s.Links) + s.BeyondRows[KeyedLink], true
	case "transactions":
		return len(s.Txns) + s.BeyondRows[KeyedTxn], true
	case "webhook_events":
		return len(s.Hooks) + s.BeyondRows[KeyedHook], true
	case "ledger_entries":
		return len(s.Ledger) + s.BeyondRows[KeyedLedger], true
	}
	return 0, false
}

// Span is what Snapshot.Span finds: the least and the greatest key of a
// kind that the rows up to a mark hold within a range of keys, compared
// byte by byte (as Go compares strings). A key outside it is held by no
// such row. Empty: no row holds a key in the range; Unknown: the backend
// cannot tell in that order, and any key may be held.
type Span struct {
	Lo, Hi         string
	Empty, Unknown bool
}

// MatchMark is what a match run records beside its results, for the next
// run to start from (match/incremental.go).
type MatchMark struct {
	RunID int64
	Mark
	// AsOf is the business date the run matched as of (Options.AsOf;
	// zero: every settlement window closed).
	AsOf time.Time
	// Fingerprint names the rules and options the run matched with; a
	// run with another fingerprint matches whole.
	Fingerprint string
	// Incremental says the run matched only the rows the night reached
	// (its results are those rows' only; its exceptions are all open
	// ones, those of the other rows carried from BaseRunID).
	Incremental bool
	BaseRunID   int64
	// LedgerNet is, per currency, the sum of the ledger lines the run
	// read: what the report's control sets against the run's results.
	LedgerNet map[string]int64
	// Sources count the rows the run read, as ReportSourceTotals counts
	// every row.
	Sources []SourceTotal
}
