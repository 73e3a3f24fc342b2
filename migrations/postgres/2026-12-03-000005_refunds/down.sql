-- Reverses up.sql: `refunds` dropped, the former CHECK constraint back. A `void` invoice goes
-- back to `unpaid` and a `refunded` one to `paid` (the former states that come closest; the
-- refund rows that explained them are gone with their table).
DROP TABLE refunds;
UPDATE invoices SET status = CASE status WHEN 'void' THEN 'unpaid' ELSE 'paid' END
 WHERE status IN ('void', 'refunded');
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('unpaid', 'pending', 'paid', 'reversed'));
