-- 0001: the first schema.
--
-- Written to run on SQLite and, with the noted exceptions, on PostgreSQL:
-- TEXT, BIGINT, INTEGER and TIMESTAMP only. Exceptions: "id INTEGER PRIMARY
-- KEY" is SQLite's rowid alias (PostgreSQL: BIGINT GENERATED ALWAYS AS
-- IDENTITY). AUTOINCREMENT is left off on purpose: rows are never deleted,
-- so ids are not reused anyway, and it would cost a sqlite_sequence write
-- per insert.
--
-- Times are UTC. Money is BIGINT minor units beside a currency code. Every
-- row fed from outside keeps its source record in raw, byte for byte.

-- runs comes first: input_files and input_errors point at it.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    command       TEXT      NOT NULL,
    business_date TEXT      NOT NULL DEFAULT '',
    started_at    TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    status        TEXT      NOT NULL,
    error         TEXT      NOT NULL DEFAULT '',
    counts        TEXT      NOT NULL DEFAULT '',
    inputs        TEXT      NOT NULL DEFAULT '',
    version       TEXT      NOT NULL DEFAULT ''
);
CREATE INDEX runs_command_status ON runs (command, status, started_at);

-- API rows carry first_seen_at (when the row was first loaded) and
-- changed_at (when its content last changed): an unchanged reload touches
-- neither.
CREATE TABLE orders (
    uid           TEXT      PRIMARY KEY,
    status        TEXT      NOT NULL,
    currency      TEXT      NOT NULL,
    amount_minor  BIGINT    NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    raw           TEXT      NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);

-- No foreign key to orders: a link whose order is missing is an anomaly
-- to report, not a row to refuse, and links may load before their orders.
CREATE TABLE payment_links (
    uid           TEXT      PRIMARY KEY,
    order_uid     TEXT      NOT NULL,
    status        TEXT      NOT NULL,
    payment_url   TEXT      NOT NULL,
    currency      TEXT      NOT NULL,
    amount_minor  BIGINT    NOT NULL,
    expired_at    TIMESTAMP,
    paid_at       TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    raw           TEXT      NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);
CREATE INDEX payment_links_order_uid ON payment_links (order_uid);

CREATE TABLE transactions (
    oxpay_txn_id          TEXT      PRIMARY KEY,
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
    changed_at            TIMESTAMP NOT NULL
);
CREATE INDEX transactions_merchant_reference_id ON transactions (merchant_reference_id);
CREATE INDEX transactions_original_txn_id ON transactions (oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';

CREATE TABLE webhook_events (
    id                    INTEGER   PRIMARY KEY,
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
    delivery_key          TEXT      NOT NULL UNIQUE,
    raw                   TEXT      NOT NULL,
    source_file           TEXT      NOT NULL,
    source_line           INTEGER   NOT NULL,
    loaded_at             TIMESTAMP NOT NULL
);
CREATE INDEX webhook_events_txn_id ON webhook_events (oxpay_txn_id);
-- Partial: most events are sales with no original, and an index full of
-- empty strings costs a bulk load about a tenth of its time for nothing.
CREATE INDEX webhook_events_original_txn_id ON webhook_events (oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';
CREATE INDEX webhook_events_dedup_key ON webhook_events (dedup_key);

-- booked_on is a calendar date stored as YYYY-MM-DD, so SQL can compare
-- it with a business date directly.
CREATE TABLE ledger_entries (
    id           INTEGER   PRIMARY KEY,
    booked_on    DATE      NOT NULL,
    reference    TEXT      NOT NULL,
    description  TEXT      NOT NULL,
    txn_type     TEXT      NOT NULL,
    currency     TEXT      NOT NULL,
    amount_minor BIGINT    NOT NULL,
    row_hash     TEXT      NOT NULL UNIQUE,
    source_file  TEXT      NOT NULL,
    sheet        TEXT      NOT NULL,
    source_line  INTEGER   NOT NULL,
    raw          TEXT      NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);
CREATE INDEX ledger_entries_reference ON ledger_entries (reference);

-- row_count and error_count rather than rows and errors: ROWS is an SQL
-- keyword.
CREATE TABLE input_files (
    id          INTEGER   PRIMARY KEY,
    kind        TEXT      NOT NULL,
    path        TEXT      NOT NULL,
    sha256      TEXT      NOT NULL,
    row_count   INTEGER   NOT NULL,
    error_count INTEGER   NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    run_id      INTEGER   REFERENCES runs (id),
    UNIQUE (kind, sha256)
);

-- The unique key makes a re-ingest of the same file add nothing; run_id
-- stays that of the run that first saw the error.
CREATE TABLE input_errors (
    id          INTEGER   PRIMARY KEY,
    source      TEXT      NOT NULL,
    file        TEXT      NOT NULL,
    line        INTEGER   NOT NULL,
    text        TEXT      NOT NULL,
    reason      TEXT      NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    run_id      INTEGER   REFERENCES runs (id),
    UNIQUE (source, file, line, reason)
);
