-- 0003: open exceptions carried from one run to the next, and the fetch
-- cursors (store/sqlite's 0003 says how they are used).
CREATE TABLE exception_history (
    run_id        BIGINT NOT NULL REFERENCES runs (id),
    exception_key TEXT   COLLATE "C" NOT NULL,
    first_seen    TEXT   COLLATE "C" NOT NULL, -- YYYY-MM-DD, a business date
    PRIMARY KEY (run_id, exception_key)
);

CREATE TABLE fetch_cursors (
    list        TEXT        COLLATE "C" PRIMARY KEY, -- orders, payment_links
    newest      TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
