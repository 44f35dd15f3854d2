-- 0014: the report's facts kept with a carried exception (store/sqlite's
-- 0014 says why): copied from the run it was carried from (facts = 1),
-- looked up for the exceptions a run found itself (facts = 0).
ALTER TABLE exceptions ADD COLUMN facts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exceptions ADD COLUMN payment_url TEXT COLLATE "C";
ALTER TABLE exceptions ADD COLUMN order_created_at TIMESTAMPTZ;
ALTER TABLE exceptions ADD COLUMN link_paid_at TIMESTAMPTZ;
ALTER TABLE exceptions ADD COLUMN webhook_received_at TIMESTAMPTZ;
ALTER TABLE exceptions ADD COLUMN ledger_booked_on DATE;
ALTER TABLE exceptions ADD COLUMN ledger_currency TEXT COLLATE "C";
ALTER TABLE exceptions ADD COLUMN ledger_minor BIGINT;
