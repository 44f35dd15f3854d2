package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/webhooklog"
)

// Defaults for the Options fields left zero.
const (
	// DefaultMaxLineBytes bounds a log line, as it does for `recon
	// ingest`: the limit only keeps a corrupt file (one "line" of
	// gigabytes) from being decoded into memory.
	DefaultMaxLineBytes = webhooklog.DefaultMaxLineBytes
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
// concurrent use; ReadLog itself spreads a log's lines over GOMAXPROCS
// goroutines.
type Checker struct {
	spec    string
	kinds   []*Kind
	version float32
	opts    Options
	lc      *lineChecker // for lines checked on the caller's goroutine
	workers int          // goroutines checking lines; 0 means GOMAXPROCS

	files      []*FileStat
	deliveries []int64 // per kind
	drift      map[driftKey]*tally
	dropped    int64
	sig        Signatures
	inputErrs  InputErrors
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
	}
	c.lc = c.newLineChecker()
	c.sig.Checked = opts.SignKey != ""
	return c, nil
}

// Kinds returns the webhook kinds of the spec in document order.
func (c *Checker) Kinds() []*Kind { return c.kinds }

// ReadLog checks every line of one log, gzipped or not (the magic bytes
// decide, whatever the name), read as package webhooklog reads the
// format, as `recon ingest` does: a byte-order mark at the start skipped,
// lines of at most MaxLineBytes. name is how findings name the file. A
// line that cannot be used is an input error with its line number and
// reading goes on; a read that fails part way (a truncated gzip file) is
// an input error too, and the lines before it still count. Only ctx
// ending stops it with an error.
//
// Lines are read here and checked in batches on GOMAXPROCS goroutines;
// what they come to is tallied in line order, so the report is the same
// as checking them one by one.
func (c *Checker) ReadLog(ctx context.Context, name string, r io.Reader) error {
	fs := &FileStat{Name: name}
	c.files = append(c.files, fs)
	text, gzipped, err := webhooklog.Open(r)
	if err != nil {
		c.inputError(fs, 1, err.Error())
		return nil
	}
	fs.Gzip = gzipped
	p := c.newPipeline(fs)
	lines, err := c.readLines(ctx, name, webhooklog.NewLineReader(text, c.opts.MaxLineBytes), p)
	p.close()
	fs.Lines = lines
	return err
}

// readLines sends every line of lr to p in batches and returns the
// number of lines read.
func (c *Checker) readLines(ctx context.Context, name string, lr *webhooklog.LineReader, p *pipeline) (int, error) {
	b := p.batch()
	defer func() { p.send(b) }()
	for no := 1; ; no++ {
		if no%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return no - 1, fmt.Errorf("webhook log %s: %w", name, err)
			}
		}
		line, size, tooLong, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return no - 1, nil
		}
		if err != nil {
			b.add(no, nil, fmt.Sprintf("the log could not be read past line %d: %v", no-1, err))
			return no - 1, nil
		}
		if tooLong {
			b.add(no, nil, fmt.Sprintf("line is %d bytes, longer than the limit of %d", size, c.opts.MaxLineBytes))
		} else {
			b.add(no, line, "")
		}
		if b.full() {
			p.send(b)
			b = p.batch()
		}
	}
}

// line checks one log line (without its line end) on the caller's
// goroutine and tallies it, as the pipeline does a batch's lines.
func (c *Checker) line(fs *FileStat, no int, line []byte) {
	o := outcome{no: no}
	c.lc.check(&o, line)
	c.lc.dec.Reset()
	c.apply(fs, &o)
}

// classify picks the kind the payload fits best and returns its drift
// (lineChecker.classify).
func (c *Checker) classify(doc map[string]any) (int, []contract.Drift) {
	return c.lc.classify(doc)
}

// apply tallies what one line came to. Lines must come in log order: the
// first line of a finding, the input errors kept and which findings the
// cap admits all depend on it.
func (c *Checker) apply(fs *FileStat, o *outcome) {
	switch {
	case o.reason != "":
		c.inputError(fs, o.no, o.reason)
		return
	case o.blank:
		return
	}
	fs.Deliveries++
	switch o.sig {
	case sigUnsigned:
		c.sig.Unsigned++
		if c.sig.FirstUnsigned == nil {
			c.sig.FirstUnsigned = &Location{File: fs.Name, Line: o.no}
		}
	case sigUnchecked:
		c.sig.Signed++
	case sigRaw:
		c.sig.Signed++
		c.sig.Raw++
	case sigCompact:
		c.sig.Signed++
		c.sig.Compact++
	case sigInvalid:
		c.sig.Signed++
		c.sig.Invalid++
		if c.sig.FirstInvalid == nil {
			c.sig.FirstInvalid = &Location{File: fs.Name, Line: o.no}
		}
	}
	c.deliveries[o.kind]++
	at := Location{File: fs.Name, Line: o.no}
	for _, d := range o.drifts {
		c.record(o.kind, d, at)
	}
}

// record tallies one drift of one delivery. Array indices become "*" so
// the same drift in any element of a list is one finding.
func (c *Checker) record(kind int, d contract.Drift, at Location) {
	key := driftKey{kind: kind, check: d.Check, ptr: contract.GenericPointer(d.Pointer)}
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
