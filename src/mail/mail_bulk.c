/*
 * mail_bulk.c: signals of bulk fraud, the mail that is sent by the
 * million and must look different in every copy: letters drawn from the
 * mathematical alphabets, random tags in the subject, filler words that
 * no language has, sender domains under top-level domains that registrars
 * sell for cents, a free-mail address that calls itself a company's
 * "Billing Team", a telephone number to call about a charge one never
 * made, money in the subject. None of them makes a verdict alone: each is
 * a reason in its group (mail_verdict.c needs two groups).
 */
#include "mail/mail.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode one UTF-8 sequence at p (n bytes left); *len gets its length. */
static unsigned utf8_cp(const unsigned char *p, size_t n, size_t *len)
{
	*len = 1;
	if (*p < 0x80 || n < 2)
		return *p;
	if (*p >= 0xc0 && *p < 0xe0) {
		*len = 2;
		return ((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f);
	}
	if (*p >= 0xe0 && *p < 0xf0 && n >= 3) {
		*len = 3;
		return ((unsigned)(*p & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
	}
	if (*p >= 0xf0 && n >= 4) {
		*len = 4;
		return ((unsigned)(*p & 0x07) << 18) | ((unsigned)(p[1] & 0x3f) << 12) |
		       ((unsigned)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
	}
	return *p;
}

/* Latin letters or digits from decorative alphabets: mathematical, circled, squared. */
static int is_fancy(unsigned cp)
{
	return (cp >= 0x1d400 && cp <= 0x1d7ff) || (cp >= 0x24b6 && cp <= 0x24e9) || (cp >= 0x1f130 && cp <= 0x1f189);
}

/* Pictographs (emoji). */
static int is_emoji(unsigned cp)
{
	return (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf) || cp == 0x203c;
}

/* How many code points of s the predicate accepts. */
static int count_cps(const char *s, int (*pred)(unsigned))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	int count = 0;

	while (n) {
		count += pred(utf8_cp(p, n, &len));
		p += len;
		n -= len;
	}
	return count;
}

/*
 * Characters mixed at random: many changes between lower case, upper case
 * and digits ("tJjwN679hRkyKg", "GBDadaNrriiYZKhd"), with digits or with
 * two runs of capitals. Names written in CamelCase ("TheHickmanReport")
 * and order numbers ("NP0931218") change seldom or one capital at a time.
 */
static int random_mix(const char *w, size_t n, int min_changes)
{
	int changes = 0, prev = -1, digits = 0, cap_runs = 0, caps = 0;

	for (size_t i = 0; i < n; i++) {
		int k = islower((unsigned char)w[i]) ? 0 : isupper((unsigned char)w[i]) ? 1 : 2;
		if (prev >= 0 && k != prev)
			changes++;
		digits += k == 2;
		caps = k == 1 ? caps + 1 : 0;
		cap_runs += caps == 2;
		prev = k;
	}
	return changes >= min_changes && (digits || cap_runs >= 2);
}

/* Seven letters in a row without a vowel ("y" counts as one) and few vowels overall. */
static int unpronounceable(const char *w, size_t n)
{
	int run = 0, best = 0, vowels = 0;

	for (size_t i = 0; i < n; i++) {
		if (strchr("aeiouyAEIOUY", w[i])) {
			vowels++;
			run = 0;
		} else if (++run > best) {
			best = run;
		}
	}
	return best >= 7 && vowels * 10 < (int)n * 3;
}

/* 1 when one of the bytes in set occurs in w[0..n). */
static int strpbrk_n(const char *w, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, w[i]))
			return 1;
	return 0;
}

/* Hexadecimal (an identifier, a hash, an address in a log) rather than random text. */
static int hexadecimal(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)w[i]) && !(i == 1 && (w[i] == 'x' || w[i] == 'X')))
			return 0;
	return 1;
}

/*
 * Words of s[0..n) that are only there to make the copy unique: long
 * runs of letters with no vowel to speak of, or random mixes of cases and
 * digits. Only whitespace-delimited tokens made of ASCII letters and
 * digits are looked at, so URLs, encoded blobs and addresses do not count.
 */
static int filler_words(const char *s, size_t n, char *ev, size_t evn)
{
	const char *p = s, *end = s + n;
	int count = 0, words = 0, hex = 0;

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *w = p;
		int alnum = 1, alpha = 1;
		while (p < end && !isspace((unsigned char)*p)) {
			alnum &= isalnum((unsigned char)*p) != 0;
			alpha &= isalpha((unsigned char)*p) != 0;
			p++;
		}
		size_t wl = (size_t)(p - w);
		words++;
		/* Armoured keys and signatures ("-----BEGIN PGP ...") are encoded, not filler. */
		if (wl >= 10 && !strncmp(w, "-----BEGIN", 10)) {
			const char *e = memmem(p, (size_t)(end - p), "-----END", 8);
			p = e ? e + 8 : end;
			continue;
		}
		if (wl >= 5 && wl <= 80 && alnum && !alpha && hexadecimal(w, wl) && w[1] != 'x' &&
		    strpbrk_n(w, wl, "abcdefABCDEF") && ++hex == 10 && !count)
			snprintf(ev, evn, "%.*s", (int)(wl > 40 ? 40 : wl), w);
		if (wl < 12 || wl > 80 || !alnum || hexadecimal(w, wl))
			continue;
		if ((alpha && unpronounceable(w, wl)) || random_mix(w, wl, 8)) {
			if (!count)
				snprintf(ev, evn, "%.*s", (int)(wl > 40 ? 40 : wl), w);
			count++;
		}
	}
	/* Lines of hexadecimal strings in place of text: a hash buster. */
	if (hex >= 10 && hex * 4 >= words)
		count += hex;
	return count;
}

/* The subject's first random tag (ASCII letters and digits, 8 or more, mixed at random). */
static int random_tag(const char *s, char *ev, size_t evn)
{
	const char *p = s;

	while (*p) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *w = p;
		while (isalnum((unsigned char)*p))
			p++;
		size_t wl = (size_t)(p - w);
		if (wl >= 8 && ((unsigned char)*p < 0x80) && random_mix(w, wl, 5)) {
			snprintf(ev, evn, "%.*s", (int)(wl > 40 ? 40 : wl), w);
			return 1;
		}
	}
	return 0;
}

/* A letter or digit of any script, not a space, punctuation or pictograph. */
static int word_char(unsigned cp)
{
	if (cp < 0x80)
		return isalnum((int)cp);
	return cp != 0xa0 && !(cp >= 0x2000 && cp <= 0x206f) && cp != 0x3000 && !(cp >= 0x2190 && cp <= 0x2bff) &&
	       cp < 0x1f000 && !(cp >= 0xfe00 && cp <= 0xfe0f) && cp != 0xfeff && cp != 0xad && cp != 0x34f;
}

/*
 * Scripts whose writing uses the zero-width characters: Arabic, Persian
 * and Syriac (non-joiners inside words), the Indic scripts (joiners), Thai,
 * Lao, Tibetan, Myanmar and Khmer (zero-width spaces between words).
 */
static int complex_script(unsigned cp)
{
	return (cp >= 0x600 && cp <= 0x7ff) || (cp >= 0x900 && cp <= 0x109f) || (cp >= 0x1780 && cp <= 0x17ff);
}

/*
 * Invisible characters inside words (zero-width spaces, non-joiners and
 * joiners, the combining grapheme joiner) break up the words filters look
 * for; right-to-left overrides turn "exe.pdf" around. A joiner between
 * pictographs (emoji sequences), next to a space (newsletter preheader
 * padding) or in a script that writes with them is not counted. Returns the count, *bidi set for overrides.
 */
static int invisible_count(const char *s, size_t n, int *bidi)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned prev = ' ';
	size_t len;
	int count = 0;

	while (n) {
		unsigned cp = utf8_cp(p, n, &len);
		if (cp == 0x202e || cp == 0x202d || (cp >= 0x2066 && cp <= 0x2069))
			*bidi = 1;
		if ((cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0x34f || cp == 0xfeff) {
			size_t nl;
			unsigned next = len < n ? utf8_cp(p + len, n - len, &nl) : ' ';
			/* Runs of invisibles between two letters count one each. */
			if (word_char(prev) && (word_char(next) || next == 0x200c || next == 0x200b || next == 0x34f) &&
			    !complex_script(prev) && !complex_script(next))
				count++;
		} else {
			prev = cp;
		}
		p += len;
		n -= len;
	}
	return count;
}

static void invisible_checks(struct mail_result *r)
{
	const struct mail_msg *m = &r->msg;
	int bidi = 0, in_text = invisible_count(m->text.data, m->text.len > 64 * 1024 ? 64 * 1024 : m->text.len, &bidi);
	int in_head = invisible_count(m->subject, strlen(m->subject), &bidi) +
		      invisible_count(m->from_name, strlen(m->from_name), &bidi);

	for (size_t i = 0; i < m->natts; i++)
		in_head += invisible_count(m->atts[i].name, strlen(m->atts[i].name), &bidi);
	if (bidi || in_head || in_text >= 3)
		mail_reason_add(r, "invisible_text", GROUP_CONTENT, 20, 0, 0,
				"%s: %d invisible characters inside words%s", in_head || bidi ? "headers or file names"
				: "body", in_head + in_text, bidi ? " and a right-to-left override" : "");
}

static void disguise_checks(struct mail_result *r)
{
	const struct mail_msg *m = &r->msg;
	char ev[64];
	int fs = count_cps(m->subject, is_fancy), fn = count_cps(m->from_name, is_fancy);

	if (fs >= 3 || fn >= 3)
		mail_reason_add(r, "fancy_letters", GROUP_CONTENT, 20, 0, 0,
				"%s: written in decorative Unicode letters that filters do not read as words (%d)",
				fs >= 3 ? "Subject" : "From: display name", fs >= 3 ? fs : fn);
	if (random_tag(m->subject, ev, sizeof(ev)))
		mail_reason_add(r, "random_tag", GROUP_CONTENT, 15, 0, 0,
				"Subject: a tag of random characters makes every copy unique (\"%s\")", ev);
	size_t tl = m->text.len > 64 * 1024 ? 64 * 1024 : m->text.len;
	int fw = filler_words(m->text.data, tl, ev, sizeof(ev));
	if (fw >= 2)
		mail_reason_add(r, "filler_text", GROUP_CONTENT, 15, 0, 0,
				"body: %d strings of random letters, filler against filters (\"%s\")", fw, ev);
	if (count_cps(m->subject, is_emoji) >= 1)
		mail_reason_add(r, "emoji_subject", GROUP_CONTENT, 5, 0, 0, "Subject: pictographs to catch the eye");
}

/*
 * Pieces of w[0..n) that start at a capital (or at w) and have no vowel
 * ("y" counts), leading initials not counted: "XeaLkqPl" has two (Lkq, Pl),
 * "JoAnnMcDonald" one (Mc), "JFKennedy" none.
 */
static int vowelless_pieces(const char *w, size_t n)
{
	size_t i = 0;
	int count = 0;

	while (i + 1 < n && isupper((unsigned char)w[i]) && isupper((unsigned char)w[i + 1]))
		i++; /* initials */
	while (i < n) {
		size_t j = i + 1;
		int vowel = strchr("aeiouyAEIOUY", w[i]) != NULL;
		for (; j < n && !isupper((unsigned char)w[j]); j++)
			vowel |= strchr("aeiouyAEIOUY", w[j]) != NULL;
		count += !vowel;
		i = j;
	}
	return count;
}

/*
 * A mailbox name in random capitals ("XeaLkqPl@", "lwInMxAeQ@"): made by
 * a generator, for one run. People's addresses are lower case or names
 * whose capitals start pronounceable pieces ("JoAnn.McDonald"). Only names
 * made of letters are looked at.
 */
static void sender_case_check(struct mail_result *r)
{
	const char *a = r->msg.from_local, *at = a + strlen(a);

	/* Encoded tracking identifiers (digits, '#', '=') are another thing. */
	if (a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-")])
		return;
	for (const char *p = a; p < at;) {
		const char *w = p;
		while (p < at && isalpha((unsigned char)*p))
			p++;
		int changes = 0;
		for (const char *q = w + 1; q < p; q++)
			changes += !islower((unsigned char)q[0]) != !islower((unsigned char)q[-1]);
		if (changes >= 4 && vowelless_pieces(w, (size_t)(p - w)) >= 2) {
			mail_reason_add(r, "random_sender_name", GROUP_IDENTITY, 15, 0, 0,
					"From: the mailbox name %.*s is in random capitals, made by a generator",
					(int)(at - a), a);
			return;
		}
		while (p < at && !isalpha((unsigned char)*p))
			p++;
	}
}

/* The top-level domain of host ("" when none). */
static const char *tld(const char *host)
{
	const char *dot = strrchr(host, '.');
	return dot ? dot + 1 : "";
}

static void tld_checks(struct mail_result *r, const struct mail_config *c)
{
	const char *from_dom = mail_addr_domain(r->msg.from_addr);

	if (*r->msg.from_addr && strv_has(&c->risky_tlds, tld(from_dom)))
		mail_reason_add(r, "sender_risky_tld", GROUP_IDENTITY, 10, 0, 0,
				"From: %s is under .%s, a top-level domain that fraud registers in bulk", from_dom,
				tld(from_dom));
	for (size_t i = 0; i < r->iocs.urls.n; i++) {
		char *h = mail_url_host(r->iocs.urls.v[i]);
		/* The sender's own domain in its links is the same fact as above. */
		int hit = h && strv_has(&c->risky_tlds, tld(h)) && !mail_same_reg(h, from_dom);
		if (hit)
			mail_reason_add(r, "link_risky_tld", GROUP_LINK, 15, 0, 0,
					"link: %s is under .%s, a top-level domain that fraud registers in bulk", h,
					tld(h));
		free(h);
		if (hit)
			break;
	}
}

/*
 * A free-mail or cloud-tenant address whose display name claims a company
 * function ("Billing Team", "Security Department", "サポート窓口"):
 * companies do not bill from gmail.com.
 */
static void role_name_check(struct mail_result *r, const struct mail_config *c)
{
	const struct mail_msg *m = &r->msg;
	const char *dom = mail_addr_domain(m->from_addr);

	if (!*m->from_name || !*m->from_addr || mail_is_bounce(m) ||
	    (!mail_domain_in(m->from_addr, &c->freemail) && !mail_host_under(dom, &c->tenants)))
		return;
	char *name = mail_fold(m->from_name);
	for (size_t i = 0; name && i < c->role_names.n; i++)
		if (mail_has_word(name, c->role_names.v[i])) {
			mail_reason_add(r, "freemail_role_name", GROUP_IDENTITY, 15, 0, 0,
					"From: display name \"%s\" speaks for a company (%s) from %s", m->from_name,
					c->role_names.v[i], m->from_addr);
			break;
		}
	free(name);
}

/* A telephone number: 10 to 15 digits with only spaces, dots, dashes, brackets and '+' between. */
static int phone_number(const char *s, size_t n, char *ev, size_t evn)
{
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) && s[i] != '+' && s[i] != '(')
			continue;
		if (i && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '/' || s[i - 1] == '=' || s[i - 1] == '.'))
			continue;
		size_t j = i;
		int digits = 0, seps = 0;
		while (j < n && (isdigit((unsigned char)s[j]) || (s[j] && strchr("+-.() ", s[j]))) && j - i < 24) {
			if (isdigit((unsigned char)s[j]))
				digits++;
			else if (s[j] != '+')
				seps++;
			j++;
		}
		while (j > i && !isdigit((unsigned char)s[j - 1]))
			j--;
		if (digits >= 10 && digits <= 15 && seps >= 2 && (j >= n || !isdigit((unsigned char)s[j]))) {
			snprintf(ev, evn, "%.*s", (int)(j - i), s + i);
			return 1;
		}
		i = j;
	}
	return 0;
}

/*
 * "Your order of $499.99 was processed; if you did not make it, call
 * +1 888 ...": the caller is talked into remote access or a refund.
 * A charge or renewal phrase and a number to call, in a mail that answers
 * nothing.
 */
static void callback_check(struct mail_result *r, const struct mail_config *c, const char *folded, int list)
{
	static const char *const call[] = { "call us", "call our", "call the", "contact us at", "helpline",
		"toll free", "toll-free", "reach us at", "call at", "call now", "assistance desk", "support desk",
		"help desk", "helpdesk", "customer care", "customer support", "billing department", "お電話", NULL };
	const struct mail_msg *m = &r->msg;
	char ev[64], *subj = mail_fold(m->subject);
	int asks = 0, charge = 0;

	if (list || m->threaded || !subj) {
		free(subj);
		return;
	}
	for (size_t i = 0; call[i] && !asks; i++)
		asks = strstr(folded, call[i]) != NULL;
	/* The charge is news in the subject, or the body asks for the call. */
	for (size_t i = 0; i < c->charge_words.n && charge < 2; i++)
		if (mail_has_word(subj, c->charge_words.v[i]))
			charge = 2;
		else if (!charge && strstr(folded, c->charge_words.v[i]))
			charge = 1;
	free(subj);
	if ((asks || charge == 2) && charge && phone_number(m->text.data, m->text.len > 64 * 1024 ? 64 * 1024 : m->text.len, ev,
					   sizeof(ev)))
		mail_reason_add(r, "callback_number", GROUP_CONTENT, 20, 0, 0,
				"body: a charge or renewal to dispute by calling %s", ev);
}

/* A sum of money in the subject: "+$42", "€250", "1,000 USD", "0.75 BTC". */
static void money_subject(struct mail_result *r, const char *subj)
{
	static const char *const cur[] = { "$", "€", "£", "usd", "eur", "btc", "usdt", "eth", "r$", NULL };

	for (size_t i = 0; cur[i]; i++) {
		for (const char *p = strstr(subj, cur[i]); p; p = strstr(p + 1, cur[i])) {
			size_t cl = strlen(cur[i]);
			int before = p > subj && (isdigit((unsigned char)p[-1]) || (p - subj > 1 && p[-1] == ' ' &&
								 isdigit((unsigned char)p[-2])));
			int after = isdigit((unsigned char)p[cl]) || (p[cl] == ' ' && isdigit((unsigned char)p[cl + 1]));
			if (isalpha((unsigned char)cur[i][0]) &&
			    ((p > subj && isalpha((unsigned char)p[-1])) || isalpha((unsigned char)p[cl])))
				continue;
			if (before || after) {
				mail_reason_add(r, "money_in_subject", GROUP_CONTENT, 8, 0, 0,
						"Subject: names a sum of money (%s)", cur[i]);
				return;
			}
		}
	}
}

/* A reason with this code and at least this weight already given. */
static int has_weighty(const struct mail_result *r, const char *code, int weight)
{
	for (size_t i = 0; i < r->nreasons; i++)
		if (!strcmp(r->reasons[i].code, code) && r->reasons[i].weight >= weight)
			return 1;
	return 0;
}

/*
 * Advertising (prize, bonus, offer words or money in the subject) with no
 * way to opt out: no List-Unsubscribe header and no unsubscribe link or
 * words in the body. The law in most countries and the big mailbox
 * providers require one of bulk senders; fraud does not bother.
 */
static void unsubscribe_check(struct mail_result *r, const struct mail_config *c, const char *folded, int list)
{
	const struct mail_msg *m = &r->msg;

	if (list || m->unsubscribe || m->threaded || m->report || m->inline_forward ||
	    (!has_weighty(r, "lure_words", 10) && !has_weighty(r, "money_in_subject", 1)))
		return;
	for (size_t i = 0; i < c->unsubscribe_words.n; i++)
		if (strstr(folded, c->unsubscribe_words.v[i]))
			return;
	for (size_t i = 0; i < m->nlinks; i++)
		if (strcasestr(m->links[i].href, "unsub") || strcasestr(m->links[i].href, "optout") ||
		    strcasestr(m->links[i].href, "opt-out"))
			return;
	mail_reason_add(r, "no_unsubscribe", GROUP_CONTEXT, 10, 0, 0,
			"advertising without List-Unsubscribe or a way to opt out in the body");
}

/*
 * A login handed over in the mail ("Login: ... Password: csx44way"): the
 * crypto-platform scam gives its victims an account on a site they never
 * joined, where the "balance" waits for a fee. The password of an
 * encrypted attachment sent on its own (common between Japanese
 * companies) names no login; replies and lists do not count (support
 * threads and list reminders).
 */
static void password_given(struct mail_result *r, const char *folded, int list)
{
	static const char *const words[] = { "password", "passwort", "senha", "contraseña", "mot de passe",
		"wachtwoord", "パスワード", NULL };
	static const char *const login[] = { "login", "log in", "username", "user name", "user id", "customer id",
		"ログインid", "ログイン", "ユーザーid", "ユーザー名", NULL };
	int named = 0;

	if (list || r->msg.threaded)
		return;
	for (size_t i = 0; login[i] && !named; i++)
		named = strstr(folded, login[i]) != NULL;
	for (size_t i = 0; named && words[i]; i++)
		for (const char *p = strstr(folded, words[i]); p; p = strstr(p + 1, words[i])) {
			const char *v = p + strlen(words[i]);
			v += strspn(v, " \"*");
			if (strncmp(v, ":", 1) && strncmp(v, "：", 3))
				continue;
			v += *v == ':' ? 1 : 3;
			v += strspn(v, " \"*");
			size_t k = strcspn(v, " \"*\n");
			if (k >= 4 && k <= 40) {
				mail_reason_add(r, "password_given", GROUP_CONTENT, 10, 0, 0,
						"body: hands over a login and its password (%s: ...)", words[i]);
				return;
			}
		}
}

/* A stranger's free-mail address offering money: the advance-fee letter. */
static void freemail_money_check(struct mail_result *r, const struct mail_config *c)
{
	const struct mail_msg *m = &r->msg;

	if (m->threaded || !*m->from_addr || !mail_domain_in(m->from_addr, &c->freemail))
		return;
	if (has_weighty(r, "advance_fee", 20))
		mail_reason_add(r, "freemail_money_offer", GROUP_IDENTITY, 10, 0, 0,
				"From: %s, a free-mail address, writes of money to claim or receive", m->from_addr);
}

void mail_bulk_checks(struct mail_result *r, const struct mail_config *c, int list)
{
	const struct mail_msg *m = &r->msg;

	disguise_checks(r);
	invisible_checks(r);
	sender_case_check(r);
	tld_checks(r, c);
	role_name_check(r, c);
	char *subj = mail_fold(m->subject);
	if (subj)
		money_subject(r, subj); /* before unsubscribe_check, which reads it */
	free(subj);
	/* The subject and body as language_checks folded them. */
	const char *f = r->folded;
	if (f) {
		callback_check(r, c, f, list);
		unsubscribe_check(r, c, f, list);
		password_given(r, f, list);
	}
	freemail_money_check(r, c);
	if (!*m->to_addr && !list && !m->report && !m->inline_forward)
		mail_reason_add(r, "no_recipient", GROUP_CONTEXT, 5, 0, 0,
				"To: no recipient address (undisclosed recipients: sent as blind copies)");
}
