-- 0004: no query looks a delivery up by its dedup key (store/sqlite's
-- 0004).
DROP INDEX IF EXISTS webhook_events_dedup_key;
