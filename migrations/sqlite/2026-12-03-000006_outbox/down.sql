-- Reverses up.sql.
DROP INDEX outbox_messages_state_next_idx;
DROP TABLE outbox_messages;
