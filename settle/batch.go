package settle

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// Kind is what a settling transaction does to the payout.
type Kind uint8

// The kinds of settling transaction.
const (
	Sale   Kind = iota // pays the merchant its amount, less the fee
	Refund             // is taken back from the payout
)

// Txn is a transaction a batch pays out: a paid sale, or a refund.
type Txn struct {
	ID       int32 // the caller's, handed back in Batch.Txns
	Kind     Kind
	Brand    string
	Currency string
	Amount   int64 // positive, minor units
	// At is when the payment was made; a transaction without one cannot
	// be put in a batch (Problem).
	At time.Time
}

// Batch is one business day's settled transactions in one currency, and
// what the gateway owes for them on its payout day.
type Batch struct {
	Currency string
	Day      Day // the gateway business day the batch is cut on
	Payout   Day
	Txns     []int32 // the transactions' IDs, in input order
	// TxnFees is each transaction's fee under the schedule, rounded
	// half-up on its own (beside Txns): what the batch keeps for it with
	// per-transaction rounding, for reading only with per-batch rounding
	// (Fees is then rounded once, on their exact sum). A refund's is
	// negative when its fee is returned, else 0; a brand without a rule
	// gives 0.
	TxnFees []int64
	Sales   int64 // the sales' amounts
	Refunds int64 // the refunds' amounts
	// Fees is what the schedule says the gateway keeps; FeesKnown is
	// false when a transaction's brand has no fee rule (NoRule names
	// them), and then Fees and Net are not values.
	Fees      int64
	FeesKnown bool
	NoRule    []string
	Net       int64 // Sales − Refunds − Fees
}

// Name is how exceptions and the report name a batch: its day and
// currency.
func (b *Batch) Name() string { return b.Day.String() + " " + b.Currency }

// Problem is a transaction that could not be put in a batch, and why.
type Problem struct {
	ID  int32
	Why string
}

// Build cuts the transactions into batches, in day then currency order,
// and works out what each pays out under the schedule.
func Build(txns []Txn, s Schedule, c Calendar) ([]Batch, []Problem) {
	type key struct {
		cur string
		day Day
	}
	idx := map[key]int{}
	var out []Batch
	var probs []Problem
	// acc holds each batch's exact fees: sales' and refunds' apart,
	// for a per-batch rounding.
	type acc struct{ plus, minus exactFee }
	var accs []acc
	// The rule of each brand and currency, looked up once.
	type found struct {
		r  FeeRule
		ok bool
	}
	rules := map[[2]string]found{}
	for _, t := range txns {
		if t.At.IsZero() {
			probs = append(probs, Problem{ID: t.ID, Why: "no payment time is known, so its settlement day is not"})
			continue
		}
		if t.Amount < 0 {
			probs = append(probs, Problem{ID: t.ID, Why: fmt.Sprintf("amount %d is negative", t.Amount)})
			continue
		}
		k := key{t.Currency, c.BatchDay(t.At)}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Batch{Currency: t.Currency, Day: k.day, Payout: c.PayoutDay(k.day), FeesKnown: true})
			accs = append(accs, acc{})
		}
		b, a := &out[i], &accs[i]
		b.Txns = append(b.Txns, t.ID)
		b.TxnFees = append(b.TxnFees, 0)
		if t.Kind == Refund {
			b.Refunds += t.Amount
		} else {
			b.Sales += t.Amount
		}
		if t.Kind == Refund && !s.RefundFeeReturned {
			continue
		}
		rf, seen := rules[[2]string{t.Brand, t.Currency}]
		if !seen {
			rf.r, rf.ok = s.rule(t.Brand, t.Currency)
			rules[[2]string{t.Brand, t.Currency}] = rf
		}
		r, ok := rf.r, rf.ok
		if !ok {
			b.FeesKnown = false
			if !slices.Contains(b.NoRule, t.Brand) {
				b.NoRule = append(b.NoRule, t.Brand)
			}
			continue
		}
		f := feeOf(r, t.Amount)
		v, err := f.round()
		if err != nil {
			b.FeesKnown = false
			continue
		}
		if t.Kind == Refund {
			v = -v
		}
		b.TxnFees[len(b.TxnFees)-1] = v
		if s.Rounding == RoundPerBatch {
			if t.Kind == Refund {
				a.minus = a.minus.add(f)
			} else {
				a.plus = a.plus.add(f)
			}
			continue
		}
		b.Fees += v
	}
	for i := range out {
		b := &out[i]
		if s.Rounding == RoundPerBatch && b.FeesKnown {
			v, err := signedRound(accs[i].plus, accs[i].minus)
			if err != nil {
				b.FeesKnown = false
			}
			b.Fees = v
		}
		if !b.FeesKnown {
			b.Fees = 0
		}
		b.Net = b.Sales - b.Refunds - b.Fees
		slices.Sort(b.NoRule)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		return cmp.Or(cmp.Compare(out[x].Day, out[y].Day), cmp.Compare(out[x].Currency, out[y].Currency))
	})
	sorted := make([]Batch, len(out))
	for i, j := range order {
		sorted[i] = out[j]
	}
	return sorted, probs
}

// signedRound rounds plus − minus half-up, away from zero on a half.
func signedRound(plus, minus exactFee) (int64, error) {
	if minus.less(plus) || minus == plus {
		return plus.sub(minus).round()
	}
	v, err := minus.sub(plus).round()
	return -v, err
}

// sub is a − b, for a ≥ b.
func (a exactFee) sub(b exactFee) exactFee {
	lo, bw := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, bw)
	return exactFee{hi, lo}
}
