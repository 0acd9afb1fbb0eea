/*
 * task.h: the work of an incident, per lifecycle phase: title, assignee,
 * due time, done or not. Playbooks (data/catalog) create them by type.
 */
#ifndef IRDESK_IR_TASK_H
#define IRDESK_IR_TASK_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

#define TASK_TITLE_MAX 300 /* characters */

struct task_new {
	const char *title;
	const char *phase;    /* a state name (triage .. post_incident); NULL: the incident's state */
	const char *assignee; /* username or NULL */
	const char *due;      /* user input for time_parse(), or NULL */
};

/* Add a task to incident hid (ACT_TASK_EDIT), audited; *out gets its JSON. */
int task_add(struct store *st, const struct actor *who, const char *hid,
	     const struct task_new *t, json_t **out, struct err *e);

/* Mark task id done (done=1) or not done (done=0), audited. */
int task_set_done(struct store *st, const struct actor *who, int64_t id, int done,
		  json_t **out, struct err *e);

struct task_filter {
	const char *hid;      /* NULL: every incident the actor may see */
	const char *assignee; /* NULL: anyone */
	int open_only;
	int limit;            /* 0: 200 */
};

/* Tasks as a JSON array: id, incident, title, phase, assignee, due_at, done_at, ... */
int task_list(struct store *st, const struct actor *who, const struct task_filter *f,
	      json_t **out, struct err *e);

#endif
