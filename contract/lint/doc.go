// Package lint is the engine of `contract lint`: it reports problems in an
// OpenAPI 3.0 or 3.1 document itself, the kind a vendor's published spec
// has and that break tools downstream: examples that do not validate
// against their own schema, query strings in path keys, security schemes
// of unknown type, $refs that resolve to nothing, operations without a
// success response or an operationId, and the structural defects a spec
// validator reports (conflicting paths, bad parameters, invalid patterns
// and types, server URLs, 3.1-only keywords in a 3.0 document).
//
// Data enters as the document's bytes; it leaves as a Report of findings,
// each with a rule id, a severity, a JSON pointer and a line, which writes
// itself as text, JSON, Markdown, JUnit XML or SARIF 2.1.0; text and
// Markdown show one line per root cause, JSON every finding. libopenapi's
// model is used where it is built, its build errors become findings, and
// the plain YAML tree is read for what the model drops or keeps without
// judging. Example validators are compiled lazily, one per schema an
// example uses, never for the whole document.
package lint
