-- Tokens expire and can be revoked (ledger/store/principals.py, `ledger principals list|revoke`):
-- principals made before this migration never expire until revoked.
ALTER TABLE principals ADD COLUMN expires_at TEXT;
ALTER TABLE principals ADD COLUMN revoked_at TEXT;
