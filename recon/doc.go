// Package recon holds the rows that move between packages: orders,
// payment links, gateway transactions, webhook events, ledger entries,
// input errors and runs, and what a match makes of them: exceptions
// (with their key from one run to the next and their age) and match
// results, and the exception categories. Amounts are int64 minor units
// in the currency's ISO 4217 exponent plus a currency code; times are
// UTC. Every row keeps the raw source record it came from, so any figure
// in a report can be traced back.
package recon
