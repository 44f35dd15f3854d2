-- 0008: a webhook delivery's signature verdict can be made again
-- (store/sqlite's 0008): the Signature header as received, the
-- fingerprint of the key the verdict was made with, and a partial index
-- of the failed deliveries alone.
ALTER TABLE webhook_events ADD COLUMN signature TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN key_fp TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX webhook_events_sig_invalid ON webhook_events (key_fp) WHERE sig_check = 'invalid';
