-- 0010: finance's decisions on exceptions, an append-only history
-- (store/sqlite's 0010 says why and what each column holds). The
-- exception key is looked up through a hash index: a key joins every
-- reference of the exception and may pass a btree entry's 2,704 bytes.
-- A trigger refuses UPDATE, DELETE and TRUNCATE.
CREATE TABLE decisions (
    merchant         TEXT COLLATE "C" NOT NULL,
    seq              BIGINT           NOT NULL,
    exception_key    TEXT COLLATE "C" NOT NULL,
    category         TEXT COLLATE "C" NOT NULL,
    business_date    TEXT COLLATE "C" NOT NULL,
    run_id           BIGINT           NOT NULL,
    currency         TEXT COLLATE "C" NOT NULL,
    expected_minor   BIGINT           NOT NULL,
    actual_minor     BIGINT           NOT NULL,
    difference_minor BIGINT           NOT NULL,
    decision         TEXT COLLATE "C" NOT NULL,
    note             TEXT COLLATE "C" NOT NULL,
    previous         TEXT COLLATE "C" NOT NULL,
    decided_by       TEXT COLLATE "C" NOT NULL,
    decided_at       TIMESTAMPTZ      NOT NULL,
    source_file      TEXT COLLATE "C" NOT NULL,
    source_sha256    TEXT COLLATE "C" NOT NULL,
    prev_hash        TEXT COLLATE "C" NOT NULL,
    hash             TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (merchant, seq)
);
CREATE INDEX decisions_exception_key ON decisions USING hash (exception_key);
CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: record a new decision instead';
END
$$;
CREATE TRIGGER decisions_no_change BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
