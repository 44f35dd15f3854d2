package webhooks

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineReader hands out lines of at most max bytes. Unlike bufio.Scanner,
// whose ErrTooLong ends the scan, an over-long line is reported as such
// and skipped, and reading goes on at the next line: one runaway line
// costs one input error, not the rest of the log. Its buffer never grows
// past max plus a line end.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// next returns the next line without its "\n" or "\r\n", or, for a line
// longer than max, tooLong and its size in bytes (line end included). The
// line is valid until the next call. At the end of input it returns
// io.EOF.
func (lr *lineReader) next() (line []byte, size int, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.r.ReadSlice('\n')
		size += len(frag)
		if !tooLong {
			if len(lr.buf)+len(frag) > lr.max+2 {
				tooLong, lr.buf = true, lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && size == 0:
			return nil, 0, false, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			return nil, size, false, err
		}
		break
	}
	line = lr.buf
	if bytes.HasSuffix(line, []byte{'\n'}) {
		// Only a line ended by "\n" loses a "\r" with it.
		line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	}
	if tooLong || len(line) > lr.max {
		return nil, size, true, nil
	}
	return line, len(line), false, nil
}
