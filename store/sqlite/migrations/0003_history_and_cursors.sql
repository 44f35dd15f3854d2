-- 0003: open exceptions carried from one run to the next.
--
-- An exception has no id that survives a run (each run writes its own
-- rows), so it is known across runs by its key: the category and the
-- references it names (see ExceptionKey), never its amounts, which may
-- change while the break stays open. Each run that matched stores the
-- first date every key of its exceptions was seen: the date of the
-- previous run's row for the same key, or the run's own business date
-- for a new one. Age and "resolved since the last run" are read from
-- here and the previous run's rows.
CREATE TABLE exception_history (
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    exception_key TEXT    NOT NULL,
    first_seen    TEXT    NOT NULL, -- YYYY-MM-DD, a business date
    PRIMARY KEY (run_id, exception_key)
) WITHOUT ROWID;

-- Where each Xepeng list was read up to: the newest created_at among the
-- items of the last pull that committed. The next pull reads only the
-- pages from this point minus the configured look-back (see
-- fetch.Xepeng.OrdersSinceRaw), so it is written in the same transaction
-- as the rows it covers.
CREATE TABLE fetch_cursors (
    list        TEXT      PRIMARY KEY, -- orders, payment_links
    newest      TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
