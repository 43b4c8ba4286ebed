-- "Add to wallet" (ledger/wallet.py): one row per offer a learner makes, the state of its
-- VC-API exchange. The exchange id in the offer's URL is a bearer secret: only its SHA-256
-- digest is stored. No credential content: the credentials are built and signed when the
-- wallet collects them. `holder` is the DID the wallet authenticated with, so that the
-- learner can see where their credentials went.
CREATE TABLE IF NOT EXISTS wallet_exchanges (
    id TEXT PRIMARY KEY,
    exchange_digest TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    credential_ids TEXT,
    challenge TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    requested_at TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at TEXT,
    holder TEXT,
    delivered_count INTEGER
);
CREATE INDEX IF NOT EXISTS wallet_exchanges_by_learner ON wallet_exchanges (learner_id, created_at);
