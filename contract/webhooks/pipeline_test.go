package webhooks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/sign"
)

// TestPipelineMatchesLineByLine reads a log of many batches on several
// goroutines and wants the report that checking it line by line on one
// gives: the first line of each finding, which input errors are kept and
// which findings the cap admits all follow line order.
func TestPipelineMatchesLineByLine(t *testing.T) {
	log := mixedLog(t)
	opts := Options{SignKey: signKey, MaxFindings: 40, MaxLineBytes: 400 << 10}

	ref := newChecker(t, oxpaySpec, opts)
	readLineByLine(t, ref, "mixed.jsonl", log)
	want := ref.Report()
	if want.DroppedDrift == 0 || want.InputErrors.Count <= keptInputErrors || len(want.Drift) != opts.MaxFindings {
		t.Fatalf("the log does not exercise the cap and the kept errors: %d dropped, %d input errors, %d findings",
			want.DroppedDrift, want.InputErrors.Count, len(want.Drift))
	}
	if n := countLines(log); n < 4*batchLines {
		t.Fatalf("the log has %d lines, fewer than four batches", n)
	}

	for _, workers := range []int{0, 1, 2, 3, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			c := newChecker(t, oxpaySpec, opts)
			c.workers = workers
			got := check(t, c, "mixed.jsonl", log)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report (-line by line +pipeline):\n%s", diff)
			}
		})
	}
}

// TestPipelineManyLogs reads the same logs through one Checker line by
// line and on goroutines: tallies carry on from one log to the next.
func TestPipelineManyLogs(t *testing.T) {
	logs := []struct {
		name string
		data []byte
		gzip bool
	}{
		{"drifted.jsonl", driftedLog(), false},
		{"mixed.jsonl.gz", mixedLog(t), true},
		{"drifted-again.jsonl", driftedLog(), false},
	}
	opts := Options{SignKey: signKey, MaxFindings: 30, MaxLineBytes: 400 << 10}
	ref := newChecker(t, oxpaySpec, opts)
	for _, l := range logs {
		readLineByLine(t, ref, l.name, l.data)
		ref.files[len(ref.files)-1].Gzip = l.gzip
	}
	c := newChecker(t, oxpaySpec, opts)
	c.workers = 2
	for _, l := range logs {
		data := l.data
		if l.gzip {
			data = gzipped(t, data)
		}
		check(t, c, l.name, data)
	}
	if diff := cmp.Diff(ref.Report(), c.Report()); diff != "" {
		t.Errorf("report (-line by line +pipeline):\n%s", diff)
	}
}

// readLineByLine is ReadLog as it was before lines were checked on other
// goroutines: each line checked and tallied before the next is read.
func readLineByLine(t *testing.T, c *Checker, name string, log []byte) {
	t.Helper()
	fs := &FileStat{Name: name}
	c.files = append(c.files, fs)
	lr := &lineReader{r: bufio.NewReader(bytes.NewReader(log)), max: c.opts.MaxLineBytes}
	for no := 1; ; no++ {
		line, size, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fs.Lines = no
		if tooLong {
			c.inputError(fs, no, fmt.Sprintf("line is %d bytes, longer than the limit of %d", size, c.opts.MaxLineBytes))
			continue
		}
		c.line(fs, no, line)
	}
}

// mixedLog is the drifted log over and over, with lines between that
// drift each in its own way (more findings than the cap), input errors
// (more than are kept), a line bigger than a batch, over-long lines and
// no line end at the end.
func mixedLog(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	for i := range 60 {
		b.Write(driftedLog())
		n := notification("payment", i)
		n["body"].(map[string]any)[fmt.Sprintf("extra_%d", i)] = json.Number("1")
		b.Write(deliveryLine(t, n))
		if i%7 == 3 {
			fmt.Fprintf(&b, "{\"broken\": %d\n", i)
		}
		if i%13 == 5 {
			// Bigger than a batch, within MaxLineBytes 400 KiB.
			n := notification("refund", i)
			n["body"].(map[string]any)["note"] = strings.Repeat("x", 300<<10)
			b.Write(deliveryLine(t, n))
		}
		if i%17 == 9 {
			b.WriteString(`{"body":"` + strings.Repeat("y", 500<<10) + "\"}\n")
		}
	}
	b.WriteString(`{"body":{"tail":true}}`)
	return b.Bytes()
}

// deliveryLine is one signed log line holding n.
func deliveryLine(t testing.TB, n map[string]any) []byte {
	t.Helper()
	payload, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Appendf(nil, `{"headers":{"Signature":%q},"body":`, sign.OxPay(signKey, payload))
	line = append(line, payload...)
	return append(line, "}\n"...)
}

// oneOfSpec has a webhook whose body is a oneOf: the drift walker picks a
// branch per delivery, from views all the goroutines share.
const oneOfSpec = `openapi: 3.1.0
info: {title: t, version: '1'}
paths: {}
webhooks:
  payment:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [body]
              properties:
                body:
                  oneOf:
                    - type: object
                      required: [card]
                      properties:
                        card: {type: string}
                        brand: {type: string, enum: [visa, mc]}
                    - type: object
                      required: [wallet]
                      properties:
                        wallet: {type: string}
                        brand: {type: string, enum: [grabpay]}
                        steps: {type: array, items: {type: object, required: [at], properties: {at: {type: string, format: date-time}}}}
      responses:
        '200': {description: ok}
`

// TestPipelineOneOf checks deliveries against a oneOf body on several
// goroutines (run it with -race) and wants the line-by-line report.
func TestPipelineOneOf(t *testing.T) {
	bodies := []string{
		`{"card":"c","brand":"visa"}`,
		`{"card":"c","brand":"grabpay"}`,
		`{"wallet":"w","brand":"grabpay","steps":[{"at":"2026-11-01T00:00:00Z"},{"at":"yesterday"}]}`,
		`{"wallet":"w","brand":"visa","steps":[{}]}`,
		`{"brand":"mc","extra":1}`,
		`{"wallet":5}`,
	}
	var log bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&log, `{"body":{"body":%s}}`+"\n", bodies[(i*7)%len(bodies)])
	}
	opts := Options{MaxFindings: 100}
	load := func() *Checker {
		c, err := Load("oneof.yaml", []byte(oneOfSpec), opts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ref := load()
	readLineByLine(t, ref, "oneof.jsonl", log.Bytes())
	want := ref.Report()
	if len(want.Drift) < 4 {
		t.Fatalf("only %d findings; the log should drift in several ways", len(want.Drift))
	}
	c := load()
	c.workers = 4
	if diff := cmp.Diff(want, check(t, c, "oneof.jsonl", log.Bytes())); diff != "" {
		t.Errorf("report (-line by line +pipeline):\n%s", diff)
	}
}
