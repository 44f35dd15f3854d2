// Package contract is the engine of `contract test`: it loads an OpenAPI
// document with libopenapi, plans one or more calls per operation (from
// the spec's examples, its schemas, the scenario file and OpenAPI links),
// runs them against a base URL, varies each operation's first good call
// with generated cases from its schemas (boundary values, optional fields,
// values outside each constraint; shrunk when they fail), and judges every
// response with named checks and drift findings, each carrying a curl
// reproducer.
//
// Data enters as spec bytes, a Config, an optional scenario file and a
// Baseline; it leaves as a Result (per-operation check outcomes and a
// sorted list of Findings) that package contract/report renders. The
// package does no I/O of its own beyond the HTTP calls of Run: it never
// reads files, flags or the environment, and never prints.
package contract
