/*
 * cmd_evidence.c: `irdesk evidence add|list|show|custody|handover|checkout|
 * checkin|download|verify|hold|release|retain|delete|due`: the evidence locker
 * from the command line (ir/evidence.h holds the rules).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/evidence.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
	"usage: irdesk evidence add ID FILE --source HOST --acquired-at TIME [--acquired-by WHO]\n"
	"                           [--description TEXT] [--name NAME] [--media-type TYPE]\n"
	"                           [--retain-until TIME]\n"
	"       irdesk evidence list [ID] [--deleted]\n"
	"       irdesk evidence show ITEM\n"
	"       irdesk evidence custody ITEM\n"
	"       irdesk evidence handover ITEM --from WHO --to WHO --purpose TEXT\n"
	"       irdesk evidence checkout ITEM --purpose TEXT [--to WHO]\n"
	"       irdesk evidence checkin ITEM [--purpose TEXT]\n"
	"       irdesk evidence download ITEM --output FILE   (FILE '-' is standard output)\n"
	"       irdesk evidence verify [ID|ITEM]\n"
	"       irdesk evidence hold ID|ITEM --reason TEXT\n"
	"       irdesk evidence release ID|ITEM --reason TEXT\n"
	"       irdesk evidence retain ITEM --retain-until TIME --reason TEXT\n"
	"       irdesk evidence delete ITEM --reason TEXT\n"
	"       irdesk evidence due\n"
	"\n"
	"The evidence locker. ID is an incident (IR-2026-0001), ITEM an evidence item\n"
	"number (12, #12 or E12). Files are kept in the evidence folder named by their\n"
	"SHA-256; every custody step is recorded and audited. verify re-hashes the files\n"
	"and exits 4 when one does not match. A legal hold (on an item or a whole\n"
	"incident) blocks deletion; due lists items past their retention date.\n"
	"\n"
	"options:\n"
	"  --evidence-dir DIR  the evidence folder (default: $IRDESK_EVIDENCE_DIR, or the\n"
	"                      folder `irdesk init` made; shared storage for several nodes)\n"
	CLI_COMMON_HELP;

enum { O_DIR = OPT__FIRST_CMD, O_SOURCE, O_ACQ_AT, O_ACQ_BY, O_DESC, O_NAME, O_MEDIA,
       O_RETAIN, O_DELETED, O_FROM, O_TO, O_PURPOSE, O_OUTPUT, O_REASON };

struct opts {
	const char *dir, *output, *reason;
	struct evidence_new n;
	struct custody_note note;
	int deleted;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	switch (opt) {
	case O_DIR: o->dir = arg; return 0;
	case O_SOURCE: o->n.source = arg; return 0;
	case O_ACQ_AT: o->n.acquired_at = arg; return 0;
	case O_ACQ_BY: o->n.acquired_by = arg; return 0;
	case O_DESC: o->n.description = arg; return 0;
	case O_NAME: o->n.name = arg; return 0;
	case O_MEDIA: o->n.media_type = arg; return 0;
	case O_RETAIN: o->n.retain_until = arg; return 0;
	case O_DELETED: o->deleted = 1; return 0;
	case O_FROM: o->note.from = arg; return 0;
	case O_TO: o->note.to = arg; return 0;
	case O_PURPOSE: o->note.purpose = arg; return 0;
	case O_OUTPUT: o->output = arg; return 0;
	case O_REASON: o->reason = arg; return 0;
	}
	return 2;
}

/* Options for every subcommand; up to two operands into ops. -1 to go on, else an exit code. */
static int parse(struct cli *c, int argc, char **argv, struct opts *o, const char **ops,
		 int min, int max)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "evidence-dir", required_argument, NULL, O_DIR },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "acquired-at", required_argument, NULL, O_ACQ_AT },
		{ "acquired-by", required_argument, NULL, O_ACQ_BY },
		{ "description", required_argument, NULL, O_DESC },
		{ "name", required_argument, NULL, O_NAME },
		{ "media-type", required_argument, NULL, O_MEDIA },
		{ "retain-until", required_argument, NULL, O_RETAIN },
		{ "deleted", no_argument, NULL, O_DELETED },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "purpose", required_argument, NULL, O_PURPOSE },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "reason", required_argument, NULL, O_REASON },
		{ 0, 0, 0, 0 },
	};
	int nops = 0, rc;

	memset(o, 0, sizeof(*o));
	rc = cli_parse_operands(c, argc, argv, longopts, usage_main, on_opt, o, ops, max, &nops);
	if (rc >= 0)
		return rc;
	if (nops < min)
		return cli_usage_error(usage_main, "evidence %s: expected %s", argv[0],
				       min == 2 ? "an incident id and a file" : "an argument");
	rc = cli_open(c);
	return rc ? rc : -1;
}

static int emit_json(json_t *v)
{
	int rc = json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;

	json_decref(v);
	return rc;
}

static const char *when(struct cli *c, json_t *o, const char *key, char out[64])
{
	int64_t t = 0;
	const char *s = json_str(o, key);

	out[0] = '\0';
	if (s && time_parse(s, NULL, 0, &t, NULL) == 0)
		cli_time(c, t, out);
	return out;
}

static void print_items(struct cli *c, json_t *items)
{
	static const char *const hdr[] = { "ITEM", "INCIDENT", "NAME", "SIZE", "SHA-256", "ACQUIRED",
					   "RETAIN UNTIL", "HOLD", "STATE" };
	struct table *t = table_new(9, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(items, k, v) {
		char id[32], size[32], acq[64], ret[64];
		int hold = json_is_true(json_object_get(v, "legal_hold")) ||
			   json_is_true(json_object_get(v, "incident_hold"));
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(v, "id")));
		snprintf(size, sizeof(size), "%lld",
			 (long long)json_integer_value(json_object_get(v, "size")));
		const char *row[] = { id, json_str(v, "incident"), json_str(v, "name"), size,
				      json_str(v, "sha256"), when(c, v, "acquired_at", acq),
				      when(c, v, "retain_until", ret), hold ? "yes" : "no",
				      json_is_true(json_object_get(v, "deleted")) ? "deleted"
				      : json_str(v, "checked_out_to") ? "checked out" : "in locker" };
		table_add(t, row);
	}
	table_max_width(t, 2, 40);
	if (json_array_size(items))
		table_print(t, stdout);
	else
		printf("no evidence\n");
	table_free(t);
}

static void print_custody(struct cli *c, json_t *custody)
{
	static const char *const hdr[] = { "AT", "BY", "ACTION", "FROM", "TO", "PURPOSE", "DETAIL" };
	struct table *t = table_new(7, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(custody, k, v) {
		char at[64];
		const char *row[] = { when(c, v, "at", at), json_str(v, "actor"), json_str(v, "action"),
				      json_str(v, "from") ? json_str(v, "from") : "",
				      json_str(v, "to") ? json_str(v, "to") : "",
				      json_str(v, "purpose") ? json_str(v, "purpose") : "",
				      json_str(v, "detail") ? json_str(v, "detail") : "" };
		table_add(t, row);
	}
	table_max_width(t, 5, 50);
	table_print(t, stdout);
	table_free(t);
}

static void print_item(struct cli *c, json_t *v)
{
	char acq[64], ret[64];
	const char *ver = json_str(v, "verified");

	printf("evidence %lld of %s: %s\n", (long long)json_integer_value(json_object_get(v, "id")),
	       json_str(v, "incident"), json_str(v, "name"));
	printf("  sha256        %s\n  size          %lld bytes\n  media type    %s\n",
	       json_str(v, "sha256"), (long long)json_integer_value(json_object_get(v, "size")),
	       json_str(v, "media_type"));
	printf("  source        %s\n  acquired      %s by %s\n  retain until  %s%s\n",
	       json_str(v, "source_host"), when(c, v, "acquired_at", acq), json_str(v, "acquired_by"),
	       when(c, v, "retain_until", ret),
	       json_is_true(json_object_get(v, "due")) ? " (due)" : "");
	printf("  legal hold    %s%s\n", json_is_true(json_object_get(v, "legal_hold")) ? "item" : "no",
	       json_is_true(json_object_get(v, "incident_hold")) ? ", incident" : "");
	if (json_str(v, "checked_out_to"))
		printf("  checked out   to %s\n", json_str(v, "checked_out_to"));
	printf("  verified      %s\n", ver ? ver : "never");
	if (json_is_true(json_object_get(v, "deleted")))
		printf("  deleted       by %s: %s\n", json_str(v, "deleted_by"),
		       json_str(v, "delete_reason"));
	if (*json_str(v, "description"))
		printf("  description   %s\n", json_str(v, "description"));
}

static int show_or_json(struct cli *c, json_t *v, int custody_only)
{
	if (c->json) {
		json_t *x = json_incref(custody_only ? json_object_get(v, "custody") : v);
		json_decref(v);
		return emit_json(x);
	}
	if (!custody_only)
		print_item(c, v);
	print_custody(c, json_object_get(v, "custody"));
	json_decref(v);
	return 0;
}

static int item_arg(const char *s, int64_t *id)
{
	struct err e;

	err_clear(&e);
	return evidence_item_parse(s, id, &e) ? cli_error(ERR_USAGE, "%s", err_msg(&e)) : 0;
}

/* One ITEM operand: parse the options and the item. -1 to go on, else an exit code. */
static int parse_item(struct cli *c, int argc, char **argv, struct opts *o, int64_t *id)
{
	const char *ops[1];
	int rc = parse(c, argc, argv, o, ops, 1, 1);

	if (rc >= 0)
		return rc;
	rc = item_arg(ops[0], id);
	return rc ? rc : -1;
}

/* The evidence folder for commands that touch files. */
static int folder(struct cli *c, const struct opts *o, struct buf *dir)
{
	return evidence_dir_resolve(c->st, o->dir, dir, &c->err) ? cli_fail(c) : 0;
}

static int ev_add(int argc, char **argv, struct cli *c)
{
	const char *ops[2];
	struct opts o;
	struct buf dir = BUF_INIT;
	struct evidence_upload *u = NULL;
	const char *base;
	json_t *out = NULL;
	int rc = parse(c, argc, argv, &o, ops, 2, 2);

	if (rc >= 0)
		return rc;
	base = strrchr(ops[1], '/');
	if (!o.n.name)
		o.n.name = base ? base + 1 : ops[1];
	if ((rc = folder(c, &o, &dir)))
		goto out;
	/* Refuse bad input before reading a large file. */
	if (evidence_check_new(c->st, &c->actor, ops[0], &o.n, &c->err) ||
	    evidence_upload_new(dir.data, 0, &u, &c->err) ||
	    evidence_upload_file(u, ops[1], &c->err) ||
	    evidence_add(c->st, &c->actor, ops[0], &o.n, u, &out, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	if (c->json)
		rc = emit_json(out);
	else
		printf("added evidence %lld to %s: %s sha256 %s\n",
		       (long long)json_integer_value(json_object_get(out, "id")), json_str(out, "incident"),
		       json_str(out, "name"), json_str(out, "sha256"));
	if (!c->json)
		json_decref(out);
out:
	evidence_upload_free(u);
	buf_release(&dir);
	return rc;
}

/* list [ID] and due: a table of items, or JSON. */
static int list_common(int argc, char **argv, struct cli *c, int due)
{
	const char *ops[1] = { NULL };
	struct opts o;
	json_t *out;
	int rc = parse(c, argc, argv, &o, ops, 0, due ? 0 : 1);

	if (rc >= 0)
		return rc;
	rc = due ? evidence_due(c->st, &c->actor, &out, &c->err)
		 : evidence_list(c->st, &c->actor, ops[0], o.deleted, &out, &c->err);
	if (rc)
		return cli_fail(c);
	if (c->json)
		return emit_json(out);
	print_items(c, out);
	json_decref(out);
	return 0;
}

static int ev_list(int argc, char **argv, struct cli *c) { return list_common(argc, argv, c, 0); }
static int ev_due(int argc, char **argv, struct cli *c) { return list_common(argc, argv, c, 1); }

static int show_common(int argc, char **argv, struct cli *c, int custody_only)
{
	struct opts o;
	json_t *out;
	int64_t id;
	int rc = parse_item(c, argc, argv, &o, &id);

	if (rc >= 0)
		return rc;
	if (evidence_get(c->st, &c->actor, id, &out, &c->err))
		return cli_fail(c);
	return show_or_json(c, out, custody_only);
}

static int ev_show(int argc, char **argv, struct cli *c) { return show_common(argc, argv, c, 0); }
static int ev_custody(int argc, char **argv, struct cli *c) { return show_common(argc, argv, c, 1); }

/* handover, checkout, checkin: one custody step on one item. */
static int custody_step(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out;
	int64_t id;
	int rc = parse_item(c, argc, argv, &o, &id);

	if (rc >= 0)
		return rc;
	if (evidence_custody_step(c->st, &c->actor, id, argv[0], &o.note, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return emit_json(out);
	printf("evidence %lld: %s recorded\n", (long long)id, argv[0]);
	json_decref(out);
	return 0;
}

static int hold_common(int argc, char **argv, struct cli *c, int on)
{
	const char *ops[1];
	struct opts o;
	json_t *out;
	int rc = parse(c, argc, argv, &o, ops, 1, 1);

	if (rc >= 0)
		return rc;
	if (evidence_hold(c->st, &c->actor, ops[0], on, o.reason, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return emit_json(out);
	printf("legal hold %s: %s\n", on ? "set" : "released", ops[0]);
	json_decref(out);
	return 0;
}

static int ev_hold(int argc, char **argv, struct cli *c) { return hold_common(argc, argv, c, 1); }
static int ev_release(int argc, char **argv, struct cli *c) { return hold_common(argc, argv, c, 0); }

static int ev_retain(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	int64_t id;
	int rc = parse_item(c, argc, argv, &o, &id);

	if (rc >= 0)
		return rc;
	if (evidence_retain(c->st, &c->actor, id, o.n.retain_until, o.reason, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return emit_json(out);
	printf("evidence %lld is kept until %s\n", (long long)id, json_str(out, "retain_until"));
	json_decref(out);
	return 0;
}

static int ev_delete(int argc, char **argv, struct cli *c)
{
	struct opts o;
	struct buf dir = BUF_INIT;
	json_t *out = NULL;
	int64_t id;
	int rc = parse_item(c, argc, argv, &o, &id);

	if (rc >= 0)
		return rc;
	if (!(rc = folder(c, &o, &dir))) {
		if (evidence_delete(c->st, &c->actor, dir.data, id, o.reason, &out, &c->err))
			rc = cli_fail(c);
		else if (c->json)
			rc = emit_json(out), out = NULL;
		else
			printf("deleted evidence %lld (the record and its custody stay)\n", (long long)id);
	}
	json_decref(out);
	buf_release(&dir);
	return rc;
}

static int ev_verify(int argc, char **argv, struct cli *c)
{
	const char *ops[1] = { NULL };
	struct opts o;
	struct buf dir = BUF_INIT;
	json_t *out = NULL, *v;
	size_t k;
	int rc = parse(c, argc, argv, &o, ops, 0, 1), vrc;

	if (rc >= 0)
		return rc;
	if ((rc = folder(c, &o, &dir)))
		return rc;
	vrc = evidence_verify(c->st, &c->actor, dir.data, ops[0], &out, &c->err);
	buf_release(&dir);
	if (vrc && vrc != ERR_TAMPERED) {
		json_decref(out);
		return cli_fail(c);
	}
	if (c->json) {
		rc = emit_json(out);
	} else {
		json_array_foreach(out, k, v)
			printf("%-9s evidence %lld of %s: %s\n", json_str(v, "result"),
			       (long long)json_integer_value(json_object_get(v, "item")),
			       json_str(v, "incident"), json_str(v, "name"));
		if (!vrc)
			printf("%zu item%s verified\n", json_array_size(out),
			       json_array_size(out) == 1 ? "" : "s");
		json_decref(out);
	}
	return vrc ? cli_fail(c) : rc;
}

static int copy_out(int in, int outfd, const char *name)
{
	static char chunk[256 * 1024];
	ssize_t n;

	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_error(ERR_IO, "evidence: cannot read: %s", strerror(errno));
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, chunk + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return cli_error(ERR_IO, "%s: %s", name, strerror(errno));
			off += w;
		}
	}
	return 0;
}

static int ev_download(int argc, char **argv, struct cli *c)
{
	struct opts o;
	struct buf dir = BUF_INIT;
	json_t *item = NULL;
	int64_t id;
	int fd = -1, outfd = -1, rc = parse_item(c, argc, argv, &o, &id);

	if (rc >= 0)
		return rc;
	if (!o.output)
		return cli_usage_error(usage_main, "evidence download: give --output FILE (or - )");
	if ((rc = folder(c, &o, &dir)))
		goto out;
	outfd = strcmp(o.output, "-") == 0 ? STDOUT_FILENO
					   : open(o.output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (outfd < 0) {
		rc = cli_error(ERR_IO, "%s: %s", o.output, strerror(errno));
		goto out;
	}
	if (evidence_open(c->st, &c->actor, dir.data, id, &fd, &item, &c->err))
		rc = cli_fail(c);
	else
		rc = copy_out(fd, outfd, o.output);
	if (!rc && outfd != STDOUT_FILENO)
		fprintf(stderr, "wrote %s: evidence %lld, sha256 %s\n", o.output, (long long)id,
			json_str(item, "sha256"));
out:
	if (fd >= 0)
		close(fd);
	if (outfd >= 0 && outfd != STDOUT_FILENO)
		close(outfd);
	if (rc && outfd >= 0 && outfd != STDOUT_FILENO)
		unlink(o.output);
	json_decref(item);
	buf_release(&dir);
	return rc;
}

static const struct cli_subcommand subcommands[] = {
	{ "add", ev_add },
	{ "list", ev_list },
	{ "show", ev_show },
	{ "custody", ev_custody },
	{ "handover", custody_step },
	{ "checkout", custody_step },
	{ "checkin", custody_step },
	{ "download", ev_download },
	{ "verify", ev_verify },
	{ "hold", ev_hold },
	{ "release", ev_release },
	{ "retain", ev_retain },
	{ "delete", ev_delete },
	{ "due", ev_due },
};

int cmd_evidence(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_main);
}
