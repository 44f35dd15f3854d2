package reports

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

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
	db, run, zone := worldStore(t, gen.Options{Seed: 1, Orders: 2000})
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
	sheets := len(readSheetNames(t, book))
	if pages < sheets {
		t.Errorf("the PDF has %d pages for %d sheets", pages, sheets)
	}
	if *renderSummary == "" {
		return
	}
	prefix := filepath.Join(dir, "page")
	if out, err := exec.CommandContext(ctx, "pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	png, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*renderSummary, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
