-- Share links, the notes of access grants and the disclosure log (issue 12).
-- share_links: a learner's links to chosen credentials (or the whole CLR). Only a keyed digest
-- of the link's secret is stored (ledger/store/share_links.py); the audience label (like a
-- grant's note) is the learner's free text, stored sealed (AES-GCM, base64), so links stay out
-- of the events and are erased with the learner.
CREATE TABLE IF NOT EXISTS share_links (id TEXT PRIMARY KEY, learner_id TEXT NOT NULL, secret_digest TEXT NOT NULL UNIQUE, credential_ids TEXT, audience TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT);
CREATE INDEX IF NOT EXISTS share_links_by_learner ON share_links (learner_id, created_at);
-- A grant's optional note (the grant itself is an event: LearnerRecord.AccessGranted).
CREATE TABLE IF NOT EXISTS access_grant_notes (grant_id TEXT PRIMARY KEY, learner_id TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS access_grant_notes_by_learner ON access_grant_notes (learner_id);
-- Every read of a learner's record by someone else: ids only, append-only.
CREATE TABLE IF NOT EXISTS disclosures (id bigserial PRIMARY KEY, learner_id TEXT NOT NULL, at TEXT NOT NULL, principal_id TEXT, role TEXT NOT NULL, organisation_id TEXT, grant_id TEXT, link_id TEXT, what TEXT NOT NULL, credential_ids TEXT);
CREATE INDEX IF NOT EXISTS disclosures_by_learner ON disclosures (learner_id, id);
CREATE OR REPLACE TRIGGER disclosures_no_change BEFORE UPDATE OR DELETE ON disclosures FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE OR REPLACE TRIGGER disclosures_no_truncate BEFORE TRUNCATE ON disclosures FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
