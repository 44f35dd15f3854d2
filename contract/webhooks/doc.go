// Package webhooks is the engine of `contract webhooks`: it checks a
// recorded webhook log against the webhook schemas of an OpenAPI document
// (3.1 `webhooks`, or `x-webhooks` in a 3.0 document), with the same drift
// walker and finding names as `contract test`.
//
// Data enters as spec bytes and log streams (the JSON Lines format that
// `recon ingest webhooks` reads, gzipped or not); each line is decoded on
// its own, its payload given the webhook kind it fits best, walked for
// drift and, with a sign key, its signature verified. Only counts leave a
// line: per kind, and per (kind, check, field) the number of deliveries
// and the first line, so memory is bounded by the number of distinct
// findings, never by the size of the log. Lines are checked in batches
// on GOMAXPROCS goroutines and tallied in line order, so the report is
// the one a line-by-line reading gives. The Report writes itself as
// text, JSON, Markdown, JUnit XML or SARIF 2.1.0. The package never reads
// flags or the environment and never prints on its own.
package webhooks
