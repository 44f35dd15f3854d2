package decide

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// canonicalVersion starts every encoding, so that a later change of
// the fields hashed can be told from an edit.
const canonicalVersion = "reconkit decision v1\n"

// canonical is the encoding an entry's hash is taken over: every field
// but Hash, in a fixed order, each as "name len:value\n" (the length in
// bytes), so that no two entries encode alike, whatever their text
// holds. DecidedAt is written in UTC to the microsecond.
func canonical(d *recon.Decision) []byte {
	b := []byte(canonicalVersion)
	field := func(name, v string) {
		b = append(b, name...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, '\n')
	}
	num := func(name string, v int64) { field(name, strconv.FormatInt(v, 10)) }
	num("seq", d.Seq)
	field("merchant", d.Merchant)
	field("exception_key", d.ExceptionKey)
	field("category", string(d.Category))
	field("business_date", d.BusinessDate)
	num("run_id", d.RunID)
	field("currency", d.Currency)
	num("expected_minor", d.ExpectedMinor)
	num("actual_minor", d.ActualMinor)
	num("difference_minor", d.DifferenceMinor)
	field("decision", string(d.Decision))
	field("note", d.Note)
	field("previous", string(d.Previous))
	field("decided_by", d.DecidedBy)
	field("decided_at", d.DecidedAt.UTC().Format(decidedAtLayout))
	field("source_file", d.SourceFile)
	field("source_sha256", d.SourceSHA256)
	field("prev_hash", d.PrevHash)
	return b
}

// decidedAtLayout writes DecidedAt to the microsecond, which both
// backends keep.
const decidedAtLayout = "2006-01-02T15:04:05.000000Z07:00"

// Hash is the hex SHA-256 of an entry's canonical encoding: its content
// and the hash of the entry before it.
func Hash(d *recon.Decision) string {
	sum := sha256.Sum256(canonical(d))
	return hex.EncodeToString(sum[:])
}

// Seal makes d the entry after one whose hash is prev ("" for the
// first): it cuts DecidedAt to the microsecond in UTC (what the
// backends keep), sets PrevHash and computes Hash.
func Seal(d *recon.Decision, prev string) {
	d.DecidedAt = d.DecidedAt.UTC().Truncate(time.Microsecond)
	d.PrevHash = prev
	d.Hash = Hash(d)
}

// ErrBroken matches a BrokenError.
var ErrBroken = errors.New("the decision history does not verify")

// BrokenError names the first entry of a history that does not verify,
// and why.
type BrokenError struct {
	Entry  recon.Decision
	Reason string
}

// Error names the entry by its number, exception, decision, author and
// time, and says what is wrong with it.
func (e *BrokenError) Error() string {
	d := &e.Entry
	return fmt.Sprintf("%v: entry %d (%s, %q by %s at %s, from %s): %s", ErrBroken, d.Seq, d.Category, d.Decision,
		d.DecidedBy, d.DecidedAt.UTC().Format(time.RFC3339), d.SourceFile, e.Reason)
}

// Is matches ErrBroken.
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// Verify checks one merchant's history, in the order it was written:
// entries numbered 1, 2, 3..., all of one merchant, each following the
// one before (its PrevHash that entry's Hash, "" for the first) and
// matching its own hash. It returns the hash of the last entry (the
// head, "" for an empty history), or a BrokenError naming the first
// entry that fails. Entries cut from the end leave a shorter history
// that verifies: compare the head with one recorded earlier (recon
// decisions verify prints it) to catch that.
func Verify(ds []recon.Decision) (head string, err error) {
	for i := range ds {
		d := &ds[i]
		var reason string
		switch {
		case d.Seq != int64(i+1):
			reason = fmt.Sprintf("it is number %d where %d was due: entries before it were removed or renumbered", d.Seq, i+1)
		case i > 0 && d.Merchant != ds[0].Merchant:
			reason = fmt.Sprintf("it is merchant %q's in merchant %q's history", d.Merchant, ds[0].Merchant)
		case d.PrevHash != head:
			reason = "it does not follow the entry before it (its prev_hash is not that entry's hash): an entry before it was changed, inserted or removed"
		case Hash(d) != d.Hash:
			reason = "its content does not match its hash: it was changed after it was written"
		}
		if reason != "" {
			return "", &BrokenError{Entry: *d, Reason: reason}
		}
		head = d.Hash
	}
	return head, nil
}
