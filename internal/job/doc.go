// Package job runs the phases of a reconciliation against the store:
// pulling Xepeng orders and payment links, confirming OxPay transactions
// by id, and ingesting webhook logs and ledger exports. Each phase loads
// in one store transaction, so a phase that fails leaves the database as
// it was. The command layer wires configuration in; this package neither
// reads flags nor prints.
package job
