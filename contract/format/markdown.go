package format

import "strings"

// Spec text (titles, paths, property names, messages quoting values) is
// written into Markdown tables that CI pages and pull-request comments
// render, so it must neither end a table cell nor be read as markup.
var (
	markdownText = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`)
	markdownCode = strings.NewReplacer("`", "'", "|", `\|`, "\n", " ", "\r", " ")
)

// MarkdownText makes s safe as plain text in a Markdown table cell: a
// pipe cannot end the cell, a newline cannot end the row, and HTML tags,
// code spans, emphasis and bold in s show as the characters they are.
func MarkdownText(s string) string { return markdownText.Replace(s) }

// MarkdownCode makes s safe inside a `code span` in a table cell. A code
// span shows backslashes and entities literally, so only what would end
// the span, the cell or the row is replaced.
func MarkdownCode(s string) string { return markdownCode.Replace(s) }
