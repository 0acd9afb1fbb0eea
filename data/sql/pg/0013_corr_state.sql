-- 0013_corr_state.sql: the correlation state of a stopped `irdesk serve`
-- (issue 6). At a graceful stop the detection worker saves the groups of its
-- Sigma correlations (partial counts, open deferred windows) as JSON under
-- its node name (serve --node); at the next start of that node the row is
-- read back and deleted in one transaction, so that a restart loses no
-- acknowledged event's meaning. One row per node: several nodes on one
-- database keep their own.
--
-- PostgreSQL port of data/sql/sqlite/0013_corr_state.sql: saved_at is BIGINT
-- (epoch seconds), as INTEGER times are elsewhere in the pg migrations.
CREATE TABLE corr_state (
	node TEXT PRIMARY KEY,
	saved_at BIGINT NOT NULL,
	state TEXT NOT NULL
);
