//! The Diesel table definitions, written by hand to match both migration folders.
//!
//! Column types are the ones Diesel's `MultiBackend` supports: `BigInt` ids, `Text` for UUID-like
//! ids and statuses, `BigInt` money in minor units, `Timestamp` (naive UTC) and `Bool`.

diesel::table! {
    /// The service catalogue.
    services (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        price_minor -> BigInt,
        currency -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Customers, identified by their lower-cased e-mail address.
    clients (id) {
        id -> BigInt,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        phone -> Text,
        company -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One submitted lead (a client asking for a service).
    leads (id) {
        id -> BigInt,
        client_id -> BigInt,
        service_id -> BigInt,
        message -> Nullable<Text>,
        created_at -> Timestamp,
        /// The sales team's status (`wetech_domain::LeadSalesStatus`), `new` at first.
        sales_status -> Text,
        /// The language it was submitted in: `en` or `sw` (`wetech_i18n::Language`).
        language -> Text,
    }
}

diesel::table! {
    /// The last invoice sequence number issued per calendar year.
    invoice_counters (year) {
        year -> Integer,
        last_value -> BigInt,
    }
}

diesel::table! {
    /// Invoices (payment intents); the price is copied at issue.
    invoices (id) {
        id -> BigInt,
        public_id -> Text,
        number -> Text,
        client_id -> BigInt,
        lead_id -> Nullable<BigInt>,
        service_code -> Text,
        service_name -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        status -> Text,
        issued_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One try to pay an invoice through one gateway.
    payment_attempts (id) {
        id -> BigInt,
        invoice_id -> BigInt,
        merchant_reference -> Text,
        gateway -> Text,
        gateway_reference -> Nullable<Text>,
        amount_minor -> BigInt,
        currency -> Text,
        status -> Text,
        payer_account -> Nullable<Text>,
        payer_phone -> Nullable<Text>,
        provider -> Nullable<Text>,
        method -> Nullable<Text>,
        confirmation_code -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        review_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reconcile_claimed_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Every change of an attempt's state with its cause (`from_status` NULL: recorded).
    attempt_status_history (id) {
        id -> BigInt,
        attempt_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        cause -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    /// Every gateway notification or status answer, stored raw.
    payment_events (id) {
        id -> BigInt,
        attempt_id -> Nullable<BigInt>,
        gateway -> Text,
        kind -> Text,
        dedupe_key -> Text,
        payload -> Text,
        received_at -> Timestamp,
        outcome -> Text,
    }
}

diesel::table! {
    /// Stored responses of requests that carried an `Idempotency-Key`.
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_fingerprint -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Small key-value settings kept by the application (e.g. the Pesapal IPN id).
    app_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(leads -> clients (client_id));
diesel::joinable!(leads -> services (service_id));
diesel::joinable!(invoices -> clients (client_id));
diesel::joinable!(invoices -> leads (lead_id));
diesel::joinable!(payment_attempts -> invoices (invoice_id));
diesel::joinable!(payment_events -> payment_attempts (attempt_id));
diesel::joinable!(attempt_status_history -> payment_attempts (attempt_id));

diesel::allow_tables_to_appear_in_same_query!(
    services,
    clients,
    leads,
    invoice_counters,
    invoices,
    payment_attempts,
    payment_events,
    idempotency_keys,
    app_settings,
    attempt_status_history,
);

// The back office (migration 2026-12-03-000002_back_office, docs/back-office.md).

diesel::table! {
    /// Back-office accounts, identified by their lower-cased e-mail address.
    staff_accounts (id) {
        id -> BigInt,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
    }
}

diesel::table! {
    /// Signed-in back-office sessions, by the SHA-256 of their cookie token.
    staff_sessions (token_hash) {
        token_hash -> Text,
        staff_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        client_address -> Nullable<Text>,
    }
}

diesel::table! {
    /// Failed sign-ins, counted per address typed and per client address for the lockout.
    login_failures (id) {
        id -> BigInt,
        email -> Text,
        client_address -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    /// Who did what in the back office, when, from where; written, never changed.
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        staff_id -> Nullable<BigInt>,
        actor_email -> Text,
        client_address -> Nullable<Text>,
        action -> Text,
        subject -> Nullable<Text>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every change of a lead's sales status.
    lead_status_history (id) {
        id -> BigInt,
        lead_id -> BigInt,
        from_status -> Text,
        to_status -> Text,
        staff_id -> BigInt,
        note -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::joinable!(staff_sessions -> staff_accounts (staff_id));
diesel::joinable!(audit_log -> staff_accounts (staff_id));
diesel::joinable!(lead_status_history -> leads (lead_id));
diesel::joinable!(lead_status_history -> staff_accounts (staff_id));

diesel::allow_tables_to_appear_in_same_query!(
    staff_accounts,
    staff_sessions,
    login_failures,
    audit_log,
    lead_status_history,
);
diesel::allow_tables_to_appear_in_same_query!(lead_status_history, leads);

// The back office's money actions (migration 2026-12-03-000005_refunds, docs/back-office.md).

diesel::table! {
    /// Refunds of payment attempts: asked of the gateway, or recorded as made outside.
    refunds (id) {
        id -> BigInt,
        attempt_id -> BigInt,
        amount_minor -> BigInt,
        currency -> Text,
        reason -> Text,
        staff_id -> Nullable<BigInt>,
        state -> Text,
        gateway_answer -> Nullable<Text>,
        external_reference -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(refunds -> payment_attempts (attempt_id));
diesel::joinable!(refunds -> staff_accounts (staff_id));
diesel::allow_tables_to_appear_in_same_query!(refunds, payment_attempts);
diesel::allow_tables_to_appear_in_same_query!(refunds, invoices);
diesel::allow_tables_to_appear_in_same_query!(refunds, staff_accounts);

diesel::table! {
    /// The transactional outbox of e-mail: one row per message, written with its cause.
    outbox_messages (id) {
        id -> BigInt,
        event_key -> Text,
        recipient_role -> Text,
        kind -> Text,
        to_address -> Nullable<Text>,
        language -> Text,
        facts -> Text,
        attachment -> Nullable<Text>,
        subject -> Nullable<Text>,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        server_answer -> Nullable<Text>,
        created_at -> Timestamp,
        queued_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

// Several instances on one database (migration 2026-12-04-000009_instances,
// docs/operations.md "Several instances").

diesel::table! {
    /// The lead rate limit counted in the database: one row per client key and minute.
    rate_limit_counters (key, window_start) {
        key -> Text,
        window_start -> BigInt,
        count -> Integer,
    }
}

diesel::table! {
    /// Work one instance does for all, claimed with a lease.
    instance_leases (name) {
        name -> Text,
        holder -> Text,
        lease_until -> Timestamp,
    }
}
