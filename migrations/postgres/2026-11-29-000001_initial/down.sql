-- Reverses up.sql: drop in reverse dependency order (indexes go with their tables).
DROP TABLE app_settings;
DROP TABLE idempotency_keys;
DROP TABLE payment_events;
DROP TABLE payment_attempts;
DROP TABLE invoices;
DROP TABLE invoice_counters;
DROP TABLE leads;
DROP TABLE clients;
DROP TABLE services;
