-- 0003_alerts.sql: alerts made by detection (Sigma matches, later IOC hits),
-- the suppressions that silence known-good matches, and the kill-chain
-- phases marked on incidents. The rules these tables serve are in
-- src/ir/alert.c.

-- One alert stands for every match of one rule on one group key (host and
-- user) within the deduplication window: count, first_seen and last_seen
-- say how often and when. status: new, false_positive, benign, promoted,
-- attached; incident_id is set by promote and attach.
CREATE TABLE alerts (
	id           INTEGER PRIMARY KEY,
	source       TEXT NOT NULL,            -- 'sigma', 'ioc' or 'api'
	rule_id      TEXT NOT NULL,
	title        TEXT NOT NULL,
	level        TEXT NOT NULL,            -- informational, low, medium, high, critical
	tags         TEXT NOT NULL DEFAULT '', -- space-separated Sigma tags
	phase        TEXT,                     -- kill-chain phase from the tags, or NULL
	host         TEXT NOT NULL DEFAULT '',
	username     TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	process      TEXT NOT NULL DEFAULT '',
	dedup_key    TEXT NOT NULL,            -- rule id and group key
	occurrences  INTEGER NOT NULL DEFAULT 1, -- matches folded into this alert
	first_seen   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	status       TEXT NOT NULL DEFAULT 'new',
	reason       TEXT NOT NULL DEFAULT '', -- the disposition reason
	incident_id  INTEGER REFERENCES incidents(id),
	triaged_by   TEXT,
	triaged_at   INTEGER,
	event        TEXT NOT NULL DEFAULT '', -- the first matched event (JSON), cut to a limit
	event_truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_dedup ON alerts (dedup_key, first_seen);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_incident ON alerts (incident_id);

-- A suppression drops the matches of a rule (optionally only those whose
-- entity field equals value) until it expires (NULL: never).
CREATE TABLE suppressions (
	id           INTEGER PRIMARY KEY,
	rule_id      TEXT NOT NULL,
	entity       TEXT,                     -- NULL, 'host', 'user', 'ip' or 'process'
	value        TEXT,                     -- lower case
	expires_at   INTEGER,
	reason       TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	hits         INTEGER NOT NULL DEFAULT 0,
	last_hit     INTEGER
);
CREATE INDEX suppressions_rule ON suppressions (rule_id);

-- The kill-chain phases an incident reached: 'detected' from its alerts,
-- 'manual' when a handler marked it from what was learned outside the logs.
CREATE TABLE killchain_marks (
	incident_id  INTEGER NOT NULL REFERENCES incidents(id),
	phase        TEXT NOT NULL,
	source       TEXT NOT NULL,            -- 'detected' or 'manual'
	marked_by    TEXT NOT NULL,
	marked_at    INTEGER NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, phase, source)
);
