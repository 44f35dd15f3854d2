package reconcli

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal: logs turn to text there,
// and long pulls draw a progress bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// pageProgress returns a fetch.Options.Progress func that draws a bar of
// pages read on w, or nil when no person is watching (w is not a
// terminal, or the logs are quiet or JSON): under cron the phase's log
// line is the record. Each walk (orders, then links) gets a bar of its
// own, started by its first page.
func (e *env) pageProgress(what string) func(done, total int) {
	if !e.interactive {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil || done == 1 {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(e.stderr),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100_000_000), // redraw at most every 0.1 s
				progressbar.OptionClearOnFinish())
		}
		bar.Set(done)
		if done == total {
			bar.Finish()
		}
	}
}
