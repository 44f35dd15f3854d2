package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
)

// NightOptions are what a night needs, the configuration already mapped
// to plain values by the command layer.
type NightOptions struct {
	// BusinessDate is the day the night is for (YYYY-MM-DD); Zone cuts
	// business days, and the workbook shows times in it.
	BusinessDate string
	Zone         *time.Location
	// Database, ReportDir, Version and Log are the session's (see
	// SessionOptions). The reports of the night go in ReportDir.
	Database  string
	Merchant  string
	ReportDir string
	Version   string
	Log       *slog.Logger

	// WebhookFiles and LedgerFiles are the input files, found by the
	// patterns WebhookGlobs and LedgerGlobs; the patterns are named in
	// the warning the night logs when either finds no file.
	WebhookFiles, LedgerFiles []string
	WebhookGlobs, LedgerGlobs []string

	// Xepeng and OxPay make the API clients, given the run's logger so
	// that what the clients log carries the run id.
	Xepeng func(log *slog.Logger) *fetch.Xepeng
	OxPay  func(log *slog.Logger) *fetch.OxPay
	Pull   PullOptions
	// Confirm is ConfirmAll, ConfirmUnconfirmed or ConfirmNone.
	Confirm string
	// Deadline bounds every API call of the night, retries and waits
	// included, counted from the start of the run.
	Deadline time.Duration
	// Units converts the amounts of each source to minor units.
	Units recon.Units

	// SignKey verifies the webhook deliveries, those read tonight and
	// those an earlier night failed under another key. A log more than
	// MaxBadSignatureShare of whose signed deliveries fail blames the key
	// (NightCounts.Warnings).
	SignKey              string
	MaxBadSignatureShare float64
	Ledger               ingest.LedgerOptions
	Match                match.Options
	// LinkHosts are the hosts the workbook may link to
	// (reports.WorkbookOptions).
	LinkHosts []string
	// SummaryHTML adds summary-DATE.html to summary-DATE.md, the digest
	// of the night staged beside the workbook (reports.StageDigest).
	SummaryHTML bool
	// Now stamps the OxPay confirmations; nil is the clock, in UTC.
	Now func() time.Time
}

// NightCounts is what the run record of a night keeps of each phase.
type NightCounts struct {
	Xepeng   XepengResult `json:"xepeng"`
	Webhooks IngestResult `json:"webhooks"`
	Ledger   IngestResult `json:"ledger"`
	OxPay    OxPayResult  `json:"oxpay"`
	Match    MatchResult  `json:"match"`
	// Reverified counts the stored deliveries verified again with this
	// run's sign key; Warnings are what the run found wrong with its own
	// footing (a sign key that failed most signatures), shown first on
	// the workbook's Summary.
	Reverified ReverifyResult `json:"reverified"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// inputs is the input files a night read, for its run record.
func (c NightCounts) inputs() []ingest.Result {
	return append(append([]ingest.Result{}, c.Webhooks.Files...), c.Ledger.Files...)
}

// NightResult is what a night did.
type NightResult struct {
	RunID  int64
	Counts NightCounts
	// Control is the workbook's control: gateway net against ledger net,
	// and what explains the difference, per currency.
	Control []reports.ControlLine
}

// Night runs the nightly job as one recorded run of the command "run"
// (see Begin): it pulls Xepeng orders and payment links, verifies again
// the stored webhook deliveries another sign key failed, ingests the
// webhook logs and the ledger exports, confirms OxPay transactions by id,
// matches, stages the exports and the workbook, and commits: the run is
// recorded ok, the date's earlier runs are replaced, and the files are
// put in place, all at once. Each loading phase commits on its own, so a
// night that fails leaves what the earlier phases stored, and the date's
// earlier run with its files, as they were.
//
// A committed night returns no error, even when a sign key failed most of
// a log's signatures: Counts.Warnings says so, and the caller decides
// what that, and the night's exceptions, mean for it. An error from an
// API call after Deadline passed says so and wraps
// context.DeadlineExceeded.
func Night(ctx context.Context, o NightOptions) (res NightResult, err error) {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	s, err := Begin(ctx, SessionOptions{Command: "run", BusinessDate: o.BusinessDate, Database: o.Database, Merchant: o.Merchant,
		ReportDir: o.ReportDir, Reports: true, Version: o.Version, Log: o.Log})
	if err != nil {
		return res, err
	}
	res.RunID = s.RunID
	db, log, c := s.DB, s.Log, &res.Counts
	defer func() { err = s.Finish(err, *c, c.inputs()) }()
	log.Info("inputs found", "webhook_files", len(o.WebhookFiles), "ledger_files", len(o.LedgerFiles))
	if len(o.WebhookFiles) == 0 || len(o.LedgerFiles) == 0 {
		log.Warn("an input glob matched no file", "webhooks", o.WebhookGlobs, "ledger", o.LedgerGlobs)
	}

	netCtx, cancel := context.WithDeadline(ctx, s.Started.Add(o.Deadline))
	defer cancel()
	if c.Xepeng, err = PullXepeng(netCtx, db, o.Xepeng(log), o.Pull, o.Units, log); err != nil {
		return res, deadlineError(netCtx, o.Deadline, err)
	}
	// Deliveries a wrong sign key failed on an earlier night are
	// verified again with tonight's key before anything is matched.
	wp, err := Webhooks(ctx, db, o.WebhookFiles, WebhookPhaseOptions{
		Read: ingest.WebhookOptions{SignKey: o.SignKey, Units: o.Units}, MaxBadSignatureShare: o.MaxBadSignatureShare}, log)
	c.Reverified, c.Webhooks, c.Warnings = wp.Reverified, wp.Ingest, wp.Warnings
	if err != nil {
		return res, err
	}
	if c.Ledger, err = IngestLedger(ctx, db, o.LedgerFiles, o.Ledger, false, log); err != nil {
		return res, err
	}
	if c.OxPay, err = ConfirmOxPay(netCtx, db, o.OxPay(log), o.Confirm, o.Units, o.Now, log); err != nil {
		return res, deadlineError(netCtx, o.Deadline, err)
	}
	// The exports and the workbook are staged; the commit puts them in
	// place and, in the same transaction, records the run ok and replaces
	// the date's earlier runs. Until then those stand, files and all.
	files := s.Files()
	if c.Match, err = Match(ctx, db, s.RunID, o.Match, files, o.ReportDir, o.BusinessDate, log); err != nil {
		return res, err
	}
	wb := WorkbookName(o.ReportDir, o.BusinessDate)
	var digest reports.Digest
	err = Workbook(ctx, db, s.RunID, WorkbookOptions{Path: wb, Date: o.BusinessDate, Zone: o.Zone, Files: files,
		OnControl: func(l []reports.ControlLine) { res.Control = l }, LinkHosts: o.LinkHosts,
		Warnings: append(slices.Clip(c.Warnings), c.Match.Summary.Warnings...),
		OnDigest: func(d reports.Digest) { digest = d }, History: c.Match.History()}, log)
	if err != nil {
		return res, err
	}
	if err = reports.StageDigest(files, o.ReportDir, o.BusinessDate, digest, o.SummaryHTML); err != nil {
		return res, err
	}
	if _, err = s.Commit(ctx, files, func(replaced int) (any, any) {
		c.Match.Replaced = replaced
		return *c, c.inputs()
	}); err != nil {
		return res, err
	}
	c.Match.Exports = files.Paths()
	return res, nil
}

// deadlineError says plainly when a network phase failed because the
// night's deadline passed.
func deadlineError(ctx context.Context, deadline time.Duration, err error) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("http.deadline of %s passed: %w", deadline, err)
	}
	return err
}
