package ingest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const isoHeader = "booking_date,ref,memo,amount,ccy,type"

// isoRow is a good row of an isoOptions export on day d.
func isoRow(ref string, d, amount int) string {
	return fmt.Sprintf("2024-01-%02d,%s,memo %s,%d.00,IDR,settlement", d, ref, ref, amount)
}

func isoGist(line int, ref string, d, amount int) ledgerGist {
	return ledgerGist{line, fmt.Sprintf("2024-01-%02d", d), ref, "memo " + ref, "IDR", int64(amount) * 100}
}

// TestLedgerQuoteSpansLines: a quoted field that runs over a line break
// is an input error naming the lines it spans, and the lines after the
// first are read again as rows of their own, so an unclosed quote costs
// its own row and never swallows the good rows after it.
func TestLedgerQuoteSpansLines(t *testing.T) {
	const unclosed = `2024-01-15,BROKEN,"unclosed memo,5.00,IDR,settlement`
	tests := []struct {
		name    string
		opts    LedgerOptions
		lines   []string // the file, one physical line each
		entries []ledgerGist
		errs    []errGist // File is filled in
		texts   []string  // the start of each error's text
	}{
		{
			// The quote opened on line 3 runs on until the quote on line 5
			// closes it mid-field: the CSV reader took lines 4 and 5 into
			// one broken record and reported only line 3.
			name: "unclosed quote on line 3, good rows on 4 and 5",
			opts: isoOptions(),
			lines: []string{isoHeader, isoRow("GOOD-A", 15, 1), unclosed, isoRow("GOOD-B", 16, 2),
				`2024-01-16,GOOD-C,"memo GOOD-C",3.00,IDR,settlement`, isoRow("GOOD-D", 17, 4)},
			entries: []ledgerGist{isoGist(2, "GOOD-A", 15, 1), isoGist(4, "GOOD-B", 16, 2), isoGist(5, "GOOD-C", 16, 3), isoGist(6, "GOOD-D", 17, 4)},
			errs:    []errGist{{"ledger", "", 3, "lines 3-5: quoted field spans lines (unclosed quote?); line 3 is rejected, lines 4-5 are read again as rows of their own"}},
			texts:   []string{unclosed},
		},
		{
			name:    "unclosed quote to the end of the file",
			opts:    isoOptions(),
			lines:   []string{isoHeader, isoRow("GOOD-A", 15, 1), unclosed, isoRow("GOOD-B", 16, 2), isoRow("GOOD-C", 16, 3)},
			entries: []ledgerGist{isoGist(2, "GOOD-A", 15, 1), isoGist(4, "GOOD-B", 16, 2), isoGist(5, "GOOD-C", 16, 3)},
			errs:    []errGist{{"ledger", "", 3, "lines 3-5: quoted field spans lines (unclosed quote?); line 3 is rejected, lines 4-5 are read again as rows of their own"}},
			texts:   []string{unclosed},
		},
		{
			// The quote closes cleanly on line 4, so the CSV reader made
			// one valid-looking row of lines 3 and 4: BROKEN's date with
			// GOOD-B's amount, and no error at all.
			name:    "a quote closed on the next line merges two rows",
			opts:    isoOptions(),
			lines:   []string{isoHeader, unclosed, `2024-01-16,GOOD-B,memo",2.00,IDR,settlement`, isoRow("GOOD-C", 16, 3)},
			entries: []ledgerGist{isoGist(4, "GOOD-C", 16, 3)},
			errs: []errGist{
				{"ledger", "", 2, "lines 2-3: quoted field spans lines (unclosed quote?); line 2 is rejected, line 3 is read again as a row of its own"},
				{"ledger", "", 3, `line 3: broken CSV: bare " in non-quoted-field at line 3, column 23`},
			},
			texts: []string{unclosed, `2024-01-16,GOOD-B,memo"`},
		},
		{
			// Ledger exports hold one row per line. A description with a
			// line break in it is reported, naming its lines, rather than
			// read as one row: that cannot be told from an unclosed quote.
			name:    "a description over two lines",
			opts:    SandboxLedgerOptions(),
			lines:   []string{ledgerHeader, `15/01/2024,R,"two`, `lines",,"1,00",IDR`, `15/01/2024,GOOD,,,"1,00",IDR`},
			entries: []ledgerGist{{4, "2024-01-15", "GOOD", "", "IDR", 100}},
			errs: []errGist{
				{"ledger", "", 2, "lines 2-3: quoted field spans lines (unclosed quote?); line 2 is rejected, line 3 is read again as a row of its own"},
				{"ledger", "", 3, `line 3: broken CSV: bare " in non-quoted-field at line 3, column 6`},
			},
			texts: []string{`15/01/2024,R,"two`, `lines",,"1,00",IDR`},
		},
		{
			name: "a quoted field over CRLF lines",
			opts: SandboxLedgerOptions(),
			lines: []string{ledgerHeader + "\r", `15/01/2024,R,"a` + "\r", `b",,"1,00",IDR` + "\r",
				`15/01/2024,GOOD,,,"1,00",IDR` + "\r"},
			entries: []ledgerGist{{4, "2024-01-15", "GOOD", "", "IDR", 100}},
			errs: []errGist{
				{"ledger", "", 2, "lines 2-3: quoted field spans lines (unclosed quote?); line 2 is rejected, line 3 is read again as a row of its own"},
				{"ledger", "", 3, `line 3: broken CSV: bare " in non-quoted-field at line 3, column 2`},
			},
			texts: []string{`15/01/2024,R,"a`, `b",,"1,00",IDR`},
		},
		{
			// Too long for the ring of recent input: the lines are read
			// again from the file.
			name: "10 MB quoted field over two lines",
			opts: SandboxLedgerOptions(),
			lines: []string{ledgerHeader, `15/01/2024,R,"` + strings.Repeat("x", tenMB/2), strings.Repeat("x", tenMB/2) + `",,"1,00",IDR`,
				`15/01/2024,GOOD,,,"1,00",IDR`},
			entries: []ledgerGist{{4, "2024-01-15", "GOOD", "", "IDR", 100}},
			errs: []errGist{
				{"ledger", "", 2, "lines 2-3: quoted field spans lines (unclosed quote?); line 2 is rejected, line 3 is read again as a row of its own"},
				{"ledger", "", 3, fmt.Sprintf(`line 3: broken CSV: bare " in non-quoted-field at line 3, column %d`, tenMB/2+1)},
			},
			texts: []string{`15/01/2024,R,"xxxx`, "xxxx"},
		},
		{
			// A record that parses spanning lines, blank or not, is
			// rejected the same way.
			name:    "a blank quoted cell over two lines",
			opts:    SandboxLedgerOptions(),
			lines:   []string{ledgerHeader, `"`, `"`, `15/01/2024,GOOD,,,"1,00",IDR`},
			entries: []ledgerGist{{4, "2024-01-15", "GOOD", "", "IDR", 100}},
			errs: []errGist{
				{"ledger", "", 2, "lines 2-3: quoted field spans lines (unclosed quote?); line 2 is rejected, line 3 is read again as a row of its own"},
				{"ledger", "", 3, "lines 3-4: quoted field spans lines (unclosed quote?); line 3 is rejected, line 4 is read again as a row of its own"},
			},
			texts: []string{`"`, `"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Join(tc.lines, "\n") + "\n"
			path := writeFile(t, "ledger.csv", []byte(data))
			c, res := readLedger(t, path, tc.opts)
			if d := cmp.Diff(tc.entries, ledgerGists(c.ledger)); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			for i := range tc.errs {
				tc.errs[i].File = path
			}
			if d := cmp.Diff(tc.errs, errGists(c.errs)); d != "" {
				t.Errorf("input errors (-want +got):\n%s", d)
			}
			for i, e := range c.errs {
				checkErrorText(t, e, "")
				if i < len(tc.texts) && !strings.HasPrefix(e.Text, clip([]byte(tc.texts[i]))) && !strings.HasPrefix(tc.texts[i], e.Text) {
					t.Errorf("error %d: got text %q, want it to start the line %q", i, clip([]byte(e.Text)), clip([]byte(tc.texts[i])))
				}
			}
			want := Result{File: path, Kind: KindLedger, SHA256: sha256Hex([]byte(data)), Lines: len(tc.lines), Rows: len(tc.entries), Errors: len(tc.errs)}
			if d := cmp.Diff(want, res); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			checkLinesAccounted(t, data, ',', res)
		})
	}
}

// TestLedgerLinesAccounted: whatever the quotes in a file, every
// physical line after the header is a row, an input error or blank:
// rows + input errors = data lines.
func TestLedgerLinesAccounted(t *testing.T) {
	files := []string{
		"a\n\"\n\"\n\"\n",
		"\"\"\"\n\"\n,\"\n\"x\"y\n",
		"\"\n\n\n\"",
		"x\"\n\"\n\"\"\"\"\n\r\n\"\r\n",
		",,,\n\"a\nb\nc\nd\"e\nf\n",
		"\"a\"\"\n\"\"\nb\",\"\nc\"\n",
		"\",\",\"\n,\n\",\n\n\"",
		"  \n\"\t\"\n\"\n \"",
		"\"\r\n\r\n\r\"\r\n",
		// A quoted field over 10,000 lines: each is read again by itself.
		"15/01/2024,R,\"" + strings.Repeat("x\n", 10000) + "\",,\"1,00\",IDR\n15/01/2024,GOOD,,,\"1,00\",IDR\n",
	}
	for i, body := range files {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			data := ledgerHeader + "\n" + body
			path := writeFile(t, "ledger.csv", []byte(data))
			_, res := readLedger(t, path, SandboxLedgerOptions())
			checkLinesAccounted(t, data, ',', res)
		})
	}
}

// checkLinesAccounted holds a result to the lines of data: each physical
// line, read by itself, is blank, the header (the first that is not
// blank) or a data line, and every data line is a row or an input error.
func checkLinesAccounted(t *testing.T, data string, comma rune, res Result) {
	t.Helper()
	lines := strings.SplitAfter(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if res.Lines != len(lines) {
		t.Errorf("got %d lines, the file has %d", res.Lines, len(lines))
	}
	header, n := false, 0
	for _, l := range lines {
		r := csv.NewReader(strings.NewReader(l))
		r.Comma, r.FieldsPerRecord = comma, -1
		rec, err := r.Read()
		if err == io.EOF || err == nil && blankRow(rec) {
			continue
		}
		if !header {
			header = true
			continue
		}
		n++
	}
	if res.Rows+res.Errors != n {
		t.Errorf("got %d rows and %d input errors from %d data lines: %d lines lost or counted twice", res.Rows, res.Errors, n, n-res.Rows-res.Errors)
	}
}
