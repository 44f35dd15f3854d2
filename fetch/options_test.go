package fetch

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // substrings of the error; none means valid
	}{
		{name: "valid", opts: Options{BaseURL: "https://api.xepeng.com/"}},
		{name: "valid with prefix", opts: Options{BaseURL: "http://127.0.0.1:8080/oxpay"}},
		{name: "empty", opts: Options{}, want: []string{"base url is empty"}},
		{name: "relative", opts: Options{BaseURL: "api.xepeng.com"}, want: []string{"absolute http or https"}},
		{name: "query", opts: Options{BaseURL: "https://h/?a=1"}, want: []string{"query or fragment"}},
		{name: "negatives", opts: Options{BaseURL: "https://h", Timeout: -1, Concurrency: -2}, want: []string{"timeout is negative", "concurrency is negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o := Options{BaseURL: "https://api.xepeng.com//", Concurrency: 16}.withDefaults()
	if o.BaseURL != "https://api.xepeng.com" {
		t.Errorf("got base %q, want the trailing slashes dropped", o.BaseURL)
	}
	if o.MaxAttempts != 5 || o.BaseBackoff != 200*time.Millisecond || o.MaxBackoff != 10*time.Second || o.Timeout != 30*time.Second {
		t.Errorf("got %d attempts, backoff %v..%v, timeout %v; want 5, 200ms..10s, 30s", o.MaxAttempts, o.BaseBackoff, o.MaxBackoff, o.Timeout)
	}
	tr := o.HTTPClient.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost < 16 {
		t.Errorf("got MaxIdleConnsPerHost %d, want at least the concurrency 16", tr.MaxIdleConnsPerHost)
	}
	if got := UserAgent(""); got != "recon/dev (reconkit; +https://github.com/reconkit/reconkit)" {
		t.Errorf("got %q", got)
	}
}

func TestInvalidOptionsFailTheCall(t *testing.T) {
	x := NewXepeng(Options{BaseURL: "not a url"}, testClientID, testSecret)
	_, err := x.GetOrder(withTimeout(t), "o-1")
	if err == nil || !strings.Contains(err.Error(), "invalid options") {
		t.Fatalf("got %v, want an invalid options error", err)
	}
}
