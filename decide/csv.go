package decide

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSV columns: a decisions CSV has a header naming at least these (in
// any order, any case; "exception key" for key, as the workbook's
// header says, and "notes" for note are taken too). Other columns are
// left alone.
const (
	ColumnKey      = "key"
	ColumnDecision = "decision"
	ColumnNote     = "note"
)

var columnAliases = map[string]string{
	"key": ColumnKey, "exception key": ColumnKey, "exception_key": ColumnKey,
	"decision": ColumnDecision,
	"note":     ColumnNote, "notes": ColumnNote,
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadCSV reads a decisions CSV (name is how errors call it): a header,
// then one exception a line with its key, decision and note, separated
// by commas and quoted as RFC 4180 says. A UTF-8 byte-order mark (Excel's
// "CSV UTF-8") is skipped. A file separated by semicolons or tabs, as
// Excel saves "CSV" where the decimal mark is a comma, is refused,
// saying so: read with commas it would be one column per line.
func ReadCSV(r io.Reader, name string) ([]Row, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty: want a header with the columns key, decision and note", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		if c, ok := columnAliases[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := cols[c]; !dup {
				cols[c] = i
			}
		}
	}
	if len(header) == 1 {
		for _, sep := range []struct{ char, name string }{{";", "semicolons"}, {"\t", "tabs"}} {
			if strings.Contains(header[0], sep.char) {
				return nil, fmt.Errorf("%s line 1: the columns are separated by %s; recon reads decisions separated by commas (key,decision,note): save the file as \"CSV UTF-8 (Comma delimited)\", or write it with commas",
					name, sep.name)
			}
		}
	}
	var missing []string
	for _, c := range []string{ColumnKey, ColumnDecision, ColumnNote} {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s line 1: the header %q lacks the column(s) %s: want key, decision and note",
			name, strings.Join(header, ","), strings.Join(missing, ", "))
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := cols[c]; i < len(rec) {
				return rec[i]
			}
			return ""
		}
		rows = append(rows, Row{Row: line, Key: get(ColumnKey), Decision: get(ColumnDecision), Note: get(ColumnNote)})
	}
}
