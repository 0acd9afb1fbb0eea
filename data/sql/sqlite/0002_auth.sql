-- 0002_auth.sql: sign-in sessions, API tokens, sign-in throttling, and the
-- per-user settings the web needs (language, time zone, TOTP). The rules
-- these tables serve are in src/ir/auth.c.

ALTER TABLE users ADD COLUMN lang TEXT;             -- 'ja', 'en', or NULL: from the browser
ALTER TABLE users ADD COLUMN tz TEXT;               -- zone name, or NULL: the server default
-- TOTP secrets are sealed with the server key (meta 'server_key'): base64 of
-- nonce and secretbox. A new secret waits in totp_pending until a code made
-- with it is confirmed, so starting enrolment never weakens a working one.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;  -- replay guard

-- A session is known by the SHA-256 of its cookie value, so a copy of the
-- database does not hold live sessions. Its CSRF token is sealed with a key
-- derived from the cookie value, so only the cookie's holder can read it.
CREATE TABLE sessions (
	id_hash     TEXT PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id),
	csrf        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,   -- absolute expiry
	addr        TEXT NOT NULL DEFAULT '',
	user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens are long random secrets: stored as a keyed BLAKE2b hash.
CREATE TABLE api_tokens (
	id          INTEGER PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id),
	name        TEXT NOT NULL,
	prefix      TEXT NOT NULL,      -- the first characters, to tell tokens apart
	hash        TEXT NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL,
	last_used   INTEGER,
	revoked_at  INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed sign-ins per key ('user:NAME' or 'addr:IP') for throttling.
CREATE TABLE signin_failures (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	last_failure INTEGER NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0
);
