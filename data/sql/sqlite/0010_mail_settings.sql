-- 0010_mail_settings.sql: reserved (mail settings and alert observables, issue 7).
SELECT 1;
