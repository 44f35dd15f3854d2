package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/webhooklog"
)

// DefaultMaxLineBytes is the longest webhook log line read when the
// options leave it unset. Real notifications are well under a kilobyte,
// so a line a thousand times longer is corrupt or hostile: it becomes an
// input error, not a payload to store and put in every report.
const DefaultMaxLineBytes = webhooklog.DefaultMaxLineBytes

// WebhookOptions say how to read a webhook log.
type WebhookOptions struct {
	// SignKey is OxPay's sign key, used to verify each delivery's
	// Signature header. When it is empty, a signed delivery is recorded
	// as invalid (it cannot be verified, so it must not be trusted) and
	// an unsigned one as unsigned.
	SignKey string
	// Units converts OxPay's integers into minor units; nil means
	// recon.DefaultUnits().
	Units recon.Units
	// MaxLineBytes bounds a line; a longer one is an input error and
	// reading goes on. 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// BatchSize is how many rows go to the Sink at once; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Workers parse and verify lines in parallel (output order is kept);
	// 0 means one per CPU.
	Workers int
}

// ReadWebhookLog reads a webhook log (JSON Lines, gzipped or not: the
// gzip magic bytes decide, whatever the file is called) and hands its
// deliveries and input errors to sink in file order. Each line is
// {"received_at": RFC 3339, "headers": {"Signature": ...}, "body": payload}
// where payload is the OxPay JSON object as received, or a JSON string
// holding the exact bytes received. A line that cannot be used becomes an
// InputError; only an unreadable file, a sink error or ctx ending stop
// the read with an error. A file without a single non-blank line (empty,
// or blank lines only) is one InputError on line 1: a log copied
// half-way or not at all must not pass as a night without deliveries.
// A UTF-8 byte-order mark at the start is skipped.
//
// The kind comes from the shape of the payload's body: oxpay_original_txn_id
// with refund_amount is a refund, transaction_state "voided" a void, and
// oxpay_txn_id with transaction_state and transaction_amount a payment.
// Amounts must be whole, non-negative JSON integers in OxPay's units
// (converted with opts.Units). Keys are matched exactly, as OxPay writes
// them; only header names ignore case. For each event:
//   - StatusCode is the payload's headers.status_code, -1 when absent;
//   - SigCheck is raw, compact, invalid or unsigned (see WebhookOptions);
//   - DeliveryKey is the second received_at names, in UTC as
//     YYYYMMDDhhmmss, then the first 72 bits of the SHA-256 of the log
//     line without its line end, in hex (see keyLen), so ingesting the
//     same log twice adds nothing;
//   - DedupKey is the hex SHA-256 of oxpay_txn_id, kind, state and the hex
//     SHA-256 of the compact payload, joined by 0x1F, so OxPay's retries
//     of one notification share it;
//   - Raw is the payload's bytes, SourceFile is path as given and
//     SourceLine counts from 1.
func ReadWebhookLog(ctx context.Context, path string, opts WebhookOptions, sink Sink) (Result, error) {
	res := Result{File: path, Kind: KindWebhooks}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("open webhook log: %w", err) // *PathError names the file
	}
	defer f.Close()

	hash := sha256.New()
	raw := bufio.NewReaderSize(io.TeeReader(f, hash), 64<<10)
	text, _, err := webhooklog.Open(raw)
	if err != nil {
		return res, fmt.Errorf("webhook log %s: %w", path, err)
	}

	units := opts.Units
	if units == nil {
		units = recon.DefaultUnits()
	}
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	lr := webhooklog.NewLineReader(text, maxLine)
	b := newBatcher(sink, opts.BatchSize)
	newParser := func() *webhookParser {
		return &webhookParser{file: path, signKey: opts.SignKey, units: units, maxLine: maxLine}
	}

	lines, err := runPipeline(ctx, lr, workers, newParser, b)
	if err == nil && b.rows == 0 && b.nerrs == 0 {
		err = emptyFile(b, KindWebhooks, path, "the webhook log is empty (no line holds a delivery); check that it was copied whole")
	}
	res.Lines, res.Rows, res.Errors = lines, b.rows, b.nerrs
	res.Signed, res.BadSignatures = b.signed, b.badSigs
	if err != nil {
		return res, fmt.Errorf("webhook log %s: %w", path, err)
	}
	// Hash what the line reader left unread (a gzip trailer, trailing
	// bytes) so the digest covers the whole file.
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return res, fmt.Errorf("webhook log %s: %w", path, err)
	}
	res.SHA256 = hex.EncodeToString(hash.Sum(nil))
	return res, nil
}

// Chunks bound both the work a worker takes at once and the memory in
// flight: at most 2*workers+2 chunks exist, each about chunkBytes.
const (
	chunkLines = 512
	chunkBytes = 512 << 10
)

// chunk is a run of consecutive lines, parsed by one worker. Chunks are
// recycled: the same few buffers carry the whole file.
type chunk struct {
	seq   int
	buf   []byte
	lines []chunkLine
	// Filled by the worker.
	events []recon.WebhookEvent
	errs   []recon.InputError
}

type chunkLine struct {
	no         int // 1-based line number
	start, end int // in buf
	size       int // the line's full length (buf holds only a prefix when tooLong)
	tooLong    bool
}

// runPipeline reads lines on this goroutine's helper, parses chunks of
// them on workers, and hands results to the batcher strictly in chunk
// order, so the output does not depend on scheduling. It returns the
// number of physical lines read.
func runPipeline(ctx context.Context, lr *webhooklog.LineReader, workers int, newParser func() *webhookParser, b *batcher) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	nchunks := 2*workers + 2
	free := make(chan *chunk, nchunks)
	for range nchunks {
		free <- &chunk{}
	}
	todo := make(chan *chunk, nchunks)
	done := make(chan *chunk, nchunks)

	var lines int
	var readErr error
	go func() {
		defer close(todo)
		lines, readErr = readChunks(ctx, lr, free, todo)
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newParser()
			for c := range todo {
				p.parseChunk(c)
				done <- c // never blocks: at most nchunks exist
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	pending := make(map[int]*chunk)
	next := 0
	var sinkErr error
	for c := range done {
		if sinkErr != nil {
			continue // draining so every goroutine ends before we return
		}
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			sinkErr = emitChunk(c, b)
			recycle(c)
			free <- c
			if sinkErr != nil {
				cancel()
				break
			}
		}
	}
	if sinkErr != nil {
		return lines, fmt.Errorf("sink: %w", sinkErr)
	}
	if readErr != nil {
		return lines, readErr
	}
	if err := b.flush(); err != nil {
		return lines, fmt.Errorf("sink: %w", err)
	}
	return lines, nil
}

func emitChunk(c *chunk, b *batcher) error {
	// Events and errors go to separate sink calls; each stream is in line
	// order.
	if err := b.webhooks(c.events); err != nil {
		return err
	}
	for _, e := range c.errs {
		if err := b.inputError(e); err != nil {
			return err
		}
	}
	return nil
}

// recycle empties a chunk for reuse, letting go of an outsized buffer
// left by a very long line.
func recycle(c *chunk) {
	if cap(c.buf) > 4*chunkBytes {
		c.buf = nil
	}
	c.buf = c.buf[:0]
	c.lines = c.lines[:0]
	clear(c.events)
	c.events = c.events[:0]
	c.errs = c.errs[:0]
}

// readChunks fills free chunks with lines and sends them to todo.
func readChunks(ctx context.Context, lr *webhooklog.LineReader, free <-chan *chunk, todo chan<- *chunk) (int, error) {
	no, seq := 0, 0
	var c *chunk
	send := func() error {
		c.seq = seq
		seq++
		select {
		case todo <- c:
			c = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		if c == nil {
			select {
			case c = <-free:
			case <-ctx.Done():
				return no, ctx.Err()
			}
		}
		line, size, tooLong, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return no, fmt.Errorf("line %d: %w", no+1, err)
		}
		no++
		if !tooLong && webhooklog.Blank(line) {
			continue
		}
		start := len(c.buf)
		c.buf = append(c.buf, line...)
		c.lines = append(c.lines, chunkLine{no: no, start: start, end: len(c.buf), size: size, tooLong: tooLong})
		if len(c.lines) >= chunkLines || len(c.buf) >= chunkBytes {
			if err := send(); err != nil {
				return no, err
			}
		}
	}
	if c != nil && len(c.lines) > 0 {
		if err := send(); err != nil {
			return no, err
		}
	}
	return no, ctx.Err()
}

// parseChunk parses every line of c into c.events and c.errs.
func (p *webhookParser) parseChunk(c *chunk) {
	for _, l := range c.lines {
		line := c.buf[l.start:l.end]
		var bad *badLine
		if l.tooLong {
			bad = p.fail(l.no, "line is %d bytes, longer than the limit of %d", l.size, p.maxLine)
		} else {
			// Parsed in place: an event is too big to copy about.
			n := len(c.events)
			c.events = append(c.events, recon.WebhookEvent{})
			if bad = p.parse(&c.events[n], line, l.no); bad != nil {
				c.events[n] = recon.WebhookEvent{} // let go of what it holds
				c.events = c.events[:n]
			}
		}
		if bad != nil {
			c.errs = append(c.errs, recon.InputError{
				Source: string(KindWebhooks),
				File:   p.file,
				Line:   l.no,
				Text:   errorText(line),
				Reason: bad.reason,
			})
		}
	}
}
