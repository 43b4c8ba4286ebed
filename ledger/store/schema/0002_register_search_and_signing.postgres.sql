-- Tables and indexes added after the baseline: the ELMO signing certificate, the status-list
-- index counter, and the public register's indexed columns with its substring search; the
-- read models whose documents changed are rebuilt.

-- The certificate that signs ELMO reports (ledger/store/certificates.py): one current one,
-- whatever races between processes starting together.
CREATE TABLE IF NOT EXISTS xml_signing_keys (key_id TEXT PRIMARY KEY, certificate_pem TEXT NOT NULL, sealed_private_key bytea NOT NULL, created_at TEXT NOT NULL, retired_at TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS xml_signing_keys_current ON xml_signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

-- The counter that hands out status-list indexes in blocks (ledger/store/status_indexes.py).
CREATE TABLE IF NOT EXISTS status_index_counter (name TEXT PRIMARY KEY, next_value bigint NOT NULL);

-- The register (ledger/projections/register.py) keeps the columns its search selects and orders
-- by (ledger/register_search.py). A read model: the old table is dropped and made anew, and the
-- projection starts again from the first event (in-process runner and Kafka projectors alike).
-- Its shadow rebuild (ledger/projections/rebuild.py) makes the same statements from the
-- projection's declaration.
DROP TABLE IF EXISTS rm_register;
CREATE TABLE IF NOT EXISTS rm_register (key TEXT PRIMARY KEY, owner TEXT, position bigint NOT NULL, doc TEXT NOT NULL, kind_of_entry TEXT, sort_key TEXT, search TEXT, provider_id TEXT, isced_f TEXT, eqf_level bigint, ects double precision, language TEXT, participation_form TEXT, status TEXT, window_from TEXT, window_until TEXT, window_ended TEXT);
CREATE INDEX IF NOT EXISTS rm_register_owner ON rm_register (owner);
CREATE INDEX IF NOT EXISTS rm_register_listing ON rm_register (kind_of_entry, sort_key, key);
CREATE INDEX IF NOT EXISTS rm_register_by_provider ON rm_register (provider_id, kind_of_entry, sort_key, key);
CREATE INDEX IF NOT EXISTS rm_register_by_eqf ON rm_register (kind_of_entry, eqf_level, sort_key, key);
CREATE INDEX IF NOT EXISTS rm_register_by_isced ON rm_register (kind_of_entry, isced_f, sort_key, key);
CREATE INDEX IF NOT EXISTS rm_register_by_position ON rm_register (position);

-- Substring search: pg_trgm's GIN index on `search` (LIKE '%...%' uses it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS rm_register_search_trgm ON rm_register USING gin (search gin_trgm_ops);
UPDATE rm_positions SET position = 0 WHERE projection = 'register';
DELETE FROM projector_offsets WHERE projection = 'register';

-- The transcripts' credentials carry their status-list index (ledger/projections/transcripts.py):
-- the read model is emptied and rebuilt from the first event, like the register.
DELETE FROM rm_transcripts;
UPDATE rm_positions SET position = 0 WHERE projection = 'transcripts';
DELETE FROM projector_offsets WHERE projection = 'transcripts';
