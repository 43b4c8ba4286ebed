-- The schema as the last unversioned release created it (27 CREATE ... IF NOT EXISTS statements
-- in 11 modules), so that an existing store adopts version 1 in place. The events table itself,
-- ledger_events, is eventsourcing's own and is created by the library before migrations run.

-- The hash chain over the events (ledger/audit/chain.py).
CREATE TABLE IF NOT EXISTS event_chain (position bigint PRIMARY KEY, recorded_at bigint NOT NULL, chain_hash bytea NOT NULL);

-- The personal-data vault (ledger/store/vault.py).
CREATE TABLE IF NOT EXISTS learner_vault (learner_id TEXT PRIMARY KEY, wrapped_key bytea NOT NULL, ciphertext bytea NOT NULL);
CREATE TABLE IF NOT EXISTS learner_national_ids (digest TEXT PRIMARY KEY, learner_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS learner_national_ids_learner ON learner_national_ids (learner_id);

-- Principals (ledger/store/principals.py).
CREATE TABLE IF NOT EXISTS principals (id TEXT PRIMARY KEY, token_digest TEXT UNIQUE NOT NULL, role TEXT NOT NULL, scope TEXT, name TEXT, created_at TEXT NOT NULL);

-- Rows written in the appending transaction (ledger/store/side_tables.py).
CREATE TABLE IF NOT EXISTS idempotency_keys (principal_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (principal_id, key));
CREATE TABLE IF NOT EXISTS credential_index (credential_id TEXT PRIMARY KEY, learner_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency_subjects (learner_id TEXT NOT NULL, principal_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (learner_id, principal_id, key));

-- Signing keys (ledger/store/keys.py).
CREATE TABLE IF NOT EXISTS signing_keys (key_id TEXT PRIMARY KEY, owner TEXT NOT NULL, public_key TEXT NOT NULL, sealed_private_key bytea NOT NULL, created_at TEXT NOT NULL, retired_at TEXT);
CREATE INDEX IF NOT EXISTS signing_keys_owner ON signing_keys (owner);
CREATE UNIQUE INDEX IF NOT EXISTS signing_keys_current ON signing_keys (owner) WHERE retired_at IS NULL;

-- Signed checkpoints of the chain (ledger/audit/checkpoints.py).
CREATE TABLE IF NOT EXISTS audit_checkpoints (position bigint PRIMARY KEY, chain_hash bytea NOT NULL, signed_at bigint NOT NULL, key_id TEXT NOT NULL, signature bytea NOT NULL);

-- Append-only by trigger: the events, the chain, the checkpoints (ledger/store/recorders.py).
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$;
CREATE OR REPLACE TRIGGER ledger_events_no_change BEFORE UPDATE OR DELETE ON ledger_events FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER event_chain_no_change BEFORE UPDATE OR DELETE ON event_chain FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER event_chain_no_truncate BEFORE TRUNCATE ON event_chain FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Read models (ledger/projections/store.py): positions, then one table per projection.
CREATE TABLE IF NOT EXISTS rm_positions (projection TEXT PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE IF NOT EXISTS rm_transcripts (key TEXT PRIMARY KEY, owner TEXT, position bigint NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rm_transcripts_owner ON rm_transcripts (owner);
CREATE TABLE IF NOT EXISTS rm_register (key TEXT PRIMARY KEY, owner TEXT, position bigint NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rm_register_owner ON rm_register (owner);
CREATE TABLE IF NOT EXISTS rm_status (key TEXT PRIMARY KEY, owner TEXT, position bigint NOT NULL, doc TEXT NOT NULL, status_list bigint, status TEXT);
CREATE INDEX IF NOT EXISTS rm_status_owner ON rm_status (owner);
CREATE INDEX IF NOT EXISTS rm_status_status_list ON rm_status (status_list, position);
CREATE INDEX IF NOT EXISTS rm_status_status ON rm_status (status, position);

-- The Kafka pipeline (ledger/kafka.py) and the exporter (services/exporter).
CREATE TABLE IF NOT EXISTS relay_positions (topic TEXT PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE IF NOT EXISTS relay_watermarks (topic TEXT NOT NULL, position bigint NOT NULL, offsets TEXT NOT NULL, PRIMARY KEY (topic, position));
CREATE TABLE IF NOT EXISTS projector_offsets (projection TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset bigint NOT NULL, PRIMARY KEY (projection, topic, partition));
CREATE TABLE IF NOT EXISTS export_manifests (learner_id TEXT PRIMARY KEY, position bigint NOT NULL, manifest TEXT NOT NULL);
