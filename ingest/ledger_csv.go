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
	"io"
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

	hash := sha256.New()
	raw := bufio.NewReaderSize(io.TeeReader(f, hash), 64<<10)
	if bom, _ := raw.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		// Excel's "CSV UTF-8" starts with a BOM; left in, it would become
		// part of the first header name.
		raw.Discard(len(utf8BOM))
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
	tail := &tailReader{r: raw}
	r := csv.NewReader(tail)
	r.Comma = comma
	r.FieldsPerRecord = -1 // a wrong count is one row's input error, not the file's
	r.ReuseRecord = true

	var (
		p    *ledgerParser
		b    = newBatcher(sink, opts.BatchSize)
		rows int
	)
	counter, err := newRowCounter(opts)
	if err != nil {
		return res, fmt.Errorf("ledger %s: %w", path, err)
	}
	defer counter.Close()
	b.hasher = &rowHasher{counter: counter}
	for {
		if rows++; rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		start := r.InputOffset()
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return res, fmt.Errorf("ledger %s: %w", path, err)
			}
			if p == nil {
				return res, fmt.Errorf("ledger %s: header: %w", path, err)
			}
			// Go's csv reader resumes after the broken record, so the
			// rows after it still load.
			if err := b.inputError(recon.InputError{
				Source: string(KindLedger), File: path, Line: pe.StartLine,
				Text:   errorText(firstLine(tail.since(start))),
				Reason: fmt.Sprintf("line %d: broken CSV: %v", pe.StartLine, csvReason(pe)),
			}); err != nil {
				return res, fmt.Errorf("ledger %s: sink: %w", path, err)
			}
			continue
		}
		if blankRow(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		if p == nil {
			header := stripBOMs(rec)
			cols, err := mapColumns(path, header, opts)
			if err != nil {
				return res, err
			}
			p = newLedgerParser(path, "", opts, cols, len(header))
			continue
		}
		e, reason := p.parse(rec, line)
		if reason != "" {
			err = b.inputError(recon.InputError{
				Source: string(KindLedger), File: path, Line: line,
				Text: errorText([]byte(strings.Join(rec, string(comma)))), Reason: reason,
			})
		} else {
			err = b.entry(e, p.key)
		}
		if err != nil {
			return res, fmt.Errorf("ledger %s: sink: %w", path, err)
		}
	}
	if p == nil {
		if err := emptyFile(b, KindLedger, path, "the ledger export is empty (no header row); export it again"); err != nil {
			return res, fmt.Errorf("ledger %s: %w", path, err)
		}
	}
	if err := b.flush(); err != nil {
		return res, fmt.Errorf("ledger %s: sink: %w", path, err)
	}
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return res, fmt.Errorf("ledger %s: %w", path, err)
	}
	res.SHA256 = hex.EncodeToString(hash.Sum(nil))
	res.Lines = tail.lines()
	res.Rows, res.Errors = b.rows, b.nerrs
	return res, nil
}

// stripBOMs copies the header, removing a BOM an export wrote twice or
// inside a quoted first field.
func stripBOMs(rec []string) []string {
	h := append([]string(nil), rec...)
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\uFEFF")
	}
	return h
}

func csvReason(pe *csv.ParseError) string {
	if pe.Column > 0 {
		return fmt.Sprintf("%v at line %d, column %d", pe.Err, pe.Line, pe.Column)
	}
	return pe.Err.Error()
}

// tailReader keeps the last bytes that passed through it, so a record
// the CSV reader rejects can still be quoted from the input, and counts
// physical lines.
type tailReader struct {
	r       io.Reader
	ring    [64 << 10]byte
	total   int64 // bytes read so far
	newline int
	last    byte
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
	if off < t.total-int64(len(t.ring)) || off >= t.total {
		return nil
	}
	n := min(t.total-off, 4*maxTextBytes)
	out := make([]byte, n)
	pos := int(off % int64(len(t.ring)))
	c := copy(out, t.ring[pos:])
	copy(out[c:], t.ring[:])
	return out
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
