package ingest

import (
	"bufio"

	"github.com/reconkit/reconkit/webhooklog"
)

// The line reader and the JSON scanner moved to package webhooklog. The
// tests here still hold them to account (TestLineReader, FuzzLineReader,
// FuzzValidJSON, FuzzUnquote) under the names they had in this package.

const keepPrefix = webhooklog.KeepPrefix

func validJSON(b []byte) bool            { return webhooklog.Valid(b) }
func appendCompact(dst, b []byte) []byte { return webhooklog.AppendCompact(dst, b) }
func unquote(val []byte) string          { return webhooklog.Unquote(val) }

type lineReader struct {
	r     *bufio.Reader
	max   int
	lines *webhooklog.LineReader // made on the first next
}

func (lr *lineReader) next() ([]byte, int, bool, error) {
	if lr.lines == nil {
		lr.lines = webhooklog.NewLineReader(lr.r, lr.max)
	}
	return lr.lines.Next()
}
