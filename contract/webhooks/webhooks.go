package webhooks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/sign"
)

// Defaults for the Options fields left zero.
const (
	// DefaultMaxLineBytes bounds a log line. OxPay's notifications are
	// well under a kilobyte; the limit only keeps a corrupt file (one
	// "line" of gigabytes) from being decoded into memory.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxFindings bounds the distinct (kind, check, field) keys
	// tallied. A log whose every delivery drifts differently would
	// otherwise grow the tally with the log; past the cap, occurrences
	// are counted as dropped.
	DefaultMaxFindings = 10_000
)

// keptInputErrors is how many input errors are kept in full; the rest are
// only counted.
const keptInputErrors = 20

// Options say how to check a log.
type Options struct {
	// SignKey is OxPay's sign key. When set, every delivery's Signature
	// header is verified against it (sign.OxPayVerifier: the raw payload,
	// then its compact form); when empty, signatures are only counted as
	// present or absent.
	SignKey      string
	MaxLineBytes int // 0 means DefaultMaxLineBytes
	MaxFindings  int // 0 means DefaultMaxFindings
}

// Checker checks webhook logs against a spec's webhook schemas and
// tallies what it finds across every log it reads. It is not safe for
// concurrent use.
type Checker struct {
	spec     string
	kinds    []*Kind
	version  float32
	opts     Options
	verifier *sign.OxPayVerifier

	files      []*FileStat
	deliveries []int64 // per kind
	drift      map[driftKey]*tally
	dropped    int64
	sig        Signatures
	inputErrs  InputErrors
	order      []int // scratch for classify
	agree      []int
}

type driftKey struct {
	kind       int
	check, ptr string
}

type tally struct {
	count    int64
	first    Location
	message  string
	specLine int
}

// Load loads the spec and returns a Checker for its webhooks. A spec that
// does not load is a *contract.LoadError; one without webhooks
// ErrNoWebhooks.
func Load(name string, spec []byte, opts Options) (*Checker, error) {
	s, err := contract.Load(name, spec)
	if err != nil {
		return nil, err
	}
	return New(s, opts)
}

// New returns a Checker for the webhooks of a loaded spec.
func New(spec *contract.Spec, opts Options) (*Checker, error) {
	kinds, err := loadKinds(spec)
	if err != nil {
		return nil, err
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = DefaultMaxFindings
	}
	c := &Checker{
		spec:       spec.Name,
		kinds:      kinds,
		version:    spec.SchemaVersion(),
		opts:       opts,
		deliveries: make([]int64, len(kinds)),
		drift:      map[driftKey]*tally{},
		order:      make([]int, len(kinds)),
		agree:      make([]int, len(kinds)),
	}
	if opts.SignKey != "" {
		c.verifier = sign.NewOxPayVerifier(opts.SignKey)
		c.sig.Checked = true
	}
	return c, nil
}

// Kinds returns the webhook kinds of the spec in document order.
func (c *Checker) Kinds() []*Kind { return c.kinds }

var gzipMagic = []byte{0x1f, 0x8b}

// ReadLog checks every line of one log, gzipped or not (the magic bytes
// decide, whatever the name). name is how findings name the file. A line
// that cannot be used is an input error with its line number and reading
// goes on; a read that fails part way (a truncated gzip file) is an input
// error too, and the lines before it still count. Only ctx ending stops
// it with an error.
func (c *Checker) ReadLog(ctx context.Context, name string, r io.Reader) error {
	fs := &FileStat{Name: name}
	c.files = append(c.files, fs)
	br := bufio.NewReaderSize(r, 64<<10)
	src := br
	if magic, _ := br.Peek(2); bytes.Equal(magic, gzipMagic) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			c.inputError(fs, 1, "gzip: "+err.Error())
			return nil
		}
		defer gz.Close()
		fs.Gzip = true
		src = bufio.NewReaderSize(gz, 64<<10)
	}
	lr := &lineReader{r: src, max: c.opts.MaxLineBytes}
	for no := 1; ; no++ {
		if no%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("webhook log %s: %w", name, err)
			}
		}
		line, size, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			c.inputError(fs, no, fmt.Sprintf("the log could not be read past line %d: %v", no-1, err))
			return nil
		}
		fs.Lines = no
		if tooLong {
			c.inputError(fs, no, fmt.Sprintf("line is %d bytes, longer than the limit of %d", size, c.opts.MaxLineBytes))
			continue
		}
		c.line(fs, no, line)
	}
}

// line checks one log line (without its line end).
func (c *Checker) line(fs *FileStat, no int, line []byte) {
	if blank(line) {
		return // editors and log rotation leave these; ingest skips them too
	}
	rec, reason := parseLine(line)
	if reason != "" {
		c.inputError(fs, no, reason)
		return
	}
	fs.Deliveries++
	switch {
	case !rec.signed:
		c.sig.Unsigned++
		if c.sig.FirstUnsigned == nil {
			c.sig.FirstUnsigned = &Location{File: fs.Name, Line: no}
		}
	case c.verifier == nil:
		c.sig.Signed++
	default:
		c.sig.Signed++
		switch c.verifier.Verify(rec.payload, rec.signature) {
		case sign.MatchRaw:
			c.sig.Raw++
		case sign.MatchCompact:
			c.sig.Compact++
		default:
			c.sig.Invalid++
			if c.sig.FirstInvalid == nil {
				c.sig.FirstInvalid = &Location{File: fs.Name, Line: no}
			}
		}
	}
	k, drifts := c.classify(rec.doc)
	c.deliveries[k]++
	at := Location{File: fs.Name, Line: no}
	for _, d := range drifts {
		c.record(k, d, at)
	}
}

// classify picks the kind the payload fits best and returns its drift.
// Best means, in order: the fewest drifts; then the fewest undocumented
// fields (a refund that lost refund_amount has one drift against the
// refund schema, a missing field, and one against the payment schema,
// the undocumented oxpay_original_txn_id: it is still a refund); then the
// most enum values agreeing with the kind's examples (what sets a void
// apart from a payment, as their schemas are the same); then document
// order. The shape rules of package ingest are not used: the spec alone
// decides. Kinds are tried in agreement order, so a delivery without
// drift costs one walk: the first kind it fits without drift wins.
func (c *Checker) classify(doc map[string]any) (int, []contract.Drift) {
	for i, k := range c.kinds {
		c.agree[i] = k.agreement(doc)
		c.order[i] = i
	}
	// Insertion sort: a handful of kinds, stable, no allocation.
	for i := 1; i < len(c.order); i++ {
		for j := i; j > 0 && c.agree[c.order[j]] > c.agree[c.order[j-1]]; j-- {
			c.order[j], c.order[j-1] = c.order[j-1], c.order[j]
		}
	}
	best, bestUndoc := -1, 0
	var bestDrifts []contract.Drift
	for _, i := range c.order {
		ds := contract.WalkDrift(c.kinds[i].Schema, doc, c.version)
		if len(ds) == 0 {
			return i, nil
		}
		undoc := 0
		for _, d := range ds {
			if d.Check == contract.CheckUndocumentedField {
				undoc++
			}
		}
		if best < 0 || len(ds) < len(bestDrifts) || (len(ds) == len(bestDrifts) && undoc < bestUndoc) {
			best, bestUndoc, bestDrifts = i, undoc, ds
		}
	}
	return best, bestDrifts
}

// record tallies one drift of one delivery. Array indices become "*" so
// the same drift in any element of a list is one finding.
func (c *Checker) record(kind int, d contract.Drift, at Location) {
	key := driftKey{kind: kind, check: d.Check, ptr: genericPointer(d.Pointer)}
	t := c.drift[key]
	if t == nil {
		if len(c.drift) >= c.opts.MaxFindings {
			c.dropped++
			return
		}
		// The walker is shared with `contract test`, which checks
		// responses; here the value came in a delivery.
		msg := strings.ReplaceAll(d.Message, "the response", "the delivery")
		t = &tally{first: at, message: msg, specLine: d.Line}
		c.drift[key] = t
	}
	t.count++
}

func (c *Checker) inputError(fs *FileStat, no int, reason string) {
	fs.InputErrors++
	c.inputErrs.Count++
	if len(c.inputErrs.First) < keptInputErrors {
		c.inputErrs.First = append(c.inputErrs.First, InputError{File: fs.Name, Line: no, Reason: reason})
	}
}

// genericPointer replaces array indices with "*".
func genericPointer(ptr string) string {
	if !strings.ContainsAny(ptr, "0123456789") {
		return ptr
	}
	toks := strings.Split(ptr, "/")
	for i, t := range toks {
		if t == "" {
			continue
		}
		if _, err := strconv.Atoi(t); err == nil {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, "/")
}

// blank reports whether a line holds only spaces, tabs and carriage
// returns.
func blank(line []byte) bool {
	for _, b := range line {
		if b != ' ' && b != '\t' && b != '\r' {
			return false
		}
	}
	return true
}
