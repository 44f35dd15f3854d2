package contractcli

import (
	"errors"

	"github.com/reconkit/reconkit/contract"
)

// codeError carries the exit code of an error the command chose itself.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// errGateFailed ends a run whose result fails the gate; the console
// report has already said why.
var errGateFailed = errors.New("contract test failed")

// exitCode maps an error to the documented exit code, in this one place.
func exitCode(err error) int {
	var ce *codeError
	var le *contract.LoadError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errGateFailed):
		return ExitFail
	case errors.Is(err, contract.ErrUnreachable):
		return ExitUnreachable
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &le):
		return ExitUsage
	}
	return ExitUsage
}
