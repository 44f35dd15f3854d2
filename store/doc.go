// Package store is the seam between reconkit and its databases: the
// rows and errors that cross it, and the interfaces every backend
// implements (Backend, Load, Snapshot). It imports no driver and knows
// no backend's text formats; times cross it as time.Time, money as int64
// minor units beside a currency code.
//
// The backends are packages of their own, in the manner of litestream's
// replica clients: store/sqlite (one file, the embedded default) and
// store/postgres (a server shared by hosts and merchants). Each asserts
// itself against these interfaces, keeps its own migrations (numbered
// alike) and its own tuning; the SQL both can run is shared in
// store/internal/sqlstore. store/storetest holds the conformance suite
// that every backend passes.
//
// A backend is opened for one merchant (Merchant): every row it writes
// carries it, every query filters on it, and no query joins across it.
//
// Data enters through a Load (one transaction, so a failed ingest
// leaves the database as it was) or the one-shot Upsert/Insert methods
// built on it; it leaves through the typed readers, the report queries
// and, for the match, a Snapshot that hands over decoded rows in
// batches.
package store
