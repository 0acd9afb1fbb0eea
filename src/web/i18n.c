/*
 * i18n.c: message catalog lookup. The catalogs are parsed once, on first
 * use, into sorted tables (pthread_once), then searched by bisection.
 */
#include "web/i18n.h"
#include "util/embed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *key;
	char *text;
};

struct catalog {
	const char *lang;
	struct entry *e;
	size_t n;
	char *data; /* the parsed copy the entries point into, kept for the process */
};

static struct catalog catalogs[] = { { "en", NULL, 0, NULL }, { "ja", NULL, 0, NULL } };
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static void load(struct catalog *c)
{
	char name[32];
	const struct embed_file *f;
	char *copy, *line, *save = NULL;
	size_t cap = 0;

	snprintf(name, sizeof(name), "i18n/%s.txt", c->lang);
	f = embed_find(name);
	if (!f || !(copy = strdup(f->data)))
		return;
	c->data = copy;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		if (c->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct entry *p = realloc(c->e, ncap * sizeof(*p));
			if (!p)
				break;
			c->e = p;
			cap = ncap;
		}
		c->e[c->n].key = trim(line, eq);
		c->e[c->n].text = trim(eq + 1, eq + 1 + strlen(eq + 1));
		c->n++;
	}
	qsort(c->e, c->n, sizeof(*c->e), cmp);
}

static void load_all(void)
{
	for (size_t i = 0; i < sizeof(catalogs) / sizeof(catalogs[0]); i++)
		load(&catalogs[i]);
}

static const char *find(const struct catalog *c, const char *key)
{
	struct entry k = { (char *)key, NULL }, *hit;

	if (!c->n)
		return NULL;
	hit = bsearch(&k, c->e, c->n, sizeof(*c->e), cmp);
	return hit ? hit->text : NULL;
}

const char *i18n(const char *lang, const char *key)
{
	const char *t = NULL;

	pthread_once(&once, load_all);
	if (lang && strcmp(lang, "ja") == 0)
		t = find(&catalogs[1], key);
	if (!t)
		t = find(&catalogs[0], key);
	return t ? t : key;
}
