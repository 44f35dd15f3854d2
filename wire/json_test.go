package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendJSONStringMatchesEncodingJSON holds the fast path to what
// encoding/json writes (HTML escaping off) for valid UTF-8 text.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "Zoë 日本 <&>", "=HYPERLINK(\"x\")"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := AppendJSONString([]byte("x"), s)
		if string(got) != "x"+string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%q: got %s, want %s", s, got[1:], want.Bytes())
		}
		if b := AppendJSONString(nil, []byte(s)); string(b) != string(got[1:]) {
			t.Errorf("%q: the []byte form gave %s", s, b)
		}
	}
}
