package webhooklog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFields holds the members a Doc records while it validates to the
// ones found by scanning the bytes again (scanFields), for every object
// recorded: the same keys, values and offsets, in order. The seeds
// include more containers than a Doc keeps spans for, keys with escapes
// and whitespace everywhere.
func FuzzFields(f *testing.F) {
	for _, s := range []string{
		`{"received_at":"x","headers":{"Signature":"ab"},"body":{"headers":{"status_code":0},"body":{"a":"b","c":[1,{"d":2}]}}}`,
		` { "a" : { "b" : [ ] , "c" : { } } , "a" : null } `,
		`{"\u0061":1,"b\"":{"\\":2}}`,
		`[{"a":{"b":1}},{"c":{"d":2}}]`,
		`{"a":{` + strings.Repeat(`"x":{},`, 20) + `"y":{"z":1}}}`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, depth uint8) {
		var d Doc
		if !d.parse(b, int(depth%5), false) {
			return
		}
		for _, s := range d.spans[:d.n] {
			if b[s.start] != '{' {
				continue
			}
			type field struct {
				key, val string
				at       int
			}
			var got, want []field
			d.Fields(s.start, func(key, val []byte, at int) { got = append(got, field{string(key), string(val), at}) })
			d.scanFields(s.start, func(key, val []byte, at int) { want = append(want, field{string(key), string(val), at}) })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("object at %d of %q: recorded members %v, scanned %v", s.start, b, got, want)
			}
		}
	})
}

// FuzzDecode holds Decode's one-pass check to the checks it replaces, in
// their order: a NUL byte, then invalid UTF-8, then broken JSON. And a
// payload said to be compact is: AppendCompact leaves it as it is.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"received_at":"x","headers":{"Signature":"ab"},"body":{"a":"é"}}`,
		`{"body":" {\"a\": 1}"}`, `{"body":"{\"a\":1}"}`, "{\"a\":\"\x00\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "\x00{", `{"a":1`, "{\"a\":\"\xf0\x9f\x98\x80\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var want ProblemKind
		switch {
		case bytes.IndexByte(line, 0) >= 0:
			want = NULByte
		case !utf8.Valid(line):
			want = NotUTF8
		case !json.Valid(line):
			want = BrokenJSON
		}
		var d Decoder
		rec, p := d.Decode(line)
		switch {
		case want != 0 && (p == nil || p.Kind != want):
			t.Fatalf("Decode(%q): got %v, want kind %d", line, p, want)
		case want == 0 && p != nil && p.Kind != NotRecord:
			t.Fatalf("Decode(%q): got %v, want none", line, p)
		case p != nil:
			return
		}
		pl, p := rec.Payload()
		if p == nil && pl.Compact && !bytes.Equal(AppendCompact(nil, pl.Bytes), pl.Bytes) {
			t.Fatalf("payload %q said to be compact", pl.Bytes)
		}
	})
}
