ALTER TABLE payment_attempts DROP COLUMN reconcile_claimed_until;
