package wire

// AppendJSONString appends s to b as a JSON string, quotes, backslashes
// and control characters escaped and UTF-8 kept as it is: what
// encoding/json writes with HTML escaping off, without its reflection and
// allocations. The generator writes a million webhook payloads with it,
// and the ledger reader each row's raw cells.
func AppendJSONString[S ~string | ~[]byte](b []byte, s S) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue // bytes of multi-byte UTF-8 (>= 0x80) pass here too
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
