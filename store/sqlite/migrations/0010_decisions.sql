-- 0010: finance's decisions on exceptions, an append-only history.
--
-- Finance picks a decision for an exception in the workbook (open,
-- investigating, accepted, written off, fixed at source) with a note,
-- and `recon decisions import` reads it back. Each decision is a new
-- row: who made it, when, from which file (its SHA-256), the decision it
-- follows, and the money it was made on (the exception's amounts then:
-- when they change, an accepted exception reopens). The rows of a
-- merchant are numbered 1, 2, 3... (seq) and each holds the hash of the
-- one before (prev_hash) and its own (hash, over every other column), so
-- an edited history is found by `recon decisions verify`. The triggers
-- refuse an UPDATE or a DELETE: a decision is changed by a newer one.
-- A decision keys on the exception's key (recon.ExceptionKey), so it
-- follows the exception from night to night and survives a re-run of a
-- date.
CREATE TABLE decisions (
    merchant         TEXT      NOT NULL,
    seq              INTEGER   NOT NULL,
    exception_key    TEXT      NOT NULL,
    category         TEXT      NOT NULL,
    business_date    TEXT      NOT NULL, -- YYYY-MM-DD of the run decided on
    run_id           INTEGER   NOT NULL,
    currency         TEXT      NOT NULL,
    expected_minor   BIGINT    NOT NULL,
    actual_minor     BIGINT    NOT NULL,
    difference_minor BIGINT    NOT NULL,
    decision         TEXT      NOT NULL,
    note             TEXT      NOT NULL,
    previous         TEXT      NOT NULL, -- the exception's decision before, '' for none
    decided_by       TEXT      NOT NULL,
    decided_at       TIMESTAMP NOT NULL,
    source_file      TEXT      NOT NULL,
    source_sha256    TEXT      NOT NULL,
    prev_hash        TEXT      NOT NULL,
    hash             TEXT      NOT NULL,
    PRIMARY KEY (merchant, seq)
) WITHOUT ROWID;
CREATE INDEX decisions_exception_key ON decisions (merchant, exception_key, seq);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
