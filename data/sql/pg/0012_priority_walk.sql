-- 0012_priority_walk.sql: `incident list --sort priority` (the list's
-- priority sort: P1 first, unprioritised last, newest first within each)
-- walks this index and stops at the page's limit instead of sorting every
-- incident (SQLite: 150 ms -> a few ms at 100,000 incidents). Its first
-- column is the expression src/ir/incident.c orders by.
CREATE INDEX incidents_priority_walk ON incidents ((priority IS NULL), priority, created_at DESC, id DESC);
