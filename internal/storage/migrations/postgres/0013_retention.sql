-- Retention prunes finished runs, old events and evaluations in batches,
-- oldest first, and never an event still queued.
CREATE INDEX workflow_runs_finished ON workflow_runs (finished_at, id);
CREATE INDEX events_created ON events (created_at, id);
CREATE INDEX event_queue_event ON event_queue (event_id);
