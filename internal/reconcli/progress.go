package reconcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal: logs turn to text there,
// and long phases draw a progress bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// A progress bar is drawn on stderr only while a person watches
// (env.interactive: a terminal, text logs, not --quiet); under cron the
// phases' log lines are the record, and nothing else is written.

// pageProgress returns a fetch.Options.Progress func that shows the
// pages (or ids) read, or nil when no person is watching. During a
// night it moves the night's bar (see phaseBar.sub); otherwise each walk
// (orders, then links) gets a bar of its own, started by its first page.
func (e *env) pageProgress(what string) func(done, total int) {
	if !e.interactive {
		return nil
	}
	if p := e.phases; p != nil {
		return func(done, total int) { p.sub(what, done, total) }
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil || done == 1 {
			bar = newBar(e.stderr, what, total)
		}
		bar.Set(done)
		if done == total {
			bar.Finish()
		}
	}
}

// newBar starts a bar on w: of total steps with a count, or a spinner
// with the elapsed time when total is -1 (a phase that cannot say how
// far it is).
func newBar(w io.Writer, what string, total int) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetElapsedTime(true),
		// phaseBar's ticker redraws; the bar's own would write to w
		// while a log line is being written.
		progressbar.OptionSetSpinnerChangeInterval(0),
	}
	if total >= 0 {
		opts = append(opts, progressbar.OptionShowCount())
	} else {
		opts = append(opts, progressbar.OptionSpinnerType(14))
	}
	return progressbar.NewOptions(total, opts...)
}

// phase is one step of a long command as its bar shows it.
type phase struct {
	label string
	// done is the "phase" attribute of the "phase done" log record that
	// ends it.
	done string
	// files is how many input files it reads, counted by "file read"
	// records; 0 when it reads none or cannot say.
	files int
}

// nightPhases are the phases of a night, in the order job.Night runs
// them. TestNightProgress holds them to the night's log records.
func nightPhases(webhookFiles, ledgerFiles int) []phase {
	return []phase{
		// Verifying stored deliveries again comes between the pull and
		// the webhooks, is quick and logs only when it had work: its
		// moment shows as the webhooks'.
		{label: "pull Xepeng orders and links", done: "fetch xepeng"},
		{label: "ingest webhook logs", done: "ingest webhooks", files: webhookFiles},
		{label: "ingest ledger exports", done: "ingest ledger", files: ledgerFiles},
		{label: "confirm OxPay transactions", done: "fetch oxpay"},
		{label: "match", done: "match"},
		{label: "write the workbook", done: "report"},
	}
}

// phaseBar draws one line for a long command on a terminal: the phase
// it is in ("[5/7] confirm OxPay transactions"), with a bar of the
// pages, ids or files done when the phase can say, else a spinner and
// the time spent. It follows the command's own log records (the phases'
// "run started", "phase done" and "file read"), so the job needs no
// hook for it; a log line written meanwhile clears the bar, and the bar
// is drawn again below it.
type phaseBar struct {
	mu     sync.Mutex
	w      io.Writer
	phases []phase
	cur    int // the current phase, -1 before the run starts
	files  int // files the current phase has read
	bar    *progressbar.ProgressBar
	// spinning is true while bar is a spinner.
	spinning bool
	stop     chan struct{}
	done     chan struct{}
}

// startPhases starts a phaseBar on stderr when a person watches and
// returns the logger that drives it, and the func that ends it; when
// nobody watches, the logger is e.logger and nothing is drawn.
func (e *env) startPhases(phases []phase) (*slog.Logger, func()) {
	if !e.interactive {
		return e.logger, func() {}
	}
	p := &phaseBar{w: e.stderr, phases: phases, cur: -1, stop: make(chan struct{}), done: make(chan struct{})}
	e.phases = p
	go p.tick()
	return slog.New(&phaseHandler{inner: e.logger.Handler(), p: p}), func() {
		p.close()
		e.phases = nil
	}
}

// tick redraws the bar, so that a spinner turns and the time counts up.
func (p *phaseBar) tick() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.bar != nil {
				if p.spinning {
					p.bar.Add(1)
				} else {
					p.bar.Add(0)
				}
			}
			p.mu.Unlock()
		}
	}
}

func (p *phaseBar) close() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.cur = len(p.phases)
}

func (p *phaseBar) clear() {
	if p.bar != nil {
		p.bar.Clear()
		p.bar = nil
	}
}

func (p *phaseBar) title() string {
	return fmt.Sprintf("[%d/%d] %s", p.cur+1, len(p.phases), p.phases[p.cur].label)
}

// begin starts phase i (none past the last).
func (p *phaseBar) begin(i int) {
	p.clear()
	p.cur, p.files = i, 0
	if i >= len(p.phases) {
		return
	}
	if n := p.phases[i].files; n > 0 {
		p.bar, p.spinning = newBar(p.w, p.title()+": files", n), false
	} else {
		p.bar, p.spinning = newBar(p.w, p.title(), -1), true
	}
	p.bar.RenderBlank()
}

// sub shows how far the current phase is: done of total pages or ids.
// A walk that starts again (done 1: links after orders) starts its bar
// again.
func (p *phaseBar) sub(what string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur < 0 || p.cur >= len(p.phases) || total <= 0 {
		return
	}
	if p.spinning || p.bar == nil || done == 1 || p.bar.GetMax() != total {
		p.clear()
		p.bar, p.spinning = newBar(p.w, p.title()+": "+what, total), false
	}
	if done < total {
		p.bar.Set(done)
	}
}

// record moves the bar on a log record of the command.
func (p *phaseBar) record(r slog.Record) {
	switch r.Message {
	case "run started":
		p.begin(0)
	case "phase done":
		var name string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "phase" {
				name = a.Value.String()
				return false
			}
			return true
		})
		// A phase the command skipped logs nothing: the bar moves past
		// it to the one after the phase that ended.
		for j := max(p.cur, 0); j < len(p.phases); j++ {
			if p.phases[j].done == name {
				p.begin(j + 1)
				break
			}
		}
	case "file read":
		if p.cur >= 0 && p.cur < len(p.phases) && p.phases[p.cur].files > 0 && p.bar != nil {
			p.files++
			if p.files < p.phases[p.cur].files {
				p.bar.Set(p.files)
			}
		}
	case "run finished", "run failed":
		p.clear()
		p.cur = len(p.phases)
	}
}

// phaseHandler is the command's log handler with its phaseBar: it sees
// every record at Info and above (the bar follows them whatever
// --log-level says) and passes on those the inner handler wants, with
// the bar cleared from the line while the record is written.
type phaseHandler struct {
	inner slog.Handler
	p     *phaseBar
}

func (h *phaseHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.inner.Enabled(ctx, l)
}

func (h *phaseHandler) Handle(ctx context.Context, r slog.Record) error {
	p := h.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if h.inner.Enabled(ctx, r.Level) {
		if p.bar != nil {
			p.bar.Clear()
		}
		err = h.inner.Handle(ctx, r)
	}
	p.record(r)
	if p.bar != nil {
		p.bar.RenderBlank()
	}
	return err
}

func (h *phaseHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &phaseHandler{inner: h.inner.WithAttrs(as), p: h.p}
}

func (h *phaseHandler) WithGroup(name string) slog.Handler {
	return &phaseHandler{inner: h.inner.WithGroup(name), p: h.p}
}
