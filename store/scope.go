package store

import "time"

// What an incremental match reads (match/incremental.go): the rows that
// are new or changed since the previous match run's Mark, and every row
// their keys reach, and no other. A key is any value the rules join on,
// all in one namespace: an order's uid; a link's uid and order uid; a
// transaction's id, original id and merchant_reference_id; a webhook
// delivery's the same three; a ledger line's reference.

// Mark is how far a match run read: a later run finds the rows stored or
// changed after it with Snapshot.Since.
type Mark struct {
	// WebhookID and LedgerID are the highest webhook_events and
	// ledger_entries ids read (both tables only grow, by id).
	WebhookID, LedgerID int64
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
// own key (UID for orders, links and transactions: uid, uid and
// oxpay_txn_id; ID for webhook deliveries and ledger lines) and the
// keys it carries (empty where it has fewer than three).
type KeyedRow struct {
	Table int
	UID   string
	ID    int64
	Keys  [3]string
}

// Scope is the rows an incremental match reads, by each table's own key.
type Scope struct {
	Orders, Links, Txns []string
	Hooks, Ledger       []int64
}

// Len is how many rows of a table (as Snapshot.Count names it) the
// scope holds; false for a table it does not restrict.
func (s *Scope) Len(table string) (int, bool) {
	switch table {
	case "orders":
		return len(s.Orders), true
	case "payment_links":
		return len(s.Links), true
	case "transactions":
		return len(s.Txns), true
	case "webhook_events":
		return len(s.Hooks), true
	case "ledger_entries":
		return len(s.Ledger), true
	}
	return 0, false
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
}
