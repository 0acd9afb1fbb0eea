-- 0001_init.sql: users, incidents with members, timeline and tasks, the
-- audit chain. Times are INTEGER seconds since the epoch (UTC); booleans are
-- 0/1; enumerations are the lower-case names used in the API.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL DEFAULT '',
	email         TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL,
	external      INTEGER NOT NULL DEFAULT 0,
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

-- The last IR-YYYY-NNNN number given out per year.
CREATE TABLE incident_counters (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
);

CREATE TABLE incidents (
	id                 INTEGER PRIMARY KEY,
	year               INTEGER NOT NULL,  -- IR-<year>-<number>
	number             INTEGER NOT NULL,
	hid                TEXT NOT NULL UNIQUE,
	title              TEXT NOT NULL,
	summary            TEXT NOT NULL DEFAULT '',
	type               TEXT NOT NULL DEFAULT 'other',
	state              TEXT NOT NULL DEFAULT 'new',
	reject_reason      TEXT,
	duplicate_of       INTEGER REFERENCES incidents(id),
	attack_vector      TEXT,
	functional_impact  TEXT,
	information_impact TEXT,
	recoverability     TEXT,
	priority           TEXT,  -- the effective priority: override, else derived
	priority_derived   TEXT,
	priority_override  TEXT,
	priority_reason    TEXT,
	tlp                TEXT NOT NULL,
	pap                TEXT NOT NULL,
	owner_id           INTEGER REFERENCES users(id),
	reporter           TEXT NOT NULL DEFAULT '',
	occurred_at        INTEGER,
	discovered_at      INTEGER,
	reported_at        INTEGER,
	triaged_at         INTEGER,
	contained_at       INTEGER,
	recovered_at       INTEGER,
	closed_at          INTEGER,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	created_by         TEXT NOT NULL,
	version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX incidents_created ON incidents (created_at DESC, id DESC);
CREATE INDEX incidents_updated ON incidents (updated_at DESC, id DESC);
CREATE INDEX incidents_state ON incidents (state, created_at DESC);
CREATE INDEX incidents_priority ON incidents (priority, created_at DESC);
CREATE INDEX incidents_owner ON incidents (owner_id);
CREATE INDEX incidents_type ON incidents (type, created_at DESC);
CREATE INDEX incidents_number ON incidents (year, number);

-- Substring search over id, title and summary (see store_sqlite.c). Writing
-- the FTS5 index row by row costs more than the rest of an insert (FTS5
-- flushes at every statement savepoint), so the triggers only note which
-- incidents changed and the backend folds them into the index once, just
-- before the transaction commits.
CREATE VIRTUAL TABLE incident_text USING fts5 (body, tokenize = 'trigram');
CREATE TABLE incident_text_pending (id INTEGER PRIMARY KEY);
CREATE TRIGGER incident_text_ins AFTER INSERT ON incidents BEGIN
	INSERT OR IGNORE INTO incident_text_pending (id) VALUES (new.id);
END;
CREATE TRIGGER incident_text_upd AFTER UPDATE OF title, summary ON incidents BEGIN
	INSERT OR IGNORE INTO incident_text_pending (id) VALUES (new.id);
END;
CREATE TRIGGER incident_text_del AFTER DELETE ON incidents BEGIN
	DELETE FROM incident_text WHERE rowid = old.id;
	DELETE FROM incident_text_pending WHERE id = old.id;
END;

CREATE TABLE incident_members (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	user_id     INTEGER NOT NULL REFERENCES users(id),
	role        TEXT NOT NULL,
	added_at    INTEGER NOT NULL,
	PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_members_user ON incident_members (user_id);

CREATE TABLE timeline (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	occurred_at INTEGER NOT NULL,  -- when it happened
	created_at  INTEGER NOT NULL,  -- when it was written down
	author      TEXT NOT NULL,
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL
);
CREATE INDEX timeline_incident ON timeline (incident_id, occurred_at, id);

CREATE TABLE tasks (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	title       TEXT NOT NULL,
	phase       TEXT NOT NULL,
	assignee_id INTEGER REFERENCES users(id),
	due_at      INTEGER,
	done_at     INTEGER,
	done_by     TEXT,
	created_at  INTEGER NOT NULL,
	created_by  TEXT NOT NULL
);
CREATE INDEX tasks_incident ON tasks (incident_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, done_at);

-- Append-only; each row's hash covers the previous row's hash.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	before      TEXT,
	after       TEXT,
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_object ON audit_log (object_type, object_id, seq);

-- The head of the chain; updating it serialises appenders on any backend.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
