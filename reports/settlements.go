package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// The sheets of a run with net settlements (match's settlement step):
// Settlements, one row per batch, and Settlement members, the batches'
// transactions in the same order, which each batch's Transactions cell
// links to. A run without batches has neither.
const (
	SheetSettlements       = "Settlements"
	SheetSettlementMembers = "Settlement members"
)

func settlementSpec() *sheetSpec {
	return newSpec([]column{
		textCol("Outcome", 11), textCol("Detail", detailWidth), textCol("Currency", 9),
		amountCol("Gross", 0), amountCol("Refunds", 1), amountCol("Fees", 2), amountCol("Expected net", 3),
		amountCol("Deposit", 4), amountCol("Difference", 5),
		textCol("Batch day", 11), textCol("Payout day", 11), textCol("Transactions", 13), textCol("Deposit reference", 21),
		textCol("Notes", 24),
		// Not printed.
		textCol("Deposit booked on", 11),
		minorCol("Gross", 0), minorCol("Refunds", 1), minorCol("Fees", 2), minorCol("Expected net", 3),
		minorCol("Deposit", 4), minorCol("Difference", 5), textCol("Ledger entry id", 12),
	}, detailCol, 14)
}

// memberSpec is Settlement members': the OxPay txn ID column is wide
// enough for the totals row's "1,234,567 rows shown".
func memberSpec(zone string) *sheetSpec {
	return newSpec([]column{
		textCol("Batch", 16), textCol("OxPay txn ID", 18), textCol("Kind", 7), textCol("Brand", 11), textCol("Currency", 9),
		amountCol("Amount", 0), amountCol("Fee", 1), textCol("Paid at ("+zone+")", 20), textCol("Notes", 24),
		// Not printed.
		minorCol("Amount", 0), minorCol("Fee", 1),
	}, 1, 9)
}

// settlementPlan is where the batches and their members go: the rows in
// currency then day order, and the row each batch's first member lands
// on.
type settlementPlan struct {
	batches        []*recon.SettlementBatch
	parts, members []part
	// firstMember is the sheet and row of each batch's first member
	// (no sheet for a batch without members).
	firstMember []memberCell
}

type memberCell struct {
	sheet string
	row   int
}

func planSettlements(bs []recon.SettlementBatch) *settlementPlan {
	if len(bs) == 0 {
		return nil
	}
	p := &settlementPlan{}
	for i := range bs {
		p.batches = append(p.batches, &bs[i])
	}
	slices.SortStableFunc(p.batches, func(a, b *recon.SettlementBatch) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Day, b.Day))
	})
	var rows, members []piece
	for _, b := range p.batches {
		if len(rows) == 0 || rows[len(rows)-1].currency != b.Currency {
			rows = append(rows, piece{currency: b.Currency})
			members = append(members, piece{currency: b.Currency})
		}
		rows[len(rows)-1].rows++
		members[len(members)-1].rows += len(b.Members)
	}
	p.parts = planParts(SheetSettlements, rows, maxSheetRows)
	p.members = planParts(SheetSettlementMembers, members, maxSheetRows)
	return p
}

// locate works out firstMember once the member sheets' blocks know their
// first rows (newSink sets them).
func (p *settlementPlan) locate() {
	p.firstMember = make([]memberCell, len(p.batches))
	k, cur := 0, ""
	for i, b := range p.batches {
		if b.Currency != cur {
			k, cur = 0, b.Currency
		}
		if len(b.Members) > 0 {
			for _, pt := range p.members {
				for _, pc := range pt.pieces {
					if pc.currency == cur && k >= pc.offset && k < pc.offset+pc.rows {
						p.firstMember[i] = memberCell{pt.name, pc.first + k - pc.offset}
					}
				}
			}
		}
		k += len(b.Members)
	}
}

// writeSettlements writes both sheets of the plan.
func (b *builder) writeSettlements(p *settlementPlan) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	bs, ms := b.newSink(settlementSpec(), p.parts), b.newSink(memberSpec(b.zone.String()), p.members)
	p.locate()
	err := b.writeBatches(p, bs, ms)
	if err == nil {
		err = bs.close()
	}
	if err == nil {
		err = ms.close()
	}
	if err != nil {
		bs.abort()
		ms.abort()
		return fmt.Errorf("write settlement batches: %w", err)
	}
	return nil
}

func (b *builder) writeBatches(p *settlementPlan, bs, ms *sheetSink) error {
	st := b.st
	for i, x := range p.batches {
		e, am, err := bs.next(x.Currency, rowHeight(wrappedLines(x.Detail, detailWidth)))
		if err != nil {
			return err
		}
		e.text(x.Outcome, 0)
		e.text(x.Detail, st.wrap)
		e.text(x.Currency, 0)
		vals := batchAmounts(x)
		amount := st.rowAmountStyle(x.Currency)
		for k, v := range vals {
			e.number(displayAmount(v, x.Currency), amount)
			am.add(k, v)
		}
		b.dayCell(e, x.Day)
		b.dayCell(e, x.PayoutDay)
		n := strconv.Itoa(x.Transactions)
		if c := p.firstMember[i]; c.sheet != "" {
			// An internal link: Excel and Calc both follow "#Sheet!A1".
			f := fmt.Sprintf(`HYPERLINK("#%s!A%d",%q)`, quoteSheet(c.sheet), c.row, n)
			e.formulaText(f, n, st.linkTop)
		} else {
			e.text(n, 0)
		}
		e.text(x.DepositRef, 0)
		e.skip(1) // Notes
		b.dateCell(e, x.DepositBookedOn)
		for _, v := range vals {
			e.integer(v, st.minorTop)
		}
		if x.DepositEntryID > 0 {
			e.integer(x.DepositEntryID, 0)
		} else {
			e.skip(1)
		}
		if err := bs.end(x.Currency); err != nil {
			return err
		}
		name := x.Day + " " + x.Currency
		for k := range x.Members {
			m := &x.Members[k]
			e, am, err := ms.next(x.Currency, 0)
			if err != nil {
				return err
			}
			e.text(name, 0)
			e.text(m.OxpayTxnID, 0)
			e.text(m.Kind, 0)
			e.text(m.Brand, 0)
			e.text(x.Currency, 0)
			amount := st.rowAmountStyle(x.Currency)
			e.number(displayAmount(m.AmountMinor, x.Currency), amount)
			e.number(displayAmount(m.FeeMinor, x.Currency), amount)
			am.add(0, m.AmountMinor)
			am.add(1, m.FeeMinor)
			b.timeCell(e, &m.PaidAt)
			e.skip(1) // Notes
			e.integer(m.AmountMinor, st.minorTop)
			e.integer(m.FeeMinor, st.minorTop)
			if err := ms.end(x.Currency); err != nil {
				return err
			}
		}
		x.Members = nil // written: the rest of the workbook has no use for them
	}
	return nil
}

// batchAmounts are a batch's amounts in the Settlements sheet's order:
// gross, refunds, fees, expected net, deposit, difference (0 without a
// deposit).
func batchAmounts(x *recon.SettlementBatch) [6]int64 {
	return [6]int64{x.SalesMinor, x.RefundsMinor, x.FeesMinor, x.NetMinor, x.DepositMinor, x.DifferenceMinor}
}

// dayCell writes a YYYY-MM-DD day as a date, or the text as it is when
// it is none.
func (b *builder) dayCell(e *rowEncoder, day string) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		e.text(day, 0)
		return
	}
	b.dateCell(e, &t)
}

// batchIndex finds the settlement batch of a transaction that has no
// ledger line of its own: its Sales or Refunds row says the batch and
// what became of it, not that its line is not due yet.
type batchIndex struct {
	batches []recon.SettlementBatch
	of      map[string]int32 // oxpay_txn_id: index into batches
	texts   map[batchText]string
}

type batchText struct {
	batch      int32
	kind       string
	viaWebhook bool
}

func newBatchIndex(bs []recon.SettlementBatch) *batchIndex {
	if len(bs) == 0 {
		return nil
	}
	n := 0
	for i := range bs {
		n += len(bs[i].Members)
	}
	x := &batchIndex{batches: bs, of: make(map[string]int32, n), texts: map[batchText]string{}}
	for i := range bs {
		for k := range bs[i].Members {
			x.of[bs[i].Members[k].OxpayTxnID] = int32(i)
		}
	}
	return x
}

// detail is a batched transaction's detail; the texts are built once a
// batch, kind and source.
func (x *batchIndex) detail(r *store.ReportResult) (string, bool) {
	i, ok := x.of[r.OxpayTxnID]
	if !ok {
		return "", false
	}
	key := batchText{i, r.Kind, r.Source == match.SourceWebhook}
	if t, ok := x.texts[key]; ok {
		return t, true
	}
	b := &x.batches[i]
	name := b.Day + " " + b.Currency
	var outcome string
	switch b.Outcome {
	case recon.BatchPaid:
		outcome = "paid out by deposit " + b.DepositRef
	case recon.BatchMismatch:
		outcome = "whose deposit " + b.DepositRef + " differs from its net (Settlement amount mismatch)"
	case recon.BatchMissing:
		outcome = "which no deposit pays (Settlement missing)"
	case recon.BatchPending:
		outcome = "not paid out yet (payout " + b.PayoutDay + ")"
	case recon.BatchAmbiguous:
		outcome = "whose deposit could pay another batch too (Ambiguous match)"
	default:
		outcome = b.Outcome
	}
	t := "order and gateway agree; settled in batch " + name + ", " + outcome + ": see Settlements"
	if r.Kind == match.KindRefund {
		t = "the refund matches its sale; taken from batch " + name + ", " + outcome + ": see Settlements"
	}
	if key.viaWebhook {
		t += detailViaHook
	}
	x.texts[key] = t
	return t, true
}
