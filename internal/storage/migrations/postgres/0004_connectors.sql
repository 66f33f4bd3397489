ALTER TABLE connectors ADD COLUMN credential_keys TEXT NOT NULL DEFAULT '[]';
