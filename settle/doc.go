// Package settle reconciles the gateway's net settlement deposits with
// the transactions they pay out: many transactions to one ledger line.
//
// A batch is one gateway business day's settled transactions in one
// currency (Calendar.BatchDay: the day in the gateway's zone, a
// transaction after the cut-off counting for the next business day). It
// is paid out Calendar.PayoutDays business days later, weekends and
// holidays skipped, net of the gateway's fees (Schedule) and of the
// day's refunds. Match pairs deposits with batches: by the batch date a
// deposit's text names (a configured pattern), else by payout day and
// net amount within the tolerance, one batch or all of a payout day's
// batches together. Without a pattern, the payout day's one batch also
// takes a deposit of that day whose amount is off (a mismatch to
// report); with one, a line the pattern does not name must agree in
// amount, so that a manual adjustment booked on a payout day is never
// taken for the payout. A deposit that two or more batches (or a batch
// and a combination) explain equally is ambiguous and paired with none.
//
// Money is int64 minor units; a percentage is an exact decimal (percent
// × 10^4) and every fee is rounded half-up, per transaction or once per
// batch as the schedule says. The package knows nothing of the store,
// the ledger's format or the report: the match engine hands it rows and
// turns its outcomes into exceptions.
package settle
