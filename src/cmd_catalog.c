/*
 * cmd_catalog.c: `irdesk catalog check|show|threats|sheet`: validate a
 * catalog folder before using it, and read the catalog in use (built in,
 * or --catalog DIR).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/catalog.h"
#include "ir/incident.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: irdesk catalog check DIR       validate a catalog folder (every problem with file:line)\n"
	"       irdesk catalog show [TYPE]     the types, or one type's items and playbook\n"
	"       irdesk catalog threats [YEAR]  the IPA threat lists (refs are YEAR:key)\n"
	"       irdesk catalog sheet KEY       print an investigation command sheet\n"
	"\n"
	"A catalog folder holds common.yaml, types/TYPE.yaml, threats/YEAR.yaml and\n"
	"sheets/KEY.md (docs/catalog.md). Use one with --catalog DIR on any command.\n"
	"\noptions:\n" CLI_COMMON_HELP;

static int catalog_check(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct buf problems = BUF_INIT;
	struct catalog *cat = NULL;
	const char *dir;
	int rc, nops = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage, NULL, NULL, &dir, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage, "catalog check: give the catalog folder");
	if (catalog_load(dir, &cat, &problems, &c->err)) {
		if (c->json) {
			json_t *a = json_array();
			for (char *line = problems.data, *nl; *line; line = nl + 1) {
				nl = strchr(line, '\n');
				json_array_append_new(a, json_stringn(line, (size_t)(nl - line)));
			}
			json_t *o = json_pack("{s:b,s:o}", "ok", 0, "problems", a);
			json_print(o);
			json_decref(o);
		} else {
			fputs(problems.data, stdout);
		}
		buf_release(&problems);
		return cli_fail(c);
	}
	if (c->json) {
		json_t *o = json_pack("{s:b,s:o}", "ok", 1, "problems", json_array());
		json_print(o);
		json_decref(o);
	} else
		printf("%s: ok (%zu types, %zu threat lists, %zu sheets)\n", dir, cat->ntypes,
		       cat->nthreat_lists, cat->nsheets);
	catalog_free(cat);
	buf_release(&problems);
	return 0;
}

static const struct catalog *active(struct cli *c)
{
	const struct catalog *cat;

	if (cli_load_catalog(c))
		return NULL;
	cat = catalog_active();
	if (!cat)
		cli_error(ERR_INTERNAL, "the built-in catalog could not be loaded");
	return cat;
}

static void print_items(const struct catalog_item *items, size_t n, const char *lang)
{
	static const char *const hdr[] = { "KEY", "TYPE", "REQUIRED BEFORE", "LABEL" };
	struct table *t = table_new(4, hdr);

	for (size_t i = 0; i < n; i++) {
		const char *row[] = { items[i].key, item_type_name(items[i].type),
			items[i].required_before >= 0 ? incident_state_name(items[i].required_before)
						      : "", ctext(&items[i].label, lang) };
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

static void print_steps(const struct catalog_step *steps, size_t n, const char *lang)
{
	static const char *const hdr[] = { "STEP", "PHASE", "SHEET", "TASK" };
	struct table *t = table_new(4, hdr);

	for (size_t i = 0; i < n; i++) {
		const char *row[] = { steps[i].key, steps[i].phase, steps[i].sheet ? steps[i].sheet : "",
				      ctext(&steps[i].title, lang) };
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

static int catalog_show(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const struct catalog *cat;
	const struct catalog_type *ty;
	const char *type = NULL, *lang = cli_lang();
	int rc, nops = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage, NULL, NULL, &type, 1, &nops);
	if (rc >= 0)
		return rc;
	if (!(cat = active(c)))
		return c->err.code ? cli_fail(c) : 1;
	if (!type) {
		static const char *const hdr[] = { "TYPE", "ITEMS", "STEPS", "RETENTION", "LABEL" };
		struct table *t = table_new(5, hdr);
		for (size_t i = 0; i < cat->ntypes; i++) {
			char ni[16], ns[16], rd[24];
			ty = &cat->types[i];
			snprintf(ni, sizeof(ni), "%zu", ty->nitems);
			snprintf(ns, sizeof(ns), "%zu", ty->nsteps);
			snprintf(rd, sizeof(rd), "%d days", ty->retention_days);
			table_add(t, (const char *const[]){ ty->key, ni, ns, rd, ctext(&ty->label, lang) });
		}
		table_print(t, stdout);
		table_free(t);
		printf("\ncommon to every type: %zu items, %zu playbook steps\n", cat->ncommon,
		       cat->ncommon_steps);
		return 0;
	}
	ty = catalog_type(cat, type);
	if (!ty)
		return cli_error(ERR_NOTFOUND, "catalog: no type '%s' (irdesk catalog show)", type);
	printf("%s: %s (%s)\nevidence retention: %d days\n\n", ty->key, ctext(&ty->label, lang),
	       ctext(&ty->label, strcmp(lang, "ja") ? "ja" : "en"), ty->retention_days);
	printf("common items (Appendix C table 1, NIST Appendix B):\n");
	print_items(cat->common, cat->ncommon, lang);
	printf("\n%s:\n", ctext(&ty->table, lang));
	print_items(ty->items, ty->nitems, lang);
	printf("\nplaybook (NIST checklist, then the type's own steps):\n");
	print_steps(cat->common_steps, cat->ncommon_steps, lang);
	print_steps(ty->steps, ty->nsteps, lang);
	return 0;
}

static int catalog_threats(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	static const char *const hdr[] = { "REF", "RANK", "THREAT" };
	const struct catalog *cat;
	const char *year = NULL, *lang = cli_lang();
	struct table *t;
	int rc, nops = 0, shown = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage, NULL, NULL, &year, 1, &nops);
	if (rc >= 0)
		return rc;
	if (!(cat = active(c)))
		return c->err.code ? cli_fail(c) : 1;
	t = table_new(3, hdr);
	for (size_t i = 0; i < cat->nthreat_lists; i++) {
		const struct catalog_threat_list *tl = &cat->threat_lists[i];
		if (year && tl->year != atoi(year))
			continue;
		shown++;
		for (size_t j = 0; j < tl->n; j++) {
			char ref[96], rank[8];
			snprintf(ref, sizeof(ref), "%d:%s", tl->year, tl->threats[j].key);
			snprintf(rank, sizeof(rank), "%d", tl->threats[j].rank);
			table_add(t, (const char *const[]){ ref, rank, ctext(&tl->threats[j].label, lang) });
		}
	}
	if (shown)
		table_print(t, stdout);
	table_free(t);
	return shown ? 0 : cli_error(ERR_NOTFOUND, "catalog: no threat list for %s", year);
}

static int catalog_sheet_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const struct catalog *cat;
	const struct catalog_sheet *sh;
	const char *key = NULL;
	int rc, nops = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage, NULL, NULL, &key, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage, "catalog sheet: give the sheet's key");
	if (!(cat = active(c)))
		return c->err.code ? cli_fail(c) : 1;
	sh = catalog_sheet(cat, key);
	if (!sh)
		return cli_error(ERR_NOTFOUND, "catalog: no command sheet '%s'", key);
	fputs(sh->body, stdout);
	return 0;
}

int cmd_catalog(int argc, char **argv, struct cli *c)
{
	static const struct cli_subcommand subs[] = {
		{ "check", catalog_check }, { "show", catalog_show },
		{ "threats", catalog_threats }, { "sheet", catalog_sheet_cmd },
	};

	return cli_dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}
