// Package report renders a contract.Result for people and machines: a
// console summary, JUnit XML for CI test views, JSON, Markdown for a CI
// job summary, and SARIF 2.1.0 for code-scanning views, with each finding
// at its line of the spec. Writers take an io.Writer and a result and do
// nothing else; the result's excerpts and messages are already redacted.
package report
