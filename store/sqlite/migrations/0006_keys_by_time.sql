-- 0006: the unique keys of webhook events and ledger entries start with
-- the row's time, so that they sort by it.
--
-- delivery_key and row_hash were the first 128 bits of a SHA-256 in hex.
-- Every insert into their unique indexes landed at a random page, in an
-- index that grows with every night ingested: past the page cache, each
-- one read a page back and wrote another out. Ingest now writes the
-- second a delivery was received (YYYYMMDDhhmmss, UTC) before the first
-- 72 bits of its hash, and the day a ledger line was booked (YYYYMMDD)
-- before the first 96 bits of its hash (see ingest.keyLen): a night's
-- rows go to the end of each index. Rows stored before are rewritten the
-- same way from their stored times, which go-sqlite3 wrote in UTC as
-- 'YYYY-MM-DD hh:mm:ss[.f]+00:00' and dates as 'YYYY-MM-DD', so that a
-- log or an export ingested again after the upgrade still finds its
-- rows and adds nothing. The LIKE guards leave a row stored in any other
-- form as it was: ingested again, it would be added once more, not lost.
-- Plain SQL.
UPDATE webhook_events
SET delivery_key = replace(replace(replace(substr(received_at, 1, 19), '-', ''), ' ', ''), ':', '') || substr(delivery_key, 1, 18)
WHERE received_at LIKE '____-__-__ __:__:__%+00:00' AND length(delivery_key) = 32;
UPDATE ledger_entries
SET row_hash = replace(substr(booked_on, 1, 10), '-', '') || substr(row_hash, 1, 24)
WHERE booked_on LIKE '____-__-__%' AND length(row_hash) = 32;
