package reports

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The data sheets (one per exception category, Sales, Refunds & voids,
// Input errors) are written by this file's encoder rather than by
// excelize's StreamWriter. Both write inline-string SpreadsheetML, but
// the StreamWriter spends about 1.3 µs per cell on this 2-core machine
// (33 s for a million 24-cell rows before compression), while the whole
// report has to be out in 15 s. The encoder appends each row's XML to a
// reused buffer and a goroutine per stream compresses it into a
// temporary file; assemble then copies the compressed bytes into the
// workbook that excelize built around empty placeholders of the same
// sheets, so everything but the rows (styles, Summary, chart, workbook
// parts, relationships) is still excelize's.

// maxSheetRows is Excel's row limit; a variable so that tests can make
// a sheet overflow with a few rows.
var maxSheetRows = 1_048_576

// maxCellChars is how many UTF-16 units Excel accepts in one cell.
const maxCellChars = 32767

// colNames caches the letters of the first columns.
var colNames = func() []string {
	n := make([]string, 64)
	for i := range n {
		n[i] = colName(i + 1)
	}
	return n
}()

// colName returns the letters of a 1-based column number.
func colName(c int) string {
	var b []byte
	for c > 0 {
		c--
		b = append([]byte{byte('A' + c%26)}, b...)
		c /= 26
	}
	return string(b)
}

// stream is a run of a worksheet's XML, deflated on its own and ended
// with a sync flush: no final block, byte-aligned, back-references only
// into its own bytes. Streams written that way can be laid end to end
// and closed with finalBlock to make one valid deflate stream, so a
// sheet's totals rows (known only once its rows are written) and each
// currency's block of rows can be compressed apart and still form one
// zip entry. data holds a small stream; a large one lives in the
// temporary file path.
type stream struct {
	path       string
	data       []byte
	crc        uint32
	size       int64 // uncompressed
	compressed int64
}

// finalBlock is an empty final deflate block (fixed Huffman codes, just
// the end-of-block code): it ends a run of sync-flushed streams.
var finalBlock = []byte{0x03, 0x00}

// concatStreams returns the CRC-32 and sizes of streams laid end to end.
func concatStreams(ss []stream) (crc uint32, size, compressed int64) {
	for _, s := range ss {
		crc = crc32Combine(crc, s.crc, s.size)
		size += s.size
		compressed += s.compressed
	}
	return crc, size, compressed + int64(len(finalBlock))
}

// deflateBytes compresses a small piece of XML into a stream in memory.
func deflateBytes(b []byte) (stream, error) {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		return stream{}, err
	}
	if err := zw.Flush(); err != nil {
		return stream{}, err
	}
	return stream{data: buf.Bytes(), crc: crc32.ChecksumIEEE(b), size: int64(len(b)), compressed: int64(buf.Len())}, nil
}

// crc32Combine returns the CRC-32 (IEEE) of A followed by B from the
// CRCs of A and B and the length of B, as zlib's crc32_combine does:
// appending n zero bits to A is a linear map over GF(2), applied by
// repeated squaring of the one-zero-bit operator.
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = 0xedb88320 // the reflected polynomial
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd)
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}

// deflater compresses what is written to it into a temporary file in a
// goroutine of its own, so that reading rows, encoding them and
// compressing them share the machine's cores. Write copies into pooled
// chunks: the caller keeps its buffer.
type deflater struct {
	file  *os.File
	crc   uint32
	size  int64
	work  chan []byte
	done  chan error
	pool  sync.Pool
	close sync.Once
}

const chunkSize = 256 << 10

// newDeflater starts a data sheet's compressed buffer, a file in dir
// named with its writer's token while the workbook is built (see
// RemoveStaleTemps).
func newDeflater(dir, token string) (*deflater, error) {
	pattern := sheetPrefix + "*" + sheetSuffix
	if token != "" {
		pattern = sheetPrefix + token + "-*" + sheetSuffix
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("create sheet buffer: %w", err)
	}
	d := &deflater{file: f, work: make(chan []byte, 4), done: make(chan error, 1)}
	d.pool.New = func() any { b := make([]byte, 0, chunkSize); return &b }
	go d.run()
	return d, nil
}

func (d *deflater) run() {
	bw := bufio.NewWriterSize(d.file, 256<<10)
	zw, _ := flate.NewWriter(bw, flate.BestSpeed)
	var err error
	for chunk := range d.work {
		if err == nil {
			d.crc = crc32.Update(d.crc, crc32.IEEETable, chunk)
			_, err = zw.Write(chunk)
		}
		b := chunk[:0]
		d.pool.Put(&b)
	}
	if err == nil {
		err = zw.Flush() // a sync flush, not Close: see stream
	}
	if err == nil {
		err = bw.Flush()
	}
	d.done <- err
}

// Write implements io.Writer.
func (d *deflater) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		c := *(d.pool.Get().(*[]byte))
		k := min(len(p), chunkSize)
		c = append(c, p[:k]...)
		d.work <- c
		d.size += int64(k)
		p = p[k:]
	}
	return n, nil
}

// finish waits for the compressor and returns the stream; abort (or a
// failed finish) removes the temporary file.
func (d *deflater) finish() (stream, error) {
	var err error
	d.close.Do(func() {
		close(d.work)
		err = <-d.done
	})
	if err == nil {
		err = d.file.Close()
	}
	if err != nil {
		os.Remove(d.file.Name())
		return stream{}, fmt.Errorf("compress sheet: %w", err)
	}
	st, err := os.Stat(d.file.Name())
	if err != nil {
		os.Remove(d.file.Name())
		return stream{}, fmt.Errorf("compress sheet: %w", err)
	}
	return stream{path: d.file.Name(), crc: d.crc, size: d.size, compressed: st.Size()}, nil
}

func (d *deflater) abort() {
	d.close.Do(func() {
		close(d.work)
		<-d.done
	})
	d.file.Close()
	os.Remove(d.file.Name())
}

// rowEncoder appends one worksheet's XML to a buffer and flushes it to
// out whenever it passes a threshold. Cells are written left to right;
// a skipped column simply has no cell.
type rowEncoder struct {
	out io.Writer
	buf []byte
	row int    // the current row, 1-based
	col int    // the next column, 0-based
	ref []byte // the current row number as text
	// base is the style of a cell written with style 0.
	base int
	err  error
}

func (e *rowEncoder) flushIfFull() {
	if len(e.buf) >= chunkSize-64<<10 && e.err == nil {
		_, e.err = e.out.Write(e.buf)
		e.buf = e.buf[:0]
	}
}

func (e *rowEncoder) flush() error {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.out.Write(e.buf)
		e.buf = e.buf[:0]
	}
	return e.err
}

func (e *rowEncoder) raw(s string) { e.buf = append(e.buf, s...) }

// startRow opens row r (1-based); rows must ascend.
func (e *rowEncoder) startRow(r int, height float64) {
	e.row, e.col = r, 0
	e.ref = strconv.AppendInt(e.ref[:0], int64(r), 10)
	e.buf = append(e.buf, `<row r="`...)
	e.buf = append(e.buf, e.ref...)
	if height > 0 {
		e.buf = append(e.buf, `" ht="`...)
		e.buf = strconv.AppendFloat(e.buf, height, 'f', -1, 64)
		e.buf = append(e.buf, `" customHeight="1`...)
	}
	e.buf = append(e.buf, `">`...)
}

func (e *rowEncoder) endRow() {
	e.buf = append(e.buf, `</row>`...)
	e.flushIfFull()
}

// skip leaves the next n columns empty.
func (e *rowEncoder) skip(n int) { e.col += n }

func (e *rowEncoder) cellStart(style int, typ string) {
	if style == 0 {
		style = e.base
	}
	e.buf = append(e.buf, `<c r="`...)
	if e.col < len(colNames) {
		e.buf = append(e.buf, colNames[e.col]...)
	} else {
		e.buf = append(e.buf, colName(e.col+1)...)
	}
	e.buf = append(e.buf, e.ref...)
	e.buf = append(e.buf, '"')
	if style > 0 {
		e.buf = append(e.buf, ` s="`...)
		e.buf = strconv.AppendInt(e.buf, int64(style), 10)
		e.buf = append(e.buf, '"')
	}
	if typ != "" {
		e.buf = append(e.buf, ` t="`...)
		e.buf = append(e.buf, typ...)
		e.buf = append(e.buf, '"')
	}
	e.buf = append(e.buf, '>')
	e.col++
}

// text writes s as an inline string: never a formula, whatever its
// first character. An empty s leaves the cell empty.
func (e *rowEncoder) text(s string, style int) {
	if s == "" {
		if style > 0 {
			e.cellStart(style, "")
			e.buf = append(e.buf, `</c>`...)
		} else {
			e.col++
		}
		return
	}
	e.cellStart(style, "inlineStr")
	e.buf = append(e.buf, `<is><t`...)
	if needsPreserve(s) {
		e.buf = append(e.buf, ` xml:space="preserve"`...)
	}
	e.buf = append(e.buf, '>')
	e.buf = appendCellText(e.buf, s)
	e.buf = append(e.buf, `</t></is></c>`...)
}

// number writes a numeric cell.
func (e *rowEncoder) number(v float64, style int) {
	e.cellStart(style, "")
	e.buf = append(e.buf, `<v>`...)
	e.buf = strconv.AppendFloat(e.buf, v, 'f', -1, 64)
	e.buf = append(e.buf, `</v></c>`...)
}

// integer writes an exact integer cell. Excel keeps 15 significant
// digits: every minor-unit amount below 2^53 is stored exactly.
func (e *rowEncoder) integer(v int64, style int) {
	e.cellStart(style, "")
	e.buf = append(e.buf, `<v>`...)
	e.buf = strconv.AppendInt(e.buf, v, 10)
	e.buf = append(e.buf, `</v></c>`...)
}

// formulaNumber writes a formula with its cached numeric result, so that
// readers that do not recalculate still show the figure.
func (e *rowEncoder) formulaNumber(f string, cached float64, style int) {
	e.cellStart(style, "")
	e.buf = append(e.buf, `<f>`...)
	e.buf = appendEscaped(e.buf, f)
	e.buf = append(e.buf, `</f><v>`...)
	e.buf = strconv.AppendFloat(e.buf, cached, 'f', -1, 64)
	e.buf = append(e.buf, `</v></c>`...)
}

// formulaText writes a formula with a cached text result.
func (e *rowEncoder) formulaText(f, cached string, style int) {
	e.cellStart(style, "str")
	e.buf = append(e.buf, `<f>`...)
	e.buf = appendEscaped(e.buf, f)
	e.buf = append(e.buf, `</f><v>`...)
	e.buf = appendCellText(e.buf, cached)
	e.buf = append(e.buf, `</v></c>`...)
}

// needsPreserve reports whether leading or trailing white space would be
// dropped by an XML reader without xml:space="preserve".
func needsPreserve(s string) bool {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	return isSpace(s[0]) || isSpace(s[len(s)-1])
}

// appendEscaped appends s escaped for XML element text (quotes need no
// escape there), for text known to be valid (formulas built here).
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendCellText appends text from outside for an Excel text element:
// XML-escaped; characters XML 1.0 cannot hold (control characters, a
// carriage return, which XML readers turn into a line feed, U+FFFE and
// U+FFFF) written as Excel's _xHHHH_ escapes; an existing _xHHHH_
// sequence protected by escaping its underscore, so that it reads back
// as written; invalid UTF-8 replaced by U+FFFD; and text past Excel's
// 32,767 characters cut off.
func appendCellText(b []byte, s string) []byte {
	if plainText(s) {
		return append(b, s...)
	}
	units := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			units++
			if units > maxCellChars {
				break
			}
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '\t' || c == '\n':
				b = append(b, c)
			case c < 0x20:
				b = appendXEscape(b, rune(c))
			case c == '_' && isXEscape(s[i:]):
				b = append(b, "_x005F_"...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			r = utf8.RuneError
		}
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if units+w > maxCellChars {
			break
		}
		units += w
		if r == 0xFFFE || r == 0xFFFF {
			b = appendXEscape(b, r)
		} else {
			b = utf8.AppendRune(b, r)
		}
		i += n
	}
	return b
}

// plainText reports whether s can be written as it is: short, ASCII
// printable, with nothing to escape.
func plainText(s string) bool {
	if len(s) > maxCellChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '&' || c == '<' || c == '>' || c == '_' {
			return false
		}
	}
	return true
}

func appendXEscape(b []byte, r rune) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, '_', 'x', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15], '_')
}

// isXEscape reports whether s starts with _xHHHH_, which Excel would read
// as an escaped character.
func isXEscape(s string) bool {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' && s[1] != 'X' || s[6] != '_' {
		return false
	}
	for i := 2; i < 6; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// excelSerial converts a wall-clock time (its own zone's reading) to an
// Excel serial date in the 1900 date system.
func excelSerial(sec int64, nsec int) float64 {
	const unixEpochSerial = 25569 // 1970-01-01
	days := math.Floor(float64(sec) / 86400)
	rem := sec - int64(days)*86400
	return unixEpochSerial + days + (float64(rem)+float64(nsec)/1e9)/86400
}
