// Package webhooklog reads the webhook log format: the JSON Lines file a
// merchant's receiver writes, one delivery a line,
//
//	{"received_at": RFC 3339, "headers": {"Signature": ...}, "body": payload}
//
// payload being the notification object as received or a JSON string
// holding its exact bytes, the file gzipped or not. It is the one reader
// of the format: `recon ingest` (package ingest) turns lines into events,
// `contract webhooks` (package contract/webhooks) checks them against a
// spec, and both read them here.
//
// Bytes enter through Open (gzip, a byte-order mark) and a LineReader
// (lines of bounded length, CRLF or LF, an over-long line reported and
// skipped), and a line leaves a Decoder as a Record: its raw received_at,
// its Signature header and its Payload, the bytes a signature covers and
// a Doc to walk them with, or as a Problem saying why it cannot be used.
// Lines are walked by a hand-written scanner (Doc, Valid) that agrees
// with encoding/json on every input and keeps exact byte spans: one pass
// checks a line's JSON and UTF-8 and notes where the members of its
// outer objects stand, so reading its fields costs no second pass. What a line means, and
// what to do with a problem, belongs to the readers.
package webhooklog
