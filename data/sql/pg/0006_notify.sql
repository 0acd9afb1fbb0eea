-- 0006_notify.sql: reserved for the work that fills it in (issue 4/5).
SELECT 1;
