/*
 * mail_signals.c: the BEC and phishing signals. Each finding is a named
 * reason with a weight, a group and the evidence (which header, which
 * words, which link). Mailing lists rewrite From, Reply-To and bodies and
 * break DKIM and DMARC: those failures are not held against list mail.
 */
#include "mail/mail.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mail_host_under(const char *host, const struct strv *suffixes)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i < suffixes->n; i++) {
		size_t sl = strlen(suffixes->v[i]);
		if (hl == sl && !strcmp(host, suffixes->v[i]))
			return 1;
		if (hl > sl && host[hl - sl - 1] == '.' && !strcmp(host + hl - sl, suffixes->v[i]))
			return 1;
	}
	return 0;
}

int mail_same_reg(const char *a, const char *b)
{
	char *ra = mail_registrable(a), *rb = mail_registrable(b);
	int same = ra && rb ? !strcmp(ra, rb) : !strcasecmp(a, b);

	free(ra);
	free(rb);
	return same;
}

static int is_ipv4_host(const char *h)
{
	int dots = 0;
	for (; *h; h++) {
		if (*h == '.')
			dots++;
		else if (!isdigit((unsigned char)*h))
			return 0;
	}
	return dots == 3;
}

/* The file name extension in lower case ("" when none). */
static void extension(const char *name, char *out, size_t n)
{
	const char *dot = strrchr(name, '.');
	size_t k = 0;

	if (dot)
		for (dot++; *dot && k + 1 < n; dot++)
			out[k++] = (char)tolower((unsigned char)*dot);
	out[k] = '\0';
}

static int in_set(const char *ext, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(ext, *set))
			return 1;
	return 0;
}


/* 1 when needle occurs in hay with no letter or digit right before or after it. */
int mail_has_word(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);

	if (!nl)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
		int before = p > hay && isalnum((unsigned char)p[-1]);
		int after = isalnum((unsigned char)p[nl]);
		if (!before && !after)
			return 1;
	}
	return 0;
}

/*
 * A brand named in the From display name (or, on free-mail, in the subject)
 * while the sending domain is not the brand's: the commonest disguise of
 * credential phishing. brands.txt lines: words, then domains (with a dot).
 */
static void brand_checks(struct mail_result *r, const struct mail_config *c, int list)
{
	const struct mail_msg *m = &r->msg;
	const char *from_dom = mail_addr_domain(m->from_addr);
	int freeish = mail_domain_in(m->from_addr, &c->freemail) || mail_host_under(from_dom, &c->tenants);
	char *reg, *name, *subj;

	if (list || !*m->from_addr)
		return;
	reg = mail_registrable(from_dom);
	if (!reg)
		reg = strdup(from_dom);
	name = mail_fold(m->from_name);
	subj = mail_fold(m->subject);
	for (size_t i = 0; i < c->brands.n && reg && name && subj; i++) {
		char brand[128] = "", compact[128] = "";
		const char *line = c->brands.v[i], *p = line;
		size_t bl = 0, cl = 0;
		int ok = 0;

		/* The brand words: tokens up to the first that has a dot. */
		while (*p) {
			const char *sp = strchr(p, ' ');
			size_t tl = sp ? (size_t)(sp - p) : strlen(p);
			if (memchr(p, '.', tl))
				break;
			if (bl + tl + 2 < sizeof(brand)) {
				if (bl)
					brand[bl++] = ' ';
				memcpy(brand + bl, p, tl);
				bl += tl;
				brand[bl] = '\0';
				for (size_t k = 0; k < tl && cl + 1 < sizeof(compact); k++)
					if (isalnum((unsigned char)p[k]))
						compact[cl++] = p[k];
				compact[cl] = '\0';
			}
			p = sp ? sp + 1 : p + tl;
		}
		if (!bl)
			continue;
		/* A domain spelled with look-alike letters: the brand's name, not its domain. */
		if (mail_homograph_of(reg, compact)) {
			mail_reason_add(r, "brand_homograph", GROUP_IDENTITY, 45, 1, 0,
					"From: %s reads as %s in other letters", from_dom, brand);
			break;
		}
		/* A newsletter (List-Unsubscribe) or a reply may write about a brand in its subject. */
		int in_name = mail_has_word(name, brand),
		    in_subj = !m->threaded && !m->unsubscribe && mail_has_word(subj, brand);
		if (!in_name && !in_subj)
			continue;
		if (strstr(reg, compact))
			ok = 1;
		/* The domains that may send for the brand. */
		while (*p && !ok) {
			const char *sp = strchr(p, ' ');
			size_t tl = sp ? (size_t)(sp - p) : strlen(p);
			char d[256];
			snprintf(d, sizeof(d), "%.*s", (int)tl, p);
			if (mail_same_reg(d, reg))
				ok = 1;
			p = sp ? sp + 1 : p + tl;
		}
		if (ok)
			break; /* the brand's own mail */
		mail_reason_add(r, "brand_impersonation", GROUP_IDENTITY, in_name ? 25 : freeish ? 20 : 15, 0, 0,
				"%s: names %s but the mail comes from %s", in_name ? "From: display name" : "Subject",
				brand, from_dom);
		break;
	}
	free(reg);
	free(name);
	free(subj);
}

/* Delivery reports quote the recipient's address by nature. */
int mail_is_bounce(const struct mail_msg *m)
{
	return m->report || !strncmp(m->from_addr, "mailer-daemon@", 14) || !strncmp(m->from_addr, "postmaster@", 11) ||
	       !strncmp(m->to_addr, "postmaster@", 11);
}

/*
 * The recipient's own address or mailbox name in the subject or the
 * greeting: bulk phishing knows nothing else about its target ("Dear
 * jsmith@...", "jsmith: your mailbox is full"). People write names.
 */
static void recipient_checks(struct mail_result *r, int list)
{
	const struct mail_msg *m = &r->msg;
	const char *at = strchr(m->to_addr, '@');
	char local[128];

	if (list || !at || at == m->to_addr || mail_is_bounce(m))
		return;
	snprintf(local, sizeof(local), "%.*s", (int)(at - m->to_addr), m->to_addr);
	char *subj = mail_fold(m->subject);
	/* "[list-name]" tags name the list the mail went to, not a target. */
	for (char *b = subj ? strchr(subj, '[') : NULL; b; b = strchr(b + 1, '[')) {
		char *e2 = strchr(b, ']');
		if (!e2)
			break;
		memset(b, ' ', (size_t)(e2 - b + 1));
		b = e2;
	}
	size_t gl = m->text.len < 600 ? m->text.len : 600;
	char *head = strndup(m->text.data, gl), *greet = head ? mail_fold(head) : NULL;

	if (subj && mail_has_word(subj, m->to_addr))
		mail_reason_add(r, "recipient_in_subject", GROUP_CONTEXT, 25, 0, 0,
				"Subject: names the recipient's address %s", m->to_addr);
	else if (greet && mail_has_word(greet, m->to_addr))
		/* Weak: some real newsletters greet by address too (one group never flags). */
		mail_reason_add(r, "recipient_in_greeting", GROUP_CONTEXT, 5, 0, 0,
				"body: the greeting uses the recipient's address %s", m->to_addr);
	else if (subj && strlen(local) >= 5 && mail_has_word(subj, local))
		mail_reason_add(r, "recipient_in_subject", GROUP_CONTEXT, 15, 0, 0,
				"Subject: names the recipient's mailbox %s", local);
	free(subj);
	free(head);
	free(greet);
}

/*
 * Words that mix Latin letters with Cyrillic or IPA letters drawn like
 * Latin ones ("Соinbаsе"): text disguised from filters. Real Russian or
 * phonetic text keeps to one script within a word.
 */
static int mixed_words(const char *s, size_t n, char *ev, size_t evn)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *w = p;
	int latin = 0, odd = 0, count = 0;

	for (; p <= end; p++) {
		unsigned cp = 0;
		size_t len = 1;
		if (p < end && *p >= 0xc0 && *p < 0xe0 && p + 1 < end) {
			cp = ((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f);
			len = 2;
		}
		int letter = p < end && (isalpha(*p) || cp);
		if (!letter) {
			if (latin >= 1 && odd && latin + odd >= 3) {
				if (!count && ev)
					snprintf(ev, evn, "%.*s", (int)(p - w), (const char *)w);
				count++;
			}
			latin = odd = 0;
			w = p + 1;
			continue;
		}
		if (isalpha(*p))
			latin++;
		else if ((cp >= 0x400 && cp <= 0x45f) || (cp >= 0x250 && cp <= 0x2af) || (cp >= 0x181 && cp <= 0x18b))
			odd++;
		else if (cp)
			latin += 0; /* accented Latin and other letters are neutral */
		p += len - 1;
	}
	return count;
}

/*
 * Names and subjects written to slip past filters: letters spaced apart
 * ("D P D Versand", "G emeentelijk E nergieadvies") or a random tag of
 * capitals appended to make every copy unique ("... VKHNKNOFFA").
 * Returns what was found, "" for nothing.
 */
static const char *obfuscated(const char *s, char *ev, size_t evn)
{
	int singles = 0;
	const char *p = s;

	while (*p) {
		while (*p && !isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
			p++;
		const char *w = p;
		while (*p && (isalnum((unsigned char)*p) || ((unsigned char)*p & 0x80)))
			p++;
		size_t n = (size_t)(p - w);
		if (!n)
			continue;
		/* A lone capital (not "A" or "I") followed by a space and more letters. */
		if (n == 1 && isupper((unsigned char)*w) && *w != 'A' && *w != 'I' && *p == ' ' &&
		    isalpha((unsigned char)p[1]))
			singles++;
		/* A token of capitals with a run of six consonants: no word of any language. */
		int run = 0, best = 0, caps = 1;
		for (size_t i = 0; i < n; i++) {
			if (!isupper((unsigned char)w[i])) {
				caps = 0;
				break;
			}
			run = strchr("AEIOUY", w[i]) ? 0 : run + 1;
			if (run > best)
				best = run;
		}
		if (caps && n >= 6 && best >= 6) {
			snprintf(ev, evn, "random tag %.*s", (int)n, w);
			return ev;
		}
	}
	if (singles >= 2) {
		snprintf(ev, evn, "letters spaced apart");
		return ev;
	}
	return "";
}

static void content_checks(struct mail_result *r)
{
	const struct mail_msg *m = &r->msg;
	char ev[96] = "";
	size_t tl = m->text.len > 256 * 1024 ? 256 * 1024 : m->text.len;
	int hs = mixed_words(m->subject, strlen(m->subject), ev, sizeof(ev));

	if (!hs)
		hs = mixed_words(m->from_name, strlen(m->from_name), ev, sizeof(ev));
	int hb = hs ? 0 : mixed_words(m->text.data, tl, ev, sizeof(ev));
	if (hs || hb >= 2)
		mail_reason_add(r, "mixed_script", GROUP_CONTENT, 25, 0, 0,
				"%s: words mix Latin with look-alike letters of other scripts (\"%s\")",
				hs ? "subject/From" : "body", ev);

	const char *ob = obfuscated(m->subject, ev, sizeof(ev));
	const char *where = "Subject";
	if (!*ob) {
		ob = obfuscated(m->from_name, ev, sizeof(ev));
		where = "From: display name";
	}
	if (*ob)
		mail_reason_add(r, "obfuscated_text", GROUP_CONTENT, 20, 0, 0, "%s: %s", where, ob);

	/* A reply to nothing: "Re:" that no earlier message explains (a forward
	 * written inline does not say what the original answered). */
	if (!m->threaded && !m->inline_forward && (!strncasecmp(m->subject, "re:", 3) || !strncasecmp(m->subject, "re :", 4) ||
			     !strncasecmp(m->subject, "aw:", 3)))
		mail_reason_add(r, "fake_reply", GROUP_CONTEXT, 10, 0, 0,
				"Subject: starts with a reply prefix but the mail has no In-Reply-To or References");

	/* Mostly pictures: the words are in an image filters cannot read. */
	size_t visible = 0;
	for (size_t i = 0; i < m->text.len; i++)
		if (!isspace((unsigned char)m->text.data[i]))
			visible++;
	if (m->html_parts && !m->plain_parts && m->images >= 1 && visible < 300)
		mail_reason_add(r, "image_mostly", GROUP_CONTENT, 12, 0, 0,
				"body: HTML only, %d image(s) and %zu characters of text", m->images, visible);
}

static void sender_checks(struct mail_result *r, const struct mail_config *c, int list)
{
	const struct mail_msg *m = &r->msg;
	const char *from_dom = mail_addr_domain(m->from_addr);
	struct strv targets = { 0 };
	const char *how;

	for (size_t i = 0; i < c->own_domains.n; i++)
		strv_add(&targets, c->own_domains.v[i]);
	for (size_t i = 0; i < c->partner_domains.n; i++)
		strv_add(&targets, c->partner_domains.v[i]);
	const struct { const char *hdr; const char *addr; } who[] = {
		{ "From", m->from_addr }, { "Reply-To", m->reply_to }, { "Return-Path", m->return_path },
	};
	for (size_t i = 0; i < 3; i++) {
		const char *d = mail_addr_domain(who[i].addr);
		const char *t;
		if (!*who[i].addr || (i > 0 && mail_same_reg(d, from_dom)))
			continue;
		if ((t = mail_lookalike(d, &targets, &how))) {
			mail_reason_add(r, "lookalike_domain", GROUP_IDENTITY, i == 0 ? 45 : 35, 1, 1,
					"%s: lookalike of %s (%s, %s)", who[i].hdr, t, d, how);
			break;
		}
		if (strstr(d, "xn--"))
			mail_reason_add(r, "idn_domain", GROUP_IDENTITY, 10, 0, 0, "%s: internationalised domain %s",
					who[i].hdr, d);
	}
	strv_release(&targets);

	int freemail_from = *m->from_addr && mail_domain_in(m->from_addr, &c->freemail);
	int own_from = *m->from_addr && mail_domain_in(m->from_addr, &c->own_domains);

	/* Executives' names on mail that is not from them. */
	for (size_t i = 0; i < c->nexecs && *m->from_name; i++) {
		const struct mail_exec *x = &c->execs[i];
		if (!mail_name_like(m->from_name, x->name) && !mail_name_like(m->from_name, x->name_en))
			continue;
		if (*x->email && !strcasecmp(x->email, m->from_addr))
			continue;
		if (own_from && !freemail_from && r->auth.dmarc[0] && strcmp(r->auth.dmarc, "fail"))
			continue; /* another own address of the same person, authenticated */
		mail_reason_add(r, "executive_impersonation", GROUP_IDENTITY, freemail_from ? 50 : 40, 1, 1,
				"From: display name \"%s\" is executive %s but the address is %s%s", m->from_name,
				*x->name ? x->name : x->name_en, m->from_addr,
				freemail_from ? " (free-mail)" : own_from ? "" : " (outside)");
		break;
	}
	/* Own domain in From that the boundary did not authenticate. */
	if (own_from && r->auth.trusted && !list &&
	    (!strcmp(r->auth.dmarc, "fail") ||
	     (!r->auth.spf_aligned && !r->auth.dkim_aligned &&
	      (!strcmp(r->auth.spf, "fail") || !strcmp(r->auth.spf, "softfail")))))
		mail_reason_add(r, "own_domain_spoofed", GROUP_IDENTITY, 45, 1, 0,
				"From: %s is an own domain but authentication failed (spf=%s dmarc=%s)", from_dom,
				r->auth.spf[0] ? r->auth.spf : "none", r->auth.dmarc[0] ? r->auth.dmarc : "none");
	/* A display name that shows another address or domain. */
	if (*m->from_name && !list) {
		char *f = mail_fold(m->from_name);
		const char *at = strchr(f, '@');
		const char *dom = at ? at + 1 : NULL;
		if (!dom) {
			for (const char *p = f; *p && !dom; p++)
				if (*p == '.' && p > f && isalnum((unsigned char)p[-1]) && isalpha((unsigned char)p[1]) &&
				    (!strncmp(p, ".com", 4) || !strncmp(p, ".net", 4) || !strncmp(p, ".jp", 3) ||
				     !strncmp(p, ".org", 4))) {
					const char *s = p;
					while (s > f && (isalnum((unsigned char)s[-1]) || s[-1] == '-' || s[-1] == '.'))
						s--;
					dom = s;
				}
		}
		if (dom) {
			char d[256];
			size_t k = 0;
			while (dom[k] && k < 255 && (isalnum((unsigned char)dom[k]) || dom[k] == '.' || dom[k] == '-'))
				k++;
			snprintf(d, sizeof(d), "%.*s", (int)k, dom);
			if (strchr(d, '.') && *m->from_addr && !mail_same_reg(d, from_dom))
				mail_reason_add(r, "display_name_domain", GROUP_IDENTITY, 20, 0, 0,
						"From: display name shows %s, the address is %s", d, m->from_addr);
			else if (at && !strchr(d, '.') && *m->from_addr)
				mail_reason_add(r, "display_name_domain", GROUP_IDENTITY, 15, 0, 0,
						"From: display name \"%s\" is made to look like an address, the address is %s",
						m->from_name, m->from_addr);
		}
		free(f);
	}
	if (freemail_from)
		mail_reason_add(r, "freemail_sender", GROUP_IDENTITY, 5, 0, 1, "From: %s is a free-mail address",
				m->from_addr);
	if (!*m->from_addr && m->inline_forward)
		; /* a forward often shows only the sender's name: not the original's fault */
	else if (!*m->from_addr)
		mail_reason_add(r, "missing_from", GROUP_IDENTITY, 10, 0, 0, "From: no sender address");
	else if (!strchr(from_dom, '.') || from_dom[strlen(from_dom) - 1] == '.')
		mail_reason_add(r, "invalid_from_domain", GROUP_IDENTITY, 25, 0, 0,
				"From: %s has no valid domain", m->from_addr);
	else if (mail_host_under(from_dom, &c->tenants))
		mail_reason_add(r, "tenant_sender", GROUP_IDENTITY, 15, 0, 0,
				"From: %s is the default domain of a free cloud-mail tenant", m->from_addr);
	if (m->from_count > 1 && !list)
		mail_reason_add(r, "multiple_from", GROUP_IDENTITY, 20, 0, 0, "From: names %d addresses",
				m->from_count);

	/* Replies that go elsewhere. */
	if (*m->reply_to && *m->from_addr && !list && !mail_same_reg(mail_addr_domain(m->reply_to), from_dom)) {
		if (mail_domain_in(m->reply_to, &c->freemail))
			mail_reason_add(r, "reply_to_freemail", GROUP_ROUTING, 30, 1, 1,
					"Reply-To: %s is a free-mail address, From is %s", m->reply_to, m->from_addr);
		else if (!m->null_sender) /* reports and automatic replies take no replies */
			mail_reason_add(r, "reply_to_mismatch", GROUP_ROUTING, 20, 0, 1,
					"Reply-To: %s is another domain than From %s", m->reply_to, m->from_addr);
	}
	if (*m->return_path && *m->from_addr && !list &&
	    !mail_same_reg(mail_addr_domain(m->return_path), from_dom)) {
		if (mail_domain_in(m->return_path, &c->freemail) && !freemail_from)
			mail_reason_add(r, "return_path_freemail", GROUP_ROUTING, 15, 0, 1,
					"Return-Path: %s is a free-mail address, From is %s", m->return_path,
					m->from_addr);
		else
			mail_reason_add(r, "return_path_mismatch", GROUP_ROUTING, 5, 0, 0,
					"Return-Path: %s is another domain than From %s", m->return_path, m->from_addr);
	}
	if (c->known_senders.n && *m->from_addr && !own_from && !mail_domain_in(m->from_addr, &c->known_senders) &&
	    !strv_has(&c->known_senders, m->from_addr))
		mail_reason_add(r, "first_contact", GROUP_CONTEXT, 10, 0, 1, "From: %s has not written before",
				m->from_addr);
}

static void auth_checks(struct mail_result *r, int list)
{
	const struct mail_auth *a = &r->auth;

	if (!a->trusted)
		return;
	/* Lists re-sign or break signatures and rewrite From: not held against them. */
	if (list)
		return;
	if (!strcmp(a->dmarc, "fail"))
		mail_reason_add(r, "dmarc_fail", GROUP_AUTH, 30, 1, 0, "Authentication-Results: dmarc=fail for %s",
				mail_addr_domain(r->msg.from_addr));
	if (!strcmp(a->compauth, "fail"))
		mail_reason_add(r, "compauth_fail", GROUP_AUTH, 30, 1, 0,
				"Authentication-Results: compauth=fail (the receiving service's composite check)");
	if (!strcmp(a->spf, "fail") || !strcmp(a->spf, "softfail"))
		mail_reason_add(r, "spf_fail", GROUP_AUTH, !strcmp(a->spf, "fail") ? 15 : 10, 0, 0,
				"%s: spf=%s for %s", a->authserv_id[0] ? a->authserv_id : "Authentication-Results",
				a->spf, a->spf_domain[0] ? a->spf_domain : "(unknown)");
	if (!strcmp(a->dkim, "fail"))
		mail_reason_add(r, "dkim_fail", GROUP_AUTH, 10, 0, 0, "Authentication-Results: dkim=fail");
	if (strcmp(a->spf, "pass") && strcmp(a->dkim, "pass") && !a->spf_aligned && !a->dkim_aligned &&
	    strcmp(a->dmarc, "pass") && strcmp(a->dmarc, "bestguesspass"))
		mail_reason_add(r, "unauthenticated", GROUP_AUTH, 10, 0, 0,
				"Authentication-Results: neither SPF nor DKIM passed (spf=%s dkim=%s dmarc=%s)",
				a->spf[0] ? a->spf : "none", a->dkim[0] ? a->dkim : "none",
				a->dmarc[0] ? a->dmarc : "none");
	else if (r->msg.from_addr[0] && !a->spf_aligned && !a->dkim_aligned && strcmp(a->dmarc, "pass") &&
		 strcmp(a->dmarc, "bestguesspass") && (a->spf[0] || a->dkim[0]))
		mail_reason_add(r, "auth_not_aligned", GROUP_AUTH, 10, 0, 0,
				"Authentication-Results: neither the SPF domain (%s) nor a DKIM d= aligns with From %s",
				a->spf_domain[0] ? a->spf_domain : "none", mail_addr_domain(r->msg.from_addr));
}

static void language_checks(struct mail_result *r, const struct mail_config *c)
{
	static const struct {
		const char *code;
		int one, more, bec;
	} kinds[PHRASE__COUNT] = {
		[PHRASE_PAYMENT_CHANGE] = { "bank_account_change", 30, 35, 1 },
		[PHRASE_PAYMENT] = { "payment_request", 8, 12, 1 },
		[PHRASE_URGENCY] = { "urgency", 8, 12, 1 },
		[PHRASE_SECRECY] = { "secrecy", 15, 20, 1 },
		[PHRASE_CHAT_GROUP] = { "chat_group_request", 20, 25, 1 },
		[PHRASE_CREDENTIAL] = { "credential_lure", 12, 20, 0 },
		[PHRASE_ADVANCE_FEE] = { "advance_fee", 8, 25, 0 },
		[PHRASE_LURE] = { "lure_words", 5, 10, 0 },
		/* W-2 fraud: staff tax forms or personal records asked for by mail. */
		[PHRASE_DATA_REQUEST] = { "data_request", 8, 15, 1 },
	};
	struct buf t;

	buf_init(&t, 0);
	buf_adds(&t, r->msg.subject);
	buf_addch(&t, '\n');
	buf_add(&t, r->msg.text.data, r->msg.text.len > 256 * 1024 ? 256 * 1024 : r->msg.text.len);
	char *f = mail_fold(t.data);
	buf_release(&t);
	if (!f)
		return;
	/* "View&nbsp; Document", "verify your\n account": one space between words. */
	size_t o = 0;
	for (size_t i = 0; f[i]; i++)
		if (!isspace((unsigned char)f[i]) || (o && f[o - 1] != ' '))
			f[o++] = isspace((unsigned char)f[i]) ? ' ' : f[i];
	f[o] = '\0';
	for (int k = 0; k < PHRASE__COUNT; k++) {
		struct buf ev;
		int hits = 0;

		buf_init(&ev, 512);
		for (size_t i = 0; i < c->phrases[k].n; i++) {
			const char *ph = c->phrases[k].v[i], *first = strstr(f, ph);
			if (!first)
				continue;
			/* ASCII phrases must start at a word boundary ("btc" is not in "subtcase"). */
			int ok = 0;
			for (const char *p = first; p && !ok; p = strstr(p + 1, ph))
				ok = p == f || !isalnum((unsigned char)ph[0]) || !isalnum((unsigned char)p[-1]);
			if (!ok)
				continue;
			hits++;
			if (hits <= 3)
				buf_addf(&ev, "%s%s", hits > 1 ? ", " : "", ph);
		}
		if (hits)
			mail_reason_add(r, kinds[k].code, GROUP_LANGUAGE, hits > 1 ? kinds[k].more : kinds[k].one, 0,
					kinds[k].bec, "subject/body: %s language (%s)", kinds[k].code, ev.data);
		buf_release(&ev);
	}
	free(r->folded);
	r->folded = f; /* kept for the later checks */
}

/* Visible text that names a host, or NULL. */
static char *text_host(const char *text)
{
	const char *t = text;
	while (*t == ' ')
		t++;
	if (!*t || strchr(t, ' ') || !strchr(t, '.'))
		return NULL;
	if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8) || !strncasecmp(t, "www.", 4)) {
		char *h = mail_url_host(t);
		return h;
	}
	/* A bare domain with a common suffix. */
	const char *dot = strrchr(t, '.');
	if (dot && strlen(dot) >= 3 && strlen(dot) <= 4 && isalpha((unsigned char)dot[1]) && !strchr(t, '@'))
		return mail_url_host(t);
	return NULL;
}

static void link_checks(struct mail_result *r, const struct mail_config *c)
{
	const struct mail_msg *m = &r->msg;
	int mismatch = 0, ip = 0, risky = 0, shortener = 0, look = 0;
	struct strv targets = { 0 };
	const char *how;

	for (size_t i = 0; i < c->own_domains.n; i++)
		strv_add(&targets, c->own_domains.v[i]);
	for (size_t i = 0; i < c->partner_domains.n; i++)
		strv_add(&targets, c->partner_domains.v[i]);
	for (size_t i = 0; i < m->nlinks; i++) {
		const struct mail_link *l = &m->links[i];
		if (strncasecmp(l->href, "http", 4))
			continue;
		char *h = mail_url_host(l->href), *th = text_host(l->text);
		if (h && th && !mismatch && !mail_same_reg(h, th)) {
			mismatch = 1;
			mail_reason_add(r, "link_text_mismatch", GROUP_LINK, 25, 0, 0,
					"link: text shows %s but goes to %s", th, h);
		}
		free(th);
		free(h);
	}
	for (size_t i = 0; i < r->iocs.urls.n; i++) {
		char *h = mail_url_host(r->iocs.urls.v[i]);
		const char *t;
		if (!h)
			continue;
		if (!ip && is_ipv4_host(h)) {
			ip = 1;
			mail_reason_add(r, "link_ip_address", GROUP_LINK, 20, 0, 0, "link: %s goes to an IP address",
					r->iocs.urls.v[i]);
		} else if (!risky && mail_host_under(h, &c->risky_hosts)) {
			risky = 1;
			mail_reason_add(r, "link_risky_hosting", GROUP_LINK, 15, 0, 0,
					"link: %s is on a free hosting service often used for phishing pages", h);
		} else if (!shortener && mail_host_under(h, &c->shorteners)) {
			shortener = 1;
			mail_reason_add(r, "link_shortener", GROUP_LINK, 8, 0, 0, "link: %s is a URL shortener", h);
		}
		if (!look && targets.n && !is_ipv4_host(h) && (t = mail_lookalike(h, &targets, &how))) {
			look = 1;
			mail_reason_add(r, "lookalike_link", GROUP_LINK, 35, 1, 0, "link: lookalike of %s (%s, %s)",
					t, h, how);
		}
		free(h);
	}
	strv_release(&targets);
}

/*
 * A file name whose extension says one kind of file while Content-Type
 * declares another kind ("invoice.pdf" as image/jpeg): made by a tool, not
 * by a mail program. Generic declarations (application/octet-stream) never
 * mismatch.
 */
static int type_mismatch(const char *ext, const char *declared)
{
	static const struct {
		const char *ext, *family;
	} kinds[] = {
		{ "pdf", "application/pdf" }, { "doc", "application/" }, { "docx", "application/" },
		{ "xls", "application/" }, { "xlsx", "application/" }, { "jpg", "image/" }, { "jpeg", "image/" },
		{ "png", "image/" }, { "gif", "image/" }, { "txt", "text/" },
	};

	if (!*declared || strstr(declared, "octet-stream") || !strncmp(declared, "application/x-", 14))
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(ext, kinds[i].ext))
			return strncmp(declared, kinds[i].family, strlen(kinds[i].family)) != 0;
	return 0;
}

static void attachment_checks(struct mail_result *r)
{
	static const char *const exec[] = { "exe", "scr", "lnk", "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta",
		"bat", "cmd", "ps1", "msi", "jar", "com", "pif", "cpl", "dll", "reg", "chm", "url", NULL };
	static const char *const disk[] = { "iso", "img", "vhd", "vhdx", "udf", NULL };
	static const char *const html[] = { "html", "htm", "shtml", "xhtml", "svg", "mht", "mhtml", NULL };
	static const char *const macro[] = { "docm", "xlsm", "pptm", "xlam", "dotm", "xltm", "ppam", "xlsb", NULL };
	static const char *const archive[] = { "zip", "rar", "7z", "gz", "tgz", "cab", "ace", "arj", "r00", "xz", NULL };
	const struct mail_msg *m = &r->msg;

	for (size_t i = 0; i < m->natts; i++) {
		const struct mail_attachment *a = &m->atts[i];
		char ext[16];
		const char *nm = *a->name ? a->name : "(unnamed)";

		extension(a->name, ext, sizeof(ext));
		if (in_set(ext, exec) || !strcmp(a->sniffed, "pe") || !strcmp(a->sniffed, "lnk"))
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 50, 1, 0,
					"attachment: %s is a program or script (%s, %zu bytes)", nm,
					*a->sniffed ? a->sniffed : ext, a->size);
		else if (in_set(ext, disk) || !strcmp(a->sniffed, "iso") || !strcmp(a->sniffed, "vhd"))
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 45, 1, 0,
					"attachment: %s is a disk image (%zu bytes)", nm, a->size);
		else if (in_set(ext, html) || !strcmp(a->sniffed, "html") || !strcmp(a->sniffed, "svg"))
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 35, 1, 0,
					"attachment: %s is an HTML or SVG page (%zu bytes)", nm, a->size);
		else if (a->macros || in_set(ext, macro))
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 40, 1, 0,
					"attachment: %s is a document with macros", nm);
		else if (a->encrypted)
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 40, 1, 0,
					"attachment: %s is a password-protected archive", nm);
		else if (in_set(ext, archive) || !strcmp(a->sniffed, "rar") || !strcmp(a->sniffed, "7z"))
			mail_reason_add(r, "archive_attachment", GROUP_ATTACHMENT, 10, 0, 0,
					"attachment: %s is an archive (not opened)", nm);
		else if (!strcmp(ext, "pdf") && *a->sniffed && strcmp(a->sniffed, "pdf"))
			mail_reason_add(r, "risky_attachment", GROUP_ATTACHMENT, 35, 1, 0,
					"attachment: %s is named .pdf but is %s", nm, a->sniffed);
		else if (!strcmp(ext, "rtf") || !strcmp(a->sniffed, "rtf"))
			mail_reason_add(r, "rtf_attachment", GROUP_ATTACHMENT, 20, 0, 0,
					"attachment: %s is an RTF document, the format of Office exploits", nm);
		else if (type_mismatch(ext, a->declared_type))
			mail_reason_add(r, "attachment_type_mismatch", GROUP_ATTACHMENT, 20, 0, 0,
					"attachment: %s is declared as %s", nm, a->declared_type);
	}
}

void mail_signals_run(struct mail_result *r, const struct mail_config *c)
{
	const struct mail_msg *m = &r->msg;
	int list = m->list_headers || strstr(m->from_name, " via ") != NULL;

	sender_checks(r, c, list);
	brand_checks(r, c, list);
	recipient_checks(r, list);
	auth_checks(r, list);
	content_checks(r);
	language_checks(r, c);
	link_checks(r, c);
	attachment_checks(r);
	mail_bulk_checks(r, c, list);
}
