package sqlite

import (
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
// the one every verdict was made with reads next to nothing.
func (l *Load) FailedSignatureIDs(keyFP string, all bool) ([]int64, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	var ids []int64
	var err error
	// No ORDER BY: sorting by id would make SQLite scan the table
	// rather than the partial index.
	if all {
		err = l.tx.SelectContext(l.ctx, &ids, `SELECT id FROM webhook_events
WHERE merchant = ? AND sig_check = 'invalid' AND signature <> ''`, l.merchant)
	} else {
		err = l.tx.SelectContext(l.ctx, &ids, `SELECT id FROM webhook_events WHERE merchant = ?2 AND sig_check = 'invalid' AND key_fp < ?1 AND signature <> ''
UNION ALL SELECT id FROM webhook_events WHERE merchant = ?2 AND sig_check = 'invalid' AND key_fp > ?1 AND signature <> ''`, keyFP, l.merchant)
	}
	if err != nil {
		return nil, l.fail(fmt.Errorf("find failed webhook signatures: %w", err))
	}
	slices.Sort(ids)
	return ids, nil
}

// StoredSignatures returns the payload and signature of the deliveries
// ids names, in id order.
func (l *Load) StoredSignatures(ids []int64) ([]store.StoredSignature, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, l.fail(err)
	}
	var out []store.StoredSignature
	err = l.tx.SelectContext(l.ctx, &out, `SELECT id, raw, signature FROM webhook_events
WHERE merchant = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, l.merchant, string(list))
	if err != nil {
		return nil, l.fail(fmt.Errorf("read stored webhook signatures: %w", err))
	}
	return out, nil
}

// SetSignatureCheck records a new verdict on a failed delivery: the key
// it was made with, and sigCheck when the delivery now passes. A
// delivery that is not a failed one is left as it is.
func (l *Load) SetSignatureCheck(id int64, sigCheck, keyFP string) error {
	if err := l.check(); err != nil {
		return err
	}
	_, err := l.tx.ExecContext(l.ctx, `UPDATE webhook_events
SET key_fp = ?2, sig_check = CASE WHEN ?3 IN ('raw', 'compact') THEN ?3 ELSE sig_check END
WHERE id = ?1 AND merchant = ?4 AND sig_check = 'invalid'`, id, keyFP, sigCheck, l.merchant)
	if err != nil {
		return l.fail(fmt.Errorf("record the signature check of webhook event %d: %w", id, err))
	}
	return nil
}

// ReverifyDelivery records what a log read again says of a stored failed
// delivery with the same delivery key: its signature (a delivery stored
// before signatures were kept has none), the key the new verdict was
// made with, and the verdict when it passes. It reports whether a
// stored failed delivery was found.
func (l *Load) ReverifyDelivery(ev recon.WebhookEvent) (bool, error) {
	if err := l.check(); err != nil {
		return false, err
	}
	res, err := l.tx.ExecContext(l.ctx, `UPDATE webhook_events
SET signature = ?2, key_fp = ?3, sig_check = CASE WHEN ?4 IN ('raw', 'compact') THEN ?4 ELSE sig_check END
WHERE merchant = ?5 AND delivery_key = ?1 AND sig_check = 'invalid'`, ev.DeliveryKey, ev.Signature, ev.KeyFingerprint, ev.SigCheck, l.merchant)
	if err != nil {
		return false, l.fail(fmt.Errorf("verify webhook delivery %s:%d again: %w", ev.SourceFile, ev.SourceLine, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, l.fail(err)
	}
	return n > 0, nil
}
