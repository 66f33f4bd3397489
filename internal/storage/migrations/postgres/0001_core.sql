CREATE TABLE workspaces (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT    NOT NULL,
    signature      TEXT    NOT NULL DEFAULT '',
    business_hours TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL
);

CREATE TABLE users (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    email      TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE api_tokens (
    id           TEXT   PRIMARY KEY,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE tags (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_workspace_name ON tags (workspace_id, lower(name));

CREATE TABLE teams (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_workspace_name ON teams (workspace_id, lower(name));

CREATE TABLE contacts (
    id           TEXT    PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    is_vip       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX contacts_workspace_email ON contacts (workspace_id, lower(email));

CREATE TABLE channels (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    type         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE custom_fields (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    type         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_workspace_key ON custom_fields (workspace_id, key);

CREATE TABLE connectors (
    id           TEXT   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    settings     TEXT   NOT NULL DEFAULT '{}',
    credentials  BYTEA,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX connectors_workspace ON connectors (workspace_id);

CREATE TABLE tickets (
    id               TEXT   PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    subject          TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    priority         TEXT   NOT NULL,
    channel_id       TEXT   REFERENCES channels (id) ON DELETE SET NULL,
    contact_id       TEXT   REFERENCES contacts (id) ON DELETE SET NULL,
    assignee_type    TEXT   NOT NULL DEFAULT 'none',
    assignee_user_id TEXT   REFERENCES users (id) ON DELETE SET NULL,
    assignee_team_id TEXT   REFERENCES teams (id) ON DELETE SET NULL,
    custom_fields    TEXT   NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX tickets_workspace ON tickets (workspace_id, id);
CREATE INDEX tickets_contact ON tickets (contact_id);

CREATE TABLE messages (
    id              TEXT   PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id       TEXT   NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    direction       TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    sender_name     TEXT   NOT NULL DEFAULT '',
    sender_email    TEXT   NOT NULL DEFAULT '',
    author_user_id  TEXT   REFERENCES users (id) ON DELETE SET NULL,
    workflow_run_id TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE ticket_tags (
    ticket_id    TEXT   NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag_id       TEXT   NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, tag_id)
);

CREATE TABLE workflows (
    id                   TEXT    PRIMARY KEY,
    workspace_id         BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                 TEXT    NOT NULL,
    description          TEXT    NOT NULL DEFAULT '',
    trigger_type         TEXT    NOT NULL,
    trigger_parameters   TEXT    NOT NULL DEFAULT '{}',
    condition_match_type TEXT    NOT NULL,
    is_enabled           BOOLEAN NOT NULL,
    position             INTEGER NOT NULL DEFAULT 0,
    conditions           TEXT    NOT NULL DEFAULT '[]',
    actions              TEXT    NOT NULL DEFAULT '[]',
    paths                TEXT    NOT NULL DEFAULT '[]',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX workflows_workspace_order ON workflows (workspace_id, position, created_at, id);
CREATE INDEX workflows_trigger ON workflows (workspace_id, trigger_type, is_enabled);

CREATE TABLE events (
    id           TEXT    PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL,
    ticket_id    TEXT    NOT NULL,
    message_id   TEXT,
    tag_id       TEXT,
    cause        TEXT    NOT NULL DEFAULT '{}',
    depth        INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX events_ticket ON events (workspace_id, ticket_id, id);
