-- 0002: what the matching engine finds, per run.
--
-- Every row carries the run that produced it: a re-run under a new run id
-- leaves older runs readable beside it, and DeleteRunResults drops one
-- run's rows. A run's rows are written in one load and never updated.
--
-- No foreign keys to the input tables: results point at webhook events
-- and ledger entries by id for traceability only, and a key check per row
-- would cost a million lookups per run for nothing (inputs are never
-- deleted). Ids a row does not have are NULL, not 0.

-- One row per gateway transaction that moved or reversed money (sales in
-- a paid state, refunds, voids), with the rows it was matched to on each
-- side. What the run saw of the transaction and its order (state,
-- amounts) is copied, since those rows are updated by later fetches; the
-- ledger line's reference, amount and date are not, since ledger entries
-- never change: readers join them by ledger_entry_id. Every column costs
-- about a second per million rows to write, so there are no others.
-- clean is 1 when no exception of the run names the transaction.
CREATE TABLE match_results (
    id                    INTEGER   PRIMARY KEY,
    run_id                INTEGER   NOT NULL REFERENCES runs (id),
    kind                  TEXT      NOT NULL,
    order_uid             TEXT      NOT NULL,
    payment_link_uid      TEXT      NOT NULL,
    oxpay_txn_id          TEXT      NOT NULL,
    oxpay_original_txn_id TEXT      NOT NULL,
    merchant_reference_id TEXT      NOT NULL,
    ledger_entry_id       INTEGER,
    webhook_event_id      INTEGER,
    state                 TEXT      NOT NULL,
    source                TEXT      NOT NULL,
    currency              TEXT      NOT NULL,
    order_minor           BIGINT    NOT NULL,
    gateway_minor         BIGINT    NOT NULL,
    paid_at               TIMESTAMP,
    clean                 INTEGER   NOT NULL
);
CREATE INDEX match_results_run_id ON match_results (run_id);

-- One row per finding. webhook_event_ids and ledger_entry_ids are the ids
-- of every delivery and ledger line involved, comma-separated ('' for
-- none), so a person can go from a row of the report to the source lines.
CREATE TABLE exceptions (
    id                    INTEGER   PRIMARY KEY,
    run_id                INTEGER   NOT NULL REFERENCES runs (id),
    category              TEXT      NOT NULL,
    severity              TEXT      NOT NULL,
    order_uid             TEXT      NOT NULL,
    payment_link_uid      TEXT      NOT NULL,
    oxpay_txn_id          TEXT      NOT NULL,
    merchant_reference_id TEXT      NOT NULL,
    ledger_ref            TEXT      NOT NULL,
    currency              TEXT      NOT NULL,
    expected_minor        BIGINT    NOT NULL,
    actual_minor          BIGINT    NOT NULL,
    difference_minor      BIGINT    NOT NULL,
    detail                TEXT      NOT NULL,
    webhook_event_ids     TEXT      NOT NULL,
    ledger_entry_ids      TEXT      NOT NULL,
    input_error_id        INTEGER
);
CREATE INDEX exceptions_run_id ON exceptions (run_id, category);
