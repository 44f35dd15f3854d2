-- 0006: the unique keys of webhook events and ledger entries start with
-- the row's time, so that they sort by it (store/sqlite's 0006): the
-- second a delivery was received, in UTC, before 72 bits of its hash;
-- the day a ledger line was booked before 96 bits of its hash.
UPDATE webhook_events
SET delivery_key = to_char(received_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || substr(delivery_key, 1, 18)
WHERE length(delivery_key) = 32;
UPDATE ledger_entries
SET row_hash = to_char(booked_on, 'YYYYMMDD') || substr(row_hash, 1, 24)
WHERE length(row_hash) = 32;
