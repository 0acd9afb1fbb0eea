/*
 * report.h: reports generated from the incident record (domain.md §3-§4):
 * the internal incident report (Appendix C table 1, the type's table, NIST
 * Appendix B, timeline, actions, notifications, evidence), the APPI report
 * to the Personal Information Protection Commission with its nine items
 * (速報 preliminary, then 確報 final) and a public-notice draft; in
 * Japanese or English, as printable HTML (one self-contained file) or
 * Markdown.
 *
 * Every generation is kept as a numbered version per incident and kind,
 * byte for byte with its SHA-256, so that what was reported when can
 * always be shown and compared; generating is audited.
 */
#ifndef IRDESK_IR_REPORT_H
#define IRDESK_IR_REPORT_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct buf;
struct err;
struct store;

/* X(NAME, api name, Japanese, English) */
#define REPORT_KINDS(X)                                                                 \
	X(INCIDENT, incident, "インシデント報告書", "Incident report")                   \
	X(APPI_PRELIMINARY, appi_preliminary, "個人情報保護委員会への報告(速報)",        \
	  "APPI report to the PPC (preliminary)")                                        \
	X(APPI_FINAL, appi_final, "個人情報保護委員会への報告(確報)",                    \
	  "APPI report to the PPC (final)")                                              \
	X(NOTICE, notice, "公表文(案)", "Public notice (draft)")

enum report_kind {
#define X(N, n, ja, en) REPORT_##N,
	REPORT_KINDS(X)
#undef X
	REPORT__COUNT
};

enum report_format { REPORT_HTML, REPORT_MD };

/* Parse "incident", "appi_preliminary" (also "appi" and "sokuho"), "appi_final" ("kakuho"), "notice". */
int report_kind_parse(const char *s, enum report_kind *out, struct err *e);
const char *report_kind_name(enum report_kind k);
const char *report_kind_label(enum report_kind k, const char *lang);
int report_format_parse(const char *s, enum report_format *out, struct err *e);

#define REPORT_BODY_MAX (8u << 20)

/*
 * Generate report kind of incident hid (ACT_REPORT_WRITE) in lang ("ja" or
 * "en") and format, store it as the next version and audit it. out (a
 * caller's JSON object, may be NULL) receives {incident, kind, version,
 * lang, format, sha256, created_at, created_by, body}.
 */
int report_generate(struct store *st, const struct actor *who, const char *hid,
		    enum report_kind kind, const char *lang, enum report_format format,
		    json_t **out, struct err *e);

/* The stored versions of incident hid (ACT_INCIDENT_READ), newest first, without bodies. */
int report_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e);

/* One stored version, with its body, exactly as generated. */
int report_get(struct store *st, const struct actor *who, const char *hid,
	       enum report_kind kind, int64_t version, json_t **out, struct err *e);

#define REPORT_DIFF_LINES 3000

/*
 * Compare two kept versions of one kind line by line into out: "  " lines
 * both have, "- " lines only v1 has, "+ " lines only v2 has.
 */
int report_diff(struct store *st, const struct actor *who, const char *hid, enum report_kind kind,
		int64_t v1, int64_t v2, struct buf *out, struct err *e);

/* The Content-Security-Policy a stored HTML report may be shown with (its one style block). */
const char *report_html_csp(void);

#endif
