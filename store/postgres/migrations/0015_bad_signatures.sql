-- 0015: a run's bad-signature exceptions found without reading the rest
-- (store/sqlite's 0015 says why); indexed by merchant, run and id, in
-- the order they are read.
CREATE INDEX exceptions_bad_signature ON exceptions (merchant, run_id, id) WHERE category = 'WEBHOOK_BAD_SIGNATURE';
