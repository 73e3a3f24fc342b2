-- The language a lead was submitted in (postgres; keep in step with ../../sqlite/2026-12-03-000007_lead_language).
-- 'en' or 'sw' (wetech_i18n::Language); the client's e-mails use it (docs/interface.md, "Language").
-- Leads recorded before this migration were all shown in English.
ALTER TABLE leads ADD COLUMN language TEXT NOT NULL DEFAULT 'en'
    CHECK (language IN ('en', 'sw'));
