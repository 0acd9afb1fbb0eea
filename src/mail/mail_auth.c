/*
 * mail_auth.c: what the boundary MTA concluded about a message, read from
 * Authentication-Results (RFC 8601) and Received-SPF. Only headers whose
 * authserv-id is the configured one are trusted (a sender can write any
 * header it likes below ours); without one, only the topmost header.
 * Alignment of the DKIM d= and SPF domains with From is relaxed
 * (registrable domains compared).
 */
#include "mail/mail.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copy the token at p (up to ';', space, '(' or end) into out, lower case. */
static const char *token(const char *p, char *out, size_t outsz)
{
	size_t k = 0;

	while (*p && !strchr("; \t()", *p)) {
		if (k + 1 < outsz)
			out[k++] = (char)tolower((unsigned char)*p);
		p++;
	}
	out[k] = '\0';
	return p;
}

/* The value of "prop=" inside one resinfo [s, e), lower case, or "". */
static void prop(const char *s, const char *e, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);

	out[0] = '\0';
	for (const char *p = s; p + nl < e; p++) {
		if (strncasecmp(p, name, nl) || (p > s && !strchr(" \t;", p[-1])))
			continue;
		const char *v = p + nl;
		while (*v == ' ')
			v++;
		if (*v == '"')
			v++;
		size_t k = 0;
		while (v < e && !strchr(" \t;\"()", *v) && k + 1 < outsz)
			out[k++] = (char)tolower((unsigned char)*v++);
		out[k] = '\0';
		/* header.i=@example.com and smtp.mailfrom=user@example.com: keep the domain. */
		char *at = strrchr(out, '@');
		if (at)
			memmove(out, at + 1, strlen(at + 1) + 1);
		return;
	}
}

static int same_org(const char *a, const char *b)
{
	char *ra = mail_registrable(a), *rb = mail_registrable(b);
	int same = ra && rb && !strcmp(ra, rb);

	free(ra);
	free(rb);
	return same || (*a && !strcasecmp(a, b));
}

/* One Authentication-Results value; authserv-id checked by the caller. */
static void read_ar(const char *v, const char *from_dom, struct mail_auth *a)
{
	const char *p = v;

	/* Skip the authserv-id (absent in Microsoft's headers: the first token has '='). */
	const char *semi = strchr(p, ';');
	const char *eq = strchr(p, '=');
	if (semi && (!eq || eq > semi))
		p = semi + 1;
	while (*p) {
		while (*p == ' ' || *p == ';' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, ';');
		if (!e)
			e = p + strlen(p);
		char method[32], result[24];
		const char *q = token(p, method, sizeof(method));
		char *meq = strchr(method, '=');
		result[0] = '\0';
		if (meq) {
			snprintf(result, sizeof(result), "%s", meq + 1);
			*meq = '\0';
		} else if (*q == '=')
			token(q + 1, result, sizeof(result));
		(void)q;
		if (!strcmp(method, "spf") && !a->spf[0]) {
			snprintf(a->spf, sizeof(a->spf), "%s", result);
			prop(p, e, "smtp.mailfrom=", a->spf_domain, sizeof(a->spf_domain));
			if (!a->spf_domain[0])
				prop(p, e, "smtp.helo=", a->spf_domain, sizeof(a->spf_domain));
			if (!strcmp(result, "pass") && from_dom[0] && same_org(a->spf_domain, from_dom))
				a->spf_aligned = 1;
		} else if (!strcmp(method, "dkim")) {
			char d[256];
			prop(p, e, "header.d=", d, sizeof(d));
			if (!d[0])
				prop(p, e, "header.i=", d, sizeof(d));
			/* A passing signature wins over failing ones. */
			if (!a->dkim[0] || !strcmp(result, "pass"))
				if (strcmp(a->dkim, "pass"))
					snprintf(a->dkim, sizeof(a->dkim), "%s", result);
			if (!strcmp(result, "pass") && d[0] && strcmp(d, "none")) {
				strv_add_unique(&a->dkim_domains, d);
				if (from_dom[0] && same_org(d, from_dom))
					a->dkim_aligned = 1;
			}
		} else if (!strcmp(method, "dmarc") && !a->dmarc[0]) {
			snprintf(a->dmarc, sizeof(a->dmarc), "%s", result);
		} else if (!strcmp(method, "compauth") && !a->compauth[0]) {
			snprintf(a->compauth, sizeof(a->compauth), "%s", result);
		}
		p = e;
	}
}

void mail_auth_read(const struct mail_msg *m, const struct mail_config *c, struct mail_auth *a)
{
	const char *from_dom = mail_addr_domain(m->from_addr);

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < m->auth_results.n; i++) {
		const char *v = m->auth_results.v[i];
		char id[256];

		while (*v == ' ')
			v++;
		token(v, id, sizeof(id));
		if (strchr(id, '='))
			id[0] = '\0';
		if (c && c->authserv_id) {
			if (strcasecmp(id, c->authserv_id))
				continue;
		} else if (i > 0)
			break; /* without a configured boundary, only the topmost */
		snprintf(a->authserv_id, sizeof(a->authserv_id), "%s", id);
		a->trusted = 1;
		read_ar(v, from_dom, a);
		if (c && c->authserv_id)
			continue;
	}
	/* Received-SPF (topmost) when no trusted Authentication-Results gave SPF. */
	if (!a->spf[0] && m->received_spf.n && (!c || !c->authserv_id || a->trusted)) {
		const char *v = m->received_spf.v[0];
		char res[24];

		while (*v == ' ')
			v++;
		token(v, res, sizeof(res));
		if (res[0]) {
			snprintf(a->spf, sizeof(a->spf), "%s", res);
			const char *dom = strstr(v, "domain of ");
			if (dom) {
				dom += 10;
				size_t k = strcspn(dom, " ;)");
				snprintf(a->spf_domain, sizeof(a->spf_domain), "%.*s", (int)(k < 255 ? k : 255), dom);
				char *at = strrchr(a->spf_domain, '@');
				if (at)
					memmove(a->spf_domain, at + 1, strlen(at + 1) + 1);
				for (char *q = a->spf_domain; *q; q++)
					*q = (char)tolower((unsigned char)*q);
			}
			if (!strcmp(res, "pass") && from_dom[0] && same_org(a->spf_domain, from_dom))
				a->spf_aligned = 1;
		}
	}
}

void mail_auth_release(struct mail_auth *a)
{
	strv_release(&a->dkim_domains);
}
