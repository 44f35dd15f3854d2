package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/reconkit/reconkit/recon"
)

// Sink receives what a reader produces, in batches and in file order.
// A Sink error stops the read and is returned wrapped. The reader reuses
// a batch's slice once the call returns: a Sink that keeps rows past the
// call must copy them.
type Sink interface {
	Webhooks([]recon.WebhookEvent) error
	Ledger([]recon.LedgerEntry) error
	InputErrors([]recon.InputError) error
}

// SinkFuncs is a Sink built from functions; a nil field discards what it
// would have received. Handy for tests and for callers that only want
// one kind of row.
type SinkFuncs struct {
	WebhooksFunc    func([]recon.WebhookEvent) error
	LedgerFunc      func([]recon.LedgerEntry) error
	InputErrorsFunc func([]recon.InputError) error
}

var _ Sink = SinkFuncs{}

// Webhooks calls WebhooksFunc if set.
func (s SinkFuncs) Webhooks(b []recon.WebhookEvent) error {
	if s.WebhooksFunc == nil {
		return nil
	}
	return s.WebhooksFunc(b)
}

// Ledger calls LedgerFunc if set.
func (s SinkFuncs) Ledger(b []recon.LedgerEntry) error {
	if s.LedgerFunc == nil {
		return nil
	}
	return s.LedgerFunc(b)
}

// InputErrors calls InputErrorsFunc if set.
func (s SinkFuncs) InputErrors(b []recon.InputError) error {
	if s.InputErrorsFunc == nil {
		return nil
	}
	return s.InputErrorsFunc(b)
}

// Discard is a Sink that drops everything, for benchmarks and dry runs.
var Discard Sink = SinkFuncs{}

// Kind names the input a Result describes. Its values are the Source
// values of the InputErrors the reader records.
type Kind string

// The kinds of input this package reads.
const (
	KindWebhooks Kind = "webhooks"
	KindLedger   Kind = "ledger"
)

// DefaultBatchSize is how many rows a reader hands to the Sink at once
// when the options leave it unset.
const DefaultBatchSize = 5000

// Result describes one file that was read, for the run's inputs record.
type Result struct {
	File   string `json:"file"`
	Kind   Kind   `json:"kind"`
	SHA256 string `json:"sha256"` // of the file's bytes as stored (compressed, if gzipped)
	// Lines counts physical lines (webhook logs, CSV) or sheet rows
	// (XLSX) read, blank ones and the header included.
	Lines  int `json:"lines"`
	Rows   int `json:"rows"`   // rows handed to the Sink
	Errors int `json:"errors"` // input errors handed to the Sink
	// Signed counts the webhook deliveries that carried a signature,
	// BadSignatures those of them that did not verify.
	Signed        int `json:"signed,omitempty"`
	BadSignatures int `json:"bad_signatures,omitempty"`
}

// BadSignatureShare is the share of a webhook log's signed deliveries
// whose signature did not verify (0 when none was signed).
func (r Result) BadSignatureShare() float64 {
	if r.Signed == 0 {
		return 0
	}
	return float64(r.BadSignatures) / float64(r.Signed)
}

// maxTextBytes bounds InputError.Text: enough to recognise the line in
// the file, small enough that a megabyte line does not land in a report.
const maxTextBytes = 200

// errorText makes the offending input fit for storage and reports: valid
// UTF-8 without NULs (so the database and the workbook take it), at most
// maxTextBytes long, never cut inside a character.
func errorText(b []byte) string {
	if len(b) > 4*maxTextBytes {
		b = b[:4*maxTextBytes] // enough to fill the result even if most bytes are replaced
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= maxTextBytes {
		return s
	}
	cut := maxTextBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// emptyFile records that a file held nothing to read (not even a
// header): one InputError on line 1, handed over at once. It is an input
// error rather than a failed read so that the other files of an ingest
// still load.
func emptyFile(b *batcher, kind Kind, path, reason string) error {
	err := b.inputError(recon.InputError{Source: string(kind), File: path, Line: 1, Reason: "line 1: " + reason})
	if err == nil {
		err = b.flushErrors()
	}
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}

// batcher collects rows and errors and hands them to the Sink in
// batches, counting what it handed over.
type batcher struct {
	sink   Sink
	size   int
	hasher *rowHasher // sets the ledger entries' RowHash; nil for webhooks
	hooks  []recon.WebhookEvent
	ledger []recon.LedgerEntry
	keys   []uint64 // the content key of each entry of ledger
	errs   []recon.InputError
	rows   int
	nerrs  int
	// signed and badSigs count the webhook deliveries with a signature
	// and those whose signature did not verify.
	signed, badSigs int
}

func newBatcher(sink Sink, size int) *batcher {
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &batcher{sink: sink, size: size}
}

// webhooks takes events in order, handing them on a batch at a time.
func (b *batcher) webhooks(es []recon.WebhookEvent) error {
	for len(es) > 0 {
		n := min(len(es), b.size-len(b.hooks))
		for i := range es[:n] {
			if check := es[i].SigCheck; check != recon.SigUnsigned {
				b.signed++
				if check == recon.SigInvalid {
					b.badSigs++
				}
			}
		}
		b.hooks = append(b.hooks, es[:n]...)
		b.rows += n
		es = es[n:]
		if len(b.hooks) >= b.size {
			if err := b.flushWebhooks(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *batcher) entry(e recon.LedgerEntry, key uint64) error {
	b.ledger = append(b.ledger, e)
	b.keys = append(b.keys, key)
	b.rows++
	if len(b.ledger) >= b.size {
		return b.flushLedger()
	}
	return nil
}

func (b *batcher) inputError(e recon.InputError) error {
	b.errs = append(b.errs, e)
	b.nerrs++
	if len(b.errs) >= b.size {
		return b.flushErrors()
	}
	return nil
}

func (b *batcher) flushWebhooks() error {
	if len(b.hooks) == 0 {
		return nil
	}
	err := b.sink.Webhooks(b.hooks)
	clear(b.hooks) // drop references to Raw strings the sink no longer needs
	b.hooks = b.hooks[:0]
	return err
}

func (b *batcher) flushLedger() error {
	if len(b.ledger) == 0 {
		return nil
	}
	if err := b.hasher.hash(b.ledger, b.keys); err != nil {
		return err
	}
	err := b.sink.Ledger(b.ledger)
	clear(b.ledger)
	b.ledger = b.ledger[:0]
	b.keys = b.keys[:0]
	return err
}

func (b *batcher) flushErrors() error {
	if len(b.errs) == 0 {
		return nil
	}
	err := b.sink.InputErrors(b.errs)
	clear(b.errs)
	b.errs = b.errs[:0]
	return err
}

// flush hands over whatever is left, errors last so that a sink that
// stops on errors (strict mode) has seen the good rows first.
func (b *batcher) flush() error {
	if err := b.flushWebhooks(); err != nil {
		return err
	}
	if err := b.flushLedger(); err != nil {
		return err
	}
	return b.flushErrors()
}
