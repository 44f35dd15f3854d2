package reports

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/sandbox/gen"
)

// renderSummary, when set, also renders the Summary sheet's first page
// to this PNG (the docs' picture of the report):
//
//	go test ./reports -run TestLibreOfficeOpens -render.summary ../docs/report-summary.png
var renderSummary = flag.String("render.summary", "", "render the demo workbook's first page (Summary) to this PNG with pdftoppm")

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

func readSheetNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}

// TestLibreOfficeOpens converts a demo-sized workbook (2,000 generated
// orders) to PDF with LibreOffice Calc, headless and with a private
// profile: a workbook Calc would want to repair does not convert. It is
// skipped where soffice is not installed.
func TestLibreOfficeOpens(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice is not on PATH (apt-get install libreoffice-calc)")
	}
	if testing.Short() {
		t.Skip("LibreOffice takes seconds to start")
	}
	t.Parallel()
	// The demo's world, and one whose ledger books net settlement
	// deposits, for the Settlements sheets.
	for _, style := range []gen.LedgerStyle{gen.LedgerGross, gen.LedgerNet} {
		t.Run(string(style), func(t *testing.T) { libreOfficeOpens(t, soffice, style) })
	}
}

func libreOfficeOpens(t *testing.T, soffice string, style gen.LedgerStyle) {
	db, run, zone := worldStore(t, gen.Options{Seed: 1, Orders: 2000, LedgerStyle: style})
	dir := t.TempDir()
	book := filepath.Join(dir, "recon-demo.xlsx")
	now := func() time.Time { return time.Date(2026, 11, 2, 6, 30, 0, 0, time.UTC) }
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: book, Zone: zone, Now: now}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	profile := "file://" + filepath.Join(dir, "lo-profile")
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile, "--headless", "--norestore",
		"--convert-to", "pdf", "--outdir", dir, book)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Run(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, outBuf.Bytes())
	}
	pdf := filepath.Join(dir, "recon-demo.pdf")
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatalf("no PDF: %v\n%s", err, outBuf.Bytes())
	}
	if len(b) < 1000 || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("PDF of %d bytes starting %q: want a real document\n%s", len(b), b[:min(len(b), 8)], outBuf.Bytes())
	}
	// Every sheet prints at least one page: a sheet Calc could not read
	// would print none (or stop the conversion).
	pages := len(pdfPage.FindAll(b, -1))
	sheets := readSheetNames(t, book)
	if pages < len(sheets) {
		t.Errorf("the PDF has %d pages for %d sheets", pages, len(sheets))
	}
	checkPagination(t, ctx, book, pdf, sheets, pages)
	render := func(path string, page int) {
		if path == "" {
			return
		}
		prefix := filepath.Join(dir, "page")
		p := strconv.Itoa(page)
		if out, err := exec.CommandContext(ctx, "pdftoppm", "-png", "-r", "80", "-f", p, "-l", p, "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		png, err := os.ReadFile(prefix + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if style == gen.LedgerGross {
		render(*renderSummary, 1)
		render(*renderSheet, 3) // the first category sheet's first page
	}
}

// renderSheet, when set, renders the first category sheet's first
// printed page to this PNG (the docs' picture of a printed sheet).
var renderSheet = flag.String("render.sheet", "", "render the demo workbook's third page (the first category sheet) to this PNG with pdftoppm")

// checkPagination reads the PDF's pages back as text (pdftotext, beside
// pdftoppm in poppler-utils) and checks how the workbook printed. Every
// page's footer names its sheet, so pages are counted per sheet:
//
//   - the Summary prints on two pages at most, the first ending with the
//     chart (never split across pages), the second starting with
//     section 3;
//   - each data sheet prints one page wide: every one of its pages
//     repeats the header row from its first column to Note (Notes on
//     the result sheets), the last printed one, so no column spilled
//     onto a page of its own;
//   - no number shows as ###;
//   - a data sheet prints on no more pages than its rows' heights need:
//     fitting a sheet to the page's width only ever shrinks it, so an A4
//     landscape page (8.27 in less 1.1 in of margins: 516 pt) holds at
//     least 516 pt of rows at 100 %, less the 30 pt header repeated on
//     it and the tallest row (rows are never split), wherever the page
//     breaks fall. The real scale is nearer 60 %, so sheets print on
//     about half the bound; the bound is what a regression to sheets
//     spread over several pages across (847 pages for the 5,000-order
//     demo before print setup) breaks at once.
func checkPagination(t *testing.T, ctx context.Context, book, pdf string, sheets []string, pages int) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext is not on PATH (apt-get install poppler-utils): pagination not checked")
		return
	}
	bySheet := map[string][]string{}
	var order []string
	for i := 1; i <= pages; i++ {
		p := strconv.Itoa(i)
		out, err := exec.CommandContext(ctx, "pdftotext", "-layout", "-f", p, "-l", p, pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %d: %v", i, err)
		}
		text := string(out)
		m := pageFooter.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("page %d has no footer naming its sheet:\n%s", i, text)
		}
		sheet := m[1]
		if !slices.Contains(sheets, sheet) {
			t.Fatalf("page %d: footer names %q, not a sheet", i, sheet)
		}
		if len(bySheet[sheet]) == 0 {
			order = append(order, sheet)
		}
		bySheet[sheet] = append(bySheet[sheet], text)
		if strings.Contains(text, "###") {
			t.Errorf("page %d (%s) shows ###: a number wider than its column", i, sheet)
		}
	}
	if d := cmp.Diff(sheets, order); d != "" {
		t.Errorf("sheets in print order (-workbook +pdf):\n%s", d)
	}
	sum := bySheet[SheetSummary]
	switch {
	case len(sum) > 2:
		t.Errorf("the Summary prints on %d pages, want at most 2", len(sum))
	case len(sum) == 2 && (!strings.Contains(sum[0], "Exceptions by category") || !strings.Contains(strings.TrimSpace(sum[1]), "3. Matching")):
		t.Errorf("the Summary's first page should end with the chart and the second start with section 3:\n%s\n----\n%s", sum[0], sum[1])
	}

	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total := len(sum)
	for _, sheet := range sheets[1:] {
		first, last := "Severity", HeaderNote
		switch {
		case strings.HasPrefix(sheet, SheetSales) || strings.HasPrefix(sheet, SheetRefunds):
			first, last = "Category", "Notes"
		case strings.HasPrefix(sheet, SheetSettlementMembers):
			first, last = "Batch", "Notes"
		case strings.HasPrefix(sheet, SheetSettlements):
			first, last = "Outcome", "Notes"
		}
		for i, text := range bySheet[sheet] {
			if !strings.Contains(text, first) || !strings.Contains(text, last) {
				t.Errorf("%s page %d lacks the header from %s to %s: not one page wide", sheet, i+1, first, last)
			}
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var height, tallest float64
		for r := 1; r <= len(rows); r++ {
			h, err := f.GetRowHeight(sheet, r)
			if err != nil {
				t.Fatal(err)
			}
			height += h
			tallest = max(tallest, h)
		}
		const page, header = 516.0, 30.0
		bound := int(math.Ceil(height / (page - header - tallest)))
		got := len(bySheet[sheet])
		t.Logf("%-28s %6d rows  %3d pages (bound %d)", sheet, len(rows), got, bound)
		if got > bound {
			t.Errorf("%s prints on %d pages, more than the %d its %d rows (%.0f pt) need", sheet, got, bound, len(rows), height)
		}
		total += got
	}
	t.Logf("%d pages in all", total)
}

// pageFooter finds the sheet's name in a page's footer: the name on the
// left, "Business date D" in the middle, "Page N of M" on the right.
var pageFooter = regexp.MustCompile(`(?m)^\s*(\S.*?)\s{2,}Business date \S+\s{2,}Page \d+ of \d+\s*$`)
