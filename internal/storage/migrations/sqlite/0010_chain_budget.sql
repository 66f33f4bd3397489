-- What each causal chain of workflow runs has used of its budget: the
-- runs and steps started for the event that began the chain and for every
-- event its runs caused. Rows are pruned with the evaluations.
CREATE TABLE chain_usage (
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    origin_event_id TEXT    NOT NULL,
    runs            INTEGER NOT NULL,
    steps           INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, origin_event_id)
);
CREATE INDEX chain_usage_created_at ON chain_usage (created_at);

-- Fair claiming walks the workspaces that have queued events and takes
-- each one's oldest events.
CREATE INDEX event_queue_workspace ON event_queue (workspace_id, seq);

-- Why an event was not matched at all (the workspace's queue was full for
-- events caused by workflows); empty when it was.
ALTER TABLE evaluations ADD COLUMN stop TEXT NOT NULL DEFAULT '';
