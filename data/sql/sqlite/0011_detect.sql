-- 0011_detect.sql: reserved (detection, issue 6).
SELECT 1;
