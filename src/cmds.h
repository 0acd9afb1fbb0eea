/*
 * cmds.h: the commands main.c dispatches to, one file each (cmd_<name>.c).
 * Each gets argv with argv[0] = its own name and returns the exit code.
 */
#ifndef IRDESK_CMDS_H
#define IRDESK_CMDS_H

#include <stdint.h>

struct cli;

int cmd_init(int argc, char **argv, struct cli *c);
int cmd_serve(int argc, char **argv, struct cli *c);
int cmd_user(int argc, char **argv, struct cli *c);
int cmd_incident(int argc, char **argv, struct cli *c);
int cmd_task(int argc, char **argv, struct cli *c);
int cmd_audit(int argc, char **argv, struct cli *c);
int cmd_token(int argc, char **argv, struct cli *c);
int cmd_scan(int argc, char **argv, struct cli *c);
int cmd_rules(int argc, char **argv, struct cli *c);
int cmd_mail(int argc, char **argv, struct cli *c);
int cmd_ingest(int argc, char **argv, struct cli *c);
int cmd_alert(int argc, char **argv, struct cli *c);
int cmd_ioc(int argc, char **argv, struct cli *c);
int cmd_db(int argc, char **argv, struct cli *c);
int cmd_catalog(int argc, char **argv, struct cli *c);
int cmd_report(int argc, char **argv, struct cli *c);
int cmd_contact(int argc, char **argv, struct cli *c);
int cmd_notify(int argc, char **argv, struct cli *c);
int cmd_version(int argc, char **argv, struct cli *c);
int cmd_evidence(int argc, char **argv, struct cli *c);
int cmd_observable(int argc, char **argv, struct cli *c);
int cmd_lessons(int argc, char **argv, struct cli *c);
int cmd_metrics(int argc, char **argv, struct cli *c);
int cmd_demo(int argc, char **argv, struct cli *c);
/* cmd_suppress.c: alert suppress|unsuppress|suppressions and incident killchain */
int cmd_alert_suppress(struct cli *c, const char *sub, int argc, char **argv);
int cmd_incident_killchain(struct cli *c, int argc, char **argv);
/* A positive id operand into *out; otherwise a usage error "'S' is not WHAT id". */
int cmd_positive_id(const char *usage, const char *what, const char *s, int64_t *out);

#endif
