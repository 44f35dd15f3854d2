// Package diff is the engine of `contract diff`: it compares two versions of
// an OpenAPI 3.0 or 3.1 document, read as plain YAML trees, and judges
// every change with rules that know the direction a change travels. A new
// enum value in a response breaks clients that switch on it; the same
// value in a request does not.
//
// Data enters as the two documents' bytes (LoadRef reads a file or a git
// revision), an optional ignore file and the clock; it leaves as a Report:
// one Finding per change, each with a stable rule id, its location in both
// files and, for a shared component, the operations it reaches. The Report
// writes itself as text, JSON, Markdown, JUnit XML or SARIF 2.1.0. The
// package never prints, exits or reads flags.
package diff
