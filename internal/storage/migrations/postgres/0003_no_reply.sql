ALTER TABLE tickets ADD COLUMN waiting_since BIGINT;
ALTER TABLE tickets ADD COLUMN waiting_message_id TEXT;
ALTER TABLE events ADD COLUMN workflow_id TEXT;

CREATE TABLE no_reply_timers (
    id                TEXT    PRIMARY KEY,
    workspace_id      BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id         TEXT    NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    workflow_id       TEXT    NOT NULL,
    message_id        TEXT    NOT NULL,
    period_started_at BIGINT  NOT NULL,
    due_at            BIGINT  NOT NULL,
    status            TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    fired_at          BIGINT
);
CREATE UNIQUE INDEX no_reply_timers_period ON no_reply_timers (ticket_id, workflow_id, message_id);
CREATE INDEX no_reply_timers_due ON no_reply_timers (status, due_at);
CREATE INDEX no_reply_timers_workflow ON no_reply_timers (workspace_id, workflow_id, status);
CREATE INDEX tickets_waiting ON tickets (workspace_id, waiting_since);
