-- Accounts, sessions and login attempts of the web app (`pcn serve`).
-- Passwords are argon2id PHC strings; a session row keeps only the SHA-256
-- of its token, so a copy of the database cannot be used to log in.

CREATE TABLE web_user (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    -- admin | commissioner | network | practice | viewer
    role TEXT NOT NULL,
    -- all | commissioner:CODE | network:CODE | practice:CODE
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT
);

CREATE TABLE web_session (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES web_user (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_session_by_user ON web_session (user_id);

CREATE TABLE login_attempt (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at TEXT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX login_attempt_by_username ON login_attempt (username, at);
