package settle

import (
	"cmp"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strings"
)

// Deposit is a ledger line that may be a settlement payout.
type Deposit struct {
	ID       int64 // the caller's (a ledger entry id), handed back in the outcomes
	Day      Day   // the booking date
	Currency string
	Amount   int64  // signed: a payout is a credit (positive)
	Text     string // the line's reference and description, searched by Options.Pattern
	// Fee is the fee the line says the gateway kept, when HasFee.
	Fee    int64
	HasFee bool
}

// Options tune Match.
type Options struct {
	// Pattern finds a batch's date in a deposit's Text: its group named
	// "date" holds it (YYYY-MM-DD or YYYYMMDD), and a group named
	// "currency", when present, its currency (else the deposit's). Nil:
	// deposits are paired by payout day and amount only, and the payout
	// day's one batch takes a deposit of that day even when its amount
	// is off (an amount mismatch). With a pattern, a deposit its text
	// does not name must agree in amount: a line that names no batch and
	// fits none is no settlement (it may be anything finance booked).
	Pattern *regexp.Regexp
	// A deposit agrees with a batch when they differ by at most
	// ToleranceAbs minor units or TolerancePercentE4 (percent × 10^4)
	// of the batch's net, whichever is larger.
	ToleranceAbs       int64
	TolerancePercentE4 int64
	// AsOf is the last day the ledger covers: a batch paid out later is
	// pending, not missing. Zero (with HasAsOf false): every batch is due.
	AsOf    Day
	HasAsOf bool
}

// ValidatePattern checks that a pattern can name a batch: it has a group
// named date.
func ValidatePattern(re *regexp.Regexp) error {
	if re != nil && re.SubexpIndex("date") < 0 {
		return fmt.Errorf("settlement reference pattern %q has no (?P<date>...) group", re.String())
	}
	return nil
}

// Pair is a deposit paid for one batch, or for all of one payout day's
// batches together.
type Pair struct {
	Deposit int64
	Batches []int // indexes into the batches given to Match
	// ByReference says the deposit's text named the batch; else its
	// payout day and amount chose it.
	ByReference bool
	// Expected is what the batches owe (their net); Diff is the deposit
	// less that; Within says Diff is inside the tolerance.
	Expected, Diff int64
	Within         bool
	// FeeDiff is the fee the deposit states less the schedule's, when it
	// states one (HasFeeDiff).
	FeeDiff    int64
	HasFeeDiff bool
}

// Ambiguity is a deposit that several batches, or a batch and a
// combination, explain equally: it is paired with none of them.
type Ambiguity struct {
	Deposit    int64
	Candidates [][]int // each candidate is one batch or one combination
}

// Unmatched is a deposit no batch explains, and why. Named says its
// text named a batch (through Options.Pattern): a settlement deposit
// that pays nothing, rather than a line that may be anything.
type Unmatched struct {
	Deposit int64
	Why     string
	Named   bool
}

// Result is what Match found.
type Result struct {
	Pairs     []Pair
	Ambiguous []Ambiguity
	Unmatched []Unmatched
	// Missing are the batches due (paid out on or before AsOf) that no
	// deposit pays; Pending those paid out after AsOf with none yet.
	Missing, Pending []int
	// Explained are the batches an ambiguous deposit may pay: not
	// Missing, as the ambiguity already reports them.
	Explained []int
	// PatternHits counts the deposits whose text Pattern matched, so a
	// pattern that matches nothing can be told.
	PatternHits int
}

// Match pairs deposits with batches. First every deposit whose text
// names a batch (Pattern) is paired with it; then each other deposit
// with the one batch, or all of the payout day's batches together, that
// pays out on its day in its currency and agrees in amount; when none
// agrees and one batch pays out that day, with that one (an amount
// mismatch). A deposit more than one candidate explains, or a batch two
// deposits would pay, is never chosen between: it is ambiguous.
func Match(batches []Batch, deps []Deposit, o Options) Result {
	var res Result
	order := make([]int, len(deps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Or(cmp.Compare(deps[x].Day, deps[y].Day), cmp.Compare(deps[x].ID, deps[y].ID))
	})
	type key struct {
		cur string
		day Day
	}
	byDay := map[key]int{}
	byPayout := map[key][]int{}
	currencies := map[string]bool{}
	for i := range batches {
		b := &batches[i]
		byDay[key{b.Currency, b.Day}] = i
		byPayout[key{b.Currency, b.Payout}] = append(byPayout[key{b.Currency, b.Payout}], i)
		currencies[b.Currency] = true
	}
	paidBy := make([]int64, len(batches)) // the paying deposit's ID
	paid := make([]bool, len(batches))
	pair := func(d *Deposit, bs []int, byRef bool) {
		var net int64
		for _, b := range bs {
			net += batches[b].Net
			paidBy[b], paid[b] = d.ID, true
		}
		p := Pair{Deposit: d.ID, Batches: bs, ByReference: byRef, Expected: net, Diff: d.Amount - net}
		p.Within = o.Within(p.Diff, net)
		if d.HasFee {
			var fees int64
			known := true
			for _, b := range bs {
				fees += batches[b].Fees
				known = known && batches[b].FeesKnown
			}
			if known {
				p.FeeDiff, p.HasFeeDiff = d.Fee-fees, true
			}
		}
		res.Pairs = append(res.Pairs, p)
	}

	// By reference.
	var rest []int
	for _, i := range order {
		d := &deps[i]
		day, cur, named, bad := o.named(d)
		if !named {
			rest = append(rest, i)
			continue
		}
		res.PatternHits++
		b, ok := byDay[key{cur, day}]
		switch {
		case bad != "":
			res.Unmatched = append(res.Unmatched, Unmatched{d.ID, bad, true})
		case !currencies[cur]:
			res.Unmatched = append(res.Unmatched, Unmatched{d.ID, fmt.Sprintf("names the batch of %s in %s, but no batch is in %s", day, cur, cur), true})
		case cur != d.Currency:
			res.Unmatched = append(res.Unmatched, Unmatched{d.ID, fmt.Sprintf("names the batch of %s in %s, but is booked in %s", day, cur, d.Currency), true})
		case !ok:
			res.Unmatched = append(res.Unmatched, Unmatched{d.ID, fmt.Sprintf("names the batch of %s in %s, which has no settled transaction", day, cur), true})
		case paid[b]:
			res.Unmatched = append(res.Unmatched, Unmatched{d.ID, fmt.Sprintf("names the batch of %s in %s, which ledger entry %d already pays", day, cur, paidBy[b]), true})
		default:
			pair(d, []int{b}, true)
		}
	}

	// By payout day and amount: every deposit's options first, against
	// the batches the references left, so that the order of the lines
	// never decides.
	type choice struct {
		options  [][]int
		mismatch bool // the only option is the day's one batch, amount off
		why      string
	}
	choices := make([]choice, len(deps))
	claims := make([]int, len(batches))
	for _, i := range rest {
		d := &deps[i]
		var open []int
		for _, b := range byPayout[key{d.Currency, d.Day}] {
			if !paid[b] {
				open = append(open, b)
			}
		}
		c := &choices[i]
		for _, b := range open {
			if batches[b].FeesKnown && o.Within(d.Amount-batches[b].Net, batches[b].Net) {
				c.options = append(c.options, []int{b})
			}
		}
		if len(open) > 1 {
			var net int64
			known := true
			for _, b := range open {
				net += batches[b].Net
				known = known && batches[b].FeesKnown
			}
			if known && o.Within(d.Amount-net, net) {
				c.options = append(c.options, open)
			}
		}
		switch {
		case len(c.options) == 0 && len(open) == 1 && o.Pattern == nil:
			c.options, c.mismatch = [][]int{open}, true
		case len(c.options) == 0 && len(open) > 1 && o.Pattern == nil:
			for _, b := range open {
				c.options = append(c.options, []int{b})
			}
		case len(c.options) == 0 && !currencies[d.Currency]:
			c.why = fmt.Sprintf("is in %s, and no batch is", d.Currency)
		case len(c.options) == 0 && len(open) > 0:
			c.why = fmt.Sprintf("its text names no batch, and its amount fits none of the %d batch(es) in %s paid out on %s", len(open), d.Currency, d.Day)
		case len(c.options) == 0 && len(byPayout[key{d.Currency, d.Day}]) > 0:
			c.why = fmt.Sprintf("the batch(es) in %s paid out on %s are paid by the lines that name them", d.Currency, d.Day)
		case len(c.options) == 0:
			c.why = fmt.Sprintf("no batch in %s pays out on %s", d.Currency, d.Day)
		}
		if len(c.options) == 1 {
			for _, b := range c.options[0] {
				claims[b]++
			}
		}
	}
	for _, i := range rest {
		d, c := &deps[i], &choices[i]
		switch {
		case c.why != "":
			res.Unmatched = append(res.Unmatched, Unmatched{Deposit: d.ID, Why: c.why})
		case len(c.options) == 1 && !contested(c.options[0], claims):
			pair(d, c.options[0], false)
		default:
			res.Ambiguous = append(res.Ambiguous, Ambiguity{Deposit: d.ID, Candidates: c.options})
			for _, opt := range c.options {
				res.Explained = append(res.Explained, opt...)
			}
		}
	}
	slices.Sort(res.Explained)
	res.Explained = slices.Compact(res.Explained)

	for i := range batches {
		switch {
		case paid[i] || slices.Contains(res.Explained, i):
		case o.HasAsOf && batches[i].Payout > o.AsOf:
			res.Pending = append(res.Pending, i)
		default:
			res.Missing = append(res.Missing, i)
		}
	}
	return res
}

// contested reports whether any of the batches is claimed by more than
// one deposit.
func contested(bs []int, claims []int) bool {
	for _, b := range bs {
		if claims[b] > 1 {
			return true
		}
	}
	return false
}

// named reads the batch a deposit's text names through the pattern:
// named is false when the pattern does not match, and bad says why a
// match names no batch (a date that is not one).
func (o Options) named(d *Deposit) (day Day, cur string, named bool, bad string) {
	if o.Pattern == nil {
		return 0, "", false, ""
	}
	m := o.Pattern.FindStringSubmatch(d.Text)
	if m == nil {
		return 0, "", false, ""
	}
	cur = d.Currency
	if i := o.Pattern.SubexpIndex("currency"); i >= 0 && m[i] != "" {
		cur = strings.ToUpper(m[i])
	}
	raw := m[o.Pattern.SubexpIndex("date")]
	text := raw
	if len(raw) == 8 && !strings.Contains(raw, "-") {
		raw = raw[:4] + "-" + raw[4:6] + "-" + raw[6:]
	}
	day, err := ParseDay(raw)
	if err != nil {
		return 0, cur, true, fmt.Sprintf("its text matches the settlement reference pattern, but %q is not a date (YYYY-MM-DD or YYYYMMDD)", text)
	}
	return day, cur, true, ""
}

// Within reports whether diff is inside the tolerance for an amount.
func (o Options) Within(diff, amount int64) bool {
	if diff < 0 {
		diff = -diff
	}
	if diff <= o.ToleranceAbs {
		return true
	}
	if o.TolerancePercentE4 == 0 {
		return false
	}
	if amount < 0 {
		amount = -amount
	}
	// diff ≤ amount × p / 10^6, in 128 bits: diff × 10^6 ≤ amount × p.
	dh, dl := bits.Mul64(uint64(diff), micro)
	ah, al := bits.Mul64(uint64(amount), uint64(o.TolerancePercentE4))
	return dh < ah || (dh == ah && dl <= al)
}
