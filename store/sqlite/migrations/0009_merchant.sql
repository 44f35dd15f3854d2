-- 0009: every row belongs to a merchant.
--
-- One database may hold several merchant accounts (`merchant:` in the
-- config, a short id). Every table gets a merchant column, every query
-- filters on it, and every natural unique key includes it, so that two
-- merchants may hold the same order uid, transaction id or delivery key
-- without meeting. Rows stored before belong to 'default', the merchant
-- of a config that names none.
--
-- A unique key declared with its table cannot be changed in place, so
-- the tables that have one are rebuilt, their rowids kept (the match
-- reads in rowid order, results point at webhook events and ledger
-- entries by id). The others gain the column in place. The surrogate
-- ids (INTEGER PRIMARY KEY, SQLite's rowid) stay unique across
-- merchants; they are the one key without the merchant, as SQLite is
-- never distributed. The secondary indexes lead with the merchant.
-- For a million-order database this rewrites every row once.

ALTER TABLE runs ADD COLUMN merchant TEXT NOT NULL DEFAULT 'default';
DROP INDEX runs_command_status;
CREATE INDEX runs_command_status ON runs (merchant, command, status, started_at);

ALTER TABLE match_results ADD COLUMN merchant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE exceptions ADD COLUMN merchant TEXT NOT NULL DEFAULT 'default';

CREATE TABLE orders_0009 (
    merchant       TEXT      NOT NULL DEFAULT 'default',
    uid            TEXT      NOT NULL,
    status         TEXT      NOT NULL,
    currency       TEXT      NOT NULL,
    amount_minor   BIGINT,
    amount_source  TEXT      NOT NULL DEFAULT '',
    amount_problem TEXT      NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    raw            TEXT      NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    changed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant, uid)
);
INSERT INTO orders_0009 (rowid, merchant, uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT rowid, 'default', uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, first_seen_at, changed_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_0009 RENAME TO orders;

CREATE TABLE payment_links_0009 (
    merchant       TEXT      NOT NULL DEFAULT 'default',
    uid            TEXT      NOT NULL,
    order_uid      TEXT      NOT NULL,
    status         TEXT      NOT NULL,
    payment_url    TEXT      NOT NULL,
    currency       TEXT      NOT NULL,
    amount_minor   BIGINT,
    amount_source  TEXT      NOT NULL DEFAULT '',
    amount_problem TEXT      NOT NULL DEFAULT '',
    expired_at     TIMESTAMP,
    paid_at        TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    raw            TEXT      NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    changed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant, uid)
);
INSERT INTO payment_links_0009 (rowid, merchant, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT rowid, 'default', uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at FROM payment_links;
DROP TABLE payment_links;
ALTER TABLE payment_links_0009 RENAME TO payment_links;
CREATE INDEX payment_links_order_uid ON payment_links (merchant, order_uid);

CREATE TABLE transactions_0009 (
    merchant              TEXT      NOT NULL DEFAULT 'default',
    oxpay_txn_id          TEXT      NOT NULL,
    oxpay_original_txn_id TEXT      NOT NULL,
    type                  TEXT      NOT NULL,
    merchant_reference_id TEXT      NOT NULL,
    host_txn_id           TEXT      NOT NULL,
    state                 TEXT      NOT NULL,
    payment_brand         TEXT      NOT NULL,
    currency              TEXT      NOT NULL,
    amount_minor          BIGINT    NOT NULL,
    refund_amount_minor   BIGINT    NOT NULL,
    fetched_at            TIMESTAMP NOT NULL,
    raw                   TEXT      NOT NULL,
    first_seen_at         TIMESTAMP NOT NULL,
    changed_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant, oxpay_txn_id)
);
INSERT INTO transactions_0009 (rowid, merchant, oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, first_seen_at, changed_at)
SELECT rowid, 'default', oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, first_seen_at, changed_at FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_0009 RENAME TO transactions;
CREATE INDEX transactions_merchant_reference_id ON transactions (merchant, merchant_reference_id);
CREATE INDEX transactions_original_txn_id ON transactions (merchant, oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';

CREATE TABLE webhook_events_0009 (
    id                    INTEGER   PRIMARY KEY,
    merchant              TEXT      NOT NULL DEFAULT 'default',
    received_at           TIMESTAMP NOT NULL,
    kind                  TEXT      NOT NULL,
    oxpay_txn_id          TEXT      NOT NULL,
    oxpay_original_txn_id TEXT      NOT NULL,
    merchant_reference_id TEXT      NOT NULL,
    host_txn_id           TEXT      NOT NULL,
    state                 TEXT      NOT NULL,
    currency              TEXT      NOT NULL,
    amount_minor          BIGINT    NOT NULL,
    refund_amount_minor   BIGINT    NOT NULL,
    status_code           INTEGER   NOT NULL,
    sig_check             TEXT      NOT NULL,
    dedup_key             TEXT      NOT NULL,
    delivery_key          TEXT      NOT NULL,
    raw                   TEXT      NOT NULL,
    source_file           TEXT      NOT NULL,
    source_line           INTEGER   NOT NULL,
    loaded_at             TIMESTAMP NOT NULL,
    signature             TEXT      NOT NULL DEFAULT '',
    key_fp                TEXT      NOT NULL DEFAULT '',
    UNIQUE (merchant, delivery_key)
);
INSERT INTO webhook_events_0009 (id, merchant, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, dedup_key, delivery_key, raw, source_file, source_line, loaded_at, signature, key_fp)
SELECT id, 'default', received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, dedup_key, delivery_key, raw, source_file, source_line, loaded_at, signature, key_fp FROM webhook_events;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_0009 RENAME TO webhook_events;
CREATE INDEX webhook_events_txn_id ON webhook_events (merchant, oxpay_txn_id);
CREATE INDEX webhook_events_original_txn_id ON webhook_events (merchant, oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';
CREATE INDEX webhook_events_sig_invalid ON webhook_events (merchant, key_fp) WHERE sig_check = 'invalid';

CREATE TABLE ledger_entries_0009 (
    id           INTEGER   PRIMARY KEY,
    merchant     TEXT      NOT NULL DEFAULT 'default',
    booked_on    DATE      NOT NULL,
    reference    TEXT      NOT NULL,
    description  TEXT      NOT NULL,
    txn_type     TEXT      NOT NULL,
    currency     TEXT      NOT NULL,
    amount_minor BIGINT    NOT NULL,
    row_hash     TEXT      NOT NULL,
    source_file  TEXT      NOT NULL,
    sheet        TEXT      NOT NULL,
    source_line  INTEGER   NOT NULL,
    raw          TEXT      NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    UNIQUE (merchant, row_hash)
);
INSERT INTO ledger_entries_0009 (id, merchant, booked_on, reference, description, txn_type, currency, amount_minor, row_hash, source_file, sheet, source_line, raw, loaded_at)
SELECT id, 'default', booked_on, reference, description, txn_type, currency, amount_minor, row_hash, source_file, sheet, source_line, raw, loaded_at FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_0009 RENAME TO ledger_entries;
CREATE INDEX ledger_entries_reference ON ledger_entries (merchant, reference);

CREATE TABLE input_files_0009 (
    id          INTEGER   PRIMARY KEY,
    merchant    TEXT      NOT NULL DEFAULT 'default',
    kind        TEXT      NOT NULL,
    path        TEXT      NOT NULL,
    sha256      TEXT      NOT NULL,
    row_count   INTEGER   NOT NULL,
    error_count INTEGER   NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    run_id      INTEGER   REFERENCES runs (id),
    UNIQUE (merchant, kind, sha256)
);
INSERT INTO input_files_0009 (id, merchant, kind, path, sha256, row_count, error_count, ingested_at, run_id)
SELECT id, 'default', kind, path, sha256, row_count, error_count, ingested_at, run_id FROM input_files;
DROP TABLE input_files;
ALTER TABLE input_files_0009 RENAME TO input_files;

CREATE TABLE input_errors_0009 (
    id          INTEGER   PRIMARY KEY,
    merchant    TEXT      NOT NULL DEFAULT 'default',
    source      TEXT      NOT NULL,
    file        TEXT      NOT NULL,
    line        INTEGER   NOT NULL,
    text        TEXT      NOT NULL,
    reason      TEXT      NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    run_id      INTEGER   REFERENCES runs (id),
    UNIQUE (merchant, source, file, line, reason)
);
INSERT INTO input_errors_0009 (id, merchant, source, file, line, text, reason, recorded_at, run_id)
SELECT id, 'default', source, file, line, text, reason, recorded_at, run_id FROM input_errors;
DROP TABLE input_errors;
ALTER TABLE input_errors_0009 RENAME TO input_errors;

CREATE TABLE exception_history_0009 (
    merchant      TEXT    NOT NULL DEFAULT 'default',
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    exception_key TEXT    NOT NULL,
    first_seen    TEXT    NOT NULL, -- YYYY-MM-DD, a business date
    PRIMARY KEY (merchant, run_id, exception_key)
) WITHOUT ROWID;
INSERT INTO exception_history_0009 (merchant, run_id, exception_key, first_seen)
SELECT 'default', run_id, exception_key, first_seen FROM exception_history;
DROP TABLE exception_history;
ALTER TABLE exception_history_0009 RENAME TO exception_history;

CREATE TABLE fetch_cursors_0009 (
    merchant    TEXT      NOT NULL DEFAULT 'default',
    list        TEXT      NOT NULL, -- orders, payment_links
    newest      TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant, list)
);
INSERT INTO fetch_cursors_0009 (merchant, list, newest, updated_at)
SELECT 'default', list, newest, updated_at FROM fetch_cursors;
DROP TABLE fetch_cursors;
ALTER TABLE fetch_cursors_0009 RENAME TO fetch_cursors;
