package cli

import (
	"context"
	"errors"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
)

// Exit codes, documented in the README and in `recon --help`.
const (
	ExitOK          = 0 // done; exceptions are results, not failures
	ExitThreshold   = 1 // done, but a configured threshold was crossed or --strict found input errors
	ExitUsage       = 2 // bad usage or config
	ExitUnreachable = 3 // a source could not be reached after retries
	ExitLocked      = 4 // another run holds the lock
)

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
	case errors.Is(err, fetch.ErrUnreachable), errors.Is(err, fetch.ErrInconsistent), errors.Is(err, context.DeadlineExceeded):
		return ExitUnreachable
	case errors.Is(err, job.ErrLocked):
		return ExitLocked
	default:
		return ExitThreshold
	}
}
