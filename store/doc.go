// Package store keeps the reconciliation's rows in one SQLite file: the
// schema and its migrations, bulk loads that are idempotent (loading the
// same data twice changes nothing), the record of input files and runs,
// and typed readers for tests and later phases.
//
// Data enters through a Load (one transaction, prepared statements reused
// per row, so a failed ingest leaves the database as it was) or the
// one-shot Upsert/Insert methods built on it; it leaves through the
// readers here or through DB.X for set-based queries in match and reports.
//
// SQL is kept portable to PostgreSQL where it costs nothing; what is
// SQLite-only (PRAGMAs, rowid, VACUUM INTO) stays in this package behind
// functions named for it.
package store
