// Package gen generates the sandbox's world from a seed: Xepeng orders and
// payment links, OxPay transactions, the webhook log the merchant's
// receiver would have written, finance's ledger export, and the answer key
// of every anomaly injected on purpose. The same options always give the
// same dataset and byte-identical files.
//
// Generate builds a Dataset in memory; the sandbox server serves its
// orders, links and transactions, and WriteFiles writes webhooks.jsonl,
// ledger.csv, ledger.xlsx and expected.csv (and settlement.yaml for a
// ledger of net settlement deposits, Options.LedgerStyle). anomaly.go
// documents exactly what each injected anomaly looks like, settlement.go
// how a net ledger's deposits are worked out, so the matching engine and
// its tests can be written against the answer key.
package gen
