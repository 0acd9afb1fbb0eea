-- 0010_mail_settings.sql: reported mail, continued (issue 7). The analyser's
-- settings as saved by an admin (one row; the JSON text has the keys of the
-- --mail-config file; version goes up by one on each save so every node
-- reloads), the indicators of each alert (from the analysis of a reported
-- mail; copied into the incident's observables on promote or attach), and
-- the acknowledgements sent to reporters over SMTP. The rules are in
-- src/ir/mailsettings.c, src/ir/alertobs.c and src/ir/mailack.c.

CREATE TABLE mail_settings (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	config      TEXT NOT NULL,              -- JSON, validated by mail_config_parse
	version     INTEGER NOT NULL,
	updated_by  TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);

CREATE TABLE alert_observables (
	id          INTEGER PRIMARY KEY,
	alert_id    INTEGER NOT NULL REFERENCES alerts(id),
	type        TEXT NOT NULL,              -- observable type name (observable.h)
	value       TEXT NOT NULL,              -- normalised by observable_normalize
	created_at  INTEGER NOT NULL,
	UNIQUE (alert_id, type, value)
);
CREATE INDEX alert_observables_value ON alert_observables (type, value);

-- One row per reported mail whose reporter is to be acknowledged.
CREATE TABLE mail_acks (
	report_id   INTEGER PRIMARY KEY REFERENCES mail_reports(id),
	recipient   TEXT NOT NULL,
	state       TEXT NOT NULL,              -- pending, sent, failed
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER
);
CREATE INDEX mail_acks_state ON mail_acks (state);
