package reports

import (
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {100, 3}, {7, 1 << 16}, {1 << 20, 12345}} {
		a := make([]byte, n[0])
		b := make([]byte, n[1])
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(append(a, b...)); got != want {
			t.Errorf("lengths %v: got %08x, want %08x", n, got, want)
		}
	}
}

// TestStreamsConcatenate writes three streams the way a sheet is put
// together (a small one in memory, two through deflaters) and reads
// them back as one deflate stream.
func TestStreamsConcatenate(t *testing.T) {
	dir := t.TempDir()
	parts := []string{"<head>", strings.Repeat("row one, row two; ", 50_000), strings.Repeat("SGD 12.50 ", 30_000) + "</tail>"}
	var ss []stream
	head, err := deflateBytes([]byte(parts[0]))
	if err != nil {
		t.Fatal(err)
	}
	ss = append(ss, head)
	for _, p := range parts[1:] {
		d, err := newDeflater(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(d, strings.NewReader(p)) // in odd-sized writes, as a bufio.Writer would hand them
		st, err := d.finish()
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, st)
	}
	var compressed bytes.Buffer
	for _, s := range ss {
		if s.path == "" {
			compressed.Write(s.data)
			continue
		}
		b, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		compressed.Write(b)
	}
	compressed.Write(finalBlock)
	total := compressed.Len()
	got, err := io.ReadAll(flate.NewReader(&compressed))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	want := strings.Join(parts, "")
	if string(got) != want {
		t.Fatalf("inflated %d bytes, want the %d written", len(got), len(want))
	}
	crc, size, n := concatStreams(ss)
	if crc != crc32.ChecksumIEEE([]byte(want)) || size != int64(len(want)) || n != int64(total) {
		t.Errorf("concatStreams: got crc %08x size %d compressed %d, want %08x %d %d",
			crc, size, n, crc32.ChecksumIEEE([]byte(want)), len(want), total)
	}
}

func TestAppendCellText(t *testing.T) {
	long := strings.Repeat("x", maxCellChars+10)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"=1+1", "=1+1"},
		{"a<b & c>d", "a&lt;b &amp; c&gt;d"},
		{"tab\there\nline", "tab\there\nline"},
		{"\rCR", "_x000D_CR"},
		{"nul\x00bell\x07", "nul_x0000_bell_x0007_"},
		{"_x0041_", "_x005F_x0041_"},
		{"_xZZZZ_ stays", "_xZZZZ_ stays"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"rupiah Rp 1.000 — ok", "rupiah Rp 1.000 — ok"},
		{"\uFFFE", "_xFFFE_"},
		{long, long[:maxCellChars]},
		{strings.Repeat("é", maxCellChars+1), strings.Repeat("é", maxCellChars)},
	}
	for _, tc := range tests {
		name := tc.in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			if got := string(appendCellText(nil, tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLinkFormula(t *testing.T) {
	tests := []struct {
		url, text, want string
		ok              bool
	}{
		{"https://pay.example/l/plk_1", "plk_1", `HYPERLINK("https://pay.example/l/plk_1","plk_1")`, true},
		{"HTTP://pay.example/x?a=1&b=2", "p", `HYPERLINK("HTTP://pay.example/x?a=1&b=2","p")`, true},
		{"https://pay.example/x", `say "hi"`, `HYPERLINK("https://pay.example/x","say ""hi""")`, true},
		{"javascript:alert(1)", "p", "", false},
		{"file:///etc/passwd", "p", "", false},
		{"https://", "p", "", false},
		{"https:///path", "p", "", false},
		{`https://x/"),CMD("`, "p", "", false},
		{"https://x/a b", "p", "", false},
		{"https://x/\r\n", "p", "", false},
		{"https://x/" + strings.Repeat("a", 250), "p", "", false},
		{"https://x/", strings.Repeat("p", 256), "", false},
		{"", "p", "", false},
		{"https://x/", "", "", false},
	}
	for _, tc := range tests {
		got, ok := linkFormula(tc.url, tc.text)
		if got != tc.want || ok != tc.ok {
			t.Errorf("linkFormula(%q, %q): got %q, %v; want %q, %v", tc.url, tc.text, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPlanParts(t *testing.T) {
	// A limit of 10 leaves 10 − header − 2 totals rows = 7 data rows.
	got := planParts("Matched", []piece{{currency: "IDR", rows: 12}, {currency: "SGD", rows: 4}}, 10)
	want := []part{
		{name: "Matched", rows: 7, pieces: []piece{{currency: "IDR", rows: 7}}},
		{name: "Matched (2)", rows: 7, pieces: []piece{{currency: "IDR", offset: 7, rows: 5}, {currency: "SGD", rows: 2}}},
		{name: "Matched (3)", rows: 2, pieces: []piece{{currency: "SGD", offset: 2, rows: 2}}},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(part{}, piece{})); d != "" {
		t.Errorf("planParts (-want +got):\n%s", d)
	}
	empty := planParts("Refunds & voids", nil, 10)
	if d := cmp.Diff([]part{{name: "Refunds & voids"}}, empty, cmp.AllowUnexported(part{}, piece{})); d != "" {
		t.Errorf("planParts of no rows (-want +got):\n%s", d)
	}
}

func TestSheetNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{partName("Matched", 0), "Matched"},
		{partName("Matched", 1), "Matched (2)"},
		{partName("Webhook unknown transaction", 1), "Webhook unknown transaction (2)"},
		{partName("Webhook unknown transaction", 11), "Webhook unknown transactio (12)"},
		{CategorySheetName("LEDGER_MISSING"), "Ledger missing"},
		{CategorySheetName("NEW/CATEGORY:[X]?*"), "NEW_CATEGORY__X___"},
		{CategorySheetName("'QUOTED'"), "QUOTED"},
		{CategorySheetName("A_VERY_LONG_CATEGORY_CODE_FROM_THE_FUTURE"), "A_VERY_LONG_CATEGORY_CODE_FROM_"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if n := len([]rune(tc.got)); n > maxSheetName {
			t.Errorf("%q: %d characters, over Excel's %d", tc.got, n, maxSheetName)
		}
	}
}

func TestExcelSerial(t *testing.T) {
	tests := []struct {
		t    time.Time
		want float64
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 25569},
		{time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC), 45365.5},
		{time.Date(1969, 12, 31, 18, 0, 0, 0, time.UTC), 25568.75},
	}
	for _, tc := range tests {
		if got := excelSerial(tc.t.Unix(), tc.t.Nanosecond()); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.t, got, tc.want)
		}
	}
	// In the report's zone: 2024-03-14 05:00 UTC is noon in Jakarta.
	b := &builder{zone: time.FixedZone("WIB", 7*3600)}
	if got := b.serial(time.Date(2024, 3, 14, 5, 0, 0, 0, time.UTC)); got != 45365.5 {
		t.Errorf("serial in WIB: got %v, want 45365.5", got)
	}
}

func TestDisplayAmount(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     float64
	}{
		{150000000, "IDR", 1500000},
		{-1205, "SGD", -12.05},
		{1000, "JPY", 1000},
		{123, "XYZ", 123}, // unknown: shown in minor units, never scaled by a guess
	}
	for _, tc := range tests {
		if got := displayAmount(tc.minor, tc.currency); got != tc.want {
			t.Errorf("displayAmount(%d, %s): got %v, want %v", tc.minor, tc.currency, got, tc.want)
		}
	}
	formats := map[int]string{0: "#,##0;[Red](#,##0)", 2: "#,##0.00;[Red](#,##0.00)", 3: "#,##0.000;[Red](#,##0.000)"}
	for d, want := range formats {
		if got := amountFormat(d); got != want {
			t.Errorf("amountFormat(%d): got %q, want %q", d, got, want)
		}
	}
}

// TestAllowedLink: only a payment link on an allowed host (or one of its
// subdomains) becomes a hyperlink in finance's workbook.
func TestAllowedLink(t *testing.T) {
	hosts := []string{"xepeng.com", "127.0.0.1", "Pay.Sandbox.example."}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://xepeng.com/pl/1", true},
		{"https://pay.xepeng.com/pl/1", true},
		{"HTTPS://PAY.XEPENG.COM/pl/1", true},
		{"http://127.0.0.1:8080/pay/PL-1", true},
		{"https://pay.sandbox.example/pl/1", true},
		{"https://evil.example/pl/1", false},
		{"https://xepeng.com.evil.example/pl/1", false},
		{"https://evilxepeng.com/pl/1", false},
		{"https://xepeng.com@evil.example/pl/1", false},
		{"https://user:pw@xepeng.com/pl/1", false},
		{"javascript:alert(1)//xepeng.com", false},
		{"ftp://xepeng.com/pl/1", false},
		{"//xepeng.com/pl/1", false},
		{"https:///pl/1", false},
		{"", false},
	} {
		if got := AllowedLink(tc.url, hosts); got != tc.want {
			t.Errorf("AllowedLink(%q): got %v, want %v", tc.url, got, tc.want)
		}
	}
	if AllowedLink("https://xepeng.com/pl/1", nil) {
		t.Error("no allowed hosts must allow no link")
	}
}
