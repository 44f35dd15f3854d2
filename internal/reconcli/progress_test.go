package reconcli

import (
	"bytes"
	"strings"
	"testing"
)

func TestPageProgress(t *testing.T) {
	var buf bytes.Buffer
	quiet := &env{stderr: &buf}
	if quiet.pageProgress("pages") != nil {
		t.Fatal("no bar when nobody watches")
	}
	e := &env{stderr: &buf, interactive: true}
	p := e.pageProgress("xepeng pages")
	for i := 1; i <= 4; i++ {
		p(i, 4)
	}
	// Redraws are throttled and the finished bar is cleared, so what is
	// left is the first draw and the clearing.
	out := buf.String()
	if !strings.Contains(out, "xepeng pages") || !strings.Contains(out, "(1/4)") || !strings.HasSuffix(out, "\r") {
		t.Fatalf("bar output %q: want the description, a count of 4 and a cleared line", out)
	}
}
