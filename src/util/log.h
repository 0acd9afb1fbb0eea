/*
 * log.h: levelled log lines on standard error.
 *
 * Each line carries an RFC 3339 UTC timestamp and the level. Never pass a
 * secret (password, token, session id, cookie) to these functions: the log
 * is read by more people than the database is.
 */
#ifndef IRDESK_UTIL_LOG_H
#define IRDESK_UTIL_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The process-wide level; lines above it are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info", "debug". Returns 0 or ERR_INVALID. */
int log_parse_level(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
