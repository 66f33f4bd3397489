CREATE TABLE workflow_runs (
    id            TEXT    PRIMARY KEY,
    workspace_id  INTEGER  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    workflow_id   TEXT    NOT NULL,
    workflow_name TEXT    NOT NULL,
    ticket_id     TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    event_type    TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    match         TEXT    NOT NULL DEFAULT '{}',
    definition    TEXT    NOT NULL DEFAULT '{}',
    cause         TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER  NOT NULL,
    updated_at    INTEGER  NOT NULL,
    finished_at   INTEGER
);
CREATE UNIQUE INDEX workflow_runs_event_workflow ON workflow_runs (event_id, workflow_id);
CREATE INDEX workflow_runs_workflow ON workflow_runs (workspace_id, workflow_id, id);
CREATE INDEX workflow_runs_ticket ON workflow_runs (workspace_id, ticket_id, id);

CREATE TABLE run_steps (
    run_id       TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    path         INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    workspace_id INTEGER  NOT NULL,
    action_type  TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    input        TEXT,
    output       TEXT,
    error        TEXT    NOT NULL DEFAULT '',
    save_as      TEXT    NOT NULL DEFAULT '',
    claimed_by   TEXT,
    started_at   INTEGER,
    finished_at  INTEGER,
    PRIMARY KEY (run_id, path, position)
);

CREATE TABLE approvals (
    id           TEXT    PRIMARY KEY,
    workspace_id INTEGER  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    run_id       TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    path         INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    action_type  TEXT    NOT NULL,
    parameters   TEXT    NOT NULL,
    requested_at INTEGER  NOT NULL,
    expires_at   INTEGER  NOT NULL,
    decided_at   INTEGER,
    decided_by   TEXT,
    reason       TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX approvals_step ON approvals (run_id, path, position);
CREATE INDEX approvals_pending ON approvals (workspace_id, status, expires_at);

CREATE TABLE evaluations (
    event_id     TEXT    PRIMARY KEY,
    workspace_id INTEGER  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id    TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    results      TEXT    NOT NULL,
    created_at   INTEGER  NOT NULL
);
CREATE INDEX evaluations_ticket ON evaluations (workspace_id, ticket_id, event_id);
CREATE INDEX evaluations_created ON evaluations (created_at);
