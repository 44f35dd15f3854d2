-- 0007: an order's total or a link's amount may be unknown.
--
-- The public documents do not settle the name of an order's total
-- (total_amount, amount, or the sum of items[].amount), and an API may
-- send an amount malformed or not at all. Such a row is still stored,
-- with amount_minor NULL (never 0: a 0 would raise false mismatches) and
-- amount_problem saying why; the match reports it as an input error
-- naming the order or link. amount_source names the field a known
-- amount was read from. NOT NULL cannot be dropped in place, so
-- both tables are rebuilt, their rowids kept (the match reads in rowid
-- order). Rows stored before were read from total_amount and amount.
CREATE TABLE orders_0007 (
    uid            TEXT      PRIMARY KEY,
    status        TEXT      NOT NULL,
    currency      TEXT      NOT NULL,
    amount_minor  BIGINT,
    amount_source TEXT      NOT NULL DEFAULT '',
    amount_problem TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    raw           TEXT      NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);
INSERT INTO orders_0007 (rowid, uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT rowid, uid, status, currency, amount_minor, 'total_amount', '', created_at, updated_at, raw, first_seen_at, changed_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_0007 RENAME TO orders;

CREATE TABLE payment_links_0007 (
    uid            TEXT      PRIMARY KEY,
    order_uid     TEXT      NOT NULL,
    status        TEXT      NOT NULL,
    payment_url   TEXT      NOT NULL,
    currency      TEXT      NOT NULL,
    amount_minor  BIGINT,
    amount_source TEXT      NOT NULL DEFAULT '',
    amount_problem TEXT    NOT NULL DEFAULT '',
    expired_at    TIMESTAMP,
    paid_at       TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    raw           TEXT      NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);
INSERT INTO payment_links_0007 (rowid, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at)
SELECT rowid, uid, order_uid, status, payment_url, currency, amount_minor, 'amount', '', expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at FROM payment_links;
DROP TABLE payment_links;
ALTER TABLE payment_links_0007 RENAME TO payment_links;
CREATE INDEX payment_links_order_uid ON payment_links (order_uid);
