package store

import "errors"

// Finance's decisions on exceptions (recon.Decision) are kept per
// merchant in an append-only history: entries are numbered 1, 2, 3...
// and each carries the hash of the one before it (package decide seals
// and verifies them). A backend stores them as given and refuses to
// change or delete one.
//
//   - AppendDecisions appends entries in one transaction, all or none.
//     They must continue the history: the first numbered one past the
//     last stored and naming its hash as PrevHash, each next one
//     following the one before; otherwise ErrDecisionsMoved. The
//     merchant stored is the handle's.
//   - Decisions returns the whole history in order.
//   - LatestDecisions returns each exception's latest entry, by
//     recon.ExceptionKey.
//   - DecisionHead returns the last entry's number and hash (0 and ""
//     for an empty history).
//   - MatchRunOf returns the latest successful matching run (run or
//     match) for a business date, or for the latest date when date is
//     "": the run a date's decisions are checked against.
//   - ExceptionLastSeen returns the latest business date of a
//     successful matching run that had the exception open.

// ErrDecisionsMoved is returned by AppendDecisions for entries that do
// not continue the stored history: another import appended since the
// history was read.
var ErrDecisionsMoved = errors.New("the decision history changed since it was read")
