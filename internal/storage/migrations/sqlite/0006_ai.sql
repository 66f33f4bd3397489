ALTER TABLE workspaces ADD COLUMN ai_settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE saved_replies (
    id           TEXT   PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title        TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX saved_replies_workspace ON saved_replies (workspace_id, id);
