/*
 * demo.h: demo data from scenario files (data/demo/NN-name.yaml, domain.md
 * §9): a directory file with demo accounts and contacts, then one incident
 * per file whose steps run, in time order across files, as the real ir/
 * calls with an actor whose clock reads the step's time, so that lifecycle
 * timestamps, the audit log, timelines and metrics are all real.
 */
#ifndef IRDESK_IR_DEMO_H
#define IRDESK_IR_DEMO_H

#include <jansson.h>

struct actor;
struct err;
struct store;
struct tz;

#define DEMO_FILE_MAX (256 * 1024) /* bytes of one scenario file */
#define DEMO_STEPS_MAX 400         /* steps of one scenario */
#define DEMO_META_KEY "demo_loaded"

/*
 * Read and check every scenario file, embedded (dir NULL) or the *.yaml
 * files of dir, without touching a store. ERR_PARSE with "file:line: what"
 * for the first problem. *out (may be NULL) gets [{file, title, type,
 * start, steps, final_state}] in file order (caller owns it).
 */
int demo_check(const char *dir, json_t **out, struct err *e);

/*
 * Load the scenarios (as demo_check reads them) into st as the local
 * operator who (an administrator): the directory's accounts and contacts
 * first, then every step in time order, evidence files into evidence_dir.
 * Refused with ERR_CONFLICT, writing nothing, when the meta key
 * DEMO_META_KEY says demo data is already there (the message names what
 * was loaded). *out gets {incidents: [{hid, title, type, state}], users:
 * [{username, role, password}], contacts, evidence} (caller owns it).
 * A step that fails stops the load with "file:line: " before its message.
 */
int demo_load(struct store *st, const struct actor *who, const struct tz *tz, const char *dir,
	      const char *evidence_dir, json_t **out, struct err *e);

#endif
