package ingest

import (
	"bufio"
	"bytes"
	"io"
)

// keepPrefix is how much of an over-long line is kept: enough for the
// InputError text, never the whole line.
const keepPrefix = 4 * maxTextBytes

// lineReader hands out lines of at most max bytes. Unlike bufio.Scanner,
// whose ErrTooLong ends the scan, an over-long line is reported as such
// (with its first bytes) and reading goes on at the next line, so one
// runaway line costs one input error rather than the whole file.
type lineReader struct {
	r    *bufio.Reader
	max  int
	long []byte // a line spanning several buffer fills, or an over-long line's prefix
}

// next returns the next line without its "\n" or "\r\n", its length in
// bytes, and whether it exceeded the limit (then line holds only its
// first bytes). The slice is valid until the next call. At the end of
// input it returns io.EOF.
func (lr *lineReader) next() (line []byte, size int, tooLong bool, err error) {
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
			return lr.long[:min(len(lr.long), keepPrefix)], size, true, nil
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
			return line[:min(len(line), keepPrefix)], len(line), true, nil
		}
		return line, len(line), false, nil
	}
}

// keep appends a fragment of a line spanning several reads. It holds the
// whole line while it may still fit (the limit plus "\r\n") and only the
// first bytes of one that cannot.
func (lr *lineReader) keep(frag []byte, total int) {
	if total <= lr.max+2 {
		lr.long = append(lr.long, frag...)
		return
	}
	if room := keepPrefix - len(lr.long); room > 0 {
		lr.long = append(lr.long, frag[:min(room, len(frag))]...)
	}
}

// blank reports whether a line holds nothing but spaces and tabs: such
// lines are skipped without an error, as log rotation and editors leave
// them.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
