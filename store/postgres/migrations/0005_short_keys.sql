-- 0005: the unique keys of webhook events and ledger entries cut to 128
-- bits, as ingest writes them (store/sqlite's 0005).
UPDATE webhook_events SET delivery_key = substr(delivery_key, 1, 32) WHERE length(delivery_key) > 32;
UPDATE ledger_entries SET row_hash = substr(row_hash, 1, 32) WHERE length(row_hash) > 32;
