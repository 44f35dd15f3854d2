package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// DefaultMerchant is the merchant of a config that names none, and of
// every row stored before rows had one.
const DefaultMerchant = "default"

var merchantRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// CheckMerchant says what is wrong with a merchant id, or nil: a short
// id of lower-case letters, digits, '-' and '_', at most 32 characters,
// starting with a letter or digit.
func CheckMerchant(m string) error {
	if !merchantRE.MatchString(m) {
		return fmt.Errorf("merchant %q: want a short id of a-z, 0-9, '-' and '_' (at most 32, starting with a letter or digit)", m)
	}
	return nil
}

// Tables are the tables Backend.Count accepts, named as in the schema.
var Tables = []string{"orders", "payment_links", "transactions", "webhook_events", "ledger_entries",
	"input_files", "input_errors", "runs", "schema_migrations"}

// Backend is an open reconciliation database, for one merchant. Every
// backend package asserts its DB against it (var _ store.Backend =
// (*DB)(nil)) and passes the conformance suite in store/storetest.
// Callers depend on the few methods they use, through interfaces of
// their own.
type Backend interface {
	// Merchant is the merchant every row and query of the handle is for.
	Merchant() string
	// Close closes the database. Pending reads and loads must be
	// finished first.
	Close() error
	// SchemaVersion is the highest migration applied to the database.
	SchemaVersion(ctx context.Context) (int, error)
	// Upkeep says the process is about to wait on something other than
	// the CPU (the network), so that the backend may do its upkeep
	// meanwhile, in the background. It returns at once.
	Upkeep()

	// BeginLoad starts a write transaction; see Load.
	BeginLoad(ctx context.Context) (Load, error)
	UpsertOrders(ctx context.Context, rows []recon.Order) (UpsertStats, error)
	UpsertPaymentLinks(ctx context.Context, rows []recon.PaymentLink) (UpsertStats, error)
	UpsertTransactions(ctx context.Context, rows []recon.Transaction) (UpsertStats, error)
	InsertWebhookEvents(ctx context.Context, rows []recon.WebhookEvent) (int, error)
	InsertLedgerEntries(ctx context.Context, rows []recon.LedgerEntry) (int, error)
	InsertInputErrors(ctx context.Context, rows []recon.InputError) (int, error)
	DeleteRunResults(ctx context.Context, runID int64) error

	// Input files and fetch cursors.
	InputFileSeen(ctx context.Context, kind, sha256 string) (bool, error)
	RecordInputFile(ctx context.Context, f InputFile) error
	InputFiles(ctx context.Context) ([]InputFile, error)
	FetchCursor(ctx context.Context, list string) (time.Time, bool, error)

	// Whole tables, in a stable order: for tests and small tables.
	Orders(ctx context.Context) ([]recon.Order, error)
	PaymentLinks(ctx context.Context) ([]recon.PaymentLink, error)
	Transactions(ctx context.Context) ([]recon.Transaction, error)
	WebhookEvents(ctx context.Context) ([]recon.WebhookEvent, error)
	LedgerEntries(ctx context.Context) ([]recon.LedgerEntry, error)
	InputErrors(ctx context.Context) ([]recon.InputError, error)
	Count(ctx context.Context, table string) (int64, error)
	TransactionIDsWithoutAPIRecord(ctx context.Context) ([]string, error)
	KnownTransactionIDs(ctx context.Context) ([]string, error)

	// Runs.
	StartRun(ctx context.Context, r recon.Run) (int64, error)
	FinishRun(ctx context.Context, id int64, status, errText, counts, inputs string) error
	LastRun(ctx context.Context, command, status string) (recon.Run, bool, error)
	GetRun(ctx context.Context, id int64) (recon.Run, error)
	Runs(ctx context.Context, limit int) ([]recon.Run, error)
	MarkInterrupted(ctx context.Context, current int64) (int64, error)
	FailRun(ctx context.Context, id int64, errText string) (bool, error)

	// Results, exceptions and their history.
	Exceptions(ctx context.Context, runID int64) ([]recon.Exception, error)
	// RunExceptions reads them with their facts (RunExceptions.Facts).
	RunExceptions(ctx context.Context, runID int64) (RunExceptions, error)
	MatchResults(ctx context.Context, runID int64, fn func([]recon.MatchResult) error) error
	PreviousMatchRun(ctx context.Context, date string) (recon.Run, bool, error)
	// CarryForward takes the previous matching run's exceptions from
	// prev when they are that run's (nil or another run: it reads them).
	CarryForward(ctx context.Context, runID int64, date string, es []recon.Exception, prev *RunExceptions) (Carry, map[string]string, error)
	ExceptionFirstSeen(ctx context.Context, runID int64) (map[string]string, error)
	ResolvedSince(ctx context.Context, runID int64) ([]ResolvedException, error)
	ReplaceDateResults(ctx context.Context, date string, keep int64) (int, error)
	CommitRun(ctx context.Context, runID int64, date string, record func(replaced int) (counts, inputs string), install func() error) (int, error)
	CountByRun(ctx context.Context, table string) (map[int64]int, error)

	// Finance's decisions on exceptions: an append-only history per
	// merchant (store/decisions.go).
	AppendDecisions(ctx context.Context, ds []recon.Decision) error
	Decisions(ctx context.Context) ([]recon.Decision, error)
	LatestDecisions(ctx context.Context) (map[string]recon.Decision, error)
	DecisionHead(ctx context.Context) (seq int64, hash string, err error)
	MatchRunOf(ctx context.Context, date string) (recon.Run, bool, error)
	ExceptionLastSeen(ctx context.Context, exceptionKey string) (string, bool, error)

	// The workbook's queries.
	ReportExceptions(ctx context.Context, runID int64) ([]ReportException, error)
	ReportResults(ctx context.Context, runID int64, fn func([]ReportResult) error) error
	ReportResultCounts(ctx context.Context, runID int64) ([]ResultCount, error)
	ReportSourceTotals(ctx context.Context) ([]SourceTotal, error)
	// SettlementBatches returns a run's settlement batches in the order
	// they were written, each with its deposit line's reference and date.
	SettlementBatches(ctx context.Context, runID int64) ([]recon.SettlementBatch, error)
	// MatchMark is what a match run recorded of how far it read and how
	// it matched (false: nothing); UnpairedResults the transaction ids
	// of its results without a ledger line paid at or after paidFrom.
	MatchMark(ctx context.Context, runID int64) (MatchMark, bool, error)
	UnpairedResults(ctx context.Context, runID int64, paidFrom time.Time, fn func(txnID string) error) error
	// PassingDeliveries returns those of ids whose webhook delivery now
	// passes the signature check.
	PassingDeliveries(ctx context.Context, ids []int64) ([]int64, error)

	// ReadSnapshot opens a read snapshot for the match; see Snapshot.
	ReadSnapshot(ctx context.Context) (Snapshot, error)
}

// Load is one write transaction kept open across batches, so that an
// ingest can stream a large file in batches and still commit all or
// nothing. After any error the Load refuses further rows and Commit
// rolls back: a half-applied batch is never committed. A Load is not
// safe for concurrent use.
//
// The upserts write only rows whose content differs, so an unchanged
// reload changes nothing and counts as Unchanged; first-seen times are
// never overwritten. The inserts skip rows whose unique key is stored
// and return how many they added. Rows' ID fields are ignored: the
// database assigns them.
type Load interface {
	// SetRunID ties the input errors and input files recorded by this
	// Load to a run, so a report can say which run first saw them.
	SetRunID(id int64)
	// Commit makes every row of the Load visible. It fails, and rolls
	// back, if any earlier call failed or the context was cancelled.
	Commit() error
	// Rollback discards every row of the Load. It does nothing after
	// Commit, so `defer l.Rollback()` is the usual guard.
	Rollback() error

	Orders(rs []recon.Order) (UpsertStats, error)
	PaymentLinks(rs []recon.PaymentLink) (UpsertStats, error)
	Transactions(rs []recon.Transaction) (UpsertStats, error)
	// WebhookEvents skips deliveries whose delivery_key is stored.
	WebhookEvents(rs []recon.WebhookEvent) (int, error)
	// LedgerEntries skips rows whose row_hash is stored. BookedOn is
	// stored as the calendar date it has in its own location and read
	// back as midnight UTC of that date.
	LedgerEntries(rs []recon.LedgerEntry) (int, error)
	// InputErrors skips errors stored for the same source, file, line
	// and reason. A zero RecordedAt is stored as the Load's start.
	InputErrors(rs []recon.InputError) (int, error)
	// RecordInputFile records that a file was ingested, so that it
	// counts as seen only if its rows commit. A file recorded under the
	// same kind and hash keeps its first record. A zero IngestedAt is
	// stored as the Load's start, a zero RunID as the Load's run.
	RecordInputFile(f InputFile) error
	// SetFetchCursor records that list has been read up to newest. A
	// cursor only moves forward.
	SetFetchCursor(list string, newest time.Time) error

	// MatchResults and Exceptions write a batch of one run's rows (in
	// the order given, which readers keep); DeleteRunResults removes a
	// run's rows, so that a run written again replaces them atomically.
	MatchResults(runID int64, rs []recon.MatchResult) (int, error)
	Exceptions(runID int64, rs []recon.Exception) (int, error)
	// CarriedExceptions writes exceptions the run carries unchanged
	// from the run it started from (ReportException.Carried), each with
	// its facts (as RunExceptions read them); MatchMark what the next
	// run starts from (store/scope.go).
	CarriedExceptions(runID int64, rs []recon.Exception, facts []ExceptionFacts) (int, error)
	// ReplaceExceptionHistory replaces a run's exception history with
	// rows: the first-seen date of each exception key (Backend's
	// CarryForward writes it; ExceptionFirstSeen reads it back).
	ReplaceExceptionHistory(runID int64, rows []HistoryRow) (int, error)
	MatchMark(m MatchMark) error
	// SettlementBatches writes a run's settlement batches, members and
	// all (DepositRef and DepositBookedOn are not stored).
	SettlementBatches(runID int64, bs []recon.SettlementBatch) (int, error)
	DeleteRunResults(runID int64) error

	// Verifying stored webhook deliveries again once the sign key that
	// failed them has changed. Only failed deliveries are read, and a
	// new verdict only ever lets a delivery pass.
	FailedSignatureIDs(keyFP string, all bool) ([]int64, error)
	StoredSignatures(ids []int64) ([]StoredSignature, error)
	SetSignatureCheck(id int64, sigCheck, keyFP string) error
	ReverifyDelivery(ev recon.WebhookEvent) (bool, error)
}

// Snapshot is one read transaction on a connection of its own: every
// read through it sees the database as it was at its first read. It
// hands the match what it reads of each table, decoded, in batches (see
// the Row types for how long a batch is valid). It is not safe for
// concurrent use; two Snapshots read in parallel.
type Snapshot interface {
	// Count returns the number of rows in one of the tables
	// Backend.Count accepts (to size a slice; rows may be added after).
	Count(ctx context.Context, table string) (int64, error)
	// Orders, PaymentLinks, WebhookEvents and LedgerEntries come in the
	// order they were stored (webhook events and ledger entries by id);
	// Transactions in the order stored, which is usually by id.
	Orders(ctx context.Context, fn func([]OrderRow) error) error
	PaymentLinks(ctx context.Context, fn func([]LinkRow) error) error
	Transactions(ctx context.Context, fn func([]TxnRow) error) error
	WebhookEvents(ctx context.Context, fn func([]HookRow) error) error
	LedgerEntries(ctx context.Context, fn func([]EntryRow) error) error
	// LedgerTexts hands over every ledger entry's description and
	// stated fee, in id order: what the settlement step reads besides
	// LedgerEntries (a night without settlement never reads them).
	LedgerTexts(ctx context.Context, fn func([]EntryTextRow) error) error
	// InputErrors returns every input error in load order, RecordedAt
	// left zero.
	InputErrors(ctx context.Context) ([]recon.InputError, error)
	// WebhookReferences calls fn with the id, original txn id and
	// merchant_reference_id of every webhook event, in no set order;
	// WebhookReferencesOf only for the events of the given transaction
	// ids. fn may keep the strings.
	WebhookReferences(ctx context.Context, fn func(id int64, originalTxnID, merchantReferenceID string) error) error
	WebhookReferencesOf(ctx context.Context, txnIDs []string, fn func(id int64, originalTxnID, merchantReferenceID string) error) error

	// An incremental match's reads (scope.go). Mark is how far the
	// snapshot's tables run; Since hands over the rows of tables (Keyed*)
	// stored or changed after m, and Reach the rows up to m (the others are Since's) with
	// one of txnKeys in a transaction-id column or one of refKeys in a
	// reference column (a ledger line's reference is both), each with
	// its keys, in batches fn must not keep (it may keep the strings); a
	// row may come more than once. Restrict makes the reads that follow (Count, Orders,
	// PaymentLinks, Transactions, WebhookEvents, LedgerEntries,
	// WebhookReferences) return the scope's rows only, in the order they
	// come unrestricted; LedgerTexts and InputErrors stay whole.
	Mark(ctx context.Context) (Mark, error)
	Since(ctx context.Context, m Mark, tables []int, fn func([]KeyedRow) error) error
	Reach(ctx context.Context, m Mark, txnKeys, refKeys []string, fn func([]KeyedRow) error) error
	// Span finds the least and the greatest key from from up to (not
	// including) to that the rows up to m hold in the reference columns
	// (refs) or the transaction-id columns.
	Span(ctx context.Context, m Mark, refs bool, from, to string) (Span, error)
	Restrict(ctx context.Context, s Scope) error

	// Close ends the snapshot. Closing it again does nothing.
	Close() error
}
