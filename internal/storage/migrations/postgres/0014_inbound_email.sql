-- Email channels receive mail: the address it is sent to (unique among all
-- channels, so the SMTP receiver knows the workspace), the IMAP mailbox
-- settings as JSON and its password sealed like connectors' credentials.
ALTER TABLE channels ADD COLUMN address TEXT;
ALTER TABLE channels ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN credentials BYTEA;
ALTER TABLE channels ADD COLUMN credentials_set TEXT NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX channels_address ON channels (address);

-- How a channel's mailbox fares, and the lease that lets one node poll it.
CREATE TABLE channel_status (
    channel_id   TEXT    PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    last_poll_at BIGINT,
    last_error   TEXT    NOT NULL DEFAULT '',
    imported     BIGINT NOT NULL DEFAULT 0,
    duplicates   BIGINT NOT NULL DEFAULT 0,
    failed       BIGINT NOT NULL DEFAULT 0,
    lease_owner  TEXT    NOT NULL DEFAULT '',
    lease_until  BIGINT NOT NULL DEFAULT 0
);

-- Every email received, once per channel and Message-ID: a second delivery
-- of the same message finds its row and is dropped. The raw header block
-- is kept for GET /api/messages/{id}/source.
CREATE TABLE inbound_emails (
    channel_id   TEXT    NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    email_id     TEXT    NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id   TEXT,
    ticket_id    TEXT,
    headers      TEXT    NOT NULL DEFAULT '',
    automatic    TEXT    NOT NULL DEFAULT '',
    problems     TEXT    NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, email_id)
);
CREATE INDEX inbound_emails_message ON inbound_emails (workspace_id, message_id);

-- Messages that are automatic (auto-replies, bounces, lists) are stored but
-- never answered; the reason says why.
ALTER TABLE messages ADD COLUMN automatic TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_email_id ON messages (workspace_id, email_message_id);

CREATE TABLE attachments (
    id           TEXT    PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id   TEXT    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT NOT NULL,
    content      BYTEA,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (workspace_id, message_id);
