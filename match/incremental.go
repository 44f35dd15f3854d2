package match

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// The incremental match: a night re-matches only the rows its input can
// reach, and keeps the rest of the previous run's outcome.
//
// Every rule but the net settlements is local to a component: the rows
// joined, directly or through others, by a key (an order's uid; a link's
// uid and order uid; a transaction's or a delivery's id, original id and
// merchant_reference_id; a ledger line's reference, which the rules try
// as any of them). A component no row of the night reaches comes out as
// it did the night before, so its exceptions are carried over unchanged
// and its results are not written again.
//
// What a night reaches is the closure, over the keys, of:
//   - the rows stored or changed since the previous run's mark (deliveries
//     and ledger lines by id, orders, links and transactions by
//     changed_at, which an upsert moves only when the content changes);
//   - the previous run's results without a ledger line whose settlement
//     window may have been open as of its date (paid within the window's
//     length of it, pendingFrom): the window may have closed since (the
//     only outcome that changes with the date alone);
//   - the transactions of the previous run's WEBHOOK_BAD_SIGNATURE
//     exceptions whose deliveries now pass: a delivery verified again
//     under a new key changes in place, without a new row.
//
// Input errors belong to no component: every run reads them all and
// reports them afresh.
//
// A run matches whole instead when there is no previous successful run
// to start from, or it kept no mark, or it matched with other rules or
// options (the fingerprint: the build and every option but the date), or
// with net settlements (a batch joins a whole business day), or when the
// clock reads earlier than the previous run's mark (a change stamped
// before it would be missed). A run's results are then those of every
// transaction, as they always were.
//
// A run's exceptions are all the open ones either way, those carried
// marked as such (the report's control, which reads the run's results,
// leaves them out); its results are those of the rows it read. The
// conformance test (incremental_test.go, store/storetest) holds an
// incremental night to the whole match of the same database.

// History is what an incremental match reads of earlier runs. Both
// backends have it; a Store without it always matches whole.
type History interface {
	GetRun(ctx context.Context, id int64) (recon.Run, error)
	PreviousMatchRun(ctx context.Context, date string) (recon.Run, bool, error)
	MatchMark(ctx context.Context, runID int64) (store.MatchMark, bool, error)
	RunExceptions(ctx context.Context, runID int64) (store.RunExceptions, error)
	BadSignatures(ctx context.Context, runID int64) ([]recon.Exception, error)
	ExceptionFirstSeen(ctx context.Context, runID int64) (map[string]string, error)
	UnpairedResults(ctx context.Context, runID int64, paidFrom time.Time, fn func(txnID string) error) error
	PassingDeliveries(ctx context.Context, ids []int64) ([]int64, error)
}

// rulesVersion changes whenever a rule changes what it finds, so that no
// run starts from the outcome of other rules (the build's revision, in
// the fingerprint too, covers a release; this covers a build without
// one).
const rulesVersion = "1"

// fingerprint names the rules and options a run matches with, but the
// business date (AsOf): whether one is set counts, its value does not.
func fingerprint(o Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "rules %s\nbuild %s\n", rulesVersion, buildID())
	fmt.Fprintf(h, "reference %s\ntolerance %d %d\nwindow %d %d\nzone %s\nas-of %t\nformat %q %q\nreplay %d\nweekend %t\nlag %d\nsettlement %t\n",
		o.Reference, o.ToleranceAbs, o.TolerancePercentE4, o.SettlementMinDays, o.SettlementMaxDays, o.Zone.String(), !o.AsOf.IsZero(),
		o.AmountFormat.Decimal, o.AmountFormat.Thousands, o.ReplayWindow, o.WeekendRoll, o.PaymentLag, o.Settlement != nil)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// buildID is the binary's version and revision, as far as it knows them.
func buildID() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	id := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			id += " " + s.Value
		}
	}
	return id
}

// ScopeSummary says what a run read and why.
type ScopeSummary struct {
	// Incremental says the run matched only what the night reached,
	// starting from BaseRunID; WholeBecause says otherwise why not.
	Incremental  bool   `json:"incremental"`
	BaseRunID    int64  `json:"base_run_id,omitempty"`
	WholeBecause string `json:"whole_because,omitempty"`
	// The rows the run read, and the exceptions it carried over.
	Orders       int `json:"orders"`
	Links        int `json:"payment_links"`
	Transactions int `json:"transactions"`
	Webhooks     int `json:"webhook_events"`
	LedgerLines  int `json:"ledger_entries"`
	Carried      int `json:"carried_exceptions"`
	// Seconds each step took: finding the scope (within Read), reading,
	// matching, writing the run's rows and committing them.
	ScopeSeconds  float64 `json:"scope_seconds"`
	ReadSeconds   float64 `json:"read_seconds"`
	MatchSeconds  float64 `json:"match_seconds"`
	WriteSeconds  float64 `json:"write_seconds"`
	CommitSeconds float64 `json:"commit_seconds"`
	// reached holds the keys the night reached, and sized the rows the
	// store said each table would give (by store.Keyed*), for the tests.
	reached map[string]int
	sized   [store.KeyedLedger + 1]int
}

// incremental is the plan of an incremental run: where it starts from,
// and, once the closure is found, what it reads.
type incremental struct {
	base store.MatchMark
	// seeds are the keys the night reaches besides those of the rows
	// beyond the base's mark; prev the base's exceptions, and prevFacts
	// their report facts, which the carried ones are written with.
	seeds     []seed
	prev      []recon.Exception
	prevFacts []store.ExceptionFacts
	prevFirst map[string]string // the base's exception history
	// The base's exceptions are read while the night's rows are (they
	// take a core each): read is closed once prev, prevFacts and
	// prevFirst are set (or readErr). The closure needs only the seeds
	// among them, the keys of bad-signature exceptions whose deliveries
	// now pass, which a read of those alone finds first: seeded is closed
	// once they are in prevSeeds (or seedErr), until waitSeeds adds them
	// to seeds.
	read, seeded     chan struct{}
	readErr, seedErr error
	prevSeeds        []seed
	waited           bool

	took                               time.Duration  // finding the scope
	keys                               map[string]int // key: the kinds it was looked for as
	spans                              map[spanKey]store.Span
	orders, links, txns, hooks, ledger map[int64]struct{}
	// fresh counts the rows beyond the mark, by table (store.Keyed*).
	fresh [store.KeyedLedger + 1]int
}

// seed is a key the night reaches, and the kinds it is looked for as.
type seed struct {
	key   string
	kinds int
}

// plan decides how run runID matches: incrementally from the previous
// successful run (a plan), or whole (nil, and why).
func plan(ctx context.Context, db Store, runID int64, opts Options, fp string) (*incremental, string, error) {
	h, ok := db.(History)
	switch {
	case opts.Whole:
		return nil, "asked to match whole", nil
	case !ok:
		return nil, "the store keeps no history", nil
	case opts.Settlement != nil:
		return nil, "net settlements match a whole business day", nil
	}
	run, err := h.GetRun(ctx, runID)
	if err != nil {
		return nil, "", err
	}
	prev, ok, err := h.PreviousMatchRun(ctx, run.BusinessDate)
	if err != nil || !ok {
		return nil, "no earlier successful run", err
	}
	m, ok, err := h.MatchMark(ctx, prev.ID)
	switch {
	case err != nil:
		return nil, "", err
	case !ok:
		return nil, fmt.Sprintf("run %d kept no mark", prev.ID), nil
	case m.Fingerprint != fp:
		return nil, fmt.Sprintf("run %d matched with other rules or options", prev.ID), nil
	case m.ChangedAt.After(time.Now()):
		return nil, fmt.Sprintf("the clock reads earlier than run %d's mark", prev.ID), nil
	}
	p := &incremental{base: m, read: make(chan struct{}), seeded: make(chan struct{})}
	go func() {
		defer close(p.seeded)
		p.seedErr = p.seedVerifiedAgain(ctx, h, prev.ID)
	}()
	go func() {
		defer close(p.read)
		p.readErr = p.readBase(ctx, h, prev.ID)
	}()
	if !m.AsOf.IsZero() {
		err = h.UnpairedResults(ctx, prev.ID, pendingFrom(m.AsOf, opts), func(id string) error {
			p.seeds = append(p.seeds, seed{id, txnKey})
			return nil
		})
		if err != nil {
			return nil, "", errors.Join(err, p.wait())
		}
	}
	return p, "", nil
}

// readBase reads the base run's exceptions with their facts, and its
// exception history (for the carry-forward after the match, which would
// read it then).
func (p *incremental) readBase(ctx context.Context, h History, runID int64) error {
	re, err := h.RunExceptions(ctx, runID)
	if err != nil {
		return err
	}
	if len(re.Facts) != len(re.Exceptions) {
		return fmt.Errorf("the exceptions of run %d came without their facts", runID)
	}
	p.prev, p.prevFacts = re.Exceptions, re.Facts
	p.prevFirst, err = h.ExceptionFirstSeen(ctx, runID)
	return err
}

// waitSeeds waits for the seeds found among the base's exceptions and
// adds them to seeds; it may be called again.
func (p *incremental) waitSeeds() error {
	<-p.seeded
	if p.seedErr == nil && !p.waited {
		p.seeds = append(p.seeds, p.prevSeeds...)
		p.prevSeeds, p.waited = nil, true
	}
	return p.seedErr
}

// wait waits for both reads of the base's exceptions; it may be called
// again.
func (p *incremental) wait() error {
	err := p.waitSeeds()
	<-p.read
	return errors.Join(err, p.readErr)
}

// seedVerifiedAgain seeds the keys of the base's WEBHOOK_BAD_SIGNATURE
// exceptions a delivery of which now passes: verified again under a new
// sign key, it changed in place, without a new row. (The others stay as
// they were: a verdict only ever lets a delivery pass.)
func (p *incremental) seedVerifiedAgain(ctx context.Context, h History, runID int64) error {
	bad, err := h.BadSignatures(ctx, runID)
	if err != nil {
		return err
	}
	var ids []int64
	for i := range bad {
		ids = append(ids, bad[i].WebhookEventIDs...)
	}
	passing, err := h.PassingDeliveries(ctx, ids)
	if err != nil || len(passing) == 0 {
		return err
	}
	now := map[int64]bool{}
	for _, id := range passing {
		now[id] = true
	}
	for i := range bad {
		x := &bad[i]
		if !slices.ContainsFunc(x.WebhookEventIDs, func(id int64) bool { return now[id] }) {
			continue
		}
		for _, k := range exceptionKeys(x) {
			p.prevSeeds = append(p.prevSeeds, seed{k, anyKey})
		}
	}
	return nil
}

// pendingFrom is the earliest payment time a transaction pending
// settlement as of asOf can have: its window ends after asOf only if it
// was paid less than SettlementMaxDays before, plus two days a weekend
// may add and one for the zone's day and the payment lag.
func pendingFrom(asOf time.Time, o Options) time.Time {
	y, m, d := asOf.In(o.Zone).Date()
	return time.Date(y, m, d-o.SettlementMaxDays-3, 0, 0, 0, 0, o.Zone)
}

// exceptionKeys are the keys an exception names.
func exceptionKeys(x *recon.Exception) []string {
	var ks []string
	for _, k := range []string{x.OrderUID, x.PaymentLinkUID, x.OxpayTxnID, x.MerchantReferenceID, x.LedgerRef} {
		if k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// The kinds of key (store/scope.go): a transaction id, a reference, or,
// a ledger line's reference, both.
const (
	txnKey = 1 << iota
	refKey
	anyKey = txnKey | refKey
)

// keyKinds are the kinds of each table's keys, in KeyedRow's order.
var keyKinds = [...][3]int{
	store.KeyedOrder:  {refKey},
	store.KeyedLink:   {refKey, refKey},
	store.KeyedTxn:    {txnKey, refKey, txnKey},
	store.KeyedHook:   {txnKey, txnKey, refKey},
	store.KeyedLedger: {anyKey},
}

// close finds what the night reaches, in snapshots a and b (of the
// same database, both unrestricted), and returns it as the scope to
// read. The rows beyond the mark come from both at once (the gateway's
// tables from a, the others from b); their keys are looked for only
// where an older row may hold them (spans); then each round looks for
// the transaction ids in a and the references in b at once, one core
// each.
func (p *incremental) close(ctx context.Context, a, b store.Snapshot) (store.Scope, error) {
	start := time.Now()
	defer func() { p.took = time.Since(start) }()
	p.keys = map[string]int{} // the kinds each key has been looked for as
	p.orders, p.links, p.txns = map[int64]struct{}{}, map[int64]struct{}{}, map[int64]struct{}{}
	p.hooks, p.ledger = map[int64]struct{}{}, map[int64]struct{}{}
	p.fresh = [store.KeyedLedger + 1]int{}
	var txnKeys, refKeys []string
	key := func(k string, kinds int) {
		if k == "" {
			return
		}
		kinds = p.mayBeHeld(k, kinds)
		had := p.keys[k]
		if kinds&^had == 0 {
			return
		}
		p.keys[k] = had | kinds
		if kinds&txnKey != 0 && had&txnKey == 0 {
			txnKeys = append(txnKeys, k)
		}
		if kinds&refKey != 0 && had&refKey == 0 {
			refKeys = append(refKeys, k)
		}
	}
	found := func(rs []store.KeyedRow) {
		for i := range rs {
			r := &rs[i]
			if r.Table <= 0 || r.Table >= len(keyKinds) || !p.addRow(r) {
				continue
			}
			for j, k := range r.Keys {
				key(k, keyKinds[r.Table][j])
			}
		}
	}
	// Each batch is kept as a copy of its own: appended to one slice, the
	// night's 920k rows were copied again at every doubling, a third of
	// what reading their keys cost.
	keep := func(to *[][]store.KeyedRow) func([]store.KeyedRow) error {
		return func(rs []store.KeyedRow) error { *to = append(*to, slices.Clone(rs)); return nil }
	}
	var gateway, others [][]store.KeyedRow
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() { errA = a.Since(ctx, p.base.Mark, []int{store.KeyedTxn, store.KeyedHook}, keep(&gateway)) })
	wg.Go(func() {
		errB = b.Since(ctx, p.base.Mark, []int{store.KeyedOrder, store.KeyedLink, store.KeyedLedger}, keep(&others))
	})
	wg.Wait()
	if err := errors.Join(errA, errB, p.waitSeeds()); err != nil {
		return store.Scope{}, err
	}
	beyond := slices.Concat(gateway, others)
	gateway, others = nil, nil
	if err := p.findSpans(ctx, a, b, beyond); err != nil {
		return store.Scope{}, err
	}
	for _, rs := range beyond {
		found(rs)
	}
	for _, k := range p.seeds {
		key(k.key, k.kinds)
	}
	for len(txnKeys) > 0 || len(refKeys) > 0 {
		ts, rs := txnKeys, refKeys
		txnKeys, refKeys = nil, nil
		var byTxn, byRef [][]store.KeyedRow
		wg.Go(func() { errA = a.Reach(ctx, p.base.Mark, ts, nil, keep(&byTxn)) })
		wg.Go(func() { errB = b.Reach(ctx, p.base.Mark, nil, rs, keep(&byRef)) })
		wg.Wait()
		if err := errors.Join(errA, errB); err != nil {
			return store.Scope{}, err
		}
		for _, rs := range slices.Concat(byTxn, byRef) {
			found(rs)
		}
	}
	// The rows beyond the base's mark are all in the scope; the sets hold
	// the others.
	sc := store.Scope{Orders: setKeys(p.orders), Links: setKeys(p.links), Txns: setKeys(p.txns),
		Hooks: setKeys(p.hooks), Ledger: setKeys(p.ledger), Beyond: &p.base.Mark, BeyondRows: p.fresh}
	return sc, nil
}

// Spans: a key the rows up to the base's mark cannot hold reaches none of
// them, and is not looked for. Keys are classed by their leading
// non-digits and the byte after them (ORD-2, PL-2, 1, 9): ids and
// references in practice number or date the rest in order, so that a
// night's keys mostly lie beyond the older keys of their class. The
// store finds the least and the greatest older key of each class and
// kind (store.Span).

// spanClasses is how many classes of a kind have their span found; the
// keys of any further class are all looked for.
const spanClasses = 32

// classPrefix is the most leading non-digits a class is named by.
const classPrefix = 8

// spanKey names a class of keys of a kind.
type spanKey struct {
	refs bool
	from string
}

// keyClass returns the class of k: the keys from from up to (not
// including) to, those that share k's leading non-digits (at most
// classPrefix of them) and the byte after them. ok is false when the
// class has no upper end.
func keyClass(k string) (from, to string, ok bool) {
	if from, ok = classOf(k); !ok {
		return "", "", false
	}
	return from, classEnd(from), true
}

// classOf is keyClass without the upper end, which takes an allocation:
// it is asked of every key of a night's rows, twice.
func classOf(k string) (from string, ok bool) {
	n := 0
	for n < len(k) && n < classPrefix && (k[n] < '0' || k[n] > '9') {
		n++
	}
	n = min(n+1, len(k))
	for j := n - 1; j >= 0; j-- {
		if k[j] < 0xff {
			return k[:n], true
		}
	}
	return "", false
}

// classEnd is the upper end of the class from (as classOf returns it).
func classEnd(from string) string {
	j := len(from) - 1
	for from[j] == 0xff {
		j--
	}
	return from[:j] + string([]byte{from[j] + 1})
}

// findSpans finds the span of each class of the keys of rows (in
// batches) and seeds, the transaction ids' in a and the references' in
// b, at once.
func (p *incremental) findSpans(ctx context.Context, a, b store.Snapshot, rows [][]store.KeyedRow) error {
	classes := [2]map[string]string{{}, {}} // txn ids', references': from -> to
	note := func(k string, kinds int) {
		if k == "" {
			return
		}
		from, ok := classOf(k)
		if !ok {
			return
		}
		for i, kind := range [2]int{txnKey, refKey} {
			if kinds&kind == 0 {
				continue
			}
			if _, had := classes[i][from]; !had && len(classes[i]) < spanClasses {
				classes[i][strings.Clone(from)] = classEnd(from)
			}
		}
	}
	for _, rs := range rows {
		for i := range rs {
			r := &rs[i]
			if r.Table <= 0 || r.Table >= len(keyKinds) {
				continue
			}
			for j, k := range r.Keys {
				note(k, keyKinds[r.Table][j])
			}
		}
	}
	for _, s := range p.seeds {
		note(s.key, s.kinds)
	}
	found := [2]map[spanKey]store.Span{{}, {}}
	var errs [2]error
	var wg sync.WaitGroup
	for i, sn := range [2]store.Snapshot{a, b} {
		refs := i == 1
		wg.Go(func() {
			for from, to := range classes[i] {
				sp, err := sn.Span(ctx, p.base.Mark, refs, from, to)
				if err != nil {
					errs[i] = err
					return
				}
				found[i][spanKey{refs, from}] = sp
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	p.spans = found[0]
	maps.Copy(p.spans, found[1])
	return nil
}

// mayBeHeld returns those of kinds as which k may be held by a row up to
// the base's mark: all of them unless its class's span says otherwise.
func (p *incremental) mayBeHeld(k string, kinds int) int {
	from, ok := classOf(k)
	if !ok {
		return kinds
	}
	for _, kind := range [2]int{txnKey, refKey} {
		if kinds&kind == 0 {
			continue
		}
		sp, known := p.spans[spanKey{kind == refKey, from}]
		if known && !sp.Unknown && (sp.Empty || k < sp.Lo || k > sp.Hi) {
			kinds &^= kind
		}
	}
	return kinds
}

// addRow records a row found up to the base's mark; false when it was
// found before. A row beyond the mark comes once, from Since, and is in
// the scope anyway: it is only counted.
func (p *incremental) addRow(r *store.KeyedRow) bool {
	if p.beyond(r) {
		p.fresh[r.Table]++
		return true
	}
	switch r.Table {
	case store.KeyedOrder:
		return addNew(p.orders, r.ID)
	case store.KeyedLink:
		return addNew(p.links, r.ID)
	case store.KeyedTxn:
		return addNew(p.txns, r.ID)
	case store.KeyedHook:
		return addNew(p.hooks, r.ID)
	case store.KeyedLedger:
		return addNew(p.ledger, r.ID)
	}
	return false
}

// beyond says whether a row lies beyond the base's mark by its id (an
// older row changed since comes from Since too, but is not beyond it).
func (p *incremental) beyond(r *store.KeyedRow) bool {
	m := &p.base.Mark
	switch r.Table {
	case store.KeyedOrder:
		return r.ID > m.OrderID
	case store.KeyedLink:
		return r.ID > m.LinkID
	case store.KeyedTxn:
		return r.ID > m.TxnID
	case store.KeyedHook:
		return r.ID > m.WebhookID
	case store.KeyedLedger:
		return r.ID > m.LedgerID
	}
	return false
}

// addNew adds k to set; false when it was there.
func addNew[K comparable](set map[K]struct{}, k K) bool {
	if _, ok := set[k]; ok {
		return false
	}
	set[k] = struct{}{}
	return true
}

func setKeys[K comparable](m map[K]struct{}) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// carried returns the base's exceptions the night did not reach, by
// their place in the base's list: none of their keys, deliveries or
// ledger lines is among the rows read, and they are not the input errors
// of input_errors rows (read whole every run). An order's or a link's
// unreadable amount is an INPUT_ERROR too, found on the row itself: it
// is carried while the row is not reached.
func (p *incremental) carried() []int {
	out := make([]int, 0, len(p.prev))
	for i := range p.prev {
		x := &p.prev[i]
		if x.Category == recon.InputErrorCategory && x.InputErrorID != 0 || p.reaches(x) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (p *incremental) reaches(x *recon.Exception) bool {
	for _, k := range exceptionKeys(x) {
		if _, ok := p.keys[k]; ok {
			return true
		}
	}
	for _, id := range x.WebhookEventIDs {
		if _, ok := p.hooks[id]; ok {
			return true
		}
	}
	for _, id := range x.LedgerEntryIDs {
		if _, ok := p.ledger[id]; ok {
			return true
		}
	}
	return false
}

// ledgerNet is, per currency, the sum of the ledger lines read.
func (e *engine) ledgerNet() map[string]int64 {
	net := map[string]int64{}
	for i := range e.d.entries {
		net[e.s.str(e.d.entries[i].currency)] += e.d.entries[i].amount
	}
	return net
}

// mergeCarried merges the exceptions found (in report order) with those
// carried (places in prev, the base's list) into one list in report
// order, and gives for each the place in prev it was carried from, or
// -1 for one found.
func mergeCarried(found, prev []recon.Exception, carried []int) ([]recon.Exception, []int) {
	from := make([]int, 0, len(found)+len(carried))
	if len(carried) == 0 {
		for range found {
			from = append(from, -1)
		}
		return found, from
	}
	// The base's list is in report order, written so; a list written
	// in another order (an older build's) is put in it.
	byReport := func(a, b int) int { return compareExceptions(prev[a], prev[b]) }
	if !slices.IsSortedFunc(carried, byReport) {
		slices.SortStableFunc(carried, byReport)
	}
	all := make([]recon.Exception, 0, cap(from))
	i, j := 0, 0
	for i < len(found) || j < len(carried) {
		if j == len(carried) || i < len(found) && compareExceptions(found[i], prev[carried[j]]) <= 0 {
			all, from = append(all, found[i]), append(from, -1)
			i++
		} else {
			all, from = append(all, prev[carried[j]]), append(from, carried[j])
			j++
		}
	}
	return all, from
}
