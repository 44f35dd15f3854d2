package markdown

import "testing"

func TestMarkdown(t *testing.T) {
	hostile := "<script>alert(`1`)</script> | *b* _i_\r\nnext"
	for _, tc := range []struct {
		name     string
		escape   func(string) string
		in, want string
	}{
		{"text plain", Text, "GET /orders", "GET /orders"},
		{"text hostile", Text, hostile, `&lt;script&gt;alert('1')&lt;/script&gt; \| \*b\* \_i\_  next`},
		{"code plain", Code, "/paths/~1orders/get", "/paths/~1orders/get"},
		{"code hostile", Code, hostile, `<script>alert('1')</script> \| *b* _i_  next`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.escape(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
