-- 0009: every row belongs to a merchant (store/sqlite's 0009 says why).
-- Every table gets a merchant column, rows stored before are the
-- 'default' merchant's, and every key includes it: the primary keys
-- (the identities too, so that a table distributed by merchant keeps
-- them unique), the natural unique keys, and the foreign keys to runs,
-- which become (merchant, run_id) (the results' is dropped, below). The secondary indexes lead with it.
-- docs/scaling.md says how the tables can be distributed by it.

ALTER TABLE input_files DROP CONSTRAINT input_files_run_id_fkey;
ALTER TABLE input_errors DROP CONSTRAINT input_errors_run_id_fkey;
ALTER TABLE match_results DROP CONSTRAINT match_results_run_id_fkey;
ALTER TABLE exceptions DROP CONSTRAINT exceptions_run_id_fkey;
ALTER TABLE exception_history DROP CONSTRAINT exception_history_run_id_fkey;

ALTER TABLE runs ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE runs DROP CONSTRAINT runs_pkey, ADD PRIMARY KEY (merchant, id);
DROP INDEX runs_command_status;
CREATE INDEX runs_command_status ON runs (merchant, command, status, started_at);

ALTER TABLE orders ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (merchant, uid);
CREATE INDEX orders_load_order ON orders (merchant, load_order);

ALTER TABLE payment_links ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE payment_links DROP CONSTRAINT payment_links_pkey, ADD PRIMARY KEY (merchant, uid);
DROP INDEX payment_links_order_uid;
CREATE INDEX payment_links_order_uid ON payment_links (merchant, order_uid);
CREATE INDEX payment_links_load_order ON payment_links (merchant, load_order);

ALTER TABLE transactions ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE transactions DROP CONSTRAINT transactions_pkey, ADD PRIMARY KEY (merchant, oxpay_txn_id);
DROP INDEX transactions_merchant_reference_id;
DROP INDEX transactions_original_txn_id;
CREATE INDEX transactions_merchant_reference_id ON transactions (merchant, merchant_reference_id);
CREATE INDEX transactions_original_txn_id ON transactions (merchant, oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';
CREATE INDEX transactions_load_order ON transactions (merchant, load_order);

ALTER TABLE webhook_events ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey, ADD PRIMARY KEY (merchant, id);
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_delivery_key_key, ADD UNIQUE (merchant, delivery_key);
DROP INDEX webhook_events_txn_id;
DROP INDEX webhook_events_original_txn_id;
DROP INDEX webhook_events_sig_invalid;
CREATE INDEX webhook_events_txn_id ON webhook_events (merchant, oxpay_txn_id);
CREATE INDEX webhook_events_original_txn_id ON webhook_events (merchant, oxpay_original_txn_id) WHERE oxpay_original_txn_id <> '';
CREATE INDEX webhook_events_sig_invalid ON webhook_events (merchant, key_fp) WHERE sig_check = 'invalid';

ALTER TABLE ledger_entries ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey, ADD PRIMARY KEY (merchant, id);
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_row_hash_key, ADD UNIQUE (merchant, row_hash);
DROP INDEX ledger_entries_reference;
CREATE INDEX ledger_entries_reference ON ledger_entries (merchant, reference);

ALTER TABLE input_files ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE input_files DROP CONSTRAINT input_files_pkey, ADD PRIMARY KEY (merchant, id);
ALTER TABLE input_files DROP CONSTRAINT input_files_kind_sha256_key, ADD UNIQUE (merchant, kind, sha256);
ALTER TABLE input_files ADD FOREIGN KEY (merchant, run_id) REFERENCES runs (merchant, id);

ALTER TABLE input_errors ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE input_errors DROP CONSTRAINT input_errors_pkey, ADD PRIMARY KEY (merchant, id);
ALTER TABLE input_errors DROP CONSTRAINT input_errors_source_file_line_reason_key, ADD UNIQUE (merchant, source, file, line, reason);
ALTER TABLE input_errors ADD FOREIGN KEY (merchant, run_id) REFERENCES runs (merchant, id);

ALTER TABLE match_results ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE match_results DROP CONSTRAINT match_results_pkey, ADD PRIMARY KEY (merchant, id);
DROP INDEX match_results_run_id;
CREATE INDEX match_results_run_id ON match_results (merchant, run_id);
-- No foreign key to runs for the results: PostgreSQL checks one per row
-- with a lock on the run's row, which took 5.6 s of a million results'
-- 9.6 s of writing. A run's results are written by the run itself, and
-- runs are never deleted (SQLite, whose check is a lookup, keeps its).

ALTER TABLE exceptions ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE exceptions DROP CONSTRAINT exceptions_pkey, ADD PRIMARY KEY (merchant, id);
DROP INDEX exceptions_run_id;
CREATE INDEX exceptions_run_id ON exceptions (merchant, run_id, category);
ALTER TABLE exceptions ADD FOREIGN KEY (merchant, run_id) REFERENCES runs (merchant, id);

ALTER TABLE exception_history ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE exception_history DROP CONSTRAINT exception_history_pkey, ADD PRIMARY KEY (merchant, run_id, exception_key);
ALTER TABLE exception_history ADD FOREIGN KEY (merchant, run_id) REFERENCES runs (merchant, id);

ALTER TABLE fetch_cursors ADD COLUMN merchant TEXT COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE fetch_cursors DROP CONSTRAINT fetch_cursors_pkey, ADD PRIMARY KEY (merchant, list);
