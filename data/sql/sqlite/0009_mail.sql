-- 0009_mail.sql: reported mails that became alerts (issue 7, item 6). The
-- raw message (base64, at most MAILALERT_MAX bytes before encoding) stays
-- with its alert; promoting or attaching the alert copies it into the
-- evidence locker of the incident (evidence_id). The rules are in
-- src/ir/mailalert.c.

CREATE TABLE mail_reports (
	id           INTEGER PRIMARY KEY,
	alert_id     INTEGER NOT NULL REFERENCES alerts(id),
	message_id   TEXT NOT NULL DEFAULT '',   -- Message-ID of the analysed message
	sha256       TEXT NOT NULL,              -- of the raw message as received
	size         INTEGER NOT NULL,           -- bytes of the raw message
	raw          TEXT NOT NULL,              -- the raw message, base64
	analysis     TEXT NOT NULL,              -- mail_result_json() of the analysis
	verdict      TEXT NOT NULL,
	score        INTEGER NOT NULL,
	origin       TEXT NOT NULL,              -- api, cli or imap
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	evidence_id  INTEGER REFERENCES evidence(id)
);
CREATE INDEX mail_reports_alert ON mail_reports (alert_id);
CREATE INDEX mail_reports_message ON mail_reports (message_id);
CREATE INDEX mail_reports_sha256 ON mail_reports (sha256);
