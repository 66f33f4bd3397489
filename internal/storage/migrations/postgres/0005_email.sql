ALTER TABLE messages ADD COLUMN email_message_id TEXT NOT NULL DEFAULT '';
