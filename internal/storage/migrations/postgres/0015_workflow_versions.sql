-- Every save that changes a workflow's definition makes an immutable
-- version; a run records the version it started with. Workflows saved
-- before versions existed get their first version at their next save.
ALTER TABLE workflows ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflow_runs ADD COLUMN workflow_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE workflow_versions (
    workflow_id  TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    definition   TEXT    NOT NULL,
    author       TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, number)
);
