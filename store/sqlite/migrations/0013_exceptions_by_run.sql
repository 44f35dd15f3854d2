-- 0013: a run's exceptions are read in the order they were written.
--
-- Every read of a run's exceptions (the next night's plan, the
-- workbook, the list of those resolved) asks for them by merchant and
-- run in id order. The index by run and category gave them in category
-- order, so SQLite sorted each run's rows in a temporary B-tree: at a
-- month's 120,000 open exceptions, half the time of the read. Indexed
-- by merchant and run, the entries of a run lie in row id order, which
-- is the order asked for; nothing reads a run's exceptions by category.
DROP INDEX exceptions_run_id;
CREATE INDEX exceptions_run_id ON exceptions (merchant, run_id);
