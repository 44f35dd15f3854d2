package match

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/settle"
)

// What a gateway transaction's merchant_reference_id is compared with.
const (
	ReferenceOrderUID       = "order_uid"
	ReferencePaymentLinkUID = "payment_link_uid"
)

// Options tune the matching. Start from DefaultOptions: a zero value is
// taken literally (a [0, 0] settlement window), except for the fields
// whose doc says what their zero means.
type Options struct {
	// Reference says what merchant_reference_id holds: the Xepeng order
	// uid or the payment link uid. "" means ReferenceOrderUID.
	Reference string
	// ToleranceAbs and TolerancePercentE4 bound how far a ledger line may
	// be from the gateway amount and still match (fees): the difference
	// may be up to the larger of ToleranceAbs minor units and
	// TolerancePercentE4 / 10^6 of the gateway amount (percent × 10^4:
	// 2.5% is 25000), either way.
	ToleranceAbs       int64
	TolerancePercentE4 int64
	// SettlementMinDays and SettlementMaxDays bound the booking date of a
	// ledger line, in days after the payment's date in Zone. See
	// doc.go for the payment time and the weekend rule.
	SettlementMinDays int
	SettlementMaxDays int
	// Zone is where business days are cut; nil means UTC.
	Zone *time.Location
	// AsOf, when set, is the business date the data runs to: a settling
	// transaction whose window ends after it is counted as pending
	// settlement instead of LEDGER_MISSING. Zero: every window is closed.
	AsOf time.Time
	// AmountFormat writes amounts in the detail text; zero means
	// money.Dot (1,250,000.00).
	AmountFormat money.Format
	// ReplayWindow is how long after its first receipt a signed
	// notification may arrive again as a gateway retry; later, it is a
	// replay (WEBHOOK_REPLAYED). Either way it counts once. Zero means
	// DefaultReplayWindow.
	ReplayWindow time.Duration
	// WeekendRoll moves a settlement window whose last day falls on a
	// Saturday or Sunday to end on the Monday (banks do not book at
	// weekends). Public holidays are not known here: widen
	// SettlementMaxDays where they matter.
	WeekendRoll bool
	// PaymentLag is how long after the gateway acted a receiver may log
	// the first delivery: a payment time read from a webhook (or from a
	// link's paid_at, also written after the fact) is the interval
	// [t − PaymentLag, t], and the window's first day is counted from its
	// start, so a payment at 23:59 logged at 00:01 may be booked the day
	// before the log says.
	PaymentLag time.Duration
	// Whole matches every row even when the run could start from an
	// earlier one's outcome and read only what the night reached
	// (incremental.go): for a night whose outcome is in doubt, and the
	// tests that hold the two to each other.
	Whole bool
	// Settlement, when set, matches the gateway's net settlement
	// deposits (settlement.go): the settling transactions no ledger line
	// books one by one are cut into batches and the lines no transaction
	// explains are offered to them as deposits. Nil: every line is
	// matched to one transaction, as it always was.
	Settlement *SettlementOptions
}

// SettlementOptions are the settlement step's: the gateway's fee
// schedule and calendar, and the pattern that finds the batch a
// deposit's text names (nil: by payout day and amount only). The
// tolerance is Options'.
type SettlementOptions struct {
	Schedule settle.Schedule
	Calendar settle.Calendar
	Pattern  *regexp.Regexp
}

// DefaultReplayWindow: OxPay retries an unacknowledged notification for
// hours, not days.
const DefaultReplayWindow = 24 * time.Hour

// DefaultOptions are the matching settings of config.Default: order uids,
// no tolerance, a settlement window of 0 to 3 days rolled past a
// weekend, a payment lag of an hour, in UTC.
func DefaultOptions() Options {
	return Options{Reference: ReferenceOrderUID, SettlementMinDays: 0, SettlementMaxDays: 3, Zone: time.UTC,
		WeekendRoll: true, PaymentLag: DefaultPaymentLag}
}

// DefaultPaymentLag: receivers log a delivery seconds after the gateway
// acts, and OxPay's first retry comes within the hour.
const DefaultPaymentLag = time.Hour

// Problem is one engine rule an Options breaks: the field, by its Go
// name (a caller maps it to its own name for it, such as a config key),
// and what is wrong with its value.
type Problem struct {
	Field   string // SettlementWindow stands for SettlementMinDays and SettlementMaxDays
	Message string
}

// Problems is every rule an Options breaks, in field order.
type Problems []Problem

func (p Problems) Error() string {
	if len(p) == 1 {
		return "match options: " + p[0].Message
	}
	var b strings.Builder
	b.WriteString("match options:")
	for _, x := range p {
		b.WriteString("\n  - " + x.Message)
	}
	return b.String()
}

// Validate checks the engine's rules on o and returns every problem at
// once, as Problems, or nil. This is the one place those rules live: a
// config only says which values it holds.
func (o Options) Validate() error {
	var p Problems
	add := func(field, format string, args ...any) {
		p = append(p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch o.Reference {
	case "", ReferenceOrderUID, ReferencePaymentLinkUID:
	default:
		add("Reference", "reference %q: want %s or %s", o.Reference, ReferenceOrderUID, ReferencePaymentLinkUID)
	}
	if o.ToleranceAbs < 0 {
		add("ToleranceAbs", "absolute tolerance %d must not be negative", o.ToleranceAbs)
	}
	if o.TolerancePercentE4 < 0 || o.TolerancePercentE4 > 100_0000 {
		add("TolerancePercentE4", "percent tolerance %s%% must be between 0 and 100%%",
			money.FormatAmount(o.TolerancePercentE4, 4, money.Format{Decimal: '.'}))
	}
	if o.PaymentLag < 0 || o.PaymentLag > 24*time.Hour {
		add("PaymentLag", "payment lag %s: want 0 to 24h", o.PaymentLag)
	}
	if o.ReplayWindow < 0 {
		add("ReplayWindow", "replay window %s must not be negative", o.ReplayWindow)
	}
	if o.SettlementMinDays < 0 || o.SettlementMaxDays < o.SettlementMinDays {
		add("SettlementWindow", "settlement window [%d, %d] days: want 0 <= min <= max", o.SettlementMinDays, o.SettlementMaxDays)
	}
	if so := o.Settlement; so != nil {
		for _, err := range unjoin(so.Schedule.Validate()) {
			add("Settlement.Fees", "%v", err)
		}
		if len(so.Schedule.Rules) == 0 {
			add("Settlement.Fees", "no fee rule: give at least one (brand \"*\" for every brand)")
		}
		if err := so.Calendar.Validate(); err != nil {
			add("Settlement.Calendar", "%v", err)
		}
		if err := settle.ValidatePattern(so.Pattern); err != nil {
			add("Settlement.Pattern", "%v", err)
		}
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// unjoin lists the errors errors.Join joined (err itself otherwise).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (o Options) normalized() Options {
	if o.Reference == "" {
		o.Reference = ReferenceOrderUID
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.ReplayWindow == 0 {
		o.ReplayWindow = DefaultReplayWindow
	}
	if o.AmountFormat == (money.Format{}) {
		o.AmountFormat = money.Dot
	}
	return o
}
