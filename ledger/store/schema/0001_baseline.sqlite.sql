-- The schema as the last unversioned release created it (27 CREATE ... IF NOT EXISTS statements
-- in 11 modules), so that an existing store adopts version 1 in place. The events table itself,
-- stored_events, is eventsourcing's own and is created by the library before migrations run.

-- The hash chain over the events (ledger/audit/chain.py).
CREATE TABLE IF NOT EXISTS event_chain (position INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL, chain_hash BLOB NOT NULL);

-- The personal-data vault (ledger/store/vault.py).
CREATE TABLE IF NOT EXISTS learner_vault (learner_id TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL, ciphertext BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS learner_national_ids (digest TEXT PRIMARY KEY, learner_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS learner_national_ids_learner ON learner_national_ids (learner_id);

-- Principals (ledger/store/principals.py).
CREATE TABLE IF NOT EXISTS principals (id TEXT PRIMARY KEY, token_digest TEXT UNIQUE NOT NULL, role TEXT NOT NULL, scope TEXT, name TEXT, created_at TEXT NOT NULL);

-- Rows written in the appending transaction (ledger/store/side_tables.py).
CREATE TABLE IF NOT EXISTS idempotency_keys (principal_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (principal_id, key));
CREATE TABLE IF NOT EXISTS credential_index (credential_id TEXT PRIMARY KEY, learner_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency_subjects (learner_id TEXT NOT NULL, principal_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (learner_id, principal_id, key));

-- Signing keys (ledger/store/keys.py).
CREATE TABLE IF NOT EXISTS signing_keys (key_id TEXT PRIMARY KEY, owner TEXT NOT NULL, public_key TEXT NOT NULL, sealed_private_key BLOB NOT NULL, created_at TEXT NOT NULL, retired_at TEXT);
CREATE INDEX IF NOT EXISTS signing_keys_owner ON signing_keys (owner);
CREATE UNIQUE INDEX IF NOT EXISTS signing_keys_current ON signing_keys (owner) WHERE retired_at IS NULL;

-- Signed checkpoints of the chain (ledger/audit/checkpoints.py).
CREATE TABLE IF NOT EXISTS audit_checkpoints (position INTEGER PRIMARY KEY, chain_hash BLOB NOT NULL, signed_at INTEGER NOT NULL, key_id TEXT NOT NULL, signature BLOB NOT NULL);

-- Append-only by trigger: the events, the chain, the checkpoints (ledger/store/recorders.py).
CREATE TRIGGER IF NOT EXISTS stored_events_no_update BEFORE UPDATE ON stored_events BEGIN SELECT RAISE(ABORT, 'stored_events is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS stored_events_no_delete BEFORE DELETE ON stored_events BEGIN SELECT RAISE(ABORT, 'stored_events is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS event_chain_no_update BEFORE UPDATE ON event_chain BEGIN SELECT RAISE(ABORT, 'event_chain is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS event_chain_no_delete BEFORE DELETE ON event_chain BEGIN SELECT RAISE(ABORT, 'event_chain is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END;

-- Read models (ledger/projections/store.py): positions, then one table per projection.
CREATE TABLE IF NOT EXISTS rm_positions (projection TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rm_transcripts (key TEXT PRIMARY KEY, owner TEXT, position INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rm_transcripts_owner ON rm_transcripts (owner);
CREATE TABLE IF NOT EXISTS rm_register (key TEXT PRIMARY KEY, owner TEXT, position INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rm_register_owner ON rm_register (owner);
CREATE TABLE IF NOT EXISTS rm_status (key TEXT PRIMARY KEY, owner TEXT, position INTEGER NOT NULL, doc TEXT NOT NULL, status_list INTEGER, status TEXT);
CREATE INDEX IF NOT EXISTS rm_status_owner ON rm_status (owner);
CREATE INDEX IF NOT EXISTS rm_status_status_list ON rm_status (status_list, position);
CREATE INDEX IF NOT EXISTS rm_status_status ON rm_status (status, position);

-- The Kafka pipeline (ledger/kafka.py) and the exporter (services/exporter).
CREATE TABLE IF NOT EXISTS relay_positions (topic TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS relay_watermarks (topic TEXT NOT NULL, position INTEGER NOT NULL, offsets TEXT NOT NULL, PRIMARY KEY (topic, position));
CREATE TABLE IF NOT EXISTS projector_offsets (projection TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (projection, topic, partition));
CREATE TABLE IF NOT EXISTS export_manifests (learner_id TEXT PRIMARY KEY, position INTEGER NOT NULL, manifest TEXT NOT NULL);
