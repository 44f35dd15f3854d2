-- 0005: the unique keys of webhook events and ledger entries cut to
-- 128 bits.
--
-- delivery_key and row_hash were the whole SHA-256 in hex, 64 digits;
-- ingest now writes its first 32 (see ingest.keyBytes: a collision
-- stays out of reach, and the unique index, where every insert lands at
-- a random place, is half the size). Rows stored before are cut the same
-- way, so that a log or an export ingested again after the upgrade still
-- finds its rows and adds nothing. Plain SQL: runs on PostgreSQL too.
UPDATE webhook_events SET delivery_key = substr(delivery_key, 1, 32) WHERE length(delivery_key) > 32;
UPDATE ledger_entries SET row_hash = substr(row_hash, 1, 32) WHERE length(row_hash) > 32;
