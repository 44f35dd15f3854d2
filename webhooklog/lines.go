package webhooklog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// Open returns the text of a log: what r holds, or, when it starts with
// gzip's magic bytes (whatever the file is called), what it decompresses
// to, with a UTF-8 byte-order mark at the start skipped: Windows tools
// start a UTF-8 file with one, and left in it would break the first
// line's JSON. gzipped says which it was. Only a broken gzip header is an
// error; a stream that breaks later fails a read of the text.
//
// A *bufio.Reader of at least 64 KiB is read as it is, so a caller that
// hashes the file can read on from it after the log's end.
func Open(r io.Reader) (text *bufio.Reader, gzipped bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	text = br
	if magic, _ := br.Peek(len(gzipMagic)); bytes.Equal(magic, gzipMagic) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, true, fmt.Errorf("gzip: %w", err)
		}
		// gzip.Reader.Close releases nothing: there is nothing to close.
		text, gzipped = bufio.NewReaderSize(gz, 64<<10), true
	}
	if bom, _ := text.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		text.Discard(len(utf8BOM))
	}
	return text, gzipped, nil
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	utf8BOM   = []byte{0xEF, 0xBB, 0xBF}
)

// DefaultMaxLineBytes is the longest line readers of the format take
// when not told otherwise. Real notifications are well under a kilobyte,
// so a line a thousand times longer is corrupt or hostile.
const DefaultMaxLineBytes = 1 << 20

// KeepPrefix is how much of an over-long line LineReader keeps: enough
// to quote it in an error, never the whole line.
const KeepPrefix = 800

// LineReader hands out lines of at most max bytes. Unlike bufio.Scanner,
// whose ErrTooLong ends the scan, an over-long line is reported as such
// (with its first bytes) and reading goes on at the next line, so one
// runaway line costs one input error rather than the whole file. Its
// buffer never holds more than max plus a line end.
type LineReader struct {
	r    *bufio.Reader
	max  int
	long []byte // a line spanning several buffer fills, or an over-long line's prefix
}

// NewLineReader returns a LineReader of r's lines of at most max bytes
// (line end excluded).
func NewLineReader(r *bufio.Reader, max int) *LineReader {
	return &LineReader{r: r, max: max}
}

// Next returns the next line without its "\n" or "\r\n", its length in
// bytes (line end excluded), and whether it exceeded the limit (then
// line holds only its first KeepPrefix bytes at most). The slice is valid
// until the next call. At the end of input it returns io.EOF; a read
// that fails returns its error.
func (lr *LineReader) Next() (line []byte, size int, tooLong bool, err error) {
	if cap(lr.long) > 1<<20 {
		lr.long = nil // do not pin a long line's buffer for the rest of the file
	}
	lr.long = lr.long[:0]
	total := 0
	var prevLast byte // the last byte of the previous read of this line
	for {
		frag, err := lr.r.ReadSlice('\n')
		total += len(frag)
		switch {
		case err == bufio.ErrBufferFull:
			lr.keep(frag, total)
			prevLast = frag[len(frag)-1]
			continue
		case err == io.EOF && total == 0:
			return nil, 0, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, 0, false, err
		}
		// frag ends the line: it ends in '\n', or the input ended.
		if total > lr.max+2 {
			// Too long whatever its terminator; the size is for the message.
			size = total
			if bytes.HasSuffix(frag, []byte{'\n'}) {
				frag = frag[:len(frag)-1]
				size--
				switch {
				case len(frag) > 0 && frag[len(frag)-1] == '\r':
					frag = frag[:len(frag)-1]
					size--
				case len(frag) == 0 && prevLast == '\r':
					// "\r" ended the previous read and "\n" this one.
					size--
					if len(lr.long) == size+1 {
						lr.long = lr.long[:size]
					}
				}
			}
			lr.keep(frag, total)
			return lr.long[:min(len(lr.long), KeepPrefix)], size, true, nil
		}
		line = frag
		if len(lr.long) > 0 {
			lr.long = append(lr.long, frag...)
			line = lr.long
		}
		if bytes.HasSuffix(line, []byte{'\n'}) {
			// Only a line ended by "\n" loses a "\r" with it: a lone "\r"
			// at the very end of the file is content.
			line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		}
		if len(line) > lr.max {
			return line[:min(len(line), KeepPrefix)], len(line), true, nil
		}
		return line, len(line), false, nil
	}
}

// keep appends a fragment of a line spanning several reads. It holds the
// whole line while it may still fit (the limit plus "\r\n") and only the
// first bytes of one that cannot.
func (lr *LineReader) keep(frag []byte, total int) {
	if total <= lr.max+2 {
		lr.long = append(lr.long, frag...)
		return
	}
	if room := KeepPrefix - len(lr.long); room > 0 {
		lr.long = append(lr.long, frag[:min(room, len(frag))]...)
	}
}

// Blank reports whether a line holds nothing but spaces, tabs and
// carriage returns: such lines are skipped without an error, as log
// rotation and editors leave them.
func Blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
