-- 0008: a webhook delivery's signature verdict can be made again.
--
-- With a wrong OXPAY_SIGN_KEY every delivery was stored invalid, and a
-- later run with the right key changed nothing: the log was already
-- ingested and the verdicts stood. signature keeps the Signature header
-- as received and key_fp the fingerprint of the key the verdict was made
-- with (never the key), so a run with another key verifies the failed
-- deliveries again from the stored payload. Only failures are looked at
-- again, and only to pass: a delivery that verified under the key of its
-- day stays verified after the key is rotated. The partial index holds
-- the failed deliveries alone (few, in a healthy database), so finding
-- them costs nothing on a night where the key has not changed.
-- Deliveries stored before this version have no signature: ingest their
-- log again with `recon ingest webhooks --reverify` to verify them again.
ALTER TABLE webhook_events ADD COLUMN signature TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN key_fp TEXT NOT NULL DEFAULT '';
CREATE INDEX webhook_events_sig_invalid ON webhook_events (key_fp) WHERE sig_check = 'invalid';
