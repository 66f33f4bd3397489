ALTER TABLE workspaces ADD COLUMN ai_settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE saved_replies (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title        TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX saved_replies_workspace ON saved_replies (workspace_id, id);
