-- 0005_catalog.sql: what the catalog (data/catalog) adds to an incident:
-- the values of its Appendix C / NIST Appendix B / per-type items, the IPA
-- threats it is tagged with, the playbook step each task came from, and
-- the reports generated from the record, each a numbered version kept as
-- it was generated.

CREATE TABLE incident_items (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	key         TEXT NOT NULL,
	value       TEXT NOT NULL,
	updated_at  INTEGER NOT NULL,
	updated_by  TEXT NOT NULL,
	PRIMARY KEY (incident_id, key)
);

CREATE TABLE incident_threats (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	threat      TEXT NOT NULL,   -- YEAR:key of data/catalog/threats/YEAR.yaml
	added_at    INTEGER NOT NULL,
	added_by    TEXT NOT NULL,
	PRIMARY KEY (incident_id, threat)
);
CREATE INDEX incident_threats_threat ON incident_threats (threat);

ALTER TABLE tasks ADD COLUMN step TEXT;   -- the playbook step it came from
ALTER TABLE tasks ADD COLUMN sheet TEXT;  -- the command sheet attached to it
CREATE UNIQUE INDEX tasks_step ON tasks (incident_id, step) WHERE step IS NOT NULL;

CREATE TABLE reports (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	kind        TEXT NOT NULL,   -- incident, appi_preliminary, appi_final, notice
	version     INTEGER NOT NULL,   -- 1, 2, ... per incident and kind
	lang        TEXT NOT NULL,
	format      TEXT NOT NULL,   -- html, md
	body        TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	created_by  TEXT NOT NULL,
	UNIQUE (incident_id, kind, version)
);
