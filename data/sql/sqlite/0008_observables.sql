-- 0008_observables.sql: observables of incidents (typed, normalised values
-- with TLP and an IOC flag; sightings are the same type and value on another
-- incident), the lessons-learned record of an incident (NIST SP 800-61r2
-- 3.4.1) and its follow-up actions (tasks). The rules are in
-- src/ir/observable.c and src/ir/lessons.c; metrics read these tables too.

CREATE TABLE observables (
	id           INTEGER PRIMARY KEY,
	incident_id  INTEGER NOT NULL REFERENCES incidents(id),
	type         TEXT NOT NULL,              -- ip, cidr, domain, hostname, url, ...
	value        TEXT NOT NULL,              -- normalised (observable.c)
	tlp          TEXT NOT NULL,              -- vocab_tlp name
	ioc          INTEGER NOT NULL DEFAULT 0, -- 1: feeds the watchlist "observables"
	comment      TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (incident_id, type, value)
);
CREATE INDEX observables_value ON observables (type, value);

-- One row per incident once someone has written its lessons learned.
CREATE TABLE lessons (
	incident_id        INTEGER PRIMARY KEY REFERENCES incidents(id),
	what_happened      TEXT NOT NULL DEFAULT '',
	staff_performance  TEXT NOT NULL DEFAULT '',
	info_sooner        TEXT NOT NULL DEFAULT '',
	hindered           TEXT NOT NULL DEFAULT '',
	do_differently     TEXT NOT NULL DEFAULT '',
	sharing            TEXT NOT NULL DEFAULT '',
	corrective         TEXT NOT NULL DEFAULT '',
	indicators         TEXT NOT NULL DEFAULT '',
	tools              TEXT NOT NULL DEFAULT '',
	damage_before_detection TEXT NOT NULL DEFAULT '',
	meeting_at         INTEGER,
	updated_by         TEXT NOT NULL,
	updated_at         INTEGER NOT NULL
);

-- Follow-up actions decided in the lessons learned: ordinary tasks.
CREATE TABLE lesson_actions (
	task_id      INTEGER PRIMARY KEY REFERENCES tasks(id),
	incident_id  INTEGER NOT NULL REFERENCES incidents(id)
);
CREATE INDEX lesson_actions_incident ON lesson_actions (incident_id);
