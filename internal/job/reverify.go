package job

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"time"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/store"
)

// ReverifyResult counts what a re-verification did.
type ReverifyResult struct {
	Checked  int           `json:"checked"` // failed deliveries verified again
	Passed   int           `json:"passed"`  // of them, those that verify now
	Duration time.Duration `json:"duration_ns"`
}

// loadStore is the database as a phase that only loads uses it.
type loadStore interface {
	BeginLoad(ctx context.Context) (store.Load, error)
}

// ReverifyWebhooks verifies again, with signKey, the stored deliveries
// whose signature failed under another key (every failed one, when all),
// from the payload and signature stored with them, and records the new
// verdicts in one transaction. A wrong OXPAY_SIGN_KEY one night is
// mended by the right key the next, without the logs. A delivery only
// ever passes here: one that verified under the key of its day stays
// verified when the key is rotated.
func ReverifyWebhooks(ctx context.Context, db loadStore, signKey string, all bool, log *slog.Logger) (ReverifyResult, error) {
	start := time.Now()
	var res ReverifyResult
	if signKey == "" {
		return res, nil // nothing can pass without a key
	}
	fp := sign.KeyFingerprint(signKey)
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return res, err
	}
	defer load.Rollback()
	ids, err := load.FailedSignatureIDs(fp, all)
	if err != nil {
		return res, err
	}
	if len(ids) == 0 {
		return res, nil
	}
	v := sign.NewOxPayVerifier(signKey)
	const chunk = 1000
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		stored, err := load.StoredSignatures(ids[:n])
		if err != nil {
			return res, err
		}
		ids = ids[n:]
		for _, s := range stored {
			verdict := string(v.Verify([]byte(s.Raw), s.Signature))
			if err := load.SetSignatureCheck(s.ID, verdict, fp); err != nil {
				return res, err
			}
			res.Checked++
			if verdict == recon.SigRaw || verdict == recon.SigCompact {
				res.Passed++
			}
		}
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store webhook signature checks: %w", err)
	}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "verify webhook signatures again", "checked", res.Checked, "passed", res.Passed,
		"seconds", res.Duration.Seconds())
	if res.Passed > 0 {
		log.Warn("webhook deliveries that failed their signature check under another sign key verify with this one; their verdicts are corrected",
			"passed", res.Passed, "checked", res.Checked)
	}
	return res, nil
}

// DefaultMaxBadSignatureShare is the share of a webhook log's signed
// deliveries that may fail their signature check before the run blames
// the sign key rather than the deliveries.
const DefaultMaxBadSignatureShare = 0.5

// SignKeyWarnings names each webhook log more than maxShare of whose
// signed deliveries did not verify: forged deliveries come one by one,
// while a wrong OXPAY_SIGN_KEY fails nearly all of them. Each file's
// counts are this run's own (a log ingested before is read, and
// verified, again).
func SignKeyWarnings(files []ingest.Result, maxShare float64) []string {
	var out []string
	for _, f := range files {
		if f.Kind != ingest.KindWebhooks || f.Signed == 0 || f.BadSignatureShare() <= maxShare {
			continue
		}
		out = append(out, fmt.Sprintf("%s: %d of %d signed webhook deliveries (%d%%) failed their signature check: check OXPAY_SIGN_KEY",
			filepath.Base(f.File), f.BadSignatures, f.Signed, int(math.Round(100*f.BadSignatureShare()))))
	}
	return out
}

// ReverifyWebhookLogs reads webhook logs again and records, for each
// stored delivery of theirs whose signature failed, its signature and
// the verdict of signKey (opts.SignKey), in one transaction; it adds no
// delivery. It mends deliveries stored before signatures were kept,
// which ReverifyWebhooks cannot verify from the database alone.
func ReverifyWebhookLogs(ctx context.Context, db loadStore, paths []string, opts ingest.WebhookOptions, log *slog.Logger) (ReverifyResult, error) {
	start := time.Now()
	var res ReverifyResult
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return res, err
	}
	defer load.Rollback()
	sink := ingest.SinkFuncs{WebhooksFunc: func(evs []recon.WebhookEvent) error {
		for _, ev := range evs {
			if ev.SigCheck == recon.SigUnsigned {
				continue
			}
			found, err := load.ReverifyDelivery(ev)
			if err != nil {
				return err
			}
			if found {
				res.Checked++
				if ev.SigCheck == recon.SigRaw || ev.SigCheck == recon.SigCompact {
					res.Passed++
				}
			}
		}
		return nil
	}}
	for _, p := range paths {
		if _, err := ingest.ReadWebhookLog(ctx, p, opts, sink); err != nil {
			return res, fmt.Errorf("verify webhook log %s again: %w", p, err)
		}
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store webhook signature checks: %w", err)
	}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "verify webhook logs again", "files", len(paths), "checked", res.Checked, "passed", res.Passed,
		"seconds", res.Duration.Seconds())
	return res, nil
}

// WebhookPhase is what the webhook phase did: the stored failures
// verified again, the logs ingested, those of the logs' failures
// verified again from the logs themselves (FromLogs, when asked), and
// the logs whose signatures a wrong sign key failed (Warnings).
type WebhookPhase struct {
	Reverified ReverifyResult
	Ingest     IngestResult
	FromLogs   ReverifyResult
	Warnings   []string
}

// WebhookPhaseOptions say how the webhook phase runs.
type WebhookPhaseOptions struct {
	Read   ingest.WebhookOptions
	Strict bool
	// FromLogs also verifies again, from the logs, every stored delivery
	// of theirs that failed (recon ingest webhooks --reverify).
	FromLogs bool
	// MaxBadSignatureShare is webhooks.max_bad_signature_share.
	MaxBadSignatureShare float64
}

// Webhooks is the webhook phase of a night and of `recon ingest
// webhooks`: deliveries another sign key failed are verified again with
// this one before the logs are ingested, and a log most of whose
// signatures fail is named (and logged as an error) for the caller to
// blame the key.
func Webhooks(ctx context.Context, db ingestStore, paths []string, o WebhookPhaseOptions, log *slog.Logger) (WebhookPhase, error) {
	var p WebhookPhase
	var err error
	if p.Reverified, err = ReverifyWebhooks(ctx, db, o.Read.SignKey, false, log); err != nil {
		return p, err
	}
	if p.Ingest, err = IngestWebhooks(ctx, db, paths, o.Read, o.Strict, log); err != nil {
		return p, err
	}
	if o.FromLogs {
		if p.FromLogs, err = ReverifyWebhookLogs(ctx, db, paths, o.Read, log); err != nil {
			return p, err
		}
	}
	p.Warnings = SignKeyWarnings(p.Ingest.Files, o.MaxBadSignatureShare)
	for _, w := range p.Warnings {
		log.Error(w)
	}
	return p, nil
}
