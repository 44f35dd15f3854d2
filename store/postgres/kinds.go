package postgres

import "slices"

// The tables a Load writes, and how (see kind). The upserts write a row
// only when a column differs, so an unchanged reload changes nothing
// and first_seen_at is never overwritten; fetched_at is left out of the
// transactions' comparison, as on SQLite. The inserts skip a row whose
// unique key is stored, and only for that key: they leave out the
// stored keys (one probe of the unique index per row, a subquery the
// planner keeps per row rather than a join that would read the whole
// table, whose size it does not know within the load) and a batch's
// repeats before inserting, without ON CONFLICT, whose arbiter would
// probe the index again: the run lock keeps every other writer of the
// merchant out, and should one slip in, its key fails the load rather
// than being skipped. New rows are numbered on from the merchant's largest
// id, one after the other in the batch's order, rather than drawn from
// the identity's sequence, which a skipped row, a rolled-back load or a
// killed run would leave gaps in: the ids are those SQLite gives (it
// numbers on from the largest rowid), so that the exports, which name
// ids, are the same on both, and no sequence is shared by merchants. $1
// is the merchant, $2 the load time.

const (
	orderHead = `INSERT INTO orders AS d (merchant, uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT CAST($1 AS TEXT), uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, CAST($2 AS TIMESTAMPTZ), CAST($2 AS TIMESTAMPTZ) FROM load_orders`
	orderTail = `
ON CONFLICT (merchant, uid) DO UPDATE SET
    status = excluded.status,
    currency = excluded.currency,
    amount_minor = excluded.amount_minor,
    amount_source = excluded.amount_source,
    amount_problem = excluded.amount_problem,
    created_at = excluded.created_at,
    updated_at = excluded.updated_at,
    raw = excluded.raw,
    changed_at = excluded.changed_at
WHERE d.status IS DISTINCT FROM excluded.status
   OR d.currency IS DISTINCT FROM excluded.currency
   OR d.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR d.amount_source IS DISTINCT FROM excluded.amount_source
   OR d.amount_problem IS DISTINCT FROM excluded.amount_problem
   OR d.created_at IS DISTINCT FROM excluded.created_at
   OR d.updated_at IS DISTINCT FROM excluded.updated_at
   OR d.raw IS DISTINCT FROM excluded.raw`
)

var orderKind = kind{
	what:    "upsert order",
	table:   "orders",
	temp:    "load_orders",
	empty:   `TRUNCATE load_orders`,
	makeTmp: `CREATE TEMP TABLE load_orders ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw FROM orders WITH NO DATA`,
	cols:    []string{"seq", "uid", "status", "currency", "amount_minor", "amount_source", "amount_problem", "created_at", "updated_at", "raw"},
	move: `WITH up AS (` + orderHead + ` ORDER BY seq` + orderTail + ` RETURNING xmax = 0 AS inserted)
SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FROM up`,
	oneRow: orderHead + ` WHERE seq = $3` + orderTail,
}

const (
	linkHead = `INSERT INTO payment_links AS d (merchant, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT CAST($1 AS TEXT), uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, CAST($2 AS TIMESTAMPTZ), CAST($2 AS TIMESTAMPTZ) FROM load_payment_links`
	linkTail = `
ON CONFLICT (merchant, uid) DO UPDATE SET
    order_uid = excluded.order_uid,
    status = excluded.status,
    payment_url = excluded.payment_url,
    currency = excluded.currency,
    amount_minor = excluded.amount_minor,
    amount_source = excluded.amount_source,
    amount_problem = excluded.amount_problem,
    expired_at = excluded.expired_at,
    paid_at = excluded.paid_at,
    created_at = excluded.created_at,
    updated_at = excluded.updated_at,
    raw = excluded.raw,
    changed_at = excluded.changed_at
WHERE d.order_uid IS DISTINCT FROM excluded.order_uid
   OR d.status IS DISTINCT FROM excluded.status
   OR d.payment_url IS DISTINCT FROM excluded.payment_url
   OR d.currency IS DISTINCT FROM excluded.currency
   OR d.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR d.amount_source IS DISTINCT FROM excluded.amount_source
   OR d.amount_problem IS DISTINCT FROM excluded.amount_problem
   OR d.expired_at IS DISTINCT FROM excluded.expired_at
   OR d.paid_at IS DISTINCT FROM excluded.paid_at
   OR d.created_at IS DISTINCT FROM excluded.created_at
   OR d.updated_at IS DISTINCT FROM excluded.updated_at
   OR d.raw IS DISTINCT FROM excluded.raw`
)

var linkKind = kind{
	what:    "upsert payment link",
	table:   "payment_links",
	temp:    "load_payment_links",
	empty:   `TRUNCATE load_payment_links`,
	makeTmp: `CREATE TEMP TABLE load_payment_links ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw FROM payment_links WITH NO DATA`,
	cols:    []string{"seq", "uid", "order_uid", "status", "payment_url", "currency", "amount_minor", "amount_source", "amount_problem", "expired_at", "paid_at", "created_at", "updated_at", "raw"},
	move: `WITH up AS (` + linkHead + ` ORDER BY seq` + linkTail + ` RETURNING xmax = 0 AS inserted)
SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FROM up`,
	oneRow: linkHead + ` WHERE seq = $3` + linkTail,
}

const (
	txnHead = `INSERT INTO transactions AS d (merchant, oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, first_seen_at, changed_at)
SELECT CAST($1 AS TEXT), oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, CAST($2 AS TIMESTAMPTZ), CAST($2 AS TIMESTAMPTZ) FROM load_transactions`
	txnTail = `
ON CONFLICT (merchant, oxpay_txn_id) DO UPDATE SET
    oxpay_original_txn_id = excluded.oxpay_original_txn_id,
    type = excluded.type,
    merchant_reference_id = excluded.merchant_reference_id,
    host_txn_id = excluded.host_txn_id,
    state = excluded.state,
    payment_brand = excluded.payment_brand,
    currency = excluded.currency,
    amount_minor = excluded.amount_minor,
    refund_amount_minor = excluded.refund_amount_minor,
    fetched_at = excluded.fetched_at,
    raw = excluded.raw,
    changed_at = excluded.changed_at
WHERE d.oxpay_original_txn_id IS DISTINCT FROM excluded.oxpay_original_txn_id
   OR d.type IS DISTINCT FROM excluded.type
   OR d.merchant_reference_id IS DISTINCT FROM excluded.merchant_reference_id
   OR d.host_txn_id IS DISTINCT FROM excluded.host_txn_id
   OR d.state IS DISTINCT FROM excluded.state
   OR d.payment_brand IS DISTINCT FROM excluded.payment_brand
   OR d.currency IS DISTINCT FROM excluded.currency
   OR d.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR d.refund_amount_minor IS DISTINCT FROM excluded.refund_amount_minor
   OR d.raw IS DISTINCT FROM excluded.raw`
)

var txnKind = kind{
	what:    "upsert transaction",
	table:   "transactions",
	temp:    "load_transactions",
	empty:   `TRUNCATE load_transactions`,
	makeTmp: `CREATE TEMP TABLE load_transactions ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw FROM transactions WITH NO DATA`,
	cols:    []string{"seq", "oxpay_txn_id", "oxpay_original_txn_id", "type", "merchant_reference_id", "host_txn_id", "state", "payment_brand", "currency", "amount_minor", "refund_amount_minor", "fetched_at", "raw"},
	move: `WITH up AS (` + txnHead + ` ORDER BY seq` + txnTail + ` RETURNING xmax = 0 AS inserted)
SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FROM up`,
	oneRow: txnHead + ` WHERE seq = $3` + txnTail,
}

const (
	hookHead = `INSERT INTO webhook_events AS d (id, merchant, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, signature, key_fp, dedup_key, delivery_key, raw, source_file, source_line, loaded_at)
SELECT (SELECT COALESCE(MAX(id), 0) FROM webhook_events WHERE merchant = CAST($1 AS TEXT)) + ROW_NUMBER() OVER (ORDER BY t.seq), CAST($1 AS TEXT), received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, signature, key_fp, dedup_key, delivery_key, raw, source_file, source_line, CAST($2 AS TIMESTAMPTZ) FROM (SELECT DISTINCT ON (delivery_key) * FROM load_webhook_events ORDER BY delivery_key, seq) t
WHERE (SELECT 1 FROM webhook_events e WHERE e.merchant = CAST($1 AS TEXT) AND e.delivery_key = t.delivery_key) IS NULL`
	hookTail = ``
)

var hookKind = kind{
	what:    "insert webhook event",
	table:   "webhook_events",
	temp:    "load_webhook_events",
	empty:   `TRUNCATE load_webhook_events`,
	makeTmp: `CREATE TEMP TABLE load_webhook_events ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, signature, key_fp, dedup_key, delivery_key, raw, source_file, source_line FROM webhook_events WITH NO DATA`,
	cols:    []string{"seq", "received_at", "kind", "oxpay_txn_id", "oxpay_original_txn_id", "merchant_reference_id", "host_txn_id", "state", "currency", "amount_minor", "refund_amount_minor", "status_code", "sig_check", "signature", "key_fp", "dedup_key", "delivery_key", "raw", "source_file", "source_line"},
	move: `WITH ins AS (` + hookHead + ` ORDER BY t.seq` + hookTail + ` RETURNING 1)
SELECT COUNT(*) FROM ins`,
	oneRow: hookHead + ` AND t.seq = $3` + hookTail,
}

const (
	entryHead = `INSERT INTO ledger_entries AS d (id, merchant, booked_on, reference, description, txn_type, currency, amount_minor, fee_minor, row_hash, source_file, sheet, source_line, raw, loaded_at)
SELECT (SELECT COALESCE(MAX(id), 0) FROM ledger_entries WHERE merchant = CAST($1 AS TEXT)) + ROW_NUMBER() OVER (ORDER BY t.seq), CAST($1 AS TEXT), booked_on, reference, description, txn_type, currency, amount_minor, fee_minor, row_hash, source_file, sheet, source_line, raw, CAST($2 AS TIMESTAMPTZ) FROM (SELECT DISTINCT ON (row_hash) * FROM load_ledger_entries ORDER BY row_hash, seq) t
WHERE (SELECT 1 FROM ledger_entries e WHERE e.merchant = CAST($1 AS TEXT) AND e.row_hash = t.row_hash) IS NULL`
	entryTail = ``
)

var entryKind = kind{
	what:    "insert ledger entry",
	table:   "ledger_entries",
	temp:    "load_ledger_entries",
	empty:   `TRUNCATE load_ledger_entries`,
	makeTmp: `CREATE TEMP TABLE load_ledger_entries ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, booked_on, reference, description, txn_type, currency, amount_minor, fee_minor, row_hash, source_file, sheet, source_line, raw FROM ledger_entries WITH NO DATA`,
	cols:    []string{"seq", "booked_on", "reference", "description", "txn_type", "currency", "amount_minor", "fee_minor", "row_hash", "source_file", "sheet", "source_line", "raw"},
	move: `WITH ins AS (` + entryHead + ` ORDER BY t.seq` + entryTail + ` RETURNING 1)
SELECT COUNT(*) FROM ins`,
	oneRow: entryHead + ` AND t.seq = $3` + entryTail,
}

const (
	inputErrorHead = `INSERT INTO input_errors AS d (id, merchant, source, file, line, text, reason, recorded_at, run_id)
SELECT (SELECT COALESCE(MAX(id), 0) FROM input_errors WHERE merchant = CAST($1 AS TEXT)) + ROW_NUMBER() OVER (ORDER BY t.seq), CAST($1 AS TEXT), source, file, line, text, reason, COALESCE(recorded_at, CAST($2 AS TIMESTAMPTZ)), run_id FROM (SELECT DISTINCT ON (source, file, line, reason) * FROM load_input_errors ORDER BY source, file, line, reason, seq) t
WHERE (SELECT 1 FROM input_errors e WHERE e.merchant = CAST($1 AS TEXT) AND e.source = t.source AND e.file = t.file AND e.line = t.line AND e.reason = t.reason) IS NULL`
	inputErrorTail = ``
)

var inputErrorKind = kind{
	what:    "insert input error",
	table:   "input_errors",
	temp:    "load_input_errors",
	empty:   `TRUNCATE load_input_errors`,
	makeTmp: `CREATE TEMP TABLE load_input_errors ON COMMIT DROP AS SELECT CAST(0 AS BIGINT) AS seq, source, file, line, text, reason, recorded_at, run_id FROM input_errors WITH NO DATA`,
	cols:    []string{"seq", "source", "file", "line", "text", "reason", "recorded_at", "run_id"},
	move: `WITH ins AS (` + inputErrorHead + ` ORDER BY t.seq` + inputErrorTail + ` RETURNING 1)
SELECT COUNT(*) FROM ins`,
	oneRow: inputErrorHead + ` AND t.seq = $3` + inputErrorTail,
}

// The columns the match's results and exceptions are copied into,
// straight into their tables: a run's rows are new, and never clash.
var (
	matchResultCols = []string{"merchant", "run_id", "kind", "order_uid", "payment_link_uid", "oxpay_txn_id", "oxpay_original_txn_id",
		"merchant_reference_id", "ledger_entry_id", "webhook_event_id", "state", "source", "currency", "order_minor", "gateway_minor",
		"paid_at", "clean"}
	exceptionCols = []string{"merchant", "run_id", "category", "severity", "order_uid", "payment_link_uid", "oxpay_txn_id",
		"merchant_reference_id", "ledger_ref", "currency", "expected_minor", "actual_minor", "difference_minor", "detail",
		"webhook_event_ids", "ledger_entry_ids", "input_error_id"}
	// carriedExceptionCols are exceptionCols and the facts a carried
	// exception keeps.
	carriedExceptionCols = append(slices.Clip(exceptionCols), "carried", "facts", "payment_url", "order_created_at", "link_paid_at",
		"webhook_received_at", "ledger_booked_on", "ledger_currency", "ledger_minor")
)

// The kinds insertDirect writes.
var (
	hookDirect = direct{table: "webhook_events",
		stored: `SELECT delivery_key FROM webhook_events WHERE merchant = $1 AND delivery_key = ANY($2)`,
		nextID: `SELECT COALESCE(MAX(id), 0) FROM webhook_events WHERE merchant = $1`,
		cols:   append(append([]string{"id", "merchant"}, hookKind.cols[1:]...), "loaded_at")}
	entryDirect = direct{table: "ledger_entries",
		stored: `SELECT row_hash FROM ledger_entries WHERE merchant = $1 AND row_hash = ANY($2)`,
		nextID: `SELECT COALESCE(MAX(id), 0) FROM ledger_entries WHERE merchant = $1`,
		cols:   append(append([]string{"id", "merchant"}, entryKind.cols[1:]...), "loaded_at")}
)
