-- 0011_detect.sql: the group key of correlation alerts (issue 6). A
-- correlation's alert stands for one combination of its group-by values,
-- kept as "name=value, ..." (empty for other alerts): shown, filtered on,
-- and with the rule id the key its repeats fold under.
ALTER TABLE alerts ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_group_key ON alerts (group_key, id);
