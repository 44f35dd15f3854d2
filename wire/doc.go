// Package wire holds the JSON shapes both APIs put on the wire: the
// Xepeng {status, message, data} envelope with orders and payment links,
// and the OxPay {headers, body} envelope with payments, refunds, voids and
// webhook notifications. The clients in fetch/ and the sandbox share these
// types, and specs/ describes the same shapes; a test keeps them in step.
package wire
