-- A ticket's conversation is read oldest first (creation time, then id),
-- one page or the latest messages at a time.
CREATE INDEX messages_ticket_created ON messages (ticket_id, created_at, id);
