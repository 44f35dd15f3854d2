package webhooks

import (
	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/webhooklog"
)

// lineChecker checks lines on its own, touching no tally, so that several
// can run at once: each has its own verifier (an OxPayVerifier keeps HMAC
// state), its own line decoder and its own scratch for classify. Only the
// Checker tallies what they find, in line order.
type lineChecker struct {
	kinds    []*Kind
	version  float32
	verifier *sign.OxPayVerifier // nil without a sign key
	order    []int               // scratch for classify
	agree    []int
	dec      webhooklog.Decoder // keeps its span tables from line to line
}

func (c *Checker) newLineChecker() *lineChecker {
	lc := &lineChecker{
		kinds:   c.kinds,
		version: c.version,
		order:   make([]int, len(c.kinds)),
		agree:   make([]int, len(c.kinds)),
	}
	if c.opts.SignKey != "" {
		lc.verifier = sign.NewOxPayVerifier(c.opts.SignKey)
	}
	return lc
}

// sigState is what a delivery's Signature header came to.
type sigState uint8

const (
	sigUnsigned  sigState = iota
	sigUnchecked          // signed, and no sign key to check it with
	sigRaw
	sigCompact
	sigInvalid
)

// outcome is what checking one line leaves to tally.
type outcome struct {
	no     int
	reason string // an input error: the line is nothing else
	blank  bool
	sig    sigState
	kind   int
	drifts []contract.Drift
}

// check fills o (its line number already set) from one log line, without
// its line end.
func (lc *lineChecker) check(o *outcome, line []byte) {
	if webhooklog.Blank(line) {
		o.blank = true // editors and log rotation leave these; ingest skips them too
		return
	}
	rec, problem := lc.dec.Decode(line)
	var sig string
	var signed bool
	if problem == nil {
		sig, signed, problem = rec.Signature()
	}
	var pl webhooklog.Payload
	if problem == nil {
		pl, problem = rec.Payload()
	}
	if problem != nil {
		o.reason = reason(line, problem)
		return
	}
	switch {
	case !signed:
		o.sig = sigUnsigned
	case lc.verifier == nil:
		o.sig = sigUnchecked
	default:
		switch lc.verifier.Verify(pl.Bytes, sig) {
		case sign.MatchRaw:
			o.sig = sigRaw
		case sign.MatchCompact:
			o.sig = sigCompact
		default:
			o.sig = sigInvalid
		}
	}
	o.kind, o.drifts = lc.classify(decodeObject(pl.Bytes))
}

// classify picks the kind the payload fits best and returns its drift.
// Best means, in order: the fewest drifts; then the fewest undocumented
// fields (a refund that lost refund_amount has one drift against the
// refund schema, a missing field, and one against the payment schema,
// the undocumented oxpay_original_txn_id: it is still a refund); then the
// most enum values agreeing with the kind's examples (what sets a void
// apart from a payment, as their schemas are the same); then document
// order. The shape rules of package ingest are not used: the spec alone
// decides. Kinds are tried in agreement order, so a delivery without
// drift costs one walk: the first kind it fits without drift wins.
func (lc *lineChecker) classify(doc map[string]any) (int, []contract.Drift) {
	for i, k := range lc.kinds {
		lc.agree[i] = k.agreement(doc)
		lc.order[i] = i
	}
	// Insertion sort: a handful of kinds, stable, no allocation.
	for i := 1; i < len(lc.order); i++ {
		for j := i; j > 0 && lc.agree[lc.order[j]] > lc.agree[lc.order[j-1]]; j-- {
			lc.order[j], lc.order[j-1] = lc.order[j-1], lc.order[j]
		}
	}
	best, bestUndoc := -1, 0
	var bestDrifts []contract.Drift
	for _, i := range lc.order {
		ds := contract.WalkDrift(lc.kinds[i].Schema, doc, lc.version)
		if len(ds) == 0 {
			return i, nil
		}
		undoc := 0
		for _, d := range ds {
			if d.Check == contract.CheckUndocumentedField {
				undoc++
			}
		}
		if best < 0 || len(ds) < len(bestDrifts) || (len(ds) == len(bestDrifts) && undoc < bestUndoc) {
			best, bestUndoc, bestDrifts = i, undoc, ds
		}
	}
	return best, bestDrifts
}
