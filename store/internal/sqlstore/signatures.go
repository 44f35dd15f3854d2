package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Verifying stored webhook deliveries again, once the sign key that
// failed them has changed (migration 0008 says why). Only failed
// deliveries are read, through a partial index that holds them alone,
// and a new verdict only ever lets a delivery pass: one that verified
// under the key of its day stays verified.

// FailedSignatureIDs returns the ids of the stored deliveries whose
// signature failed under another key than keyFP (every failed one, when
// all), that kept their signature, in id order. The two ranges around
// keyFP each read the partial index as a range, so a night whose key is
// the one every verdict was made with reads next to nothing. It runs in
// the transaction q, as do the functions below.
func FailedSignatureIDs(ctx context.Context, q Q, merchant, keyFP string, all bool) ([]int64, error) {
	var ids []int64
	var err error
	// No ORDER BY: sorting by id would make SQLite scan the table
	// rather than the partial index.
	if all {
		err = q.SelectContext(ctx, &ids, `SELECT id FROM webhook_events
WHERE merchant = ? AND sig_check = 'invalid' AND signature <> ''`, merchant)
	} else {
		err = q.SelectContext(ctx, &ids, `SELECT id FROM webhook_events WHERE merchant = ? AND sig_check = 'invalid' AND key_fp < ? AND signature <> ''
UNION ALL SELECT id FROM webhook_events WHERE merchant = ? AND sig_check = 'invalid' AND key_fp > ? AND signature <> ''`,
			merchant, keyFP, merchant, keyFP)
	}
	if err != nil {
		return nil, fmt.Errorf("find failed webhook signatures: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// storedSignaturesSQL reads the deliveries whose ids a JSON array lists.
var storedSignaturesSQL = map[Dialect]string{
	SQLite: `SELECT id, raw, signature FROM webhook_events
WHERE merchant = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`,
	Postgres: `SELECT id, raw, signature FROM webhook_events
WHERE merchant = ? AND id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(? AS json))) ORDER BY id`,
}

// StoredSignatures returns the payload and signature of the deliveries
// ids names, in id order.
func StoredSignatures(ctx context.Context, q Q, d Dialect, merchant string, ids []int64) ([]store.StoredSignature, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	var out []store.StoredSignature
	if err := q.SelectContext(ctx, &out, storedSignaturesSQL[d], merchant, string(list)); err != nil {
		return nil, fmt.Errorf("read stored webhook signatures: %w", err)
	}
	return out, nil
}

// SetSignatureCheck records a new verdict on a failed delivery: the key
// it was made with, and sigCheck when the delivery now passes. A
// delivery that is not a failed one is left as it is.
func SetSignatureCheck(ctx context.Context, q Q, merchant string, id int64, sigCheck, keyFP string) error {
	_, err := q.ExecContext(ctx, `UPDATE webhook_events
SET key_fp = ?, sig_check = CASE WHEN CAST(? AS TEXT) IN ('raw', 'compact') THEN CAST(? AS TEXT) ELSE sig_check END
WHERE merchant = ? AND id = ? AND sig_check = 'invalid'`, keyFP, sigCheck, sigCheck, merchant, id)
	if err != nil {
		return fmt.Errorf("record the signature check of webhook event %d: %w", id, err)
	}
	return nil
}

// ReverifyDelivery records what a log read again says of a stored failed
// delivery with the same delivery key: its signature (a delivery stored
// before signatures were kept has none), the key the new verdict was
// made with, and the verdict when it passes. It reports whether a
// stored failed delivery was found.
func ReverifyDelivery(ctx context.Context, q Q, merchant string, ev recon.WebhookEvent) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE webhook_events
SET signature = ?, key_fp = ?, sig_check = CASE WHEN CAST(? AS TEXT) IN ('raw', 'compact') THEN CAST(? AS TEXT) ELSE sig_check END
WHERE merchant = ? AND delivery_key = ? AND sig_check = 'invalid'`,
		ev.Signature, ev.KeyFingerprint, ev.SigCheck, ev.SigCheck, merchant, ev.DeliveryKey)
	if err != nil {
		return false, fmt.Errorf("verify webhook delivery %s:%d again: %w", ev.SourceFile, ev.SourceLine, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
