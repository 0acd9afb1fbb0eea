/*
 * mail_ioc.c: indicators of compromise in a parsed message: URLs (also
 * defanged hxxp:// and [.] forms), their domains and registrable domains,
 * IP addresses, e-mail addresses and attachment hashes.
 */
#include "mail/mail.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Undo the usual defanging: hxxp, [.], (.), [dot], [:], [@]. */
static void refang(const char *s, size_t n, struct buf *out)
{
	static const struct { const char *from, *to; } rep[] = {
		{ "[.]", "." }, { "(.)", "." }, { "{.}", "." }, { "[dot]", "." }, { "(dot)", "." },
		{ "[:]", ":" }, { "[://]", "://" }, { "[@]", "@" }, { "[at]", "@" },
		{ "hxxps://", "https://" }, { "hxxp://", "http://" }, { "hXXps://", "https://" },
		{ "hXXp://", "http://" }, { "fxp://", "ftp://" },
	};
	for (size_t i = 0; i < n;) {
		/* Copy up to the next byte that can start a defanged form. */
		size_t run = 0;
		while (i + run < n && !(s[i + run] && strchr("[({hHfF", s[i + run])))
			run++;
		buf_add(out, s + i, run);
		i += run;
		if (i >= n)
			break;
		size_t k;
		for (k = 0; k < sizeof(rep) / sizeof(rep[0]); k++) {
			size_t l = strlen(rep[k].from);
			if (i + l <= n && !strncasecmp(s + i, rep[k].from, l)) {
				buf_adds(out, rep[k].to);
				i += l;
				break;
			}
		}
		if (k == sizeof(rep) / sizeof(rep[0]))
			buf_addch(out, s[i++]);
	}
}

char *mail_url_host(const char *url)
{
	const char *p = strstr(url, "://"), *e;
	char *h;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#\\");
	/* userinfo@host:port */
	for (const char *q = e; q > p; q--)
		if (q[-1] == '@') {
			p = q;
			break;
		}
	h = strndup(p, (size_t)(e - p));
	if (!h)
		return NULL;
	if (h[0] == '[') { /* IPv6 literal */
		char *rb = strchr(h, ']');
		if (rb)
			rb[1] = '\0';
	} else {
		char *colon = strchr(h, ':');
		if (colon)
			*colon = '\0';
	}
	for (char *q = h; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	size_t l = strlen(h);
	while (l && h[l - 1] == '.')
		h[--l] = '\0';
	if (!l) {
		free(h);
		return NULL;
	}
	return h;
}

static int is_ipv4(const char *s)
{
	int parts = 0, digits = 0, val = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			val = val * 10 + (*s - '0');
			if (++digits > 3 || val > 255)
				return 0;
		} else if (*s == '.' && digits) {
			parts++;
			digits = val = 0;
		} else
			return 0;
	}
	return parts == 3 && digits;
}

/* Private, loopback and documentation addresses are not indicators. */
static int ip_private(const char *ip)
{
	return !strncmp(ip, "10.", 3) || !strncmp(ip, "127.", 4) || !strncmp(ip, "192.168.", 8) ||
	       !strncmp(ip, "169.254.", 8) || !strncmp(ip, "0.", 2) ||
	       (!strncmp(ip, "172.", 4) && atoi(ip + 4) >= 16 && atoi(ip + 4) <= 31);
}

static void add_domain(struct mail_iocs *io, const char *host)
{
	if (!host || !*host || is_ipv4(host) || host[0] == '[' || !strchr(host, '.'))
		return;
	char *a = mail_host_ascii(host);
	if (a)
		strv_add_unique(&io->domains, a);
	free(a);
}

static void add_url(struct mail_iocs *io, const char *u)
{
	char *h;

	if (strlen(u) > 4096 || io->urls.n >= MAIL_MAX_ITEMS)
		return;
	h = mail_url_host(u);
	if (!h || !*h) {
		free(h);
		return;
	}
	strv_add_unique(&io->urls, u);
	if (is_ipv4(h))
		strv_add_unique(&io->ips, h);
	else
		add_domain(io, h);
	free(h);
}

static int url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("<>\"'`{}|^", c);
}

/* Non-ASCII letters from Latin, Greek and Cyrillic (homoglyph hosts) continue a URL. */
static size_t url_uchar(const unsigned char *p)
{
	if (p[0] >= 0xc3 && p[0] <= 0xd4 && (p[1] & 0xc0) == 0x80)
		return 2;
	return 0;
}

static void scan_text(struct mail_iocs *io, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	for (const unsigned char *q = p; q < end; q++) {
		/* URLs */
		if ((*q == 'h' || *q == 'H' || *q == 'f' || *q == 'F') && end - q > 7 &&
		    (!strncasecmp((const char *)q, "http://", 7) || !strncasecmp((const char *)q, "https://", 8) ||
		     !strncasecmp((const char *)q, "ftp://", 6))) {
			const unsigned char *e = q;
			while (e < end) {
				size_t k;
				if (url_char(*e))
					e++;
				else if ((k = url_uchar(e)) && e + k <= end)
					e += k;
				else
					break;
			}
			while (e > q && strchr(".,;:!?)]}", e[-1]))
				e--;
			char *u = strndup((const char *)q, (size_t)(e - q));
			if (u)
				add_url(io, u);
			free(u);
			q = e > q ? e - 1 : q;
			continue;
		}
		/* e-mail addresses */
		if (*q == '@' && q > p && q + 1 < end) {
			const unsigned char *a = q, *b = q + 1;
			while (a > p && a[-1] && (isalnum(a[-1]) || strchr("._%+-", a[-1])))
				a--;
			while (b < end && (isalnum(*b) || *b == '.' || *b == '-'))
				b++;
			while (b > q + 1 && b[-1] == '.')
				b--;
			if (a < q && b > q + 1 && memchr(q + 1, '.', (size_t)(b - q - 1))) {
				char *addr = strndup((const char *)a, (size_t)(b - a));
				for (char *c = addr; c && *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (addr && strchr(addr, '@')) {
					strv_add_unique(&io->emails, addr);
					add_domain(io, strchr(addr, '@') + 1);
				}
				free(addr);
			}
			continue;
		}
		/* IPv4 addresses */
		if (isdigit(*q) && (q == p || !(isalnum(q[-1]) || q[-1] == '.'))) {
			const unsigned char *e = q;
			while (e < end && e - q < 16 && (isdigit(*e) || *e == '.'))
				e++;
			if (e - q >= 7 && (e == end || !isalnum(*e))) {
				char ip[17];
				memcpy(ip, q, (size_t)(e - q));
				ip[e - q] = '\0';
				if (ip[e - q - 1] == '.')
					ip[e - q - 1] = '\0';
				if (is_ipv4(ip) && !ip_private(ip))
					strv_add_unique(&io->ips, ip);
			}
			q = e - 1 > q ? e - 1 : q;
		}
	}
}

void mail_iocs_extract(const struct mail_msg *m, struct mail_iocs *io)
{
	struct buf t;

	memset(io, 0, sizeof(*io));
	buf_init(&t, 0);
	for (size_t i = 0; i < m->nlinks; i++) {
		const char *h = m->links[i].href;
		if (!strncasecmp(h, "mailto:", 7)) {
			scan_text(io, h + 7, strcspn(h + 7, "?"));
			continue;
		}
		buf_reset(&t);
		refang(h, strlen(h), &t);
		if (strstr(t.data, "://"))
			add_url(io, t.data);
	}
	buf_reset(&t);
	refang(m->text.data, m->text.len, &t);
	scan_text(io, t.data, t.len);
	buf_reset(&t);
	refang(m->subject, strlen(m->subject), &t);
	scan_text(io, t.data, t.len);
	buf_release(&t);
	if (*m->from_addr) {
		strv_add_unique(&io->emails, m->from_addr);
		add_domain(io, mail_addr_domain(m->from_addr));
	}
	if (*m->reply_to) {
		strv_add_unique(&io->emails, m->reply_to);
		add_domain(io, mail_addr_domain(m->reply_to));
	}
	if (*m->return_path)
		add_domain(io, mail_addr_domain(m->return_path));
	/* The sending host: the first public address in Received headers, bottom up. */
	for (size_t i = m->received.n; i-- > 0;) {
		const char *r = m->received.v[i], *lb = strchr(r, '[');
		while (lb) {
			char ip[20];
			size_t k = strcspn(lb + 1, "]");
			if (k < sizeof(ip)) {
				memcpy(ip, lb + 1, k);
				ip[k] = '\0';
				if (is_ipv4(ip) && !ip_private(ip)) {
					strv_add_unique(&io->ips, ip);
					goto done_received;
				}
			}
			lb = strchr(lb + 1, '[');
		}
	}
done_received:
	for (size_t i = 0; i < m->natts; i++)
		strv_add_unique(&io->hashes, m->atts[i].sha256);
}

void mail_iocs_from_text(const char *s, size_t n, struct mail_iocs *io)
{
	struct buf t;

	memset(io, 0, sizeof(*io));
	buf_init(&t, 0);
	refang(s, n, &t);
	scan_text(io, t.data, t.len);
	buf_release(&t);
}

void mail_iocs_release(struct mail_iocs *io)
{
	strv_release(&io->urls);
	strv_release(&io->domains);
	strv_release(&io->ips);
	strv_release(&io->emails);
	strv_release(&io->hashes);
}
