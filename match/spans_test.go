package match

import "testing"

func TestKeyClass(t *testing.T) {
	for _, c := range []struct {
		key, from, to string
		ok            bool
	}{
		{"ORD-20261119-000001", "ORD-2", "ORD-3", true},
		{"PL-20261119-000001", "PL-2", "PL-3", true},
		{"12575415", "1", "2", true},
		{"90000001", "9", ":", true},
		{"9", "9", ":", true},
		{"3f2a9c1e-uuid", "3", "4", true},
		{"abcdefghij1", "abcdefghi", "abcdefghj", true},
		{"POS", "POS", "POT", true},
		{"a\xff7", "a\xff7", "a\xff8", true},
		{"a\xff", "a\xff", "b", true},
		{"\xff\xff", "", "", false},
	} {
		from, to, ok := keyClass(c.key)
		if from != c.from || to != c.to || ok != c.ok {
			t.Errorf("keyClass(%q) = %q, %q, %t; want %q, %q, %t", c.key, from, to, ok, c.from, c.to, c.ok)
		}
		if ok && (c.key < from || c.key >= to) {
			t.Errorf("keyClass(%q): the key lies outside its class [%q, %q)", c.key, from, to)
		}
	}
}
