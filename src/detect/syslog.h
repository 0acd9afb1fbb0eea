/*
 * syslog.h: syslog intake (issue 6, item 5). Parses one syslog message
 * (RFC 5424 or RFC 3164) into the JSON text of an event for the detection
 * queue, splits a TCP stream into messages (octet-counting or newline
 * framing, RFC 6587), and runs the UDP and TCP listeners of `irdesk serve`.
 */
#ifndef IRDESK_DETECT_SYSLOG_H
#define IRDESK_DETECT_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct event;
struct intake;

/* The longest message taken: longer ones are truncated (newline framing, UDP) or dropped. */
#define SYSLOG_MSG_MAX (64u << 10)

/* One parsed message: spans into the caller's text (borrowed), absent ones NULL. */
struct syslog_msg {
	int format;                 /* 5424 or 3164 */
	int facility, severity;
	const char *timestamp, *host, *app, *procid, *msgid, *sd, *msg;
	size_t timestamp_len, host_len, app_len, procid_len, msgid_len, sd_len, msg_len;
};

/*
 * Parse data[0..len) (one message without its framing) into *m. RFC 5424
 * when VERSION 1 follows the PRI, RFC 3164 otherwise (a message without its
 * "Mmm dd hh:mm:ss HOST" header is all MSG). A UTF-8 BOM before MSG is
 * dropped. ERR_PARSE when the PRI is missing or malformed, or a 5424 header
 * or its STRUCTURED-DATA is.
 */
int syslog_parse(const char *data, size_t len, struct syslog_msg *m, struct err *e);

/*
 * Parse data[0..len) and append the JSON text of its event to out. When MSG
 * is a JSON object, that object with "host" and "app" added (unless it has
 * fields of those names); otherwise a flat object of the fields documented
 * in docs/cli.md (Computer, host, app, pid, msgid, facility, severity,
 * timestamp, sd, msg, syslog_format). Invalid UTF-8 in text becomes U+FFFD.
 * Fails like syslog_parse.
 */
int syslog_to_json(const char *data, size_t len, struct buf *out, struct err *e);

/*
 * syslog_to_json into json (reset first), then event_decode of it (auto
 * profile) into ev: the event as detection sees it. ev points into json.
 */
int syslog_event(struct event *ev, struct buf *json, const char *data, size_t len,
		 struct err *e);

/* The state of one TCP stream between calls of syslog_frame. Zero it to start. */
struct syslog_framer {
	size_t skip;       /* bytes of an oversize octet-counted frame still to discard */
	int discard_line;  /* discarding the rest of a truncated line */
};

enum syslog_frame_result {
	SYSLOG_MORE,       /* no complete frame in data: read more (*used may be > 0) */
	SYSLOG_FRAME,      /* a message at data[*off..*off+*len) */
	SYSLOG_TRUNCATED,  /* a message, truncated to SYSLOG_MSG_MAX bytes */
	SYSLOG_DROPPED,    /* an octet-counted frame longer than SYSLOG_MSG_MAX, discarded */
	SYSLOG_BAD,        /* the stream cannot be framed (a length of too many digits) */
};

/*
 * Take the next frame from data[0..len), the unread bytes of a stream. The
 * framing is chosen per frame by its first byte: a digit for octet
 * counting ("LEN SP MSG"), anything else for a newline-terminated message
 * (a CR or NUL before the newline is dropped, empty lines skipped). *used
 * gets the bytes consumed, to be removed by the caller. With eof set, a
 * final line without its newline is a message too.
 */
enum syslog_frame_result syslog_frame(struct syslog_framer *f, const char *data, size_t len,
				      int eof, size_t *used, size_t *off, size_t *mlen);

/* The listeners of `irdesk serve`. */
struct syslog_server;

struct syslog_stats {
	uint64_t udp_received, udp_dropped;  /* datagrams; dropped: queue full */
	uint64_t tcp_received, tcp_connections; /* messages; connections accepted */
	uint64_t malformed, truncated, oversize; /* over both */
};

struct syslog_config {
	const char *udp, *tcp;  /* ADDR:PORT each, or NULL (port 0 picks one) */
	struct intake *intake;  /* borrowed; must outlive the server */
	int max_connections;    /* 0: 64 */
};

/*
 * Bind the listeners and start one thread each. Events go to the intake
 * queue: when it is full, TCP stops reading its connections until there is
 * room, and UDP counts the datagram as dropped. *out is the caller's.
 * ERR_USAGE for a bad address, ERR_IO when it cannot be bound.
 */
int syslog_start(const struct syslog_config *cfg, struct syslog_server **out, struct err *e);
/* The bound ports (0 for a listener not configured). */
int syslog_udp_port(const struct syslog_server *s);
int syslog_tcp_port(const struct syslog_server *s);
void syslog_get_stats(struct syslog_server *s, struct syslog_stats *out);
/* Close the listeners and connections, join the threads, free. NULL is fine. */
void syslog_stop(struct syslog_server *s);

#endif
