package reconcli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/store"
)

// Exit codes, documented in the README and in `recon --help` (both from
// exitCodes).
const (
	ExitOK          = 0 // done; exceptions are results, not failures
	ExitThreshold   = 1 // done, but a configured threshold was crossed, --strict found input errors, or a history does not verify
	ExitUsage       = 2 // bad usage or config, a decisions file with problems, or credentials an API refused
	ExitUnreachable = 3 // a source could not be reached after retries
	ExitLocked      = 4 // another run holds the lock, or another process the database
	ExitInternal    = 5 // any other failure
)

// exitCodes is the table of recon's exit codes, for a scheduler to act
// on: `recon --help` prints it, and a test holds the README's table to it.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{ExitOK, "done; exceptions are results, not failures"},
	{ExitThreshold, "done, but a configured threshold was crossed (or `--strict` saw input errors, or `decisions verify` found an edited history)"},
	{ExitUsage, "bad usage or config (every problem is listed), a decisions file with problems (every one is listed, nothing is recorded), credentials an API refused (HTTP 401/403), or an OXPAY_SIGN_KEY that failed most of a webhook log's signatures (the run's reports are written): fix them, do not retry"},
	{ExitUnreachable, "a source could not be reached after retries, or within `http.deadline` (the endpoint is named): retry later"},
	{ExitLocked, "another run holds the lock, or another process holds the database (named): retry later"},
	{ExitInternal, "any other failure, such as a report directory that cannot be written, a corrupt database or an interrupted run (Ctrl-C): read the error"},
}

// exitCodeHelp is exitCodes as `recon --help` prints it.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "\n  %d  %s", c.code, strings.ReplaceAll(c.meaning, "`", ""))
	}
	return b.String()
}

// exitError carries an exit code chosen where the failure is understood.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageError marks a mistake in the command line.
func usageError(err error) error { return withCode(ExitUsage, err) }

// signKeyError is the error a command ends with when a sign key failed
// most of a log's signatures: exit 2, as for any credential to fix rather
// than retry (recon run ends so after its reports are written).
func signKeyError(warnings []string) error {
	if len(warnings) == 0 {
		return nil
	}
	return withCode(ExitUsage, fmt.Errorf("%s (a run with the right key verifies the stored deliveries again)",
		strings.Join(warnings, "; ")))
}

// exitCode maps an error to the process exit code; this is the only place
// that does.
func exitCode(err error) int {
	var ee *exitError
	var problems config.Problems
	var columns *ingest.MissingColumnsError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &problems), errors.As(err, &columns):
		// A ledger whose header lacks a mapped column is a config mismatch.
		return ExitUsage
	case errors.Is(err, fetch.ErrUnauthorized):
		// Credentials refused: retrying will not help, fixing them will.
		return ExitUsage
	case errors.Is(err, fetch.ErrUnreachable), errors.Is(err, fetch.ErrInconsistent), errors.Is(err, context.DeadlineExceeded):
		return ExitUnreachable
	case errors.Is(err, job.ErrLocked), errors.Is(err, store.ErrBusy):
		return ExitLocked
	default:
		return ExitInternal
	}
}

// hint is what to do about err, when the error's own text does not say.
func hint(err error) string {
	switch {
	case errors.Is(err, fetch.ErrUnauthorized):
		return "the API refused the credentials: check XEPENG_CLIENT_ID and XEPENG_CLIENT_SECRET (or OXPAY_API_KEY and OXPAY_SIGN_KEY) against the base URL they are for"
	case errors.Is(err, context.Canceled):
		return "the command was interrupted; run it again (every load is idempotent)"
	}
	return ""
}
