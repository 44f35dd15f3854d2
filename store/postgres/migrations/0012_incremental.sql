-- 0012: incremental matching (store/sqlite's 0012 says what each part is
-- for): indexes that find the orders, links and transactions changed
-- since a match run and the deliveries that name an order by reference,
-- each run's match mark, and the exceptions a run carried unchanged.
CREATE INDEX orders_changed_at ON orders (merchant, changed_at);
CREATE INDEX payment_links_changed_at ON payment_links (merchant, changed_at);
CREATE INDEX transactions_changed_at ON transactions (merchant, changed_at);
CREATE INDEX webhook_events_reference ON webhook_events (merchant, merchant_reference_id) WHERE merchant_reference_id <> '';

ALTER TABLE exceptions ADD COLUMN carried INTEGER NOT NULL DEFAULT 0;

CREATE TABLE match_marks (
    merchant    TEXT        COLLATE "C" NOT NULL,
    run_id      BIGINT      NOT NULL,
    webhook_id  BIGINT      NOT NULL,
    ledger_id   BIGINT      NOT NULL,
    order_id    BIGINT      NOT NULL,
    link_id     BIGINT      NOT NULL,
    txn_id      BIGINT      NOT NULL,
    changed_at  TIMESTAMPTZ,
    as_of       TIMESTAMPTZ,
    fingerprint TEXT        COLLATE "C" NOT NULL,
    incremental INTEGER     NOT NULL,
    base_run_id BIGINT,
    ledger_net  TEXT        COLLATE "C" NOT NULL,
    sources     TEXT        COLLATE "C" NOT NULL,
    PRIMARY KEY (merchant, run_id)
);
