package reports

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// renderDigest, when set, also saves the headless Chromium screenshot
// of the golden HTML summary to this PNG (the docs' picture of it):
//
//	go test ./reports -run TestDigestHTMLInChromium -render.digest ../docs/summary-html.png
var renderDigest = flag.String("render.digest", "", "save the Chromium screenshot of the golden HTML summary to this PNG")

// goldenDigest writes the golden dataset's workbook and returns its
// digest. The workbook's path is the one a run with report_dir
// "reports" would name, so the digest does not carry the test's
// temporary directory.
func goldenDigest(t *testing.T) Digest {
	t.Helper()
	db, run := goldenStore(t)
	var d Digest
	out := filepath.Join(t.TempDir(), "recon.xlsx")
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out, Zone: goldenZone,
		Now: func() time.Time { return goldenNow }, LinkHosts: goldenLinkHosts, OnDigest: func(x Digest) { d = x }}); err != nil {
		t.Fatal(err)
	}
	if d.Workbook != out {
		t.Fatalf("digest names the workbook %q, want %q", d.Workbook, out)
	}
	d.Workbook = "reports/recon-2024-03-14.xlsx"
	return d
}

func renderDigestFiles(t *testing.T, d Digest) map[string][]byte {
	t.Helper()
	var md, html bytes.Buffer
	if err := WriteDigestMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteDigestHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"summary.md": md.Bytes(), "summary.html": html.Bytes()}
}

// TestGoldenDigest holds the Markdown and HTML summaries of the golden
// dataset to testdata/reports/summary.md and summary.html (-update
// rewrites them), and checks that a second store built from the same
// inputs gives the same bytes.
func TestGoldenDigest(t *testing.T) {
	got := renderDigestFiles(t, goldenDigest(t))
	again := renderDigestFiles(t, goldenDigest(t))
	for name, b := range got {
		t.Run(name, func(t *testing.T) {
			if !bytes.Equal(b, again[name]) {
				t.Fatalf("two stores of the same inputs give different %s:\n%s", name, cmp.Diff(string(b), string(again[name])))
			}
			path := filepath.Join(workbookDir, name)
			if *update {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(b)); d != "" {
				t.Errorf("%s differs from the golden file (go test ./reports -update if intended):\n%s", name, d)
			}
		})
	}
	md := string(got["summary.md"])
	for _, want := range []string{
		"# Reconciliation 2024-03-14 (WIB)",
		"**ACTION NEEDED:",
		"| Amount mismatch | critical | 1 |",
		"| **Unexplained (must be 0)** | **0** | **0.00** |",
		"Since the last run:",
		"Workbook: `reports/recon-2024-03-14.xlsx`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
}

// TestDigestEscapes: text in the HTML summary is escaped, and text in
// the Markdown cannot end a table cell.
func TestDigestEscapes(t *testing.T) {
	d := Digest{BusinessDate: "2026-11-08", Zone: "Asia/Jakarta", Banner: "<script>alert(1)</script>", Level: levelAlert,
		Exceptions: 1, Currencies: []string{"IDR"}, Workbook: `r/"><b>x.xlsx`,
		Categories: []DigestCategory{{Code: "X|Y", Name: "X|<i>Y</i>", Severity: "high", Count: 1, Stake: map[string]int64{"IDR": 100}}}}
	files := renderDigestFiles(t, d)
	html := string(files["summary.html"])
	for _, bad := range []string{"<script>", "<i>Y", `"><b>`} {
		if strings.Contains(html, bad) {
			t.Errorf("summary.html holds %q unescaped", bad)
		}
	}
	md := string(files["summary.md"])
	if !strings.Contains(md, `| X\|&lt;i&gt;Y&lt;/i&gt; | high | 1 | 1 |`) {
		t.Errorf("summary.md: a | in a name must not end its cell, nor a tag be read as one:\n%s", md)
	}
	if strings.Contains(md, "<script>") {
		t.Errorf("summary.md holds the banner's <script> unescaped:\n%s", md)
	}
}

// TestDigestHTMLInChromium renders the golden HTML summary in headless
// Chromium and checks the screenshot: the page rendered (not blank), its
// red banner is there, and so are the chart's bars, drawn from the
// inline SVG. The screenshot is kept in $TEST_ARTIFACTS when that is
// set (CI keeps it). It is skipped where Chromium is not installed.
func TestDigestHTMLInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("Chromium is not on PATH (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("Chromium takes seconds to start")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "summary.html")
	if err := os.WriteFile(page, renderDigestFiles(t, goldenDigest(t))["summary.html"], 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "summary-html.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A private profile, no network beyond the file, no first-run work.
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1000,1300", "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("TEST_ARTIFACTS"); dir != "" {
		saveCopy(t, shot, filepath.Join(dir, "summary-html.png"))
	}
	if *renderDigest != "" {
		saveCopy(t, shot, *renderDigest)
	}
	banner, bars, white := countColor(img, 0xC0, 0x00, 0x00), countColor(img, 0x2F, 0x55, 0x97), countColor(img, 0xFF, 0xFF, 0xFF)
	b := img.Bounds()
	t.Logf("%dx%d screenshot: %d banner red, %d bar blue, %d white pixels", b.Dx(), b.Dy(), banner, bars, white)
	if white == b.Dx()*b.Dy() {
		t.Fatal("the screenshot is blank")
	}
	if banner < 5000 {
		t.Errorf("%d pixels of the banner's red: want the red banner", banner)
	}
	if bars < 2000 {
		t.Errorf("%d pixels of the bars' blue: want the SVG chart drawn", bars)
	}
}

// countColor counts the pixels of an image within a small distance of
// a color (anti-aliasing blurs the edges).
func countColor(img image.Image, r, g, b uint8) int {
	n := 0
	bd := img.Bounds()
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d > -8 && d < 8
	}
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}

func saveCopy(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
