// Package docfake is an independent fake of the Xepeng Open API and the
// OxPay Payments API v1, and a small seeded world of one business day
// (orders, payment links, gateway transactions, webhook logs, ledger
// exports, a recon.yaml and an answer key), written from the vendors'
// public documents and recon's user documentation alone.
//
// It shares no code and no reading with sandbox/, wire/ or the clients:
// where the documents leave room, it takes a plausible reading that is
// not necessarily the one recon's own sandbox took, and says which in a
// comment (DESIGN: ...). Its end-to-end test runs the real recon binary
// against it and measures precision and recall of the exceptions against
// the answer key.
//
// Data enters as a seed (Generate) and leaves as HTTP answers
// (NewXepeng, NewOxPay) and files (World.WriteInbox,
// WriteConfig, World.WriteKey).
package docfake
