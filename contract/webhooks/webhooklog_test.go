package webhooks

import (
	"bufio"

	"github.com/reconkit/reconkit/webhooklog"
)

// The tests here read lines with the names they had before the line
// reader moved to package webhooklog.

func blank(line []byte) bool { return webhooklog.Blank(line) }

// lineReader reads on from r. A webhooklog.LineReader keeps nothing from
// one line to the next but a buffer to reuse, so a new one each time
// reads the same lines.
type lineReader struct {
	r   *bufio.Reader
	max int
}

func (lr *lineReader) next() ([]byte, int, bool, error) {
	return webhooklog.NewLineReader(lr.r, lr.max).Next()
}
