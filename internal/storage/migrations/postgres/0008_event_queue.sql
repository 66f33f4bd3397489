-- Events waiting to be matched against the workflows. The engine claims
-- them in batches (FOR UPDATE SKIP LOCKED), processes a batch in one
-- transaction and deletes its rows there; an event whose processing fails
-- is retried later.
CREATE TABLE event_queue (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_id     TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    available_at BIGINT  NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT ''
);

-- Workflows that the matching index ruled out without evaluating their
-- conditions (a text they require is absent from the event): their ids.
ALTER TABLE evaluations ADD COLUMN ruled_out TEXT NOT NULL DEFAULT '[]';
