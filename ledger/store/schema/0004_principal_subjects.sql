-- People sign in with OpenID Connect (services/web/signin.py): each (issuer, subject) of an
-- OpenID Provider is bound to one principal (`ledger principals bind`). A subject may be a
-- personal number at a national eID: erasure deletes the learner's bindings with their
-- principals (ledger/store/principals.py).
CREATE TABLE IF NOT EXISTS principal_subjects (issuer TEXT NOT NULL, subject TEXT NOT NULL, principal_id TEXT NOT NULL, bound_at TEXT NOT NULL, PRIMARY KEY (issuer, subject));
CREATE INDEX IF NOT EXISTS principal_subjects_principal ON principal_subjects (principal_id);
