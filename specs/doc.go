// Package specs carries the project's OpenAPI 3.1 documents for the Xepeng
// Open API and the OxPay Payments API, embedded so that every binary (the
// contract tool, the sandbox) ships the exact contract it was tested with.
// The documents describe the same JSON shapes as package wire; the tests
// keep the two in step and check that every example obeys its schema.
package specs
