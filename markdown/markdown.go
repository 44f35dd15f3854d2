// Package markdown makes outside text safe in the Markdown the tools
// write for chats, CI pages and pull-request comments: a value can
// neither end a table cell or row nor be read as markup. Both recon's
// summary and contract's reports use it.
package markdown

import "strings"

var (
	text = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`)
	code = strings.NewReplacer("`", "'", "|", `\|`, "\n", " ", "\r", " ")
)

// Text makes s safe as plain text in a Markdown table cell or line: a
// pipe cannot end the cell, a newline cannot end the row, and HTML tags,
// code spans, emphasis and bold in s show as the characters they are.
func Text(s string) string { return text.Replace(s) }

// Code makes s safe inside a `code span`. A code span shows backslashes
// and entities literally, so only what would end the span, the cell or
// the row is replaced.
func Code(s string) string { return code.Replace(s) }
