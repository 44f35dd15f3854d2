package webhooklog

import (
	"bytes"
	"encoding/binary"
	"slices"
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

// Doc is a JSON text that Valid accepts, with the spans of its
// outermost containers and the members of its outermost objects, noted
// while it was validated: walking an object then steps from member to
// member without scanning its bytes again, and a webhook line's payload
// is read in one pass at each level. A Decoder fills its Docs; Payload
// hands one out to walk.
type Doc struct {
	b     []byte
	spans [16]span
	n     int
	// members of the objects in spans, each linked to the next of its
	// object: nested objects are validated between two members of
	// their parent, so an object's members are not contiguous.
	members []member
	// spaced says whitespace stands between some of b's tokens; without
	// any, b is its own compact form.
	spaced bool
}

// span is a container's offsets; first is the index in Doc.members of
// an object's first member, -1 for an array or an empty object.
type span struct{ start, end, first int }

// member is one member of an object in Doc.spans: the offsets of its
// key (quotes included) and of its value, and the index of the next
// member of the same object (-1 after the last).
type member struct{ key, keyEnd, val, valEnd, next int }

// maxMembers bounds the member table a Doc keeps between lines, so a
// hostile line with a huge object does not pin its table for the rest
// of the file.
const maxMembers = 1 << 12

// parse validates b as one JSON value, recording the spans of the
// containers at most depth levels deep and the members of the objects
// among them. With checkUTF8, strings must also be valid UTF-8, which
// then holds for all of b (outside its strings, valid JSON is ASCII).
func (d *Doc) parse(b []byte, depth int, checkUTF8 bool) bool {
	d.b, d.n, d.spaced = b, 0, false
	if cap(d.members) > maxMembers {
		d.members = nil
	}
	d.members = d.members[:0]
	v := validator{b: b, doc: d, record: depth, plain: &plainByte}
	if checkUTF8 {
		v.plain, v.high = &asciiByte, swarHigh
	}
	i, ok := v.value(v.space(0), 0)
	return ok && v.space(i) == len(b)
}

// find returns the span of the container at offset i, if recorded.
func (d *Doc) find(i int) (span, bool) {
	for _, s := range d.spans[:d.n] {
		if s.start == i {
			return s, true
		}
	}
	return span{}, false
}

// skip returns the index just past the value at i.
func (d *Doc) skip(i int) int {
	if i < len(d.b) && (d.b[i] == '{' || d.b[i] == '[') {
		if s, ok := d.find(i); ok {
			return s.end
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
	if s, ok := d.find(i); ok {
		for m := s.first; m >= 0; m = d.members[m].next {
			mb := &d.members[m]
			fn(memberKey(b, mb.key, mb.keyEnd), b[mb.val:mb.valEnd], mb.val)
		}
		return
	}
	d.scanFields(i, fn)
}

// scanFields is Fields for an object whose members were not recorded:
// it finds them in the bytes.
func (d *Doc) scanFields(i int, fn func(key, val []byte, at int)) {
	b := d.b
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		kEnd := skipString(b, i)
		v := skipSpace(b, skipSpace(b, kEnd)+1) // past ':'
		vEnd := d.skip(v)
		fn(memberKey(b, i, kEnd), b[v:vEnd], v)
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
}

// memberKey decodes the key b[start:end] (quotes included).
func memberKey(b []byte, start, end int) []byte {
	key := b[start+1 : end-1]
	if bytes.IndexByte(key, '\\') >= 0 {
		key = []byte(Unquote(b[start:end])) // rare: a key spelled with escapes
	}
	return key
}

// Unquote decodes a JSON string value that has been validated (the
// quotes, its escapes and UTF-8), as encoding/json would: a UTF-16
// surrogate that is not half of a pair becomes U+FFFD. A body logged as
// a JSON string holding the payload is all escapes; encoding/json took
// about 6 µs for each such body, for its own validation and reflection.
func Unquote(val []byte) string {
	s := val[1 : len(val)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	return string(AppendUnquote(make([]byte, 0, len(s)), val))
}

// UnquoteIn decodes the string value val without making a string: it
// returns the bytes between its quotes when it has no escapes, else the
// decoded text appended to *buf, which grows; values decoded one after
// another into the same buffer all stay as they were.
func UnquoteIn(buf *[]byte, val []byte) []byte {
	s := val[1 : len(val)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s
	}
	start := len(*buf)
	*buf = AppendUnquote(*buf, val)
	return (*buf)[start:len(*buf):len(*buf)]
}

// AppendUnquote appends to dst what Unquote returns, for a reader that
// keeps the text in a buffer of its own rather than in a new string.
func AppendUnquote(dst, val []byte) []byte {
	s := val[1 : len(val)-1]
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i+1:]
		switch c := s[0]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
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
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\' and '/' stand for themselves
			dst = append(dst, c)
		}
		s = s[1:]
	}
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
	return d.parse(b, 0, false)
}

type validator struct {
	b      []byte
	doc    *Doc // where to record container spans and members
	record int  // the depth down to which they are recorded
	// plain says which bytes a string holds as they are, with no
	// further look: plainByte, or asciiByte when strings must be UTF-8.
	plain *[256]bool
	// high is swarHigh when strings must be UTF-8 (a byte past ASCII
	// needs a look), else 0.
	high uint64
}

// Eight bytes at a time (SWAR): the words of swarBytes, and swarLook,
// which is not zero when a word read little-endian holds a quote, a
// backslash, a control character, or with high set a byte past ASCII.
// It can say so of a word that holds none only after a byte that does,
// so a word it passes is plain throughout.
const (
	swarOnes  = 0x0101010101010101
	swarHigh  = 0x8080808080808080
	swarQuote = '"' * swarOnes
	swarBack  = '\\' * swarOnes
	swarSpace = 0x20 * swarOnes
)

func swarLook(x, high uint64) uint64 {
	q, bs := x^swarQuote, x^swarBack
	return (x-swarSpace)&^x&swarHigh | (q-swarOnes)&^q&swarHigh | (bs-swarOnes)&^bs&swarHigh | x&high
}

// plainByte and asciiByte are the bytes a string can hold without a
// further look: no quote, backslash or control character, and for
// asciiByte nothing past ASCII, which starts a character to decode.
var plainByte, asciiByte = func() (p, a [256]bool) {
	for c := 0x20; c < 256; c++ {
		p[c] = c != '"' && c != '\\'
		a[c] = p[c] && c < 0x80
	}
	return p, a
}()

// space skips whitespace at i, noting in the Doc that there was some.
func (v *validator) space(i int) int {
	j := skipSpace(v.b, i)
	if j != i {
		v.doc.spaced = true
	}
	return j
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
		slot := -1
		if d := v.doc; depth < v.record && d.n < len(d.spans) {
			slot = d.n
			d.spans[slot] = span{start: i, first: -1}
			d.n++
		}
		end, ok := v.container(i, depth+1, slot)
		if ok && slot >= 0 {
			v.doc.spans[slot].end = end
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

// container validates the array or object at i. slot is its index in
// the Doc's spans when its members are to be recorded, else -1.
func (v *validator) container(i, depth, slot int) (int, bool) {
	b := v.b
	obj := b[i] == '{'
	end := byte(']')
	if obj {
		end = '}'
	}
	i = v.space(i + 1)
	if i < len(b) && b[i] == end {
		return i + 1, true
	}
	last := -1 // the object's last member recorded
	for {
		var ok bool
		key, keyEnd := 0, 0
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			key = i
			if i, ok = v.str(i); !ok {
				return i, false
			}
			keyEnd = i
			i = v.space(i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			i = v.space(i + 1)
		}
		val := i
		if i, ok = v.value(i, depth); !ok {
			return i, false
		}
		if obj && slot >= 0 {
			// Written field by field: a member built aside and copied in
			// whole stalls on the copy (its wide loads wait for the
			// narrow stores that built it).
			d := v.doc
			m := len(d.members)
			d.members = slices.Grow(d.members, 1)[:m+1]
			mb := &d.members[m]
			mb.key, mb.keyEnd, mb.val, mb.valEnd, mb.next = key, keyEnd, val, i, -1
			if last < 0 {
				d.spans[slot].first = m
			} else {
				d.members[last].next = m
			}
			last = m
		}
		i = v.space(i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = v.space(i + 1)
		case end:
			return i + 1, true
		default:
			return i, false
		}
	}
}

func (v *validator) str(i int) (int, bool) {
	b, plain := v.b, v.plain
	i++
	for i < len(b) {
		// Jump to the next byte that needs a look: a quote, a backslash,
		// a control character or, when checking UTF-8, a non-ASCII byte.
		j := i
		for j+8 <= len(b) && swarLook(binary.LittleEndian.Uint64(b[j:]), v.high) == 0 {
			j += 8
		}
		for j < len(b) && plain[b[j]] {
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
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, false
			}
			i += size
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
