-- 0006_notify.sql: contacts, notifications, personal-data breach flags (the
-- APPI criteria and GDPR) that start the regulatory clocks, and the
-- scheduler's lease and reminders (run once across nodes).
-- Metrics read notifications(incident_id, kind, sent_at): keep those.

CREATE TABLE contacts (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL,
	organisation TEXT NOT NULL DEFAULT '',
	scope        TEXT NOT NULL,              -- internal | external
	category     TEXT NOT NULL,              -- jpcert, police, ppc, isp, vendor, ...
	roles        TEXT NOT NULL DEFAULT '',   -- comma-separated
	email        TEXT NOT NULL DEFAULT '',
	phone        TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL DEFAULT '',   -- other channel (web form, chat, ...)
	on_call      INTEGER NOT NULL DEFAULT 0,
	notes        TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX contacts_name ON contacts (name);

CREATE TABLE notifications (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	contact_id  INTEGER REFERENCES contacts(id),
	recipient   TEXT NOT NULL,               -- as told, even without a contact
	channel     TEXT NOT NULL,               -- email, phone, web_form, letter, meeting, chat, other
	kind        TEXT NOT NULL,               -- internal, management, external, appi_preliminary,
	                                         -- appi_final, gdpr, public_notice, other
	sent_at     INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	content     TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_incident ON notifications (incident_id, sent_at);

CREATE TABLE incident_breach (
	incident_id          INTEGER PRIMARY KEY REFERENCES incidents(id),
	personal_data        INTEGER NOT NULL DEFAULT 0,
	sensitive            INTEGER NOT NULL DEFAULT 0,  -- 要配慮個人情報
	financial_risk       INTEGER NOT NULL DEFAULT 0,
	unauthorised_purpose INTEGER NOT NULL DEFAULT 0,
	over_1000            INTEGER NOT NULL DEFAULT 0,
	gdpr                 INTEGER NOT NULL DEFAULT 0,
	updated_at           INTEGER NOT NULL
);

-- Clock settings every node reads (keys and defaults in src/ir/clock.c); a
-- key without a row has its default.
CREATE TABLE notify_settings (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

-- The scheduler's lease: a node runs jobs only while it holds the row
-- (UPDATE ... WHERE expired OR holder = me).
CREATE TABLE scheduler_leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);

-- Clock reminders: one per incident, clock and threshold, even under a race.
CREATE TABLE clock_reminders (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	clock       TEXT NOT NULL,               -- appi_preliminary, appi_final, gdpr
	threshold   TEXT NOT NULL,               -- "24h", "overdue"
	due_at      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (incident_id, clock, threshold)
);
CREATE INDEX clock_reminders_created ON clock_reminders (created_at);
