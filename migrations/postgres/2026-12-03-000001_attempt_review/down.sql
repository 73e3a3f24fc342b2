-- Reverses up.sql: the former CHECK constraint and the `needs_review` flag. An attempt in
-- `review` goes back to the state it left for review (from its history), flagged; a reversed one
-- is flagged, as the code before this migration flagged every reversal.
ALTER TABLE payment_attempts ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE payment_attempts SET needs_review = TRUE WHERE status = 'reversed';
UPDATE payment_attempts a
   SET needs_review = TRUE,
       status = COALESCE(
           (SELECT h.from_status FROM attempt_status_history h
             WHERE h.attempt_id = a.id AND h.to_status = 'review' AND h.from_status IS NOT NULL
             ORDER BY h.id DESC LIMIT 1),
           'pending')
 WHERE a.status = 'review';
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
    CHECK (status IN ('initiated', 'pending', 'completed', 'failed', 'expired', 'reversed'));
DROP TABLE attempt_status_history;
