package webhooklog

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A few helpers that walk JSON already checked by json.Valid. Webhook
// lines are read this way rather than with json.Unmarshal at each level
// (log line, payload, notification), which validated and decoded the
// same bytes three times over and made parsing the bottleneck. They keep
// exact byte spans, which is what signatures and object bodies need.
// Every function but Valid assumes valid input.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	i++
	// Most strings here are short keys and ids, for which a plain loop
	// beats IndexByte's set-up.
	for end := min(i+16, len(b)); i < end; i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++ // the escaped byte
		}
	}
	if i >= len(b) {
		return len(b)
	}
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		// The quote is escaped when an odd run of backslashes precedes it.
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index just past the value starting at b[i]. It
// counts depth instead of recursing, so nesting cannot exhaust the stack.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i = skipString(b, i)
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			i++
		default: // a number or a literal
			i++
			for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
				i++
			}
		}
		if depth == 0 {
			return i
		}
	}
	return i
}

// Doc is a JSON text that Valid accepts, with the end offsets of its
// outermost containers: walking an object then steps over a nested
// object at once instead of scanning it again, and a webhook line's
// payload is walked once at each level instead of three times. A
// Decoder fills its Docs; Payload hands one out to walk.
type Doc struct {
	b     []byte
	spans [16]struct{ start, end int }
	n     int
}

// parse validates b as one JSON value, recording the spans of the
// containers at most depth levels deep.
func (d *Doc) parse(b []byte, depth int) bool {
	d.b, d.n = b, 0
	v := validator{b: b, doc: d, record: depth}
	i, ok := v.value(skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

func (d *Doc) record(start, end int) {
	if d.n < len(d.spans) {
		d.spans[d.n].start, d.spans[d.n].end = start, end
		d.n++
	}
}

// skip returns the index just past the value at i.
func (d *Doc) skip(i int) int {
	if i < len(d.b) && (d.b[i] == '{' || d.b[i] == '[') {
		for _, s := range d.spans[:d.n] {
			if s.start == i {
				return s.end
			}
		}
	}
	return skipValue(d.b, i)
}

// Fields calls fn with the key (decoded), the raw value and the value's
// offset of each member of the object at offset i, in order. A repeated
// key comes once for each time it is written; keep the last, as
// encoding/json does.
func (d *Doc) Fields(i int, fn func(key, val []byte, at int)) {
	b := d.b
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		kEnd := skipString(b, i)
		v := skipSpace(b, skipSpace(b, kEnd)+1) // past ':'
		vEnd := d.skip(v)
		key := b[i+1 : kEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(Unquote(b[i:kEnd])) // rare: a key spelled with escapes
		}
		fn(key, b[v:vEnd], v)
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
}

// Unquote decodes a JSON string value that has been validated (the
// quotes, its escapes and UTF-8), as encoding/json would: a UTF-16
// surrogate that is not half of a pair becomes U+FFFD. A body logged as
// a JSON string holding the payload is all escapes; encoding/json took
// about 6 µs for each such body, for its own validation and reflection.
func Unquote(val []byte) string {
	s := val[1 : len(val)-1]
	i := bytes.IndexByte(s, '\\')
	if i < 0 {
		return string(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.Write(s[:i])
		s = s[i+1:]
		switch c := s[0]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(s[1:5])
			s = s[4:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 7 && s[1] == '\\' && s[2] == 'u' {
					r2 = hex4(s[3:7])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default: // '"', '\\' and '/' stand for themselves
			b.WriteByte(c)
		}
		s = s[1:]
		i = bytes.IndexByte(s, '\\')
	}
	b.Write(s)
	return b.String()
}

// hex4 reads the four hex digits of a \u escape.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Type names the type of a raw JSON value for messages: string, object,
// array, bool, null or number, and nothing for an absent one.
func Type(val []byte) string {
	if len(val) == 0 {
		return "nothing"
	}
	switch val[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// AppendCompact appends the valid JSON src without the whitespace between tokens: what
// json.Compact does to valid input, without validating it again.
func AppendCompact(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"':
			i = skipString(src, i)
		case isSpace(c):
			dst = append(dst, src[start:i]...)
			for i < len(src) && isSpace(src[i]) {
				i++
			}
			start = i
		default:
			i++
		}
	}
	return append(dst, src[start:]...)
}

// MaxDepth is encoding/json's nesting limit, kept so that Valid and
// json.Valid agree on every input.
const MaxDepth = 10000

// Valid reports whether b is one valid JSON value, exactly as
// json.Valid does (ingest's FuzzValidJSON holds it to that), several times
// faster: strings are skipped with bytes.IndexByte rather than a state
// machine step per byte.
func Valid(b []byte) bool {
	var d Doc
	return d.parse(b, 0)
}

type validator struct {
	b      []byte
	doc    *Doc // where to record container spans, if anywhere
	record int  // the depth down to which spans are recorded
}

func (v *validator) value(i, depth int) (int, bool) {
	b := v.b
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return v.str(i)
	case c == '{' || c == '[':
		if depth+1 > MaxDepth {
			return i, false
		}
		end, ok := v.container(i, depth+1)
		if ok && depth < v.record {
			v.doc.record(i, end)
		}
		return end, ok
	case c == '-' || c >= '0' && c <= '9':
		return v.number(i)
	case c == 't':
		return v.literal(i, "true")
	case c == 'f':
		return v.literal(i, "false")
	case c == 'n':
		return v.literal(i, "null")
	}
	return i, false
}

func (v *validator) literal(i int, lit string) (int, bool) {
	if len(v.b)-i < len(lit) || string(v.b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

func (v *validator) container(i, depth int) (int, bool) {
	b := v.b
	obj := b[i] == '{'
	end := byte(']')
	if obj {
		end = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == end {
		return i + 1, true
	}
	for {
		var ok bool
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			if i, ok = v.str(i); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
		if i, ok = v.value(i, depth); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case end:
			return i + 1, true
		default:
			return i, false
		}
	}
}

func (v *validator) str(i int) (int, bool) {
	b := v.b
	i++
	for i < len(b) {
		// Jump to the next byte that needs a look: a quote, a backslash
		// or a control character.
		j := i
		for j < len(b) && b[j] >= 0x20 && b[j] != '"' && b[j] != '\\' {
			j++
		}
		i = j
		if i >= len(b) {
			return i, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		default: // backslash
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		}
	}
	return i, false
}

func (v *validator) number(i int) (int, bool) {
	b := v.b
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, false
		}
	}
	return i, true
}
