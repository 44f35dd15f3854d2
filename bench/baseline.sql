-- bench/baseline.sql: the three-way match the way a data-savvy analyst
-- would write it, run by the sqlite3 command-line tool beside recon on the
-- same files, so that recon's speed has a yardstick measured on the same
-- machine in the same run (bench/e2e.sh; the choices are in bench/README.md).
--
-- Run from a directory holding (or linking to):
--   ledger.csv      the ledger export: Date,Reference,Description,Debit,Credit,Currency
--                   with 01/11/2026 dates and 1.250.000,00 amounts
--   webhooks.jsonl  the webhook log, one {"received_at","headers","body"} per line;
--                   body is the payload object or a JSON string of its bytes
--   recon.db        recon's database after its run: the orders, payment links
--                   and gateway transactions fetched from the APIs, read only
--
--   cd DIR && sqlite3 < baseline.sql
--
-- The main database is in memory, as an analyst after speed would have it.
-- It prints the time of each step, then one "count CATEGORY N" line per
-- break category, named like recon's categories where they mean the same.

.bail on
.headers off
.mode list
.separator "|"

CREATE TEMP TABLE marks (step TEXT, t REAL);
INSERT INTO marks VALUES ('start', julianday('now'));

-- The API side, as recon fetched it. Read only: the baseline must not
-- change what recon wrote.
ATTACH 'file:recon.db?mode=ro' AS r;

-- Each file is imported through a view whose INSTEAD OF trigger parses
-- every line as it arrives, so the raw text is never stored: importing
-- into a text table first and parsing it after costs the same CPU but
-- holds the whole file in memory (+0.5 GB at 1M orders).

-- 1. The ledger: parse DD/MM/YYYY into YYYY-MM-DD and 1.250.000,00 into
-- integer minor units (the export writes each currency's ISO decimals, so
-- dropping both separators gives minor units: "572.000,00" IDR is
-- 57200000, "6,70" SGD is 670; an empty cell is 0).
CREATE TABLE ledger (
  line INTEGER PRIMARY KEY, booked_on TEXT, reference TEXT, currency TEXT,
  debit_minor INTEGER, credit_minor INTEGER);
CREATE VIEW ledger_csv (date, reference, description, debit, credit, currency) AS
  SELECT NULL, NULL, NULL, NULL, NULL, NULL;
CREATE TRIGGER ledger_csv_insert INSTEAD OF INSERT ON ledger_csv BEGIN
  INSERT INTO ledger (booked_on, reference, currency, debit_minor, credit_minor)
  VALUES (substr(new.date, 7, 4) || '-' || substr(new.date, 4, 2) || '-' || substr(new.date, 1, 2),
          new.reference, new.currency,
          CAST(replace(replace(new.debit, '.', ''), ',', '') AS INTEGER),
          CAST(replace(replace(new.credit, '.', ''), ',', '') AS INTEGER));
END;
.import --csv --skip 1 ledger.csv ledger_csv
INSERT INTO marks VALUES ('import ledger.csv', julianday('now'));

-- 2. The webhook log: each line as one text cell (ASCII mode with the unit
-- separator, which JSON never holds unescaped, so nothing splits a line),
-- the fields pulled out with json_extract. A body logged as an object is
-- read in place; for one logged as a JSON string of the payload's bytes,
-- the path into it finds nothing, and the string is parsed in turn.
CREATE TABLE webhook (
  seq INTEGER PRIMARY KEY, received_at TEXT, signature TEXT, txn_id TEXT,
  state TEXT, currency TEXT, amount INTEGER, refund_amount INTEGER);
CREATE VIEW webhook_jsonl (line) AS SELECT NULL;
CREATE TRIGGER webhook_jsonl_insert INSTEAD OF INSERT ON webhook_jsonl BEGIN
  INSERT INTO webhook (received_at, signature, txn_id, state, currency, amount, refund_amount)
  VALUES (json_extract(new.line, '$.received_at'),
          json_extract(new.line, '$.headers.Signature'),
          coalesce(json_extract(new.line, '$.body.body.oxpay_txn_id'),
                   json_extract(json_extract(new.line, '$.body'), '$.body.oxpay_txn_id')),
          coalesce(json_extract(new.line, '$.body.body.transaction_state'),
                   json_extract(json_extract(new.line, '$.body'), '$.body.transaction_state')),
          coalesce(json_extract(new.line, '$.body.body.transaction_currency'),
                   json_extract(json_extract(new.line, '$.body'), '$.body.transaction_currency')),
          coalesce(json_extract(new.line, '$.body.body.transaction_amount'),
                   json_extract(json_extract(new.line, '$.body'), '$.body.transaction_amount')),
          coalesce(json_extract(new.line, '$.body.body.refund_amount'),
                   json_extract(json_extract(new.line, '$.body'), '$.body.refund_amount'), 0));
END;
.mode ascii
.separator "\037" "\n"
.import webhooks.jsonl webhook_jsonl
.mode list
.separator "|" "\n"
INSERT INTO marks VALUES ('import webhooks.jsonl', julianday('now'));

-- 3. The API side: one pass over each of recon's tables, keeping the
-- columns the match needs (the tables hold each row's raw JSON inline, so
-- every scan of them is wide: read once, then work on narrow copies).
CREATE TABLE orders AS SELECT uid, currency, amount_minor AS amount FROM r.orders;
CREATE TABLE links AS SELECT order_uid, status FROM r.payment_links;
CREATE TABLE txn AS
SELECT oxpay_txn_id AS txn_id, oxpay_original_txn_id AS original_id,
       CASE WHEN type = 'REFUND' THEN 'REFUND' ELSE 'SALE' END AS kind,
       merchant_reference_id AS ref, state, currency,
       amount_minor AS amount, refund_amount_minor AS refund_amount
FROM r.transactions;
INSERT INTO marks VALUES ('read recon.db', julianday('now'));

-- 4. Index what the joins look up.
CREATE UNIQUE INDEX orders_uid ON orders (uid);
CREATE INDEX links_order ON links (order_uid, status);
CREATE UNIQUE INDEX txn_id ON txn (txn_id);
CREATE INDEX txn_ref ON txn (ref, kind, state);
CREATE INDEX webhook_txn ON webhook (txn_id, received_at, seq);
CREATE INDEX ledger_reference ON ledger (reference);

-- Transactions that settle, and on which side of the ledger: a sale the
-- gateway took (a voided one never settles), or a refund paid out.
CREATE TABLE settling AS
SELECT txn_id, ref, currency,
       CASE WHEN kind = 'REFUND' THEN refund_amount ELSE amount END AS amount,
       kind = 'REFUND' AS is_debit
FROM txn
WHERE (kind = 'SALE' AND state IN ('success', 'captured', 'sale'))
   OR (kind = 'REFUND' AND state IN ('refunded', 'success'));
CREATE UNIQUE INDEX settling_txn ON settling (txn_id);
CREATE INDEX settling_ref ON settling (ref, is_debit);
INSERT INTO marks VALUES ('index', julianday('now'));

-- 5. Join and count.

-- Each ledger line to the transaction it books: its reference as an
-- oxpay_txn_id, else as the merchant reference of the one transaction
-- settling on that side (two candidates: no match).
CREATE TABLE ledger_match AS
SELECT l.line, l.currency, l.debit_minor + l.credit_minor AS amount,
       coalesce(byid.txn_id,
                (SELECT min(s.txn_id) FROM settling s
                  WHERE s.ref = l.reference AND s.is_debit = (l.debit_minor > 0)
                 HAVING count(*) = 1)) AS txn_id
FROM ledger l
LEFT JOIN settling byid ON byid.txn_id = l.reference;
CREATE INDEX ledger_match_txn ON ledger_match (txn_id);

-- The latest delivery of each transaction that carries a signature.
CREATE TABLE latest_webhook AS
SELECT txn_id, state, currency, amount, refund_amount FROM (
  SELECT w.*, row_number() OVER (PARTITION BY txn_id ORDER BY received_at DESC, seq DESC) AS k
  FROM webhook w WHERE signature IS NOT NULL AND signature <> '')
WHERE k = 1;

-- Sales per order as the gateway sees them: paid (a void reverses a
-- payment that happened) and taken (not voided).
CREATE TABLE order_sales AS
SELECT ref AS order_uid,
       sum(state IN ('success', 'captured', 'sale', 'voided')) AS paid,
       sum(state IN ('success', 'captured', 'sale')) AS taken
FROM txn WHERE kind = 'SALE'
GROUP BY ref;
CREATE UNIQUE INDEX order_sales_uid ON order_sales (order_uid);

CREATE TEMP TABLE counts (category TEXT, n INTEGER);

INSERT INTO counts
SELECT 'ORDER_PAID_NO_TRANSACTION', count(*)
FROM links l
WHERE l.status = 'paid'
  AND NOT EXISTS (SELECT 1 FROM txn t WHERE t.ref = l.order_uid);

INSERT INTO counts
SELECT 'TRANSACTION_NO_ORDER', count(*)
FROM txn t
WHERE t.kind = 'SALE' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.uid = t.ref);

-- A paid sale for another amount than its order, or refunds adding up to
-- more than their sale.
INSERT INTO counts
SELECT 'AMOUNT_MISMATCH',
       (SELECT count(*) FROM txn t JOIN orders o ON o.uid = t.ref
         WHERE t.kind = 'SALE' AND t.state IN ('success', 'captured', 'sale', 'voided')
           AND t.currency = o.currency AND t.amount <> o.amount)
     + (SELECT count(*) FROM (
          SELECT sum(rf.refund_amount) AS refunded, s.amount
          FROM txn rf JOIN txn s ON s.txn_id = rf.original_id
          WHERE rf.kind = 'REFUND' AND rf.state IN ('refunded', 'success')
          GROUP BY rf.original_id HAVING refunded > s.amount));

-- Xepeng and the gateway disagree on whether the order was paid: a paid
-- link whose sales all failed, or a paid sale for an order whose link is
-- not paid (or that has no link).
INSERT INTO counts
SELECT 'STATUS_MISMATCH',
       (SELECT count(*) FROM links l JOIN order_sales os ON os.order_uid = l.order_uid
         WHERE l.status = 'paid' AND os.paid = 0)
     + (SELECT count(*) FROM order_sales os JOIN orders o ON o.uid = os.order_uid
         WHERE os.paid > 0
           AND NOT EXISTS (SELECT 1 FROM links l WHERE l.order_uid = os.order_uid AND l.status = 'paid'));

INSERT INTO counts
SELECT 'DUPLICATE_PAYMENT', coalesce(sum(taken - 1), 0) FROM order_sales WHERE taken > 1;

INSERT INTO counts
SELECT 'WEBHOOK_MISSING', count(*)
FROM txn t
WHERE NOT EXISTS (SELECT 1 FROM webhook w WHERE w.txn_id = t.txn_id);

-- sqlite3 has no HMAC, so a wrong signature cannot be told from a right
-- one: only deliveries without a Signature header are caught.
INSERT INTO counts
SELECT 'WEBHOOK_BAD_SIGNATURE', count(DISTINCT txn_id)
FROM webhook WHERE signature IS NULL OR signature = '';

INSERT INTO counts
SELECT 'WEBHOOK_STATE_MISMATCH', count(*)
FROM latest_webhook w JOIN txn t ON t.txn_id = w.txn_id
WHERE w.state <> t.state;

INSERT INTO counts
SELECT 'WEBHOOK_AMOUNT_MISMATCH', count(*)
FROM latest_webhook w JOIN txn t ON t.txn_id = w.txn_id
WHERE w.amount <> t.amount OR w.refund_amount <> t.refund_amount;

INSERT INTO counts
SELECT 'LEDGER_MISSING', count(*)
FROM settling s
WHERE NOT EXISTS (SELECT 1 FROM ledger_match m WHERE m.txn_id = s.txn_id);

INSERT INTO counts
SELECT 'LEDGER_UNMATCHED', count(*) FROM ledger_match WHERE txn_id IS NULL;

INSERT INTO counts
SELECT 'LEDGER_AMOUNT_MISMATCH', count(DISTINCT m.txn_id)
FROM ledger_match m JOIN settling s ON s.txn_id = m.txn_id
WHERE m.amount <> s.amount;

INSERT INTO counts
SELECT 'LEDGER_DUPLICATE', count(*) FROM (
  SELECT txn_id FROM ledger_match WHERE txn_id IS NOT NULL GROUP BY txn_id HAVING count(*) > 1);

INSERT INTO counts
SELECT 'CURRENCY_MISMATCH',
       (SELECT count(*) FROM txn t JOIN orders o ON o.uid = t.ref
         WHERE t.kind = 'SALE' AND t.state IN ('success', 'captured', 'sale', 'voided')
           AND t.currency <> o.currency)
     + (SELECT count(*) FROM ledger_match m JOIN settling s ON s.txn_id = m.txn_id
         WHERE m.currency <> s.currency);
INSERT INTO marks VALUES ('join and count', julianday('now'));

-- What was read, then the time of each step and the counts.
SELECT 'rows ledger ' || (SELECT count(*) FROM ledger);
SELECT 'rows webhooks ' || (SELECT count(*) FROM webhook);
SELECT 'rows transactions ' || (SELECT count(*) FROM txn);
SELECT 'rows orders ' || (SELECT count(*) FROM orders);
SELECT 'step ' || replace(step, ' ', '_') || ' ' ||
       printf('%.3f', (t - lag(t) OVER (ORDER BY rowid)) * 86400.0)
FROM marks ORDER BY rowid LIMIT -1 OFFSET 1;
SELECT 'count ' || category || ' ' || n FROM counts ORDER BY rowid;
