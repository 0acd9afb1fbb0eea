/*
 * mail.h: the reported-mail analyser. A raw message (bytes) is parsed with
 * GMime (mail_parse.c), its indicators extracted (mail_ioc.c), its
 * authentication headers read (mail_auth.c), BEC and phishing signals
 * found (mail_signals.c, mail_lookalike.c) and a verdict given from a
 * configuration (mail_config.c, mail_verdict.c); mail_json.c prints it.
 */
#ifndef IRDESK_MAIL_MAIL_H
#define IRDESK_MAIL_MAIL_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

struct err;

/* Limits that keep hostile input bounded (issue 7, item 7). */
#define MAIL_MAX_SIZE        (32u * 1024 * 1024) /* whole message */
#define MAIL_MAX_DEPTH       16                  /* MIME nesting walked */
#define MAIL_MAX_FORWARD     4                   /* message/rfc822 unwrapped */
#define MAIL_MAX_PARTS       512                 /* MIME parts looked at */
#define MAIL_MAX_HEADER      (64u * 1024)        /* one decoded header value */
#define MAIL_MAX_TEXT        (2u * 1024 * 1024)  /* body text kept for checks */
#define MAIL_MAX_ITEMS       256                 /* links, attachments, IOCs of one kind */

/* A growable list of owned strings; never NULL-terminated, n counts. */
struct strv {
	char **v;
	size_t n, cap;
};
void strv_add(struct strv *s, const char *str);
/* Add str unless an equal string is present (or the list is at MAIL_MAX_ITEMS). */
void strv_add_unique(struct strv *s, const char *str);
int strv_has(const struct strv *s, const char *str);
void strv_release(struct strv *s);

struct mail_link {
	char *href;   /* as written, entities decoded */
	char *text;   /* visible text, whitespace collapsed */
	size_t at;    /* parse state: where in the body text the link ended */
};

struct mail_attachment {
	char *name;          /* decoded file name, "" when none */
	char *declared_type; /* "type/subtype" from Content-Type */
	const char *sniffed; /* from the first bytes: "zip", "pdf", "pe", "ole", "iso", ... or "" */
	size_t size;         /* decoded bytes */
	char sha256[65];
	int encrypted;       /* a zip with an encrypted entry */
	int macros;          /* OOXML with vbaProject.bin or OLE with a VBA stream */
	int truncated;       /* decoded beyond the limit: hashed only what was read */
};

/* A parsed message: what the checks read. Everything is UTF-8. */
struct mail_msg {
	char *from_name, *from_addr;   /* From display name and address ("" when none) */
	char from_local[65];           /* the From mailbox name as written (case kept) */
	char *reply_to;                /* first Reply-To address or "" */
	char *return_path;             /* Return-Path address or "" */
	char *sender;                  /* Sender address or "" */
	char *to_name, *to_addr;       /* first To display name and address ("" when none) */
	int from_count;                /* addresses in From (phishing lists several) */
	int threaded;                  /* has In-Reply-To or References */
	int report;                    /* a delivery report (multipart/report, bounce sender) */
	int null_sender;               /* Return-Path: <> (reports and automatic replies) */
	char *subject, *message_id, *date, *list_id;
	int list_headers;              /* List-Id, List-Post, Mailing-List or Precedence: list */
	int unsubscribe;               /* has List-Unsubscribe */
	struct strv auth_results;      /* Authentication-Results values, top first */
	struct strv received_spf;      /* Received-SPF values, top first */
	struct strv received;          /* Received values, top first */
	struct buf text;               /* plain text + HTML reduced to text */
	struct mail_link *links;
	size_t nlinks;
	struct mail_attachment *atts;
	size_t natts;
	int forwarded;                 /* analysed the original of a report (attached or inline) */
	int inline_forward;            /* ... forwarded inline: only From, To, Subject, Date known */
	int inline_want;               /* parse state: cut text parts at a forward block */
	int parts;                     /* MIME parts seen */
	int plain_parts, html_parts;   /* text bodies by kind */
	int images;                    /* <img> tags in HTML bodies */
	size_t html_text;              /* text bytes that HTML bodies contributed */
	struct strv notes;             /* what was cut short: "depth limit", "truncated" ... */
};

/*
 * Parse data[0..n) into m (zeroed by this function; release with
 * mail_msg_release even on failure). unwrap: 1 to analyse the attached
 * original of a forwarded report, 0 never, -1 when it looks like one
 * (a Fwd/FW/転送 subject); the original forwarded inline when the subject
 * is a forward. reporters (own domains; NULL or empty: anyone): only a
 * mail from one of them is a report to unwrap, since an outsider's mail
 * that carries another is itself what must be judged.
 * Returns 0, ERR_TOOLONG for input over MAIL_MAX_SIZE, ERR_PARSE when the
 * bytes are no message at all.
 */
int mail_parse(const char *data, size_t n, int unwrap, const struct strv *reporters, struct mail_msg *m,
	       struct err *e);
void mail_msg_release(struct mail_msg *m);

/* The header block of a mail forwarded inline (mail_forward.c). */
struct mail_fwd {
	char *from, *to, *reply_to, *subject, *date; /* values as written, NULL when absent */
	size_t start, end; /* the block's first byte; the original's text starts at end */
};
/* Find the first forward block in text s[0..n) into f (zeroed here); 1 when found. */
int mail_fwd_find(const char *s, size_t n, struct mail_fwd *f);
void mail_fwd_release(struct mail_fwd *f);

/*
 * Decode a header value: RFC 2047 encoded words with the charset fallback
 * chain, raw 8-bit bytes guessed the same way. Returns a malloc'd UTF-8
 * string (never NULL on success), capped at MAIL_MAX_HEADER bytes.
 */
char *mail_decode_header(const char *raw);
/*
 * Convert n bytes in charset cs (NULL or unknown: guessed) to UTF-8,
 * appended to out. ISO-2022-JP, CP932 and EUC-JP go through ICU.
 */
void mail_to_utf8(const char *cs, const char *s, size_t n, struct buf *out);

/* ---- configuration (mail_config.c) ---- */

struct mail_exec {
	char *name, *name_en, *email;
};

enum mail_phrase_kind {
	PHRASE_PAYMENT_CHANGE, PHRASE_PAYMENT, PHRASE_URGENCY, PHRASE_SECRECY,
	PHRASE_CHAT_GROUP, PHRASE_CREDENTIAL, PHRASE_ADVANCE_FEE, PHRASE_LURE,
	PHRASE_DATA_REQUEST, PHRASE__COUNT
};

struct mail_config {
	struct strv own_domains, partner_domains, freemail, known_senders;
	struct mail_exec *execs;
	size_t nexecs;
	char *authserv_id;          /* NULL: trust the topmost Authentication-Results */
	int unwrap;                 /* "unwrap_forwards": 1 always, 0 never, -1 auto */
	int threshold_suspicious;   /* score at which a mail is suspicious */
	int threshold_malicious;    /* score for bec/phishing */
	struct strv phrases[PHRASE__COUNT]; /* phrase lists by enum mail_phrase_kind */
	struct strv risky_hosts;    /* link hosts abused for phishing pages */
	struct strv shorteners;
	struct strv tenants;        /* free cloud-tenant sender domains (onmicrosoft.com ...) */
	struct strv brands;         /* lines "brand [domain...]" from data/mail/brands.txt */
	struct strv risky_tlds;     /* top-level domains registered in bulk for fraud ("xyz", "top") */
	struct strv role_names;     /* company functions in display names ("billing team", "サポート") */
	struct strv charge_words;   /* a charge, order or renewal one is told of ("auto-renew") */
	struct strv unsubscribe_words; /* how bulk mail offers to opt out ("unsubscribe", "配信停止") */
};

/*
 * Load the configuration: the embedded defaults (data/mail/), then the
 * JSON file at path when it is not NULL. Returns 0, ERR_NOTFOUND for a
 * missing file, ERR_PARSE / ERR_INVALID naming the file and key.
 */
int mail_config_load(struct mail_config **out, const char *path, struct err *e);
/* The same from a JSON text already in memory (what the web UI stores). */
int mail_config_parse(struct mail_config **out, const char *json, size_t n, struct err *e);
void mail_config_free(struct mail_config *c);

/* ---- text helpers (mail_lookalike.c) ---- */

/* NFKC + case fold of s into a malloc'd string (wave dashes unified). */
char *mail_fold(const char *s);
/* The registrable domain (libpsl) of host in lower-case ASCII, malloc'd, or NULL. */
char *mail_registrable(const char *host);
/* host to lower-case ASCII (punycode for IDN), malloc'd, or NULL when invalid. */
char *mail_host_ascii(const char *host);
/*
 * If domain (any form) looks like one of targets without being it, return
 * the target and put the kind ("confusable", "edit1", "suffix", "idn") in
 * *how; else NULL.
 */
const char *mail_lookalike(const char *domain, const struct strv *targets, const char **how);
/* 1 when reg (a registrable domain) is an internationalised domain whose
 * first label, as Unicode, reads as word (a brand): the same confusable
 * skeleton, or one letter off for words over four letters (rοbinhood with a
 * Greek omicron, robịnhood). */
int mail_homograph_of(const char *reg, const char *word);
/* 1 when name looks like the executive's name (exact, near or skeleton). */
int mail_name_like(const char *display, const char *exec_name);
/* 1 when the address's domain is listed (registrable domains compared). */
int mail_domain_in(const char *addr_or_domain, const struct strv *list);
/* The part after '@' (borrowed pointer into addr), or addr when it has none. */
const char *mail_addr_domain(const char *addr);

/* ---- indicators (mail_ioc.c) ---- */

struct mail_iocs {
	struct strv urls, domains, ips, emails, hashes;
};
/* Extract indicators from m (defanged forms refanged). */
void mail_iocs_extract(const struct mail_msg *m, struct mail_iocs *io);
/*
 * Indicators in free text s[0..n) (defanged forms refanged): urls and their
 * domains, e-mail addresses, public IPv4 addresses. io is zeroed here.
 */
void mail_iocs_from_text(const char *s, size_t n, struct mail_iocs *io);
void mail_iocs_release(struct mail_iocs *io);
/* The host of url (lower case, userinfo and port removed), malloc'd, or NULL. */
char *mail_url_host(const char *url);

/* ---- authentication (mail_auth.c) ---- */

struct mail_auth {
	char spf[32], dkim[32], dmarc[32], compauth[32]; /* results, "" when absent */
	char spf_domain[256];
	struct strv dkim_domains;        /* d= of passing signatures */
	int spf_aligned, dkim_aligned;   /* with the From domain (relaxed) */
	int trusted;                     /* found a header we trust */
	char authserv_id[256];
};
void mail_auth_read(const struct mail_msg *m, const struct mail_config *c, struct mail_auth *a);
void mail_auth_release(struct mail_auth *a);

/* ---- verdict (mail_signals.c, mail_verdict.c) ---- */

enum mail_group {
	GROUP_IDENTITY, GROUP_ROUTING, GROUP_AUTH, GROUP_LANGUAGE, GROUP_LINK,
	GROUP_ATTACHMENT, GROUP_CONTEXT, GROUP_CONTENT, GROUP__COUNT
};

struct mail_reason {
	const char *code;   /* static: "lookalike_domain" ... */
	int weight;
	enum mail_group group;
	int strong;         /* may make a verdict alone */
	int bec;            /* points to BEC rather than phishing */
	char *detail;       /* the evidence: which header, which words */
};

enum mail_verdict { VERDICT_CLEAN, VERDICT_SUSPICIOUS, VERDICT_PHISHING, VERDICT_BEC };

struct mail_result {
	struct mail_msg msg;
	struct mail_iocs iocs;
	struct mail_auth auth;
	struct mail_reason *reasons;
	size_t nreasons;
	enum mail_verdict verdict;
	int score;
	char *folded;   /* subject and body text, NFKC + case fold, spaces collapsed (or NULL) */
};

/* Append a reason (detail printf-style). */
void mail_reason_add(struct mail_result *r, const char *code, enum mail_group g, int weight,
		     int strong, int bec, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Run every signal over r->msg, r->auth and r->iocs. */
void mail_signals_run(struct mail_result *r, const struct mail_config *c);
/* The signals of bulk fraud (mail_bulk.c); list: mail from a mailing list. */
void mail_bulk_checks(struct mail_result *r, const struct mail_config *c, int list);
/* 1 when host is one of suffixes or under one of them. */
int mail_host_under(const char *host, const struct strv *suffixes);
/* 1 when hosts a and b have the same registrable domain. */
int mail_same_reg(const char *a, const char *b);
/* 1 when needle occurs in hay with no letter or digit right before or after it. */
int mail_has_word(const char *hay, const char *needle);
/* 1 for a delivery report or a mail from a mailer daemon or postmaster. */
int mail_is_bounce(const struct mail_msg *m);

/*
 * Analyse the raw message data[0..n) with configuration c into r (zeroed
 * here; release with mail_result_release even on failure). Returns 0 or
 * the error of mail_parse.
 */
int mail_analyze(const struct mail_config *c, const char *data, size_t n, struct mail_result *r,
		 struct err *e);
void mail_result_release(struct mail_result *r);
const char *mail_verdict_name(enum mail_verdict v);

/* r as a JSON object: file, verdict, score, reasons, iocs, auth, message. New reference. */
json_t *mail_result_json(const struct mail_result *r, const char *file);

#endif
