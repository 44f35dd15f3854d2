-- 0014: the report's facts kept with a carried exception.
--
-- The workbook shows beside each open exception facts of the rows it
-- names: the payment link's URL and payment time, the order's creation
-- time, the first delivery's receipt time, the first ledger line's
-- booking date, currency and amount. Looked up for every exception of a
-- run, they cost four reads an exception into tables that hold a month
-- of history, each in another page: at 120,000 open exceptions, half of
-- a late night's report. A carried exception names only rows the night
-- did not reach, so its facts are those of the run it was carried from:
-- the run copies them with it (facts = 1) and the report looks up only
-- the facts of the exceptions the run found itself (facts = 0).
ALTER TABLE exceptions ADD COLUMN facts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exceptions ADD COLUMN payment_url TEXT;
ALTER TABLE exceptions ADD COLUMN order_created_at TIMESTAMP;
ALTER TABLE exceptions ADD COLUMN link_paid_at TIMESTAMP;
ALTER TABLE exceptions ADD COLUMN webhook_received_at TIMESTAMP;
ALTER TABLE exceptions ADD COLUMN ledger_booked_on DATE;
ALTER TABLE exceptions ADD COLUMN ledger_currency TEXT;
ALTER TABLE exceptions ADD COLUMN ledger_minor INTEGER;
