-- 0004_ioc.sql: IOC watchlists (issue 6, item 4): named lists of typed
-- indicators that `irdesk ioc load` imports and `irdesk serve` matches
-- against incoming events. The rules these tables serve are in
-- src/detect/watchlist.c; normalising and matching in src/detect/ioc.c.

-- A list is replaced as a whole when it is loaded again.
CREATE TABLE ioc_lists (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	source       TEXT NOT NULL DEFAULT '', -- the file it was loaded from
	entries      INTEGER NOT NULL DEFAULT 0,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);

-- One indicator, normalised: type is ip, cidr, domain, url, email, md5,
-- sha1, sha256 or filename.
CREATE TABLE iocs (
	list_id      INTEGER NOT NULL REFERENCES ioc_lists(id),
	type         TEXT NOT NULL,
	value        TEXT NOT NULL,
	comment      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (list_id, type, value)
);
