-- A lease taken by `ops reconcile` so that several reconcilers never query the same attempt at once.
ALTER TABLE payment_attempts ADD COLUMN reconcile_claimed_until TIMESTAMP NULL;
