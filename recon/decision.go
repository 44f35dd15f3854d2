package recon

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DecisionState is what finance decided about an exception, chosen in
// the workbook's Decision column. The states are stable: finance
// filters on them and the decision history keeps them.
type DecisionState string

// The decision states, in the order the workbook's drop-down lists them.
const (
	DecisionOpen          DecisionState = "open"
	DecisionInvestigating DecisionState = "investigating"
	DecisionAccepted      DecisionState = "accepted"
	DecisionWrittenOff    DecisionState = "written off"
	DecisionFixedAtSource DecisionState = "fixed at source"
)

// DecisionStates lists every state, as the drop-down offers them.
var DecisionStates = []DecisionState{DecisionOpen, DecisionInvestigating, DecisionAccepted, DecisionWrittenOff, DecisionFixedAtSource}

// Explains reports whether a decision in this state explains its
// exception: accepted or written off. Such an exception no longer needs
// action (while the money it was decided on stays the same) but still
// counts in the control, as explained by decision.
func (s DecisionState) Explains() bool { return s == DecisionAccepted || s == DecisionWrittenOff }

// ParseDecisionState reads a state as a person typed or picked it:
// case and the spaces around it do not matter, nor do runs of spaces
// inside ("Written  Off").
func ParseDecisionState(s string) (DecisionState, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, d := range DecisionStates {
		if s == string(d) {
			return d, true
		}
	}
	return "", false
}

// DecisionStateList is the states as a sentence lists them, for errors.
func DecisionStateList() string {
	names := make([]string, len(DecisionStates))
	for i, d := range DecisionStates {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

// Decision is one entry of a merchant's decision history: what finance
// decided about an exception, on which money, who, when and from which
// file. The history is append-only: a new decision is a new entry that
// names the one it follows (Previous), and each entry carries the hash
// of the entry before it (PrevHash) and its own (Hash, over every other
// field and PrevHash), so that an edited or removed entry breaks the
// chain (package decide seals and verifies it).
type Decision struct {
	// Seq numbers a merchant's entries 1, 2, 3... in the order written.
	Seq      int64  `db:"seq" json:"seq"`
	Merchant string `db:"merchant" json:"merchant"`
	// ExceptionKey is the exception's ExceptionKey: a decision follows
	// the exception from run to run.
	ExceptionKey string   `db:"exception_key" json:"exception_key"`
	Category     Category `db:"category" json:"category"`
	// BusinessDate and RunID are the run the decision was made on (the
	// date's run when the decision was imported).
	BusinessDate string `db:"business_date" json:"business_date"`
	RunID        int64  `db:"run_id" json:"run_id"`
	// The money the decision was made on: the exception's amounts then.
	// A decision that explains its exception stops explaining it once
	// they change.
	Currency        string `db:"currency" json:"currency"`
	ExpectedMinor   int64  `db:"expected_minor" json:"expected_minor"`
	ActualMinor     int64  `db:"actual_minor" json:"actual_minor"`
	DifferenceMinor int64  `db:"difference_minor" json:"difference_minor"`

	Decision DecisionState `db:"decision" json:"decision"`
	Note     string        `db:"note" json:"note"`
	// Previous is the exception's decision before this one, "" for its
	// first.
	Previous  DecisionState `db:"previous" json:"previous"`
	DecidedBy string        `db:"decided_by" json:"decided_by"`
	// DecidedAt is when the decision was imported, UTC, to the
	// microsecond (what PostgreSQL keeps).
	DecidedAt time.Time `db:"decided_at" json:"decided_at"`
	// SourceFile is the name of the file it was imported from, and
	// SourceSHA256 the hex SHA-256 of that file's bytes.
	SourceFile   string `db:"source_file" json:"source_file"`
	SourceSHA256 string `db:"source_sha256" json:"source_sha256"`
	PrevHash     string `db:"prev_hash" json:"prev_hash"`
	Hash         string `db:"hash" json:"hash"`
}

// SameMoney reports whether the decision was made on e's amounts.
func (d *Decision) SameMoney(e *Exception) bool {
	return d.Currency == e.Currency && d.ExpectedMinor == e.ExpectedMinor &&
		d.ActualMinor == e.ActualMinor && d.DifferenceMinor == e.DifferenceMinor
}

// DecisionKey is the key the workbook shows beside an exception (and a
// decisions CSV names it by): the merchant, a colon, and the exception's
// ExceptionKey in unpadded URL-safe base64, so that it is plain text
// whatever bytes the references hold and is the same from night to
// night.
func DecisionKey(merchant string, e *Exception) string {
	return DecisionKeyOf(merchant, ExceptionKey(e))
}

// DecisionKeyOf is DecisionKey of an exception known by its
// ExceptionKey.
func DecisionKeyOf(merchant, exceptionKey string) string {
	return merchant + ":" + base64.RawURLEncoding.EncodeToString([]byte(exceptionKey))
}

// ErrBadDecisionKey is returned by ParseDecisionKey for text that is
// not a DecisionKey.
var ErrBadDecisionKey = errors.New("not an exception key recon wrote")

// ParseDecisionKey splits a DecisionKey into its merchant and exception
// key.
func ParseDecisionKey(s string) (merchant, exceptionKey string, err error) {
	m, enc, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || m == "" || enc == "" {
		return "", "", ErrBadDecisionKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !strings.Contains(string(raw), "\x1f") {
		return "", "", fmt.Errorf("%w (%.40q)", ErrBadDecisionKey, s)
	}
	return m, string(raw), nil
}
