/*
 * syslog.c: syslog messages into events: the RFC 5424 and RFC 3164
 * parsers, the JSON text detection takes, TCP framing (RFC 6587), and the
 * UDP and TCP listener threads of the server. See syslog.h.
 */
#include "detect/syslog.h"
#include "detect/event.h"
#include "detect/intake.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Parsing */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A header field of printable ASCII up to the next space: its length, 0 when empty. */
static size_t token(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] > 32 && p[i] < 127)
		i++;
	return i;
}

/* "<PRI>": 1 to 3 digits, no leading zero, at most 191. The offset past '>'. */
static int parse_pri(const char *d, size_t len, struct syslog_msg *m, size_t *pos, struct err *e)
{
	size_t i = 1;
	int v = 0;

	if (len < 3 || d[0] != '<')
		return err_set(e, ERR_PARSE, "offset 0: syslog message without <PRI>");
	while (i < len && i < 5 && is_digit(d[i]))
		v = v * 10 + (d[i++] - '0');
	if (i == 1 || i >= len || d[i] != '>' || (d[1] == '0' && i > 2) || v > 191)
		return err_set(e, ERR_PARSE, "offset %zu: malformed syslog PRI", i);
	m->facility = v / 8;
	m->severity = v % 8;
	*pos = i + 1;
	return 0;
}

/* A field of a 5424 header followed by a space; "-" leaves it absent. */
static int field5424(const char *d, size_t len, size_t *pos, const char **out, size_t *olen,
		     size_t max, const char *what, struct err *e)
{
	size_t n = token(d + *pos, len - *pos);

	if (n == 0 || n > max || *pos + n >= len || d[*pos + n] != ' ')
		return err_set(e, ERR_PARSE, "offset %zu: malformed syslog %s", *pos, what);
	if (!(n == 1 && d[*pos] == '-')) {
		*out = d + *pos;
		*olen = n;
	}
	*pos += n + 1;
	return 0;
}

/* STRUCTURED-DATA: "-" or one or more [ID PARAM="VALUE" ...] elements. */
static int parse_sd(const char *d, size_t len, size_t *pos, struct syslog_msg *m, struct err *e)
{
	size_t i = *pos;

	if (i < len && d[i] == '-') {
		*pos = i + 1;
		return 0;
	}
	if (i >= len || d[i] != '[')
		return err_set(e, ERR_PARSE, "offset %zu: malformed syslog STRUCTURED-DATA", i);
	while (i < len && d[i] == '[') {
		int quoted = 0;

		for (i++; i < len; i++) {
			if (quoted && d[i] == '\\' && i + 1 < len)
				i++;
			else if (d[i] == '"')
				quoted = !quoted;
			else if (!quoted && d[i] == ']')
				break;
		}
		if (i >= len)
			return err_set(e, ERR_PARSE, "offset %zu: unterminated syslog STRUCTURED-DATA",
				       *pos);
		i++;
	}
	m->sd = d + *pos;
	m->sd_len = i - *pos;
	*pos = i;
	return 0;
}

static int parse5424(const char *d, size_t len, size_t pos, struct syslog_msg *m, struct err *e)
{
	int rc;

	m->format = 5424;
	pos += 2; /* "1 " */
	if ((rc = field5424(d, len, &pos, &m->timestamp, &m->timestamp_len, 64, "TIMESTAMP", e)) ||
	    (rc = field5424(d, len, &pos, &m->host, &m->host_len, 255, "HOSTNAME", e)) ||
	    (rc = field5424(d, len, &pos, &m->app, &m->app_len, 48, "APP-NAME", e)) ||
	    (rc = field5424(d, len, &pos, &m->procid, &m->procid_len, 128, "PROCID", e)) ||
	    (rc = field5424(d, len, &pos, &m->msgid, &m->msgid_len, 32, "MSGID", e)) ||
	    (rc = parse_sd(d, len, &pos, m, e)))
		return rc;
	if (pos < len) {
		if (d[pos] != ' ')
			return err_set(e, ERR_PARSE, "offset %zu: malformed syslog STRUCTURED-DATA", pos);
		pos++;
	}
	if (len - pos >= 3 && memcmp(d + pos, "\xEF\xBB\xBF", 3) == 0)
		pos += 3;
	m->msg = d + pos;
	m->msg_len = len - pos;
	return 0;
}

/* "Mmm dd hh:mm:ss " (the day may be space-padded). */
static int ts3164(const char *p, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	if (n < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':' || p[15] != ' ')
		return 0;
	for (size_t i = 0; i < 36; i += 3)
		if (memcmp(p, months + i, 3) == 0)
			return (p[4] == ' ' || is_digit(p[4])) && is_digit(p[5]) && is_digit(p[7]) &&
			       is_digit(p[8]) && is_digit(p[10]) && is_digit(p[11]) &&
			       is_digit(p[13]) && is_digit(p[14]);
	return 0;
}

static void parse3164(const char *d, size_t len, size_t pos, struct syslog_msg *m)
{
	m->format = 3164;
	if (ts3164(d + pos, len - pos)) {
		size_t n, t;

		m->timestamp = d + pos;
		m->timestamp_len = 15;
		pos += 16;
		n = token(d + pos, len - pos);
		if (n && pos + n < len && d[pos + n] == ' ') {
			m->host = d + pos;
			m->host_len = n;
			pos += n + 1;
		}
		/* TAG[PID]: the tag is at most 32 alphanumerics and a few marks. */
		for (t = 0; pos + t < len && t <= 48; t++) {
			char c = d[pos + t];
			if (c == '[' || c == ':' || c == ' ' || c <= 32 || c >= 127)
				break;
		}
		if (t > 0 && t <= 48 && pos + t < len) {
			size_t q = pos + t, pid = 0, pidlen = 0;

			if (d[q] == '[') {
				pid = q + 1;
				q = pid;
				while (q < len && d[q] != ']' && q - pid < 128)
					q++;
				if (q < len && d[q] == ']') {
					pidlen = q - pid;
					q++;
				} else {
					q = len; /* not a tag after all */
				}
			}
			if (q < len && d[q] == ':') {
				m->app = d + pos;
				m->app_len = t;
				if (pidlen) {
					m->procid = d + pid;
					m->procid_len = pidlen;
				}
				pos = q + 1;
				if (pos < len && d[pos] == ' ')
					pos++;
			}
		}
	}
	m->msg = d + pos;
	m->msg_len = len - pos;
}

int syslog_parse(const char *data, size_t len, struct syslog_msg *m, struct err *e)
{
	size_t pos = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = parse_pri(data, len, m, &pos, e)))
		return rc;
	if (len - pos >= 2 && data[pos] == '1' && data[pos + 1] == ' ')
		return parse5424(data, len, pos, m, e);
	parse3164(data, len, pos, m);
	return 0;
}

/* The event's JSON text */

/* s[0..n) as a JSON string: invalid UTF-8 bytes become U+FFFD. */
static void add_json_str(struct buf *b, const char *s, size_t n)
{
	buf_addch(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			buf_addch(b, '\\');
			buf_addch(b, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_addf(b, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			buf_addch(b, (char)c);
			i++;
		} else {
			k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (k > 1 && i + k <= n && utf8_valid(s + i, k)) {
				buf_add(b, s + i, k);
				i += k;
			} else {
				buf_adds(b, "\\ufffd");
				i++;
			}
		}
	}
	buf_addch(b, '"');
}

static void add_member(struct buf *b, int *first, const char *name, const char *v, size_t n)
{
	if (!v)
		return;
	buf_adds(b, *first ? "{" : ",");
	*first = 0;
	add_json_str(b, name, strlen(name));
	buf_addch(b, ':');
	add_json_str(b, v, n);
}

static void add_number(struct buf *b, int *first, const char *name, long v)
{
	buf_adds(b, *first ? "{" : ",");
	*first = 0;
	buf_addf(b, "\"%s\":%ld", name, v);
}

static int has_field(const struct event *ev, const char *name)
{
	size_t pos = 0;

	return event_find(ev, name, strlen(name), event_name_hash(name, strlen(name)), &pos) != NULL;
}

/*
 * MSG is a JSON object: it, with host and app added unless it has them.
 * ev is scratch space for decoding it (reused from message to message).
 */
static int json_payload(const struct syslog_msg *m, struct buf *out, struct event *ev)
{
	struct err e;
	size_t end = m->msg_len;
	int ok;

	err_clear(&e);
	ok = m->msg_len > 0 && m->msg[0] == '{' &&
	     event_decode(ev, m->msg, m->msg_len, PROFILE_FLAT, &e) == 0;
	if (ok) {
		size_t i = 1;
		int first;

		while (i < m->msg_len && strchr(" \t\r\n", m->msg[i]))
			i++;
		first = m->msg[i] == '}'; /* an empty object: the members start it */
		while (end > 0 && m->msg[end - 1] != '}')
			end--;
		if (!first)
			buf_add(out, m->msg, end - 1);
		if (m->host && !has_field(ev, "host"))
			add_member(out, &first, "host", m->host, m->host_len);
		if (m->app && !has_field(ev, "app"))
			add_member(out, &first, "app", m->app, m->app_len);
		if (first)
			buf_addch(out, '{');
		buf_addch(out, '}');
	}
	return ok;
}

/* syslog_to_json with ev as the scratch space of a JSON payload's decode. */
static int to_json(const char *data, size_t len, struct buf *out, struct event *ev,
		   struct err *e)
{
	struct syslog_msg m;
	int first = 1, rc;

	if ((rc = syslog_parse(data, len, &m, e)))
		return rc;
	if (json_payload(&m, out, ev))
		return buf_error(out) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
	add_member(out, &first, "Computer", m.host, m.host_len);
	add_member(out, &first, "host", m.host, m.host_len);
	add_member(out, &first, "app", m.app, m.app_len);
	add_member(out, &first, "pid", m.procid, m.procid_len);
	add_member(out, &first, "msgid", m.msgid, m.msgid_len);
	add_number(out, &first, "facility", m.facility);
	add_number(out, &first, "severity", m.severity);
	add_member(out, &first, "timestamp", m.timestamp, m.timestamp_len);
	add_member(out, &first, "sd", m.sd, m.sd_len);
	add_member(out, &first, "msg", m.msg, m.msg_len);
	add_number(out, &first, "syslog_format", m.format);
	buf_addch(out, '}');
	return buf_error(out) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

int syslog_to_json(const char *data, size_t len, struct buf *out, struct err *e)
{
	struct event ev;
	int rc;

	event_init(&ev);
	rc = to_json(data, len, out, &ev, e);
	event_release(&ev);
	return rc;
}

int syslog_event(struct event *ev, struct buf *json, const char *data, size_t len,
		 struct err *e)
{
	int rc;

	buf_reset(json);
	if ((rc = syslog_to_json(data, len, json, e)))
		return rc;
	return event_decode(ev, json->data, json->len, PROFILE_AUTO, e);
}

/* Framing */

enum syslog_frame_result syslog_frame(struct syslog_framer *f, const char *data, size_t len,
				      int eof, size_t *used, size_t *off, size_t *mlen)
{
	size_t i = 0;

	*used = 0;
	for (;;) {
		if (f->skip) {
			size_t n = len - i < f->skip ? len - i : f->skip;
			f->skip -= n;
			i += n;
			if (f->skip)
				break;
		}
		if (f->discard_line) {
			const char *nl = memchr(data + i, '\n', len - i);
			if (!nl) {
				i = len;
				break;
			}
			i = (size_t)(nl - data) + 1;
			f->discard_line = 0;
		}
		while (i < len && (data[i] == '\n' || data[i] == '\r' || data[i] == '\0'))
			i++; /* empty lines, or the newline some senders add after a counted frame */
		if (i == len)
			break;
		if (is_digit(data[i])) {
			size_t j = i, n = 0;

			while (j < len && is_digit(data[j]) && j - i < 10)
				n = n * 10 + (size_t)(data[j++] - '0');
			if (j == len) {
				*used = i;
				return eof ? SYSLOG_BAD : SYSLOG_MORE;
			}
			if (data[j] != ' ' || n == 0) {
				*used = i;
				return SYSLOG_BAD;
			}
			j++;
			if (n > SYSLOG_MSG_MAX) {
				f->skip = n;
				*used = j;
				return SYSLOG_DROPPED;
			}
			if (len - j < n) {
				*used = i;
				return SYSLOG_MORE;
			}
			*off = j;
			*mlen = n;
			*used = j + n;
			return SYSLOG_FRAME;
		} else {
			const char *nl = memchr(data + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - data) : len;

			if (end - i > SYSLOG_MSG_MAX) {
				*off = i;
				*mlen = SYSLOG_MSG_MAX;
				*used = i + SYSLOG_MSG_MAX;
				f->discard_line = 1;
				return SYSLOG_TRUNCATED;
			}
			if (!nl && !eof) {
				*used = i;
				return SYSLOG_MORE;
			}
			*off = i;
			*used = nl ? end + 1 : end;
			while (end > i && (data[end - 1] == '\r' || data[end - 1] == '\0'))
				end--;
			*mlen = end - i;
			return SYSLOG_FRAME;
		}
	}
	*used = i;
	return SYSLOG_MORE;
}

/* The listeners */

#define CONN_MAX_DEFAULT 64
#define CONN_BUF (SYSLOG_MSG_MAX + 64)

struct conn {
	int fd;
	int eof;
	char *buf;
	size_t len;
	struct syslog_framer fr;
	int pending;                 /* a frame waits for room in the queue */
	size_t pend_off, pend_len, pend_used;
	int pend_trunc;
};

struct syslog_server {
	struct intake *intake;
	int udp_fd, tcp_fd;
	int udp_port, tcp_port;
	int stop_pipe[2];
	pthread_t udp_thread, tcp_thread;
	int udp_started, tcp_started;
	int max_conns;
	pthread_mutex_t lock;
	struct syslog_stats stats;  /* under lock */
};

static void count(struct syslog_server *s, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&s->lock);
	*field += n;
	pthread_mutex_unlock(&s->lock);
}

/* What a reading thread reuses from message to message. */
struct relay {
	struct buf json;
	struct event ev;
};

static void relay_init(struct relay *r)
{
	buf_init(&r->json, 0);
	event_init(&r->ev);
}

static void relay_release(struct relay *r)
{
	buf_release(&r->json);
	event_release(&r->ev);
}

/* Parse one message and queue it: 0, ERR_BUSY (queue full) or ERR_PARSE (counted). */
static int deliver(struct syslog_server *s, struct relay *r, const char *msg, size_t len)
{
	struct buf *json = &r->json;
	struct err e;
	int rc;

	err_clear(&e);
	buf_reset(json);
	rc = to_json(msg, len, json, &r->ev, &e);
	if (rc) {
		count(s, &s->stats.malformed, 1);
		log_debug("syslog: message dropped: %s", err_msg(&e));
		return rc;
	}
	return intake_offer(s->intake, json->data, json->len, &e);
}

static int stopped(struct syslog_server *s, struct pollfd *p)
{
	return (p->revents & (POLLIN | POLLHUP)) != 0 && p->fd == s->stop_pipe[0];
}

static void *udp_main(void *arg)
{
	struct syslog_server *s = arg;
	struct relay r;
	char *dgram = malloc(SYSLOG_MSG_MAX + 1);

	relay_init(&r);
	if (!dgram) {
		log_error("syslog: out of memory");
		return NULL;
	}
	for (;;) {
		struct pollfd p[2] = { { s->stop_pipe[0], POLLIN, 0 }, { s->udp_fd, POLLIN, 0 } };
		ssize_t n;
		size_t len;
		int rc;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (stopped(s, &p[0]))
			break;
		if (!(p[1].revents & POLLIN))
			continue;
		n = recv(s->udp_fd, dgram, SYSLOG_MSG_MAX + 1, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			continue;
		count(s, &s->stats.udp_received, 1);
		len = (size_t)n;
		if (len > SYSLOG_MSG_MAX) {
			len = SYSLOG_MSG_MAX;
			count(s, &s->stats.truncated, 1);
		}
		while (len > 0 && (dgram[len - 1] == '\n' || dgram[len - 1] == '\r' ||
				   dgram[len - 1] == '\0'))
			len--;
		rc = deliver(s, &r, dgram, len);
		if (rc == ERR_BUSY)
			count(s, &s->stats.udp_dropped, 1);
	}
	free(dgram);
	relay_release(&r);
	return NULL;
}

static void conn_close(struct syslog_server *s, struct conn *c)
{
	if (c->len || c->fr.skip)
		log_warn("syslog: connection closed with %zu bytes of an incomplete frame",
			 c->len + c->fr.skip);
	(void)s;
	close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

/*
 * Queue the complete frames buffered on c while the queue has room. 1 when
 * a frame waits for room (kept in c->pend_*), 0 when all are taken, -1
 * when c is to be closed (end of stream, or a stream that cannot be framed).
 */
/*
 * Queue the frames read on c: 0 (wants more), 1 (the queue is full: the
 * frame waits as pending), -1 (close c). The frames used go from the
 * buffer at once at the end, not one by one.
 */
static int conn_drain(struct syslog_server *s, struct conn *c, struct relay *r)
{
	size_t base = 0;
	uint64_t received = 0, truncated = 0, oversize = 0;
	int rc;

	for (;;) {
		enum syslog_frame_result fr = SYSLOG_FRAME;
		size_t used, off = 0, mlen = 0;

		if (c->pending) {
			off = c->pend_off;
			mlen = c->pend_len;
			used = c->pend_used;
			fr = c->pend_trunc ? SYSLOG_TRUNCATED : SYSLOG_FRAME;
		} else {
			fr = syslog_frame(&c->fr, c->buf + base, c->len - base, c->eof, &used, &off,
					  &mlen);
		}
		if (fr == SYSLOG_FRAME || fr == SYSLOG_TRUNCATED) {
			if (deliver(s, r, c->buf + base + off, mlen) == ERR_BUSY) {
				/* Offsets from base, which becomes the buffer's start below. */
				c->pending = 1;
				c->pend_off = off;
				c->pend_len = mlen;
				c->pend_used = used;
				c->pend_trunc = fr == SYSLOG_TRUNCATED;
				rc = 1;
				break;
			}
			c->pending = 0;
			received++;
			truncated += fr == SYSLOG_TRUNCATED;
		} else if (fr == SYSLOG_DROPPED) {
			oversize++;
		} else if (fr == SYSLOG_BAD) {
			count(s, &s->stats.malformed, 1);
			log_warn("syslog: closing a TCP connection that cannot be framed");
			c->len = base = 0;
			rc = -1;
			break;
		}
		base += used;
		if (fr == SYSLOG_MORE) {
			rc = c->eof ? -1 : 0;
			break;
		}
	}
	if (base) {
		memmove(c->buf, c->buf + base, c->len - base);
		c->len -= base;
	}
	pthread_mutex_lock(&s->lock);
	s->stats.tcp_received += received;
	s->stats.truncated += truncated;
	s->stats.oversize += oversize;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void *tcp_main(void *arg)
{
	struct syslog_server *s = arg;
	struct relay r;
	struct conn *conns = calloc((size_t)s->max_conns, sizeof(*conns));
	struct pollfd *p = calloc((size_t)s->max_conns + 2, sizeof(*p));
	int *idx = calloc((size_t)s->max_conns + 2, sizeof(*idx));
	int nconns = 0;

	relay_init(&r);
	if (!conns || !p || !idx) {
		log_error("syslog: out of memory");
		goto out;
	}
	for (int i = 0; i < s->max_conns; i++)
		conns[i].fd = -1;
	for (;;) {
		int np = 0, blocked = 0;
		size_t room;

		/* Frames read earlier go first; a connection waiting for room is not read. */
		for (int i = 0; i < s->max_conns; i++) {
			struct conn *c = &conns[i];
			int rc;

			if (c->fd < 0)
				continue;
			rc = conn_drain(s, c, &r);
			if (rc < 0) {
				conn_close(s, c);
				nconns--;
			} else if (rc > 0) {
				blocked = 1;
			}
		}
		room = intake_room(s->intake, 0);
		p[np].fd = s->stop_pipe[0];
		p[np].events = POLLIN;
		idx[np++] = -1;
		if (nconns < s->max_conns) {
			p[np].fd = s->tcp_fd;
			p[np].events = POLLIN;
			idx[np++] = -2;
		}
		for (int i = 0; i < s->max_conns && room > 0; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0 || c->pending || c->len == CONN_BUF)
				continue;
			p[np].fd = c->fd;
			p[np].events = POLLIN;
			idx[np++] = i;
		}
		for (int i = 0; i < np; i++)
			p[i].revents = 0;
		/* While the queue is full, look again for room every few milliseconds. */
		if (poll(p, (nfds_t)np, blocked || room == 0 ? 20 : -1) < 0 && errno != EINTR)
			break;
		if (stopped(s, &p[0]))
			break;
		if (room == 0 || blocked)
			intake_room(s->intake, 20);
		for (int k = 1; k < np; k++) {
			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (idx[k] == -2) {
				int fd = accept(s->tcp_fd, NULL, NULL);
				if (fd < 0)
					continue;
				for (int i = 0; i < s->max_conns; i++) {
					if (conns[i].fd >= 0)
						continue;
					conns[i].buf = malloc(CONN_BUF);
					if (!conns[i].buf) {
						close(fd);
						break;
					}
					conns[i].fd = fd;
					conns[i].len = 0;
					conns[i].eof = 0;
					conns[i].pending = 0;
					memset(&conns[i].fr, 0, sizeof(conns[i].fr));
					nconns++;
					count(s, &s->stats.tcp_connections, 1);
					break;
				}
			} else {
				struct conn *c = &conns[idx[k]];
				ssize_t n = recv(c->fd, c->buf + c->len, CONN_BUF - c->len, MSG_DONTWAIT);

				if (n > 0)
					c->len += (size_t)n;
				else if (n == 0 || (errno != EAGAIN && errno != EINTR))
					c->eof = 1;
			}
		}
	}
out:
	if (conns)
		for (int i = 0; i < s->max_conns; i++)
			if (conns[i].fd >= 0)
				conn_close(s, &conns[i]);
	free(conns);
	free(p);
	free(idx);
	relay_release(&r);
	return NULL;
}

/* "ADDR:PORT" (IPv4, or [IPv6]) into a socket address. */
static int parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		      struct err *e)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return err_set(e, ERR_USAGE, "%s: expected ADDR:PORT", spec);
	port = strtol(colon + 1, &end, 10);
	hl = (size_t)(colon - spec);
	if (!colon[1] || *end || port < 0 || port > 65535 || hl == 0 || hl >= sizeof(host))
		return err_set(e, ERR_USAGE, "%s: expected ADDR:PORT", spec);
	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[' && spec[hl - 1] == ']' && hl > 2) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		memcpy(host, spec + 1, hl - 2);
		host[hl - 2] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return err_set(e, ERR_USAGE, "%s: not an IPv6 address", spec);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		memcpy(host, spec, hl);
		host[hl] = '\0';
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(e, ERR_USAGE, "%s: not an IPv4 address", spec);
	}
	return 0;
}

static int bind_socket(const char *spec, int type, int *fd, int *port, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	if ((rc = parse_addr(spec, &ss, &len, e)))
		return rc;
	*fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return err_set(e, ERR_IO, "%s: cannot create a socket: %s", spec, strerror(errno));
	setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(*fd, (struct sockaddr *)&ss, len) != 0 ||
	    (type == SOCK_STREAM && listen(*fd, 64) != 0))
		return err_set(e, ERR_IO, "%s: cannot listen: %s", spec, strerror(errno));
	len = sizeof(ss);
	if (getsockname(*fd, (struct sockaddr *)&ss, &len) != 0)
		return err_set(e, ERR_IO, "%s: %s", spec, strerror(errno));
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int syslog_start(const struct syslog_config *cfg, struct syslog_server **out, struct err *e)
{
	struct syslog_server *s = calloc(1, sizeof(*s));
	int rc = 0;

	*out = NULL;
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->intake = cfg->intake;
	s->udp_fd = s->tcp_fd = -1;
	s->max_conns = cfg->max_connections > 0 ? cfg->max_connections : CONN_MAX_DEFAULT;
	pthread_mutex_init(&s->lock, NULL);
	if (pipe2(s->stop_pipe, O_CLOEXEC) != 0) {
		s->stop_pipe[0] = s->stop_pipe[1] = -1;
		rc = err_set(e, ERR_IO, "syslog: cannot create a pipe: %s", strerror(errno));
	}
	if (!rc && cfg->udp)
		rc = bind_socket(cfg->udp, SOCK_DGRAM, &s->udp_fd, &s->udp_port, e);
	if (!rc && cfg->tcp)
		rc = bind_socket(cfg->tcp, SOCK_STREAM, &s->tcp_fd, &s->tcp_port, e);
	if (!rc && cfg->tcp)
		fcntl(s->tcp_fd, F_SETFL, O_NONBLOCK);
	if (!rc && s->udp_fd >= 0) {
		if (pthread_create(&s->udp_thread, NULL, udp_main, s) != 0)
			rc = err_set(e, ERR_INTERNAL, "cannot start the syslog UDP listener");
		else
			s->udp_started = 1;
	}
	if (!rc && s->tcp_fd >= 0) {
		if (pthread_create(&s->tcp_thread, NULL, tcp_main, s) != 0)
			rc = err_set(e, ERR_INTERNAL, "cannot start the syslog TCP listener");
		else
			s->tcp_started = 1;
	}
	if (rc) {
		syslog_stop(s);
		return rc;
	}
	if (s->udp_fd >= 0)
		log_info("syslog: listening on udp %s (port %d)", cfg->udp, s->udp_port);
	if (s->tcp_fd >= 0)
		log_info("syslog: listening on tcp %s (port %d)", cfg->tcp, s->tcp_port);
	*out = s;
	return 0;
}

int syslog_udp_port(const struct syslog_server *s) { return s->udp_port; }
int syslog_tcp_port(const struct syslog_server *s) { return s->tcp_port; }

void syslog_get_stats(struct syslog_server *s, struct syslog_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

void syslog_stop(struct syslog_server *s)
{
	if (!s)
		return;
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]); /* every poll sees the hang-up */
	if (s->udp_started)
		pthread_join(s->udp_thread, NULL);
	if (s->tcp_started)
		pthread_join(s->tcp_thread, NULL);
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	log_info("syslog: udp %llu received, %llu dropped; tcp %llu received over %llu connections; "
		 "%llu malformed, %llu truncated, %llu oversize",
		 (unsigned long long)s->stats.udp_received, (unsigned long long)s->stats.udp_dropped,
		 (unsigned long long)s->stats.tcp_received,
		 (unsigned long long)s->stats.tcp_connections, (unsigned long long)s->stats.malformed,
		 (unsigned long long)s->stats.truncated, (unsigned long long)s->stats.oversize);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
