package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// encoderJSON is what the hand-written writer must equal: the Encoder
// with the exports' settings.
func encoderJSON(t testing.TB, v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// oddStrings are texts JSON must escape, or must not.
var oddStrings = []string{"", "plain", `"quoted" \back\slash/`, "<b>&amp;</b>", "\x00\x01\x07\b\f\n\r\t\x1f\x7f",
	"ünïcødé 日本 🙂", "\u2028\u2029", "\xff\xfe bad \xc3", "\xe2\x80", "a\xe2\x80\xa8b", "\uFFFD", "\U0010FFFF"}

func TestAppendJSONString(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		// Marshal escapes HTML; the exports do not.
		want = bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(want, []byte(`\u003c`), []byte("<")), []byte(`\u003e`), []byte(">")), []byte(`\u0026`), []byte("&"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	for _, s := range oddStrings {
		check(s)
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("x" + string([]byte{byte(c)}) + "y")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		check(string(b))
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var row = []exceptionJSON{{Detail: s, Category: s}}
		var got bytes.Buffer
		if err := writeRows(&got, row); err != nil {
			t.Fatal(err)
		}
		if want := encoderJSON(t, row); got.String() != want {
			t.Errorf("%q:\ngot  %s\nwant %s", s, got.String(), want)
		}
	})
}

// writeRows writes rows through writeExceptionsJSON, one at a time.
func writeRows(w io.Writer, rows []exceptionJSON) error {
	return writeExceptionsJSON(w, len(rows), func(i int, r *exceptionJSON) { *r = rows[i] })
}

// TestWriteExceptionsJSON fills every field of exceptionJSON (by
// reflection, so that a field added later is covered too) and holds the
// writer to the Encoder, for none, one and several rows.
func TestWriteExceptionsJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(i int) exceptionJSON {
		var r exceptionJSON
		v := reflect.ValueOf(&r).Elem()
		for f := range v.NumField() {
			fv := v.Field(f)
			switch fv.Kind() {
			case reflect.String:
				fv.SetString(oddStrings[rng.IntN(len(oddStrings))] + strings.Repeat("x", i%3))
			case reflect.Int64:
				fv.SetInt(rng.Int64() - rng.Int64())
			case reflect.Bool:
				fv.SetBool(rng.IntN(2) == 1)
			case reflect.Pointer:
				if i%2 == 1 {
					n := rng.IntN(1000) - 10
					fv.Set(reflect.ValueOf(&n))
				}
			default:
				t.Fatalf("exceptionJSON field %s: kind %s the writer does not know", v.Type().Field(f).Name, fv.Kind())
			}
		}
		return r
	}
	for _, n := range []int{0, 1, 2, 7} {
		rows := make([]exceptionJSON, n)
		for i := range rows {
			rows[i] = fill(i)
		}
		var got bytes.Buffer
		if err := writeRows(&got, rows); err != nil {
			t.Fatal(err)
		}
		if want := encoderJSON(t, rows); got.String() != want {
			t.Errorf("%d rows:\ngot  %s\nwant %s", n, got.String(), want)
		}
	}
}
