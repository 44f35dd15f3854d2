// Package storetest is the conformance suite every store backend
// passes: the same tests, run by each backend's own test package against
// a database of its kind (Run), so that SQLite and PostgreSQL are held
// to the same answers. It also holds the sample rows those tests load.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
)

// Backend opens databases of one backend for the suite.
type Backend struct {
	Name string
	// Open opens a new, empty database for merchant; it is closed when
	// tb ends.
	Open func(tb testing.TB, merchant string) store.Backend
	// Same opens the database db is open on once more, for merchant;
	// closed when tb ends.
	Same func(tb testing.TB, db store.Backend, merchant string) store.Backend
	// TimeStep is the finest part of a second the backend keeps
	// (PostgreSQL: a microsecond); the sample times are cut to it.
	// Zero keeps nanoseconds.
	TimeStep time.Duration
	// MaxKeyBytes, when not 0, is the longest text the backend keeps in
	// a column that is part of an index (PostgreSQL's btree entries
	// stop at 2,704 bytes): the hostile strings are cut to it. Longer
	// text elsewhere is tested by LongTextStored.
	MaxKeyBytes int
	// Copy, if not nil, copies db (a backup) and opens the copy; the
	// hostile rows are read back from it too.
	Copy func(tb testing.TB, db store.Backend) store.Backend
	// Check, if not nil, checks that db is sound (SQLite's
	// integrity_check).
	Check func(tb testing.TB, db store.Backend)
}

// Run runs the whole suite against b, one subtest per test. Its tests
// are not parallel: the sample times are cut to b.TimeStep while it
// runs.
func Run(t *testing.T, b Backend) {
	defer func(step time.Duration, limit int) { timeStep, keyLimit = step, limit }(timeStep, keyLimit)
	timeStep, keyLimit = b.TimeStep, b.MaxKeyBytes
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"MerchantsIsolated", testMerchantsIsolated},
		{"LongTextStored", testLongTextStored},
		{"CarryForwardHistory", testCarryForwardHistory},
		{"CarryForwardAgain", testCarryForwardAgain},
		{"PreviousRunWithoutHistory", testPreviousRunWithoutHistory},
		{"CarryAcrossTheLedgerKeyChange", testCarryAcrossTheLedgerKeyChange},
		{"ResolvedSinceWithoutPrevious", testResolvedSinceWithoutPrevious},
		{"PreviousMatchRun", testPreviousMatchRun},
		{"ReplaceDateResults", testReplaceDateResults},
		{"CommitRun", testCommitRun},
		{"HostileStringsRoundTrip", testHostileStringsRoundTrip},
		{"LoadTwiceIsIdempotent", testLoadTwiceIsIdempotent},
		{"UpsertCountsChanges", testUpsertCountsChanges},
		{"UpsertChangedLinkAndTransaction", testUpsertChangedLinkAndTransaction},
		{"LoadBatchesCommitTogether", testLoadBatchesCommitTogether},
		{"LoadAbortLeavesDatabaseUnchanged", testLoadAbortLeavesDatabaseUnchanged},
		{"HostileTextIsStoredAsText", testHostileTextIsStoredAsText},
		{"InsertErrorNamesRow", testInsertErrorNamesRow},
		{"DuplicatesWithinOneChunk", testDuplicatesWithinOneChunk},
		{"ChunkFailureNamesRow", testChunkFailureNamesRow},
		{"TransactionIDsWithoutAPIRecord", testTransactionIDsWithoutAPIRecord},
		{"CandidateIDsFromLedger", testCandidateIDsFromLedger},
		{"Runs", testRuns},
		{"InputFiles", testInputFiles},
		{"ReportExceptions", testReportExceptions},
		{"ReportResultsAgreeWithMatchResults", testReportResultsAgreeWithMatchResults},
		{"ReportResultCounts", testReportResultCounts},
		{"ReportSourceTotals", testReportSourceTotals},
		{"ResultsRoundTripPerRun", testResultsRoundTripPerRun},
		{"ResultsNeedARun", testResultsNeedARun},
		{"MatchResultsStopsOnCallbackError", testMatchResultsStopsOnCallbackError},
		{"RoundTripOrders", testRoundTripOrders},
		{"RoundTripPaymentLinks", testRoundTripPaymentLinks},
		{"RoundTripTransactions", testRoundTripTransactions},
		{"RoundTripWebhookEvents", testRoundTripWebhookEvents},
		{"RoundTripLedgerEntries", testRoundTripLedgerEntries},
		{"RoundTripInputErrors", testRoundTripInputErrors},
		{"Settlements", testSettlements},
		{"DecisionsAppendOnly", testDecisionsAppendOnly},
		{"DecisionsHostileText", testDecisionsHostileText},
		{"MatchRunOf", testMatchRunOf},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// rawDB is the pool under a backend, for the few tests that read or
// write what no method does. Both SQL backends have one.
func rawDB(tb testing.TB, db store.Backend) *sqlx.DB {
	tb.Helper()
	x, ok := db.(interface{ X() *sqlx.DB })
	if !ok {
		tb.Fatalf("%T has no X() to run SQL on", db)
	}
	return x.X()
}

// isPostgres reports whether db is a PostgreSQL database.
func isPostgres(tb testing.TB, db store.Backend) bool { return rawDB(tb, db).DriverName() == "pgx" }

// execRaw runs a statement written with ? markers on db.
func execRaw(tb testing.TB, db store.Backend, query string, args ...any) {
	tb.Helper()
	x := rawDB(tb, db)
	if _, err := x.ExecContext(context.Background(), x.Rebind(query), args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// getRaw reads one row of a query written with ? markers into dest.
func getRaw(tb testing.TB, db store.Backend, dest any, query string, args ...any) {
	tb.Helper()
	x := rawDB(tb, db)
	if err := x.GetContext(context.Background(), dest, x.Rebind(query), args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}
