package pointer

import "testing"

func TestEscapeUnescape(t *testing.T) {
	for _, tc := range []struct{ name, tok, esc string }{
		{"plain", "orders", "orders"},
		{"slash", "/orders/{id}", "~1orders~1{id}"},
		{"tilde", "a~b", "a~0b"},
		{"tilde before one", "~1", "~01"},
		{"media type", "application/json", "application~1json"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Escape(tc.tok); got != tc.esc {
				t.Errorf("Escape(%q): got %q, want %q", tc.tok, got, tc.esc)
			}
			if got := Unescape(tc.esc); got != tc.tok {
				t.Errorf("Unescape(%q): got %q, want %q", tc.esc, got, tc.tok)
			}
		})
	}
}
