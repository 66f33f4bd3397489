-- Events of one ticket are processed in the order they happened: an event
-- is claimed only when no earlier event of its ticket waits in the queue
-- (being processed elsewhere, or waiting to be retried).
ALTER TABLE event_queue ADD COLUMN ticket_id TEXT;
UPDATE event_queue SET ticket_id = (SELECT ticket_id FROM events WHERE events.id = event_queue.event_id);
CREATE INDEX event_queue_ticket ON event_queue (workspace_id, ticket_id, seq);
