package decide

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// history makes a sealed history of n decisions.
func history(n int) []recon.Decision {
	var ds []recon.Decision
	prev := ""
	for i := range n {
		d := recon.Decision{Seq: int64(i + 1), Merchant: "default", ExceptionKey: "AMOUNT_MISMATCH\x1fORD-" + string(rune('A'+i)),
			Category: recon.AmountMismatch, BusinessDate: "2026-11-10", RunID: 3, Currency: "IDR",
			ExpectedMinor: 100, ActualMinor: 90, DifferenceMinor: -10, Decision: recon.DecisionAccepted, Note: "bank fee",
			DecidedBy: "alice", DecidedAt: time.Date(2026, 11, 11, 1, 2, 3, 456789123, time.UTC),
			SourceFile: "recon-2026-11-10.xlsx", SourceSHA256: strings.Repeat("0f", 32)}
		Seal(&d, prev)
		prev = d.Hash
		ds = append(ds, d)
	}
	return ds
}

func TestSealCutsToTheMicrosecond(t *testing.T) {
	d := history(1)[0]
	if d.DecidedAt.Nanosecond()%1000 != 0 || d.DecidedAt.Location() != time.UTC {
		t.Errorf("DecidedAt %v: want UTC to the microsecond", d.DecidedAt)
	}
	again := d
	again.DecidedAt = d.DecidedAt.In(time.FixedZone("WIB", 7*3600))
	if Hash(&again) != d.Hash {
		t.Error("the hash depends on the zone a time is read in")
	}
}

// TestVerify breaks a history of five in every way one can, and checks
// that Verify names the first entry that no longer holds.
func TestVerify(t *testing.T) {
	if head, err := Verify(nil); head != "" || err != nil {
		t.Errorf("empty history: %q, %v", head, err)
	}
	good := history(5)
	if head, err := Verify(good); err != nil || head != good[4].Hash {
		t.Fatalf("a sealed history: head %q, %v; want %q", head, err, good[4].Hash)
	}
	for _, tc := range []struct {
		name   string
		tamper func(ds []recon.Decision) []recon.Decision
		seq    int64
		reason string
	}{
		{"a note edited", func(ds []recon.Decision) []recon.Decision { ds[2].Note = "refund booked"; return ds }, 3, "changed after it was written"},
		{"an amount edited", func(ds []recon.Decision) []recon.Decision { ds[1].DifferenceMinor = -11; return ds }, 2, "changed after it was written"},
		{"who decided edited", func(ds []recon.Decision) []recon.Decision { ds[0].DecidedBy = "mallory"; return ds }, 1, "changed after it was written"},
		{"a time edited", func(ds []recon.Decision) []recon.Decision {
			ds[3].DecidedAt = ds[3].DecidedAt.Add(time.Microsecond)
			return ds
		}, 4, "changed after it was written"},
		{"an entry edited and its hash made again", func(ds []recon.Decision) []recon.Decision {
			ds[2].Decision = recon.DecisionWrittenOff
			ds[2].Hash = Hash(&ds[2])
			return ds
		}, 4, "does not follow the entry before it"},
		{"an entry removed and the rest renumbered", func(ds []recon.Decision) []recon.Decision {
			ds = append(ds[:1], ds[2:]...)
			for i := range ds {
				ds[i].Seq = int64(i + 1)
			}
			return ds
		}, 2, "does not follow the entry before it"},
		{"an entry removed", func(ds []recon.Decision) []recon.Decision { return append(ds[:1], ds[2:]...) }, 3, "number 3 where 2 was due"},
		{"two entries swapped", func(ds []recon.Decision) []recon.Decision { ds[1], ds[2] = ds[2], ds[1]; return ds }, 3, "number 3 where 2 was due"},
		{"another merchant's entry", func(ds []recon.Decision) []recon.Decision { ds[4].Merchant = "acme"; return ds }, 5, `merchant "acme"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.tamper(history(5)))
			var broken *BrokenError
			if !errors.As(err, &broken) || !errors.Is(err, ErrBroken) {
				t.Fatalf("Verify: %v, want a BrokenError", err)
			}
			if broken.Entry.Seq != tc.seq || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got entry %d: %v\nwant entry %d, %q", broken.Entry.Seq, err, tc.seq, tc.reason)
			}
		})
	}
}

// TestCanonicalIsUnambiguous: moving text from one field to the next
// changes the hash.
func TestCanonicalIsUnambiguous(t *testing.T) {
	a := history(1)[0]
	b := a
	a.Note, a.DecidedBy = "bank fee\nalice", ""
	b.Note, b.DecidedBy = "bank fee", "\nalice"
	if Hash(&a) == Hash(&b) {
		t.Error("two entries that differ only in where a field ends hash alike")
	}
}
