-- 0011: net settlements (settle/, match's settlement step).
--
-- A ledger line may state the fee the gateway kept from a deposit (the
-- ledger's optional fee column): fee_minor, NULL when the line states
-- none.
--
-- settlement_batches holds, per match run, the batches the run cut: one
-- gateway business day's settled transactions in one currency, what the
-- fee schedule says they pay out, and the deposit that paid them (its
-- ledger line by id, as results name theirs). members lists the batch's
-- transactions as JSON ([[oxpay_txn_id, kind, brand, amount_minor,
-- fee_minor, paid_at], ...]) in one text, so that a million batched
-- transactions cost a few hundred rows to write, not a million. Like
-- match_results, the rows belong to their run, are written in one load
-- and deleted with the run's results.
ALTER TABLE ledger_entries ADD COLUMN fee_minor BIGINT;

CREATE TABLE settlement_batches (
    id               INTEGER   PRIMARY KEY,
    merchant         TEXT      NOT NULL,
    run_id           INTEGER   NOT NULL,
    currency         TEXT      NOT NULL,
    batch_day        TEXT      NOT NULL,
    payout_day       TEXT      NOT NULL,
    txn_count        INTEGER   NOT NULL,
    sales_minor      BIGINT    NOT NULL,
    refunds_minor    BIGINT    NOT NULL,
    fees_minor       BIGINT    NOT NULL,
    fees_known       INTEGER   NOT NULL,
    net_minor        BIGINT    NOT NULL,
    ledger_entry_id  INTEGER,
    deposit_minor    BIGINT    NOT NULL,
    difference_minor BIGINT    NOT NULL,
    fee_diff_minor   BIGINT    NOT NULL,
    outcome          TEXT      NOT NULL,
    detail           TEXT      NOT NULL,
    members          TEXT      NOT NULL
);
CREATE INDEX settlement_batches_run_id ON settlement_batches (merchant, run_id);
