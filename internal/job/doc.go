// Package job runs the phases of a reconciliation against the store:
// pulling Xepeng orders and payment links, confirming OxPay transactions
// by id, ingesting webhook logs and ledger exports, and matching. Each
// phase loads in one store transaction, so a phase that fails leaves the
// database as it was. A command's hold on the database (its lock, the
// store, its run record, the clean-up after dead runs, and the commit
// that records a matching run ok and puts its files in place) is a
// Session; Night runs the whole nightly sequence as one. Open is the one
// place a configured database picks its backend (store/sqlite for a
// path, store/postgres for a postgres:// URL). The command
// layer maps configuration to options; this package neither reads flags,
// the environment or config files, nor prints.
package job
