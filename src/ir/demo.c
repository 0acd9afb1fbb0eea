/*
 * demo.c: demo data from the scenario files in data/demo/ (see demo.h and
 * the format in data/demo/README.md). Every write goes through the ir/
 * module that owns it; this file only reads scenarios, orders their steps
 * in time and keeps the one meta key that says the demo is loaded.
 */
#include "ir/demo.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/contact.h"
#include "ir/evidence.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/lessons.h"
#include "ir/notify.h"
#include "ir/observable.h"
#include "ir/report.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/time.h"
#include "util/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One scenario file and what its steps need while they run. */
struct scen {
	char *file;
	char *owned;               /* the text, when read from a folder */
	const char *data;
	size_t len;
	const struct ynode *doc;
	int directory;             /* the accounts-and-contacts file */
	const char *title, *by;
	int64_t start;             /* offset from the load time, seconds */
	const struct ynode *steps; /* sequence, NULL for the directory */
	char hid[INCIDENT_HID_MAX];
};

struct scenarios {
	struct arena arena;
	struct scen *v;
	size_t n;
};

/* A step in the load order: step -1 creates the incident. */
struct event {
	int64_t at;
	size_t scen;
	long step;
};

/* What a load carries from step to step. */
struct run {
	struct store *st;
	const struct tz *tz;
	const char *evidence_dir;
	struct scenarios *s;
	json_t *contacts; /* name -> id */
	int evidence;
};

typedef int (*step_fn)(struct run *r, struct scen *sc, const struct ynode *step,
		       const struct ynode *arg, const struct actor *a, struct err *e);

struct step_action {
	const char *name;
	enum ynode_kind kind;   /* of the action's value */
	const char *required;   /* keys a mapping value must have, comma-separated */
	step_fn run;
};

static const struct step_action *step_action_find(const struct ynode *step,
						  const struct ynode **arg);
static const struct step_action *step_action_named(const char *name);

/* Reading */

static int is_yes(const struct ynode *n)
{
	static const char *const yes[] = { "yes", "true", "1", "y" };

	if (!n || n->kind != Y_SCALAR)
		return 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(n->s, yes[i]) == 0)
			return 1;
	return 0;
}

static const char *str(const struct ynode *map, const char *key)
{
	const struct ynode *v = ynode_get(map, key);

	return v && v->kind == Y_SCALAR && !ynode_is_null(v) ? v->s : NULL;
}

/* A duration such as "3d4h", "-150d" or "0" into seconds. */
static int parse_offset(const char *s, int64_t *out, struct err *e)
{
	static const int64_t base = INT64_C(2000000000);
	char text[64];
	int64_t t;

	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	snprintf(text, sizeof(text), "now%s%s", *s == '-' || *s == '+' ? "" : "+", s);
	if (strlen(s) > 32 || time_parse(text, NULL, base, &t, NULL))
		return err_set(e, ERR_PARSE, "'%.32s' is not a duration such as 3d4h or -120d", s);
	*out = t - base;
	return 0;
}

static int problem(struct err *e, const struct scen *sc, int line, const char *what)
{
	return err_set(e, ERR_PARSE, "%s:%d: %s", sc->file, line, what);
}

static int check_keys(const struct scen *sc, const struct ynode *map, const char *required,
		      struct err *e)
{
	char key[64];

	for (const char *p = required; p && *p;) {
		size_t n = strcspn(p, ",");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		if (!ynode_get(map, key))
			return err_set(e, ERR_PARSE, "%s:%d: missing '%s'", sc->file, map->line, key);
		p += n + (p[n] == ',');
	}
	return 0;
}

static int check_step(const struct scen *sc, const struct ynode *step, struct err *e)
{
	static const char *const extra[] = { "at", "by", "reason", "force", "kind", NULL };
	const struct step_action *act;
	const struct ynode *arg;
	int64_t off;

	if (step->kind != Y_MAP)
		return problem(e, sc, step->line, "a step must be a mapping");
	if (!str(step, "at"))
		return problem(e, sc, step->line, "a step needs 'at' (offset from start, such as 3d4h)");
	if (parse_offset(str(step, "at"), &off, e) || off < 0)
		return err_set(e, ERR_PARSE, "%s:%d: 'at' must be a duration of 0 or more",
			       sc->file, step->line);
	for (size_t i = 0; i < step->n; i++) {
		const char *k = step->kids[2 * i]->s;
		size_t j = 0;
		while (extra[j] && strcmp(extra[j], k))
			j++;
		if (!extra[j] && !step_action_named(k))
			return err_set(e, ERR_PARSE, "%s:%d: unknown step key '%.40s'", sc->file,
				       step->kids[2 * i]->line, k);
	}
	act = step_action_find(step, &arg);
	if (!act)
		return problem(e, sc, step->line, "a step needs exactly one action (move, set, items, "
			       "note, observable, notify, evidence, breach, done, lessons, action, "
			       "threats, member, report)");
	if (arg->kind != act->kind)
		return err_set(e, ERR_PARSE, "%s:%d: '%s' takes a %s", sc->file, arg->line, act->name,
			       act->kind == Y_MAP ? "mapping" : act->kind == Y_SEQ ? "list" : "value");
	if (strcmp(act->name, "move") == 0) {
		enum incident_state to;
		if (incident_state_parse(arg->s, &to, e))
			return err_prefix(e, "%s:%d", sc->file, arg->line);
	}
	return act->kind == Y_MAP ? check_keys(sc, arg, act->required, e) : 0;
}

static int check_scenario(struct scen *sc, struct err *e)
{
	static const char *const keys[] = { "title", "start", "by", "fields", "steps", NULL };
	const struct ynode *doc = sc->doc;

	for (size_t i = 0; i < doc->n; i++) {
		size_t j = 0;
		while (keys[j] && strcmp(keys[j], doc->kids[2 * i]->s))
			j++;
		if (!keys[j])
			return err_set(e, ERR_PARSE, "%s:%d: unknown key '%.40s'", sc->file,
				       doc->kids[2 * i]->line, doc->kids[2 * i]->s);
	}
	sc->title = str(doc, "title");
	sc->by = str(doc, "by");
	if (!sc->title || !sc->by || !str(doc, "start"))
		return problem(e, sc, doc->line, "a scenario needs 'title', 'by' and 'start'");
	if (parse_offset(str(doc, "start"), &sc->start, e) || sc->start > 0)
		return err_set(e, ERR_PARSE, "%s:%d: 'start' must be a duration in the past, such as -120d",
			       sc->file, ynode_get(doc, "start")->line);
	if (ynode_get(doc, "fields") && ynode_get(doc, "fields")->kind != Y_MAP)
		return problem(e, sc, ynode_get(doc, "fields")->line, "'fields' must be a mapping");
	sc->steps = ynode_get(doc, "steps");
	if (!sc->steps || sc->steps->kind != Y_SEQ || sc->steps->n > DEMO_STEPS_MAX)
		return problem(e, sc, doc->line, "'steps' must be a list of at most 400 steps");
	for (size_t i = 0; i < sc->steps->n; i++)
		if (check_step(sc, sc->steps->kids[i], e))
			return e->code;
	return 0;
}

static int check_directory(struct scen *sc, struct err *e)
{
	static const char *const lists[] = { "users", "contacts" };
	static const char *const need[] = { "username,role,display_name", "name,scope,category" };

	sc->directory = 1;
	for (size_t i = 0; i < 2; i++) {
		const struct ynode *l = ynode_get(sc->doc, lists[i]);
		if (!l || l->kind != Y_SEQ)
			return err_set(e, ERR_PARSE, "%s:%d: '%s' must be a list", sc->file,
				       sc->doc->line, lists[i]);
		for (size_t j = 0; j < l->n; j++) {
			if (l->kids[j]->kind != Y_MAP)
				return problem(e, sc, l->kids[j]->line, "expected a mapping");
			if (check_keys(sc, l->kids[j], need[i], e))
				return e->code;
		}
	}
	return 0;
}

struct onedoc {
	const struct ynode *doc;
	int n;
};

static int take_doc(void *ctx, const struct ynode *doc)
{
	struct onedoc *d = ctx;

	if (d->n++ == 0)
		d->doc = doc;
	return 0;
}

static int parse_file(struct scenarios *s, struct scen *sc, struct err *e)
{
	struct onedoc d = { NULL, 0 };
	char ybuf[256];
	int rc;

	if (sc->len > DEMO_FILE_MAX)
		return problem(e, sc, 1, "file too large");
	rc = yaml_parse_docs(&s->arena, sc->data, sc->len, take_doc, &d, ybuf, sizeof(ybuf));
	if (rc == 1) {
		const char *at = strstr(ybuf, " at line ");
		return err_set(e, ERR_PARSE, "%s:%d: %s", sc->file, at ? atoi(at + 9) : 1, ybuf);
	}
	if (rc)
		return err_set(e, rc, "%s: out of memory", sc->file);
	if (!d.doc || d.n != 1 || d.doc->kind != Y_MAP)
		return problem(e, sc, 1, "expected one YAML document holding a mapping");
	sc->doc = d.doc;
	if (ynode_get(sc->doc, "users") || ynode_get(sc->doc, "contacts"))
		return check_directory(sc, e);
	return check_scenario(sc, e);
}

static int add_file(struct scenarios *s, const char *name, const char *data, size_t len,
		    char *owned)
{
	struct scen *v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v) {
		free(owned);
		return ERR_NOMEM;
	}
	s->v = v;
	memset(&v[s->n], 0, sizeof(v[0]));
	v[s->n].file = strdup(name);
	v[s->n].data = data;
	v[s->n].len = len;
	v[s->n].owned = owned;
	return v[s->n++].file ? 0 : ERR_NOMEM;
}

static int ends_yaml(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".yaml") == 0 && name[0] != '.';
}

static int read_dir(struct scenarios *s, const char *dir, struct err *e)
{
	struct dirent *d;
	DIR *dh = opendir(dir);
	int rc = 0;

	if (!dh)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s", dir,
			       strerror(errno));
	while (!rc && (d = readdir(dh))) {
		struct buf b = BUF_INIT;
		char path[4096];
		if (!ends_yaml(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		buf_init(&b, DEMO_FILE_MAX + 1);
		rc = fs_read_file(path, &b, e);
		if (rc == ERR_TOOLONG)
			rc = err_set(e, ERR_TOOLONG, "%s: file too large", path);
		if (!rc) {
			size_t len = b.len;
			char *data = buf_detach(&b, NULL);
			rc = add_file(s, path, data, len, data);
		}
		buf_release(&b);
	}
	closedir(dh);
	return rc;
}

static int cmp_scen(const void *a, const void *b)
{
	return strcmp(((const struct scen *)a)->file, ((const struct scen *)b)->file);
}

static void scenarios_release(struct scenarios *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].owned);
	}
	free(s->v);
	arena_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

static int scenarios_read(struct scenarios *s, const char *dir, struct err *e)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (dir)
		rc = read_dir(s, dir, e);
	for (const struct embed_file *ef = embed_files; !dir && !rc && ef->name; ef++)
		if (strncmp(ef->name, "demo/", 5) == 0 && ends_yaml(ef->name + 5))
			rc = add_file(s, ef->name, ef->data, ef->len, NULL);
	if (rc)
		return rc == ERR_NOMEM ? err_set(e, rc, "out of memory") : rc;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_scen);
	for (size_t i = 0; !rc && i < s->n; i++)
		rc = parse_file(s, &s->v[i], e);
	if (!rc && (s->n == 0 || !s->v[0].directory))
		rc = err_set(e, ERR_PARSE, "%s: the first scenario file must list the users and "
			     "contacts", s->n ? s->v[0].file : dir ? dir : "demo/");
	for (size_t i = 1; !rc && i < s->n; i++)
		if (s->v[i].directory)
			rc = problem(e, &s->v[i], 1, "only the first file may list users and contacts");
	return rc;
}

static const char *final_state(const struct scen *sc)
{
	const char *state = "new";

	for (size_t i = 0; i < sc->steps->n; i++)
		if (str(sc->steps->kids[i], "move"))
			state = str(sc->steps->kids[i], "move");
	return state;
}

int demo_check(const char *dir, json_t **out, struct err *e)
{
	struct scenarios s;
	int rc = scenarios_read(&s, dir, e);

	if (!rc && out) {
		*out = json_array();
		for (size_t i = 1; i < s.n; i++) {
			json_t *o = json_object();
			json_set_str(o, "file", s.v[i].file);
			json_set_str(o, "title", s.v[i].title);
			json_set_str(o, "type", str(ynode_get(s.v[i].doc, "fields"), "type"));
			json_set_str(o, "start", str(s.v[i].doc, "start"));
			json_set_int(o, "steps", (int64_t)s.v[i].steps->n);
			json_set_str(o, "final_state", final_state(&s.v[i]));
			json_array_append_new(*out, o);
		}
	}
	scenarios_release(&s);
	return rc;
}

/* Running steps */

/* rc, after dropping the JSON a domain call returned into *out. */
static int discard(int rc, json_t **out)
{
	json_decref(*out);
	*out = NULL;
	return rc;
}

/* A mapping's scalar (or list, joined by lines) values as incident fields. */
static int map_fields(struct run *r, const struct ynode *map, const char *skip,
		      struct incident_field **out, size_t *n, struct err *e)
{
	struct incident_field *f = arena_alloc(&r->s->arena, (map->n + 1) * sizeof(*f));

	*n = 0;
	for (size_t i = 0; f && i < map->n; i++) {
		const struct ynode *v = map->kids[2 * i + 1];
		struct buf b = BUF_INIT;
		if (skip && strcmp(map->kids[2 * i]->s, skip) == 0)
			continue;
		for (size_t j = 0; v->kind == Y_SEQ && j < v->n; j++)
			buf_addf(&b, "%s%s", j ? "\n" : "", v->kids[j]->s ? v->kids[j]->s : "");
		f[*n].name = map->kids[2 * i]->s;
		f[*n].value = v->kind == Y_SEQ ? arena_strndup(&r->s->arena, b.data, b.len)
					       : ynode_is_null(v) ? "" : v->s;
		buf_release(&b);
		if (v->kind == Y_MAP)
			return err_set(e, ERR_PARSE, "line %d: '%s' must be a value or a list",
				       v->line, f[*n].name);
		(*n)++;
	}
	*out = f;
	return f && !r->s->arena.failed ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

static int do_move(struct run *r, struct scen *sc, const struct ynode *step,
		   const struct ynode *arg, const struct actor *a, struct err *e)
{
	struct incident_move m = { 0 };
	struct incident inc;
	enum incident_state to;
	int rc;

	m.reason = str(step, "reason");
	m.force = is_yes(ynode_get(step, "force"));
	if (incident_state_parse(arg->s, &to, e))
		return e->code;
	memset(&inc, 0, sizeof(inc));
	rc = incident_move(r->st, a, sc->hid, to, &m, &inc, e);
	incident_release(&inc);
	return rc;
}

static int do_set(struct run *r, struct scen *sc, const struct ynode *step,
		  const struct ynode *arg, const struct actor *a, struct err *e)
{
	struct incident_field *f;
	struct incident inc;
	size_t n;
	int rc;

	if (map_fields(r, arg, NULL, &f, &n, e))
		return e->code;
	memset(&inc, 0, sizeof(inc));
	rc = incident_update(r->st, a, sc->hid, f, n, str(step, "reason"), 0, &inc, e);
	incident_release(&inc);
	return rc;
}

static int do_items(struct run *r, struct scen *sc, const struct ynode *step,
		    const struct ynode *arg, const struct actor *a, struct err *e)
{
	struct incident_field *f;
	size_t n;

	(void)step;
	if (map_fields(r, arg, NULL, &f, &n, e))
		return e->code;
	return items_set(r->st, a, sc->hid, f, n, e);
}

static int do_note(struct run *r, struct scen *sc, const struct ynode *step,
		   const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	int rc = timeline_add(r->st, a, sc->hid, str(step, "kind"), NULL, arg->s, &out, e);

	json_decref(out);
	return rc;
}

static int do_observable(struct run *r, struct scen *sc, const struct ynode *step,
			 const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct observable_new o = { 0 };

	(void)step;
	o.type = str(arg, "type");
	o.value = str(arg, "value");
	o.tlp = str(arg, "tlp");
	o.ioc = is_yes(ynode_get(arg, "ioc"));
	o.comment = str(arg, "comment");
	return discard(observable_add(r->st, a, sc->hid, &o, &out, e), &out);
}

static int do_notify(struct run *r, struct scen *sc, const struct ynode *step,
		     const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct notify_new n = { 0 };
	const char *contact = str(arg, "contact");

	(void)step;
	if (contact) {
		json_t *id = json_object_get(r->contacts, contact);
		if (!id)
			return err_set(e, ERR_NOTFOUND, "contact '%.80s' is not in the directory file",
				       contact);
		n.contact_id = json_integer_value(id);
	}
	n.recipient = str(arg, "recipient");
	n.channel = str(arg, "channel");
	n.kind = str(arg, "kind");
	n.at = str(arg, "at");
	n.subject = str(arg, "subject");
	n.text = str(arg, "text");
	return discard(notify_add(r->st, a, sc->hid, &n, &out, e), &out);
}

static int do_evidence(struct run *r, struct scen *sc, const struct ynode *step,
		       const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct evidence_upload *u = NULL;
	struct evidence_new n = { 0 };
	const char *content = str(arg, "content");
	char at[32];
	int rc;

	(void)step;
	snprintf(at, sizeof(at), "@%" PRId64, a->now);
	n.name = str(arg, "name");
	n.media_type = str(arg, "media_type");
	n.source = str(arg, "source");
	n.acquired_at = str(arg, "acquired_at") ? str(arg, "acquired_at") : at;
	n.acquired_by = str(arg, "acquired_by");
	n.description = str(arg, "description");
	rc = evidence_upload_new(r->evidence_dir, 0, &u, e);
	if (!rc)
		rc = evidence_upload_write(u, content ? content : "", content ? strlen(content) : 0, e);
	if (!rc)
		rc = discard(evidence_add(r->st, a, sc->hid, &n, u, &out, e), &out);
	evidence_upload_free(u);
	r->evidence += !rc;
	return rc;
}

static int do_breach(struct run *r, struct scen *sc, const struct ynode *step,
		     const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct breach_update u = BREACH_UPDATE_NONE;
	int *flags[] = { &u.personal_data, &u.sensitive, &u.financial_risk,
			 &u.unauthorised_purpose, &u.over_1000, &u.gdpr };

	(void)step;
	for (size_t i = 0; breach_flag_names[i]; i++) {
		const char *v = str(arg, breach_flag_names[i]);
		if (v && breach_parse_flag(breach_flag_names[i], v, flags[i], e))
			return e->code;
	}
	return discard(breach_set(r->st, a, sc->hid, &u, &out, e), &out);
}

/* Mark the playbook tasks whose step keys are listed done. */
static int do_done(struct run *r, struct scen *sc, const struct ynode *step,
		   const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *done = NULL;
	struct task_filter f = { 0 };
	json_t *tasks = NULL, *t;
	int rc;

	(void)step;
	f.hid = sc->hid;
	f.limit = 1000;
	rc = task_list(r->st, a, &f, &tasks, e);
	for (size_t i = 0; !rc && i < arg->n; i++) {
		size_t k;
		int found = 0;
		json_array_foreach(tasks, k, t) {
			const char *key = json_str(t, "step");
			if (!found && key && strcmp(key, arg->kids[i]->s) == 0) {
				found = 1;
				rc = task_set_done(r->st, a, json_integer_value(json_object_get(t, "id")),
						   1, &done, e);
				json_decref(done);
				done = NULL;
			}
		}
		if (!rc && !found)
			rc = err_set(e, ERR_NOTFOUND, "no playbook task '%.64s' on %s",
				     arg->kids[i]->s ? arg->kids[i]->s : "", sc->hid);
	}
	json_decref(tasks);
	return rc;
}

static int do_lessons(struct run *r, struct scen *sc, const struct ynode *step,
		      const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct incident_field *f;
	size_t n;

	(void)step;
	if (map_fields(r, arg, NULL, &f, &n, e))
		return e->code;
	/* struct lessons_field has the same two members as struct incident_field. */
	struct lessons_field *lf = arena_alloc(&r->s->arena, (n + 1) * sizeof(*lf));
	if (!lf)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		lf[i].name = f[i].name;
		lf[i].value = f[i].value;
	}
	return discard(lessons_set(r->st, a, sc->hid, lf, n, &out, e), &out);
}

static int do_action(struct run *r, struct scen *sc, const struct ynode *step,
		     const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	struct task_new t = { 0 };

	(void)step;
	t.title = str(arg, "title");
	t.assignee = str(arg, "assignee");
	t.due = str(arg, "due");
	return discard(lessons_action_add(r->st, a, sc->hid, &t, &out, e), &out);
}

static int do_threats(struct run *r, struct scen *sc, const struct ynode *step,
		      const struct ynode *arg, const struct actor *a, struct err *e)
{
	const char **refs = arena_alloc(&r->s->arena, (arg->n + 1) * sizeof(*refs));

	(void)step;
	if (!refs)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < arg->n; i++)
		refs[i] = arg->kids[i]->s ? arg->kids[i]->s : "";
	return items_threats(r->st, a, sc->hid, refs, arg->n, 0, e);
}

static int do_member(struct run *r, struct scen *sc, const struct ynode *step,
		     const struct ynode *arg, const struct actor *a, struct err *e)
{
	(void)step;
	return incident_member_set(r->st, a, sc->hid, str(arg, "user"), str(arg, "role"), e);
}

static int do_report(struct run *r, struct scen *sc, const struct ynode *step,
		     const struct ynode *arg, const struct actor *a, struct err *e)
{
	json_t *out = NULL;
	enum report_kind kind;

	(void)step;
	if (report_kind_parse(arg->s, &kind, e))
		return e->code;
	return discard(report_generate(r->st, a, sc->hid, kind, "ja", REPORT_HTML, &out, e), &out);
}

static const struct step_action step_actions[] = {
	{ "move", Y_SCALAR, NULL, do_move },
	{ "set", Y_MAP, NULL, do_set },
	{ "items", Y_MAP, NULL, do_items },
	{ "note", Y_SCALAR, NULL, do_note },
	{ "observable", Y_MAP, "value", do_observable },
	{ "notify", Y_MAP, "channel,kind,text", do_notify },
	{ "evidence", Y_MAP, "name,source,content", do_evidence },
	{ "breach", Y_MAP, NULL, do_breach },
	{ "done", Y_SEQ, NULL, do_done },
	{ "lessons", Y_MAP, NULL, do_lessons },
	{ "action", Y_MAP, "title", do_action },
	{ "threats", Y_SEQ, NULL, do_threats },
	{ "member", Y_MAP, "user,role", do_member },
	{ "report", Y_SCALAR, NULL, do_report },
};

static const struct step_action *step_action_named(const char *name)
{
	for (size_t i = 0; i < sizeof(step_actions) / sizeof(step_actions[0]); i++)
		if (strcmp(step_actions[i].name, name) == 0)
			return &step_actions[i];
	return NULL;
}

/* The one action of step, or NULL when it has none or more than one. */
static const struct step_action *step_action_find(const struct ynode *step,
						  const struct ynode **arg)
{
	const struct step_action *found = NULL;

	for (size_t i = 0; i < sizeof(step_actions) / sizeof(step_actions[0]); i++) {
		const struct ynode *v = ynode_get(step, step_actions[i].name);
		if (!v)
			continue;
		if (found)
			return NULL;
		found = &step_actions[i];
		if (arg)
			*arg = v;
	}
	return found;
}

/* Loading */

static int step_actor(struct run *r, const char *by, int64_t at, struct actor *a, struct err *e)
{
	if (actor_for_user(r->st, by, r->tz, a, e))
		return e->code;
	a->now = at;
	return 0;
}

static int create_incident(struct run *r, struct scen *sc, int64_t at, struct err *e)
{
	const struct ynode *fields = ynode_get(sc->doc, "fields");
	struct incident_field *f = NULL;
	struct incident inc;
	struct actor a;
	size_t n = 0;
	int rc;

	memset(&inc, 0, sizeof(inc));
	if (step_actor(r, sc->by, at, &a, e))
		return e->code;
	if (fields && map_fields(r, fields, "title", &f, &n, e))
		return e->code;
	f = n ? f : arena_alloc(&r->s->arena, sizeof(*f));
	if (!f)
		return err_set(e, ERR_NOMEM, "out of memory");
	f[n].name = "title";
	f[n].value = sc->title;
	rc = incident_create(r->st, &a, f, n + 1, &inc, e);
	if (!rc)
		snprintf(sc->hid, sizeof(sc->hid), "%s", inc.hid);
	incident_release(&inc);
	return rc;
}

static int run_event(struct run *r, const struct event *ev, struct err *e)
{
	struct scen *sc = &r->s->v[ev->scen];
	const struct ynode *step, *arg = NULL;
	const struct step_action *act;
	struct actor a;
	int rc;

	if (ev->step < 0) {
		rc = create_incident(r, sc, ev->at, e);
		return rc ? err_prefix(e, "%s:%d", sc->file, sc->doc->line) : 0;
	}
	step = sc->steps->kids[ev->step];
	act = step_action_find(step, &arg);
	rc = step_actor(r, str(step, "by") ? str(step, "by") : sc->by, ev->at, &a, e);
	if (!rc)
		rc = act->run(r, sc, step, arg, &a, e);
	return rc ? err_prefix(e, "%s:%d", sc->file, step->line) : 0;
}

static int cmp_event(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->scen != b->scen)
		return a->scen < b->scen ? -1 : 1;
	return a->step < b->step ? -1 : a->step > b->step;
}

/* Every step of every scenario in time order; *n receives how many. */
static struct event *events_order(struct scenarios *s, int64_t now, size_t *n)
{
	size_t total = 0, k = 0;
	struct event *ev;

	for (size_t i = 1; i < s->n; i++)
		total += s->v[i].steps->n + 1;
	ev = calloc(total ? total : 1, sizeof(*ev));
	for (size_t i = 1; ev && i < s->n; i++) {
		int64_t start = now + s->v[i].start, off;
		ev[k++] = (struct event){ start, i, -1 };
		for (size_t j = 0; j < s->v[i].steps->n; j++) {
			parse_offset(str(s->v[i].steps->kids[j], "at"), &off, NULL);
			ev[k++] = (struct event){ start + off, i, (long)j };
		}
	}
	if (ev)
		qsort(ev, total, sizeof(*ev), cmp_event);
	*n = total;
	return ev;
}

/*
 * Claim the meta key (or refuse when it is there) with an audit row, in one
 * transaction; value is what the key records.
 */
static int meta_claim(struct store *st, const struct actor *who, int update, const char *value,
		      struct err *e)
{
	struct stmt *s;
	json_t *after;
	int rc = store_begin(st, e);

	if (rc)
		return rc;
	rc = store_prepare(st, "SELECT value FROM meta WHERE key = ?", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, DEMO_META_KEY);
		rc = stmt_step(s, e);
		if (rc == 1)
			rc = update ? 0 : err_set(e, ERR_CONFLICT, "demo data is already loaded: %.300s",
						  stmt_text(s, 0));
		stmt_done(s);
	}
	if (!rc)
		rc = store_prepare(st, update ? "UPDATE meta SET value = ? WHERE key = ?"
					      : "INSERT INTO meta (value, key) VALUES (?, ?)", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, value);
		stmt_bind_text(s, 2, DEMO_META_KEY);
		rc = stmt_exec(s, e);
	}
	after = json_pack("{s:s}", "value", value);
	if (!rc)
		rc = audit_append(st, who, update ? "demo.loaded" : "demo.load", "meta", DEMO_META_KEY,
				  NULL, after, e);
	json_decref(after);
	if (!rc)
		return store_commit(st, e);
	store_rollback(st);
	return rc;
}

static int load_directory(struct run *r, const struct scen *sc, const struct actor *who,
			  json_t *out, struct err *e)
{
	const struct ynode *users = ynode_get(sc->doc, "users");
	const struct ynode *contacts = ynode_get(sc->doc, "contacts");
	json_t *ulist = json_array();
	int rc = 0;

	json_object_set_new(out, "users", ulist);
	for (size_t i = 0; !rc && i < users->n; i++) {
		const struct ynode *u = users->kids[i];
		struct user_new nu = { 0 };
		struct user made;
		char otp[USER_OTP_LEN + 1];
		nu.username = str(u, "username");
		nu.display_name = str(u, "display_name");
		nu.email = str(u, "email");
		nu.external = is_yes(ynode_get(u, "external"));
		rc = role_parse(str(u, "role"), &nu.role, e);
		if (!rc)
			rc = user_add(r->st, who, &nu, otp, &made, e);
		if (rc)
			return err_prefix(e, "%s:%d", sc->file, u->line);
		json_array_append_new(ulist, json_pack("{s:s,s:s,s:s}", "username", nu.username,
						       "role", str(u, "role"), "password", otp));
		user_release(&made);
	}
	for (size_t i = 0; !rc && i < contacts->n; i++) {
		const struct ynode *c = contacts->kids[i];
		struct contact_fields f = { str(c, "name"), str(c, "organisation"), str(c, "scope"),
					    str(c, "category"), str(c, "roles"), str(c, "email"),
					    str(c, "phone"), str(c, "channel"), str(c, "on_call"),
					    str(c, "notes") };
		json_t *made = NULL;
		if (contact_add(r->st, who, &f, &made, e))
			return err_prefix(e, "%s:%d", sc->file, c->line);
		json_object_set(r->contacts, f.name, json_object_get(made, "id"));
		json_decref(made);
	}
	json_set_int(out, "contacts", (int64_t)json_object_size(r->contacts));
	return rc;
}

static int load_steps(struct run *r, const struct actor *who, json_t *out, struct err *e)
{
	json_t *list = json_array();
	size_t n = 0;
	struct event *ev = events_order(r->s, who->now, &n);
	int rc = ev ? 0 : err_set(e, ERR_NOMEM, "out of memory");

	for (size_t i = 0; !rc && i < n; i++)
		rc = run_event(r, &ev[i], e);
	free(ev);
	json_object_set_new(out, "incidents", list);
	for (size_t i = 1; !rc && i < r->s->n; i++) {
		struct incident inc;
		if ((rc = incident_get(r->st, who, r->s->v[i].hid, &inc, e)))
			break;
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s}", "hid", inc.hid, "title",
						      inc.title, "state",
						      incident_state_name(inc.state), "file",
						      r->s->v[i].file));
		incident_release(&inc);
	}
	return rc;
}

/* The earliest moment of any scenario, so that accounts exist before it. */
static int64_t earliest(const struct scenarios *s, int64_t now)
{
	int64_t t = now;

	for (size_t i = 1; i < s->n; i++)
		if (now + s->v[i].start < t)
			t = now + s->v[i].start;
	return t - 86400;
}

int demo_load(struct store *st, const struct actor *who, const struct tz *tz, const char *dir,
	      const char *evidence_dir, json_t **out, struct err *e)
{
	struct scenarios s;
	struct run r = { st, tz, evidence_dir, &s, json_object(), 0 };
	struct actor setup = *who;
	char when[TIME_STR_MAX];
	struct buf hids = BUF_INIT;
	int rc;

	*out = json_object();
	if ((rc = scenarios_read(&s, dir, e)) || (rc = authz_check(who, ACT_USER_ADMIN, e)))
		goto out;
	time_format_utc(who->now, when);
	buf_addf(&hids, "an unfinished load started at %s", when);
	rc = meta_claim(st, who, 0, hids.data, e);
	buf_reset(&hids);
	if (rc)
		goto out;
	setup.now = earliest(&s, who->now);
	rc = load_directory(&r, &s.v[0], &setup, *out, e);
	if (!rc)
		rc = load_steps(&r, who, *out, e);
	json_set_int(*out, "evidence", r.evidence);
	for (size_t i = 1; !rc && i < s.n; i++)
		buf_addf(&hids, "%s%s", i > 1 ? ", " : "", s.v[i].hid);
	if (!rc)
		buf_addf(&hids, " (loaded at %s)", when);
	if (!rc)
		rc = meta_claim(st, who, 1, hids.data, e);
out:
	buf_release(&hids);
	json_decref(r.contacts);
	scenarios_release(&s);
	return rc;
}
