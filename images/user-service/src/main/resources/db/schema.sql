-- user-service's schema, applied at every start: each statement is idempotent.
CREATE TABLE IF NOT EXISTS users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Emails are stored lower-cased, so a plain unique index is a case-insensitive one.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email);
