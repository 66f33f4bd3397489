-- The credentials key check: a known value sealed with DESKFLOW_SECRET_KEY,
-- at most one row, so that a node started with another key refuses to start.
CREATE TABLE key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed     BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL
);
