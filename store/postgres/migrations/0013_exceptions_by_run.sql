-- 0013: a run's exceptions are read in the order they were written
-- (store/sqlite's 0013 says why): indexed by merchant, run and id, the
-- server reads them in that order instead of sorting them.
DROP INDEX exceptions_run_id;
CREATE INDEX exceptions_run_id ON exceptions (merchant, run_id, id);
