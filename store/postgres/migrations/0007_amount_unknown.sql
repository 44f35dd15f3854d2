-- 0007: an order's total or a link's amount may be unknown: stored as
-- NULL beside amount_problem, the field it was read from in
-- amount_source (store/sqlite's 0007). Rows stored before were read
-- from total_amount and amount.
ALTER TABLE orders ALTER COLUMN amount_minor DROP NOT NULL;
ALTER TABLE orders ADD COLUMN amount_source TEXT COLLATE "C" NOT NULL DEFAULT 'total_amount';
ALTER TABLE orders ALTER COLUMN amount_source SET DEFAULT '';
ALTER TABLE orders ADD COLUMN amount_problem TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE payment_links ALTER COLUMN amount_minor DROP NOT NULL;
ALTER TABLE payment_links ADD COLUMN amount_source TEXT COLLATE "C" NOT NULL DEFAULT 'amount';
ALTER TABLE payment_links ALTER COLUMN amount_source SET DEFAULT '';
ALTER TABLE payment_links ADD COLUMN amount_problem TEXT COLLATE "C" NOT NULL DEFAULT '';
