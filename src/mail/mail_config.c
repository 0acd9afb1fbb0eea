/*
 * mail_config.c: the analyser's configuration: own and partner domains,
 * executives, the boundary authserv-id and thresholds from a JSON file (or
 * the text the web UI stores), over defaults and phrase lists embedded from
 * data/mail/ (phrases.txt, freemail.txt, risky_hosts.txt).
 */
#include "mail/mail.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phrase_sections[PHRASE__COUNT] = {
	"payment_change", "payment", "urgency", "secrecy", "chat_group", "credential",
	"advance_fee", "lure", "data_request",
};

/*
 * Read an embedded list: lines into the list named by section, "" for
 * files without sections; phrases are folded so matching is NFKC + case
 * insensitive.
 */
static void load_list(struct mail_config *c, const char *file)
{
	const struct embed_file *f = embed_find(file);
	struct strv *cur = NULL;
	const char *p, *end;

	if (!f)
		return;
	if (!strcmp(file, "mail/freemail.txt"))
		cur = &c->freemail;
	else if (!strcmp(file, "mail/brands.txt"))
		cur = &c->brands;
	for (p = f->data, end = f->data + f->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256];

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if (line[0] == '[') {
			cur = NULL;
			for (int i = 0; i < PHRASE__COUNT; i++)
				if (!strncmp(line + 1, phrase_sections[i], strlen(phrase_sections[i])) &&
				    line[1 + strlen(phrase_sections[i])] == ']')
					cur = &c->phrases[i];
			if (!strcmp(line, "[hosting]"))
				cur = &c->risky_hosts;
			else if (!strcmp(line, "[shorteners]"))
				cur = &c->shorteners;
			else if (!strcmp(line, "[tenants]"))
				cur = &c->tenants;
			else if (!strcmp(line, "[tlds]"))
				cur = &c->risky_tlds;
			else if (!strcmp(line, "[role_names]"))
				cur = &c->role_names;
			else if (!strcmp(line, "[charge]"))
				cur = &c->charge_words;
			else if (!strcmp(line, "[unsubscribe]"))
				cur = &c->unsubscribe_words;
			continue;
		}
		if (cur) {
			char *fold = mail_fold(line);
			strv_add_unique(cur, fold);
			free(fold);
		}
	}
}

static int str_list(json_t *root, const char *key, struct strv *out, int lower, const char *src,
		    struct err *e)
{
	json_t *a = json_object_get(root, key), *v;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return err_set(e, ERR_INVALID, "%s: %s: expected an array of strings", src, key);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !*json_string_value(v))
			return err_set(e, ERR_INVALID, "%s: %s[%zu]: expected a non-empty string", src, key, i);
		char *f = lower ? mail_fold(json_string_value(v)) : strdup(json_string_value(v));
		if (f)
			strv_add_unique(out, f);
		free(f);
	}
	return 0;
}

static int config_apply(struct mail_config *c, json_t *root, const char *src, struct err *e)
{
	json_t *v;
	size_t i;
	int rc;

	if ((rc = str_list(root, "own_domains", &c->own_domains, 1, src, e)) ||
	    (rc = str_list(root, "partner_domains", &c->partner_domains, 1, src, e)) ||
	    (rc = str_list(root, "freemail_domains", &c->freemail, 1, src, e)) ||
	    (rc = str_list(root, "known_senders", &c->known_senders, 1, src, e)) ||
	    (rc = str_list(root, "risky_hosts", &c->risky_hosts, 1, src, e)))
		return rc;
	for (int k = 0; k < PHRASE__COUNT; k++) {
		char key[64];
		snprintf(key, sizeof(key), "phrases_%s", phrase_sections[k]);
		if ((rc = str_list(root, key, &c->phrases[k], 1, src, e)))
			return rc;
	}
	v = json_object_get(root, "authserv_id");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) || !*json_string_value(v))
			return err_set(e, ERR_INVALID, "%s: authserv_id: expected a string", src);
		free(c->authserv_id);
		c->authserv_id = strdup(json_string_value(v));
	}
	v = json_object_get(root, "unwrap_forwards");
	if (v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (!strcmp(s, "auto")) c->unwrap = -1;
		else if (!strcmp(s, "always")) c->unwrap = 1;
		else if (!strcmp(s, "never")) c->unwrap = 0;
		else return err_set(e, ERR_INVALID, "%s: unwrap_forwards: expected auto, always or never", src);
	}
	v = json_object_get(root, "thresholds");
	if (v) {
		json_t *s = json_object_get(v, "suspicious"), *m = json_object_get(v, "malicious");
		if (!json_is_object(v) || (s && !json_is_integer(s)) || (m && !json_is_integer(m)))
			return err_set(e, ERR_INVALID, "%s: thresholds: expected {\"suspicious\": N, \"malicious\": N}", src);
		if (s) c->threshold_suspicious = (int)json_integer_value(s);
		if (m) c->threshold_malicious = (int)json_integer_value(m);
		if (c->threshold_suspicious < 1 || c->threshold_suspicious > 100 ||
		    c->threshold_malicious < c->threshold_suspicious || c->threshold_malicious > 100)
			return err_set(e, ERR_INVALID, "%s: thresholds: need 1 <= suspicious <= malicious <= 100", src);
	}
	v = json_object_get(root, "executives");
	if (v) {
		json_t *x;
		if (!json_is_array(v))
			return err_set(e, ERR_INVALID, "%s: executives: expected an array of objects", src);
		c->execs = calloc(json_array_size(v) + 1, sizeof(*c->execs));
		if (!c->execs)
			return err_set(e, ERR_NOMEM, "out of memory");
		json_array_foreach(v, i, x) {
			const char *n = json_str(x, "name"), *ne = json_str(x, "name_en"), *em = json_str(x, "email");
			if (!json_is_object(x) || (!n && !ne))
				return err_set(e, ERR_INVALID, "%s: executives[%zu]: expected an object with name or name_en", src, i);
			struct mail_exec *ex = &c->execs[c->nexecs++];
			ex->name = strdup(n ? n : "");
			ex->name_en = strdup(ne ? ne : "");
			ex->email = mail_fold(em ? em : "");
		}
	}
	return 0;
}

static int config_new(struct mail_config **out, struct err *e)
{
	struct mail_config *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->unwrap = -1;
	c->threshold_suspicious = 30;
	c->threshold_malicious = 60;
	load_list(c, "mail/phrases.txt");
	load_list(c, "mail/freemail.txt");
	load_list(c, "mail/risky_hosts.txt");
	load_list(c, "mail/brands.txt");
	*out = c;
	return 0;
}

int mail_config_parse(struct mail_config **out, const char *text, size_t n, struct err *e)
{
	json_t *root = NULL;
	int rc = config_new(out, e);

	if (rc)
		return rc;
	if (text && (rc = json_parse(text, n, 1, &root, e)) == 0)
		rc = config_apply(*out, root, "config", e);
	json_decref(root);
	if (rc) {
		mail_config_free(*out);
		*out = NULL;
	}
	return rc;
}

int mail_config_load(struct mail_config **out, const char *path, struct err *e)
{
	json_t *root;
	json_error_t je;
	int rc = config_new(out, e);

	if (rc || !path)
		return rc;
	FILE *f = fopen(path, "rb");
	if (!f) {
		rc = errno == ENOENT ? err_set(e, ERR_NOTFOUND, "%s: no such file", path)
				     : err_set(e, ERR_IO, "%s: cannot read", path);
		goto fail;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root) {
		rc = err_set(e, ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		goto fail;
	}
	if (!json_is_object(root))
		rc = err_set(e, ERR_PARSE, "%s: expected a JSON object", path);
	else
		rc = config_apply(*out, root, path, e);
	json_decref(root);
	if (!rc)
		return 0;
fail:
	mail_config_free(*out);
	*out = NULL;
	return rc;
}

void mail_config_free(struct mail_config *c)
{
	if (!c)
		return;
	strv_release(&c->own_domains);
	strv_release(&c->partner_domains);
	strv_release(&c->freemail);
	strv_release(&c->known_senders);
	strv_release(&c->risky_hosts);
	strv_release(&c->shorteners);
	strv_release(&c->tenants);
	strv_release(&c->brands);
	strv_release(&c->risky_tlds);
	strv_release(&c->role_names);
	strv_release(&c->charge_words);
	strv_release(&c->unsubscribe_words);
	for (int i = 0; i < PHRASE__COUNT; i++)
		strv_release(&c->phrases[i]);
	for (size_t i = 0; i < c->nexecs; i++) {
		free(c->execs[i].name);
		free(c->execs[i].name_en);
		free(c->execs[i].email);
	}
	free(c->execs);
	free(c->authserv_id);
	free(c);
}
