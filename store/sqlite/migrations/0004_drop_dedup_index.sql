-- 0004: drop the index on webhook_events.dedup_key.
--
-- No query looks a delivery up by its dedup key: the matching engine
-- reads the whole table and groups redeliveries in memory, and the
-- report's COUNT(DISTINCT dedup_key) per currency cannot use it. Keeping
-- it cost about a sixth of the CPU of a million-delivery ingest: each
-- insert lands at a random place in an index keyed by a hash.
DROP INDEX IF EXISTS webhook_events_dedup_key;
