package settle

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var wib = time.FixedZone("WIB", 7*3600)

func day(s string) Day {
	d, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"2.9", 29000, ""}, {"0.75", 7500, ""}, {"0", 0, ""}, {"100", 100_0000, ""}, {"1.2345", 12345, ""},
		{"1.23456", 0, "decimals"}, {"-1", 0, "between 0 and 100"}, {"101", 0, "between 0 and 100"}, {"2,9", 0, "percent"}, {"abc", 0, "percent"},
	} {
		got, err := ParsePercent(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %d, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestFees works fees out by hand: 2.9% + 50 of 1,000,000 is 29,050;
// the half-up rounding of 2.9% of 1,005 (29.145) is 29; of 1,017
// (29.493) is 29, of 1,018 (29.522) is 30.
func TestFees(t *testing.T) {
	card := FeeRule{Brand: "Card", PercentE4: 29000, FixedMinor: 50}
	qr := FeeRule{Brand: "*", PercentE4: 7000, MinMinor: 100}
	idr := FeeRule{Brand: "Card", Currency: "IDR", PercentE4: 20000}
	s := Schedule{Rules: []FeeRule{card, qr, idr}}
	for _, tc := range []struct {
		brand, cur string
		amount     int64
		want       int64
	}{
		{"Card", "SGD", 1_000_000, 29_050},
		{"card", "SGD", 1_005, 29 + 50},
		{"Card", "SGD", 1_018, 30 + 50},
		{"Card", "IDR", 1_000_000, 20_000}, // the currency's own rule first
		{"GrabPay", "SGD", 1_000, 100},     // 0.7% is 7, the minimum is 100
		{"GrabPay", "SGD", 100_000, 700},
		{"Card", "SGD", 0, 50},
		{"Card", "SGD", 1 << 62, 0}, // checked below: no overflow
	} {
		r, ok := s.rule(tc.brand, tc.cur)
		if !ok {
			t.Fatalf("%s %s: no rule", tc.brand, tc.cur)
		}
		got, err := feeOf(r, tc.amount).round()
		if tc.amount == 1<<62 {
			// 2.9% of 2^62 + 50: 4,611,686,018,427,387,904 × 0.029 =
			// 133,738,894,534,394,249.216, rounded, + 50.
			if err != nil || got != 133_738_894_534_394_299 {
				t.Errorf("2^62: got %d, %v", got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s %d: got %d, %v; want %d", tc.brand, tc.cur, tc.amount, got, err, tc.want)
		}
	}
	if _, ok := (Schedule{Rules: []FeeRule{card}}).rule("GrabPay", "SGD"); ok {
		t.Error("a brand without a rule and no \"*\" rule must have none")
	}
}

func TestScheduleValidate(t *testing.T) {
	err := Schedule{Rules: []FeeRule{
		{Brand: ""}, {Brand: "Card"}, {Brand: "card"}, {Brand: "X", Currency: "ZZZ"}, {Brand: "Y", PercentE4: -1}, {Brand: "Z", FixedMinor: -5},
	}}.Validate()
	for _, want := range []string{"fee rule 1: brand is required", "fee rule 3: brand card is given twice", `fee rule 4: unknown currency "ZZZ"`,
		"fee rule 5: percent must be between 0 and 100", "fee rule 6: fixed and minimum fees must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

// TestCalendar: Friday 27 November 2026 after the 22:00 cut-off counts
// for Monday 30th (the weekend is skipped), and a T+1 payout of Thursday
// 24 December 2026 skips the 25th (a holiday) and the weekend.
func TestCalendar(t *testing.T) {
	c := Calendar{Zone: wib, CutOff: 22 * time.Hour, PayoutDays: 1, Holidays: map[Day]bool{day("2026-12-25"): true}}
	for _, tc := range []struct {
		at         time.Time
		batch, pay string
	}{
		{time.Date(2026, 11, 26, 10, 0, 0, 0, wib), "2026-11-26", "2026-11-27"},
		{time.Date(2026, 11, 26, 21, 59, 59, 0, wib), "2026-11-26", "2026-11-27"},
		{time.Date(2026, 11, 26, 22, 0, 0, 0, wib), "2026-11-27", "2026-11-30"},
		{time.Date(2026, 11, 27, 23, 0, 0, 0, wib), "2026-11-30", "2026-12-01"},
		{time.Date(2026, 11, 28, 9, 0, 0, 0, wib), "2026-11-30", "2026-12-01"},
		{time.Date(2026, 11, 26, 16, 30, 0, 0, time.UTC), "2026-11-27", "2026-11-30"}, // 23:30 in Jakarta
		{time.Date(2026, 12, 24, 9, 0, 0, 0, wib), "2026-12-24", "2026-12-28"},
	} {
		b := c.BatchDay(tc.at)
		if b.String() != tc.batch || c.PayoutDay(b).String() != tc.pay {
			t.Errorf("%s: batch %s paid %s; want %s paid %s", tc.at, b, c.PayoutDay(b), tc.batch, tc.pay)
		}
	}
	if (Calendar{PayoutDays: 0}).PayoutDay(day("2026-11-28")).String() != "2026-11-30" {
		t.Error("T+0 of a Saturday is paid the Monday")
	}
	if (Calendar{CutOff: 24 * time.Hour}).Validate() == nil || (Calendar{PayoutDays: -1}).Validate() == nil {
		t.Error("a cut-off past midnight and a negative N must be refused")
	}
}

// TestBuild: sales and refunds of two days and two currencies, fees per
// transaction and per batch, a refund's fee kept or returned, and a
// brand without a rule.
func TestBuild(t *testing.T) {
	cal := Calendar{Zone: wib, PayoutDays: 2}
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, wib) }
	txns := []Txn{
		{ID: 0, Kind: Sale, Brand: "Card", Currency: "SGD", Amount: 1_005, At: at(23, 9)},
		{ID: 1, Kind: Sale, Brand: "Card", Currency: "SGD", Amount: 1_005, At: at(23, 10)},
		{ID: 2, Kind: Refund, Brand: "Card", Currency: "SGD", Amount: 500, At: at(23, 11)},
		{ID: 3, Kind: Sale, Brand: "Card", Currency: "IDR", Amount: 10_000_000, At: at(23, 12)},
		{ID: 4, Kind: Sale, Brand: "Card", Currency: "SGD", Amount: 2_000, At: at(24, 9)},
		{ID: 5, Kind: Sale, Brand: "Alipay", Currency: "SGD", Amount: 3_000, At: at(24, 9)},
		{ID: 6, Kind: Sale, Brand: "Card", Currency: "SGD", Amount: 100}, // no payment time
	}
	s := Schedule{Rules: []FeeRule{{Brand: "Card", PercentE4: 29000}}} // 2.9% of 1,005 is 29.145
	got, probs := Build(txns, s, cal)
	if len(probs) != 1 || probs[0].ID != 6 {
		t.Fatalf("problems %+v, want transaction 6's", probs)
	}
	want := []Batch{
		{Currency: "IDR", Day: day("2026-11-23"), Payout: day("2026-11-25"), Txns: []int32{3}, TxnFees: []int64{290_000}, Sales: 10_000_000, Fees: 290_000, FeesKnown: true, Net: 9_710_000},
		{Currency: "SGD", Day: day("2026-11-23"), Payout: day("2026-11-25"), Txns: []int32{0, 1, 2}, TxnFees: []int64{29, 29, 0}, Sales: 2_010, Refunds: 500, Fees: 58, FeesKnown: true, Net: 1_452},
		{Currency: "SGD", Day: day("2026-11-24"), Payout: day("2026-11-26"), Txns: []int32{4, 5}, TxnFees: []int64{58, 0}, Sales: 5_000, NoRule: []string{"Alipay"}},
	}
	want[2].Net = 5_000
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("per transaction (-want +got):\n%s", d)
	}
	s.Rounding = RoundPerBatch // 58.29 rounds to 58
	s.RefundFeeReturned = true // 2.9% of 500 is 14.5 back: 43.79 rounds to 44
	got, _ = Build(txns[:3], s, cal)
	if len(got) != 1 || got[0].Fees != 44 || got[0].Net != 2_010-500-44 {
		t.Fatalf("per batch, refund fee returned: %+v", got)
	}
	s.Rounding = RoundPerTransaction // 29 + 29 − 15 (14.5 half-up)
	if got, _ = Build(txns[:3], s, cal); got[0].Fees != 43 {
		t.Fatalf("per transaction, refund fee returned: fees %d, want 43", got[0].Fees)
	}
}

// batchesOf builds SGD batches paid out on the given days with the given
// nets (fees 0).
func batchesOf(days []string, nets []int64) []Batch {
	var out []Batch
	for i := range days {
		out = append(out, Batch{Currency: "SGD", Day: day(days[i]) - 1, Payout: day(days[i]), Sales: nets[i], Net: nets[i], FeesKnown: true})
	}
	return out
}

func TestMatch(t *testing.T) {
	pattern := regexp.MustCompile(`OXPAY SETTLEMENT (?P<date>\d{4}-\d{2}-\d{2})(?: (?P<currency>[A-Z]{3}))?`)
	opts := Options{Pattern: pattern, ToleranceAbs: 0, AsOf: day("2026-11-30"), HasAsOf: true}
	tests := []struct {
		name    string
		batches []Batch
		deps    []Deposit
		opts    Options
		want    Result
	}{
		{
			name:    "by reference",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps:    []Deposit{{ID: 7, Day: day("2026-11-27"), Currency: "SGD", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-11-24"}},
			want:    Result{Pairs: []Pair{{Deposit: 7, Batches: []int{0}, ByReference: true, Expected: 1000, Within: true}}, PatternHits: 1},
		},
		{
			name:    "by reference, short by 30",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps:    []Deposit{{ID: 7, Day: day("2026-11-25"), Currency: "SGD", Amount: 970, Text: "OXPAY SETTLEMENT 2026-11-24 SGD", Fee: 40, HasFee: true}},
			want: Result{Pairs: []Pair{{Deposit: 7, Batches: []int{0}, ByReference: true, Expected: 1000, Diff: -30, FeeDiff: 40, HasFeeDiff: true}},
				PatternHits: 1},
		},
		{
			name:    "by reference to a day without a batch, and to a currency no batch has",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps: []Deposit{
				{ID: 1, Day: day("2026-11-25"), Currency: "SGD", Amount: 5, Text: "OXPAY SETTLEMENT 2026-11-20"},
				{ID: 2, Day: day("2026-11-25"), Currency: "SGD", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-11-24 MYR"},
			},
			want: Result{Unmatched: []Unmatched{
				{1, "names the batch of 2026-11-20 in SGD, which has no settled transaction", true},
				{2, "names the batch of 2026-11-24 in MYR, but no batch is in MYR", true},
			}, Missing: []int{0}, PatternHits: 2},
		},
		{
			name:    "two lines name one batch: the second is not paired",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps: []Deposit{
				{ID: 1, Day: day("2026-11-25"), Currency: "SGD", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-11-24"},
				{ID: 2, Day: day("2026-11-26"), Currency: "SGD", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-11-24"},
			},
			want: Result{Pairs: []Pair{{Deposit: 1, Batches: []int{0}, ByReference: true, Expected: 1000, Within: true}},
				Unmatched: []Unmatched{{2, "names the batch of 2026-11-24 in SGD, which ledger entry 1 already pays", true}}, PatternHits: 2},
		},
		{
			name:    "by payout day and amount, within the tolerance",
			batches: batchesOf([]string{"2026-11-25", "2026-11-26"}, []int64{1000, 2000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-26"), Currency: "SGD", Amount: 1995, Text: "TRANSFER"}},
			opts:    Options{ToleranceAbs: 5},
			want:    Result{Pairs: []Pair{{Deposit: 3, Batches: []int{1}, Expected: 2000, Diff: -5, Within: true}}, Missing: []int{0}},
		},
		{
			name:    "without a pattern, the payout day's only batch, amount off: paired, a mismatch",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-25"), Currency: "SGD", Amount: 900}},
			opts:    Options{AsOf: day("2026-11-30"), HasAsOf: true},
			want:    Result{Pairs: []Pair{{Deposit: 3, Batches: []int{0}, Expected: 1000, Diff: -100}}},
		},
		{
			name:    "with a pattern, a line it does not name and whose amount fits no batch is no settlement",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-25"), Currency: "SGD", Amount: 900, Text: "ADJ-0001 Manual adjustment"}},
			want: Result{Unmatched: []Unmatched{{Deposit: 3, Why: "its text names no batch, and its amount fits none of the 1 batch(es) in SGD paid out on 2026-11-25"}},
				Missing: []int{0}},
		},
		{
			name:    "a pattern match whose date is no date, and one naming another currency than its own",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps: []Deposit{
				{ID: 1, Day: day("2026-11-25"), Currency: "SGD", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-13-40"},
				{ID: 2, Day: day("2026-11-25"), Currency: "IDR", Amount: 1000, Text: "OXPAY SETTLEMENT 2026-11-24 SGD"},
			},
			want: Result{Unmatched: []Unmatched{
				{1, `its text matches the settlement reference pattern, but "2026-13-40" is not a date (YYYY-MM-DD or YYYYMMDD)`, true},
				{2, "names the batch of 2026-11-24 in SGD, but is booked in IDR", true},
			}, Missing: []int{0}, PatternHits: 2},
		},
		{
			name:    "two batches paid out the same day, the deposit fits one",
			batches: batchesOf([]string{"2026-11-30", "2026-11-30"}, []int64{1000, 2000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-30"), Currency: "SGD", Amount: 2000}},
			want:    Result{Pairs: []Pair{{Deposit: 3, Batches: []int{1}, Expected: 2000, Within: true}}, Missing: []int{0}},
		},
		{
			name:    "a weekend's batches paid out together: the combination",
			batches: batchesOf([]string{"2026-11-30", "2026-11-30", "2026-11-30"}, []int64{1000, 2000, 400}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-30"), Currency: "SGD", Amount: 3400}},
			want:    Result{Pairs: []Pair{{Deposit: 3, Batches: []int{0, 1, 2}, Expected: 3400, Within: true}}},
		},
		{
			name:    "two batches of the same net on one payout day: never picked at random",
			batches: batchesOf([]string{"2026-11-30", "2026-11-30"}, []int64{1000, 1000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-30"), Currency: "SGD", Amount: 1000}},
			want:    Result{Ambiguous: []Ambiguity{{Deposit: 3, Candidates: [][]int{{0}, {1}}}}, Explained: []int{0, 1}},
		},
		{
			name:    "without a pattern, two batches on a payout day, the deposit fits neither",
			batches: batchesOf([]string{"2026-11-30", "2026-11-30"}, []int64{1000, 2000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-30"), Currency: "SGD", Amount: 1500}},
			opts:    Options{AsOf: day("2026-11-30"), HasAsOf: true},
			want:    Result{Ambiguous: []Ambiguity{{Deposit: 3, Candidates: [][]int{{0}, {1}}}}, Explained: []int{0, 1}},
		},
		{
			name:    "two deposits fit one batch: neither is chosen",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps: []Deposit{{ID: 3, Day: day("2026-11-25"), Currency: "SGD", Amount: 1000},
				{ID: 4, Day: day("2026-11-25"), Currency: "SGD", Amount: 1000}},
			want: Result{Ambiguous: []Ambiguity{{Deposit: 3, Candidates: [][]int{{0}}}, {Deposit: 4, Candidates: [][]int{{0}}}}, Explained: []int{0}},
		},
		{
			name:    "a deposit on a day no batch pays out, and one in a currency no batch has",
			batches: batchesOf([]string{"2026-11-25"}, []int64{1000}),
			deps: []Deposit{{ID: 3, Day: day("2026-11-27"), Currency: "SGD", Amount: 1000},
				{ID: 4, Day: day("2026-11-25"), Currency: "MYR", Amount: 1000}},
			want: Result{Unmatched: []Unmatched{{Deposit: 4, Why: "is in MYR, and no batch is"}, {Deposit: 3, Why: "no batch in SGD pays out on 2026-11-27"}}, Missing: []int{0}},
		},
		{
			name:    "a batch paid out after the ledger's last day is pending",
			batches: batchesOf([]string{"2026-11-25", "2026-12-02"}, []int64{1000, 2000}),
			want:    Result{Missing: []int{0}, Pending: []int{1}},
		},
		{
			name:    "percent tolerance: 0.5% of 20,000 is 100",
			batches: batchesOf([]string{"2026-11-25"}, []int64{20_000}),
			deps:    []Deposit{{ID: 3, Day: day("2026-11-25"), Currency: "SGD", Amount: 19_900}, {ID: 4, Day: day("2026-11-25"), Currency: "SGD", Amount: 19_899}},
			opts:    Options{TolerancePercentE4: 5000},
			want: Result{Ambiguous: []Ambiguity{{Deposit: 3, Candidates: [][]int{{0}}}, {Deposit: 4, Candidates: [][]int{{0}}}},
				Explained: []int{0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			if tc.opts != (Options{}) {
				o = tc.opts
			}
			got := Match(tc.batches, tc.deps, o)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			// The order of the ledger lines never changes the outcome.
			rev := make([]Deposit, len(tc.deps))
			for i, d := range tc.deps {
				rev[len(rev)-1-i] = d
			}
			if d := cmp.Diff(got, Match(tc.batches, rev, o)); d != "" {
				t.Errorf("the lines in reverse order changed the outcome (-forward +reverse):\n%s", d)
			}
		})
	}
	if err := ValidatePattern(regexp.MustCompile(`SETTLEMENT \d+`)); err == nil {
		t.Error("a pattern without a date group must be refused")
	}
}

// TestBuildAccountsForEveryTransaction: over random days, brands,
// currencies and amounts, every transaction lands in exactly one batch
// or is a problem, and every batch's figures add up.
func TestBuildAccountsForEveryTransaction(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	brands := []string{"Card", "GrabPay", "Alipay"}
	curs := []string{"SGD", "IDR", "MYR"}
	var txns []Txn
	for i := range 5000 {
		tx := Txn{ID: int32(i), Kind: Kind(rnd.IntN(4) / 3), Brand: brands[rnd.IntN(3)], Currency: curs[rnd.IntN(3)],
			Amount: rnd.Int64N(10_000_000), At: time.Date(2026, 11, 1+rnd.IntN(30), rnd.IntN(24), 0, 0, 0, wib)}
		if rnd.IntN(100) == 0 {
			tx.At = time.Time{}
		}
		txns = append(txns, tx)
	}
	s := Schedule{Rules: []FeeRule{{Brand: "Card", PercentE4: 29000, FixedMinor: 50}, {Brand: "GrabPay", PercentE4: 15000, MinMinor: 10}},
		Rounding: RoundPerBatch, RefundFeeReturned: true}
	batches, probs := Build(txns, s, Calendar{Zone: wib, CutOff: 22 * time.Hour, PayoutDays: 2})
	seen := map[int32]int{}
	for _, p := range probs {
		seen[p.ID]++
	}
	for _, b := range batches {
		var sales, refunds int64
		for _, id := range b.Txns {
			seen[id]++
			tx := txns[id]
			if tx.Currency != b.Currency || (Calendar{Zone: wib, CutOff: 22 * time.Hour}).BatchDay(tx.At) != b.Day {
				t.Fatalf("transaction %d is in batch %s", id, b.Name())
			}
			if tx.Kind == Refund {
				refunds += tx.Amount
			} else {
				sales += tx.Amount
			}
		}
		if b.Sales != sales || b.Refunds != refunds || (b.FeesKnown && b.Net != sales-refunds-b.Fees) {
			t.Fatalf("batch %s does not add up: %+v", b.Name(), b)
		}
		if wd := b.Day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Fatalf("batch %s is cut on a weekend", b.Name())
		}
	}
	for i := range txns {
		if seen[int32(i)] != 1 {
			t.Fatalf("transaction %d is accounted for %d times", i, seen[int32(i)])
		}
	}
}
