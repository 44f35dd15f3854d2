package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"strings"

	"github.com/reconkit/reconkit/recon"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func readLedgerCSV(ctx context.Context, path string, opts LedgerOptions, sink Sink) (Result, error) {
	res := Result{File: path, Kind: KindLedger}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("open ledger: %w", err) // *PathError names the file
	}
	defer f.Close()

	digest := sha256.New()
	raw := bufio.NewReaderSize(io.TeeReader(f, digest), 64<<10)
	var bom int64
	if b, _ := raw.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		// Excel's "CSV UTF-8" starts with a BOM; left in, it would become
		// part of the first header name.
		raw.Discard(len(utf8BOM))
		bom = int64(len(utf8BOM))
	}
	comma := opts.Delimiter
	if comma == 0 {
		comma = ','
	}
	if comma == AutoDelimiter {
		head, _ := raw.Peek(raw.Size()) // the header line, unless it is longer than 64 KiB
		if comma, err = sniffDelimiter(head); err != nil {
			return res, fmt.Errorf("ledger %s: %w", path, err)
		}
	}
	in := &csvInput{path: path, f: f, raw: raw, hash: digest, bom: bom, tail: &tailReader{r: raw}, comma: comma, inHeader: true}
	in.newReader()
	format := ledgerFormat{sep: string(comma), empty: "the ledger export is empty (no header row); export it again"}
	return readRows(ctx, res, opts, format, in, sink)
}

func csvReason(pe *csv.ParseError) string {
	if pe.Column > 0 {
		return fmt.Sprintf("%v at line %d, column %d", pe.Err, pe.Line, pe.Column)
	}
	return pe.Err.Error()
}

// csvInput is the CSV rowSource: the ledger's text as the CSV reader
// reads it, from the tail reader, and what maps the reader's offsets and
// line numbers to the file's once it has been made to read part of the
// file again.
//
// A ledger row is one line. A quoted field that runs over a line break
// is either an unclosed quote, which makes the CSV reader swallow the
// rows after it into one broken record (or worse, into one that parses,
// with the wrong row's amount), or a description with a line break in
// it, which no ledger export this reads writes and which cannot be told
// apart from the first. Either way the record is an input error naming
// the lines it spans, and the reader goes back to the start of its
// second line and reads each line after the first as a row of its own.
// That is the safer choice: the good rows an unclosed quote swallowed
// load, and the matcher does not report them missing; a line that was
// really part of a description only loads if, read by itself, it is a
// whole valid row (the header's number of fields, a date, an amount and
// a currency), and otherwise is an input error of its own. So every
// physical line after the header is a row, an input error or blank, and
// nothing is lost without a word.
type csvInput struct {
	path  string
	f     *os.File
	raw   *bufio.Reader // the file as read once, through hash
	hash  hash.Hash
	bom   int64 // bytes before the text: a BOM, or none
	tail  *tailReader
	comma rune
	r     *csv.Reader
	base  int64         // the text offset of r's first byte
	lines int           // the physical lines before r's first
	file  *bufio.Reader // reads the file again after a span; made on first use
	// inHeader says the header has not been read yet: a record that
	// cannot be read then fails the file.
	inHeader bool
}

var _ rowSource = (*csvInput)(nil)

// next reads the next record. One that runs over line breaks is an input
// error, and the lines after its first are read again (see again).
func (in *csvInput) next() (record, error) {
	start := in.offset()
	rec, err := in.r.Read()
	if err == io.EOF {
		return record{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return record{}, fmt.Errorf("ledger %s: %w", in.path, err)
		}
		at := *pe // in the file's line numbers
		at.StartLine += in.lines
		at.Line += in.lines
		if at.Line > at.StartLine {
			return in.spans(start, at.StartLine, at.Line)
		}
		if in.inHeader {
			return record{}, fmt.Errorf("ledger %s: header: %w", in.path, &at)
		}
		// Go's csv reader resumes after the broken record, so the rows
		// after it still load.
		return record{bad: &recon.InputError{
			Source: string(KindLedger), File: in.path, Line: at.StartLine,
			Text:   errorText(firstLine(skipEmptyLines(in.tail.since(start)))),
			Reason: fmt.Sprintf("line %d: broken CSV: %v", at.StartLine, csvReason(&at)),
		}}, nil
	}
	line, _ := in.r.FieldPos(0)
	line += in.lines
	// A record ends on a later line than it starts only if a quoted
	// field holds a line break: then a field after it starts on a later
	// line, or the last field holds one. Two cheap checks on the hot
	// path; counting comes only when one fires.
	lastField := len(rec) - 1
	if l, _ := in.r.FieldPos(lastField); l+in.lines != line || strings.IndexByte(rec[lastField], '\n') >= 0 {
		return in.spans(start, line, l+in.lines+strings.Count(rec[lastField], "\n"))
	}
	return record{cells: rec, line: line}, nil
}

// spans reports a record that ran over line breaks, from line first to
// line last, and reads its lines after the first again (see again).
func (in *csvInput) spans(start int64, first, last int) (record, error) {
	if in.inHeader {
		return record{}, fmt.Errorf("ledger %s: header: lines %d-%d: quoted field spans lines (unclosed quote?); fix the export", in.path, first, last)
	}
	text, err := in.again(start, first)
	if err != nil {
		return record{}, fmt.Errorf("ledger %s: lines %d-%d: quoted field spans lines (unclosed quote?); reading them again: %w", in.path, first, last, err)
	}
	return record{bad: &recon.InputError{
		Source: string(KindLedger), File: in.path, Line: first,
		Text: errorText(text), Reason: spanReason(first, last),
	}}, nil
}

func (in *csvInput) header(cells []string) []string {
	in.inHeader = false
	return cells
}

// end reads what the CSV reader left of the file (all of it, after a
// span) through the hash, so the digest covers every byte.
func (in *csvInput) end() (string, int, error) {
	if _, err := io.Copy(io.Discard, in.raw); err != nil {
		return "", 0, fmt.Errorf("ledger %s: %w", in.path, err)
	}
	return hex.EncodeToString(in.hash.Sum(nil)), in.tail.lines(), nil
}

func (in *csvInput) newReader() {
	in.r = csv.NewReader(in.tail)
	in.r.Comma = in.comma
	in.r.FieldsPerRecord = -1 // a wrong count is one row's input error, not the file's
	in.r.ReuseRecord = true
}

// offset is how far into the text the CSV reader has read.
func (in *csvInput) offset() int64 { return in.base + in.r.InputOffset() }

// again makes the CSV reader go on from the line after line first, the
// first line of the record that starts at text offset start. It reads
// the file again from there by ReadAt, so the hash and the tail reader's
// line count still see every byte once, and however long the record was
// (an unclosed quote can run to the end of the file). It returns the
// start of line first, for the input error.
func (in *csvInput) again(start int64, first int) ([]byte, error) {
	if in.file == nil {
		in.file = bufio.NewReaderSize(nil, 64<<10)
	}
	in.file.Reset(io.NewSectionReader(in.f, in.bom+start, math.MaxInt64-in.bom-start))
	var text []byte
	for {
		// The CSV reader skips empty lines before a record.
		text = text[:0]
		n := int64(0)
		for {
			frag, err := in.file.ReadSlice('\n')
			n += int64(len(frag))
			if room := 4*maxTextBytes - len(text); room > 0 {
				text = append(text, frag[:min(room, len(frag))]...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return nil, err // the record went on past this line, so it ends in "\n"
			}
			break
		}
		start += n
		if n > 2 || n == 2 && text[0] != '\r' {
			break
		}
	}
	// start is now where line first+1 begins, after first newlines.
	in.tail.reseat(in.file, start, first)
	in.newReader()
	in.base, in.lines = start, first
	return firstLine(text), nil
}

// tailReader keeps the last bytes that passed through it, so a record
// the CSV reader rejects can still be quoted from the input, and counts
// physical lines.
type tailReader struct {
	r       io.Reader
	ring    [64 << 10]byte
	total   int64 // bytes read so far: the offset of the next byte
	floor   int64 // the ring holds nothing before this offset
	newline int
	last    byte
}

// reseat makes t read on from r, which starts at offset off after
// newlines line ends: the same text read again from an earlier point.
// The ring's bytes before off may have been overwritten by later ones,
// so since no longer returns them.
func (t *tailReader) reseat(r io.Reader, off int64, newlines int) {
	t.r, t.total, t.floor, t.newline, t.last = r, off, off, newlines, '\n'
}

func (t *tailReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		chunk := b[:n]
		t.newline += bytes.Count(chunk, []byte{'\n'})
		t.last = chunk[n-1]
		if len(chunk) > len(t.ring) {
			chunk = chunk[len(chunk)-len(t.ring):]
		}
		pos := int((t.total + int64(n-len(chunk))) % int64(len(t.ring)))
		c := copy(t.ring[pos:], chunk)
		copy(t.ring[:], chunk[c:])
		t.total += int64(n)
	}
	return n, err
}

// since returns up to 4*maxTextBytes bytes from offset off, as far as
// they are still held.
func (t *tailReader) since(off int64) []byte {
	if off < t.total-int64(len(t.ring)) || off < t.floor || off >= t.total {
		return nil
	}
	n := min(t.total-off, 4*maxTextBytes)
	out := make([]byte, n)
	pos := int(off % int64(len(t.ring)))
	c := copy(out, t.ring[pos:])
	copy(out[c:], t.ring[:])
	return out
}

// skipEmptyLines drops the empty lines the CSV reader skips before a
// record.
func skipEmptyLines(b []byte) []byte {
	for {
		switch {
		case bytes.HasPrefix(b, []byte{'\n'}):
			b = b[1:]
		case bytes.HasPrefix(b, []byte("\r\n")):
			b = b[2:]
		default:
			return b
		}
	}
}

// spanReason is the reason of a record that spans lines first to last.
func spanReason(first, last int) string {
	if last == first+1 {
		return fmt.Sprintf("lines %d-%d: quoted field spans lines (unclosed quote?); line %d is rejected, line %d is read again as a row of its own", first, last, first, last)
	}
	return fmt.Sprintf("lines %d-%d: quoted field spans lines (unclosed quote?); line %d is rejected, lines %d-%d are read again as rows of their own", first, last, first, first+1, last)
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// lines counts physical lines: newlines, plus a last line without one.
func (t *tailReader) lines() int {
	if t.total > 0 && t.last != '\n' {
		return t.newline + 1
	}
	return t.newline
}

// delimiters are the separators AutoDelimiter chooses from, in the order
// a tie is reported.
var delimiters = [...]byte{',', ';', '\t', '|'}

// sniffDelimiter picks the delimiter of the header line, the first line
// of b that is not blank: the candidate that occurs most often outside
// quotes, so splits the header into the most fields. A tie for the most,
// or none at all, is an error: guessing wrong would misread every row.
// Without a header line it returns ',', and the reader reports the empty
// file.
func sniffDelimiter(b []byte) (rune, error) {
	for no := 1; len(b) > 0; no++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(bytes.Trim(line, " \t\r")) == 0 {
			continue
		}
		var count [len(delimiters)]int
		quoted := false
		for _, c := range line {
			if c == '"' {
				quoted = !quoted // "" inside quotes toggles twice
				continue
			}
			if !quoted {
				if i := bytes.IndexByte(delimiters[:], c); i >= 0 {
					count[i]++
				}
			}
		}
		best := 0
		for i := range count {
			if count[i] > count[best] {
				best = i
			}
		}
		if count[best] == 0 {
			return 0, fmt.Errorf("header line %d: no ',', ';', tab or '|' outside quotes; set ledger.delimiter", no)
		}
		for i := range count {
			if i != best && count[i] == count[best] {
				a, b := min(i, best), max(i, best)
				return 0, fmt.Errorf("header line %d: as many %s as %s (%d each) outside quotes; set ledger.delimiter",
					no, delimiterName(delimiters[a]), delimiterName(delimiters[b]), count[best])
			}
		}
		return rune(delimiters[best]), nil
	}
	return ',', nil
}

func delimiterName(c byte) string {
	if c == '\t' {
		return "tab"
	}
	return fmt.Sprintf("'%c'", c)
}
