-- 0007_evidence.sql: the evidence locker. Items are records of files kept
-- outside the database in the evidence folder, content-addressed by
-- SHA-256; each item has an append-only custody log; legal holds block
-- deletion per item (evidence.legal_hold) or per incident (evidence_holds).
-- The rules these tables serve are in src/ir/evidence.c.

-- One item: a file acquired for an incident. Deleting an item removes its
-- file (when no other item has the same content) and keeps this row with
-- deleted_at, deleted_by and delete_reason.
CREATE TABLE evidence (
	id            INTEGER PRIMARY KEY,
	incident_id   INTEGER NOT NULL REFERENCES incidents(id),
	name          TEXT NOT NULL,            -- the file name as acquired
	sha256        TEXT NOT NULL,            -- 64 lowercase hex digits: the file's name in the folder
	size          INTEGER NOT NULL,         -- bytes
	media_type    TEXT NOT NULL,
	source_host   TEXT NOT NULL,
	acquired_by   TEXT NOT NULL,
	acquired_at   INTEGER NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	retain_until  INTEGER NOT NULL,         -- due for deletion after this time
	legal_hold    INTEGER NOT NULL DEFAULT 0,
	checked_out_to TEXT,                    -- who holds it while checked out, else NULL
	verified_at   INTEGER,                  -- the last verification and its result (1 match, 0 not)
	verified_ok   INTEGER,
	created_at    INTEGER NOT NULL,
	created_by    TEXT NOT NULL,
	deleted_at    INTEGER,
	deleted_by    TEXT,
	delete_reason TEXT
);
CREATE INDEX evidence_incident ON evidence (incident_id, id);
CREATE INDEX evidence_sha256 ON evidence (sha256);
CREATE INDEX evidence_due ON evidence (retain_until);

-- The chain of custody: who did what with an item and when. Append-only:
-- the triggers refuse changes and removals.
CREATE TABLE evidence_custody (
	id           INTEGER PRIMARY KEY,
	evidence_id  INTEGER NOT NULL REFERENCES evidence(id),
	at           INTEGER NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,   -- acquired, handover, checkout, checkin, verified, mismatch, missing, downloaded, hold, release, deleted
	from_party   TEXT NOT NULL DEFAULT '',
	to_party     TEXT NOT NULL DEFAULT '',
	purpose      TEXT NOT NULL DEFAULT '', -- the purpose or reason
	detail       TEXT NOT NULL DEFAULT ''  -- e.g. the hash found by a verification
);
CREATE INDEX evidence_custody_item ON evidence_custody (evidence_id, id);
CREATE TRIGGER evidence_custody_no_update BEFORE UPDATE ON evidence_custody BEGIN
	SELECT RAISE(ABORT, 'evidence custody entries are append-only');
END;
CREATE TRIGGER evidence_custody_no_delete BEFORE DELETE ON evidence_custody BEGIN
	SELECT RAISE(ABORT, 'evidence custody entries are append-only');
END;

-- A legal hold on every item of an incident, present and future.
CREATE TABLE evidence_holds (
	incident_id  INTEGER PRIMARY KEY REFERENCES incidents(id),
	reason       TEXT NOT NULL,
	held_by      TEXT NOT NULL,
	held_at      INTEGER NOT NULL
);
