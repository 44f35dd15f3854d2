-- 0012: incremental matching (match/incremental.go, store/scope.go).
--
-- A night re-matches only the rows stored or changed since the previous
-- match run and the rows their keys reach. The changed_at indexes find
-- the orders, links and transactions an upsert changed (webhook
-- deliveries and ledger lines only grow, by id); the index on a
-- delivery's merchant_reference_id lets an order reach the deliveries
-- that stand in for its transaction.
--
-- match_marks holds, per match run, how far it read (the highest
-- delivery, ledger line, order, link and transaction ids, the latest
-- changed_at), the business date it
-- matched as of (NULL: every window closed), the fingerprint of
-- the rules and options it matched with, whether it matched whole or
-- only what the night reached (then from which earlier run it carried
-- the other exceptions), per currency the net of the ledger lines it
-- read (the report's control for the rows the run matched), and the
-- rows it read per source and currency (JSON, the Summary's inputs,
-- which the report then need not count from every table). Like
-- match_results, a run's row is written in the run's load and deleted
-- with its results.
--
-- exceptions.carried marks the exceptions a run copied unchanged from
-- the run it started from, rather than found among the rows it read.
CREATE INDEX orders_changed_at ON orders (merchant, changed_at);
CREATE INDEX payment_links_changed_at ON payment_links (merchant, changed_at);
CREATE INDEX transactions_changed_at ON transactions (merchant, changed_at);
CREATE INDEX webhook_events_reference ON webhook_events (merchant, merchant_reference_id) WHERE merchant_reference_id <> '';

ALTER TABLE exceptions ADD COLUMN carried INTEGER NOT NULL DEFAULT 0;

CREATE TABLE match_marks (
    merchant    TEXT      NOT NULL,
    run_id      INTEGER   NOT NULL,
    webhook_id  INTEGER   NOT NULL,
    ledger_id   INTEGER   NOT NULL,
    order_id    INTEGER   NOT NULL,
    link_id     INTEGER   NOT NULL,
    txn_id      INTEGER   NOT NULL,
    changed_at  TIMESTAMP,
    as_of       TIMESTAMP,
    fingerprint TEXT      NOT NULL,
    incremental INTEGER   NOT NULL,
    base_run_id INTEGER,
    ledger_net  TEXT      NOT NULL,
    sources     TEXT      NOT NULL,
    PRIMARY KEY (merchant, run_id)
);
