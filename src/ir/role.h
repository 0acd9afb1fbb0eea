/*
 * role.h: the CSIRT roles (Nippon CSIRT Association) plus admin and viewer,
 * the actions people take, and the one table that says which role may take
 * which action. Web pages, the API and the CLI all ask role_may().
 */
#ifndef IRDESK_IR_ROLE_H
#define IRDESK_IR_ROLE_H

struct err;

/* X(NAME, api name, Japanese label, English label) */
#define ROLE_LIST(X)                                                                   \
	X(ADMIN, admin, "管理者", "Administrator")                                      \
	X(COMMANDER, commander, "コマンダー", "Commander")                              \
	X(INCIDENT_MANAGER, incident_manager, "インシデントマネージャー", "Incident manager") \
	X(INCIDENT_HANDLER, incident_handler, "インシデントハンドラー", "Incident handler") \
	X(TRIAGE, triage, "トリアージ担当", "Triage")                                    \
	X(POC_EXTERNAL, poc_external, "社外PoC", "External point of contact")           \
	X(POC_INTERNAL, poc_internal, "社内PoC", "Internal point of contact")           \
	X(NOTIFICATION, notification, "ノーティフィケーション", "Notification")          \
	X(RESEARCHER, researcher, "リサーチャー", "Researcher")                         \
	X(CURATOR, curator, "キュレーター", "Curator")                                  \
	X(FORENSIC_ENGINEER, forensic_engineer, "フォレンジックエンジニア", "Forensic engineer") \
	X(LEGAL_ADVISOR, legal_advisor, "リーガルアドバイザー", "Legal advisor")         \
	X(SELF_ASSESSMENT, self_assessment, "セルフアセスメント", "Self-assessment")     \
	X(EDUCATION, education, "教育・啓発", "Education and awareness")                 \
	X(VIEWER, viewer, "閲覧者", "Viewer")

enum role {
#define X(N, n, ja, en) ROLE_##N,
	ROLE_LIST(X)
#undef X
	ROLE__COUNT
};

/* X(NAME, api name, English description) */
#define ACTION_LIST(X)                                                              \
	X(INCIDENT_READ, incident_read, "read incidents")                           \
	X(INCIDENT_CREATE, incident_create, "create incidents")                     \
	X(INCIDENT_EDIT, incident_edit, "edit incidents")                           \
	X(INCIDENT_TRIAGE, incident_triage, "triage and reject incidents")          \
	X(INCIDENT_RESPOND, incident_respond, "move incidents through response")    \
	X(INCIDENT_CLOSE, incident_close, "close incidents")                        \
	X(INCIDENT_REOPEN, incident_reopen, "reopen closed or rejected incidents")  \
	X(PRIORITY_OVERRIDE, priority_override, "override the derived priority")   \
	X(TIMESTAMP_EDIT, timestamp_edit, "correct lifecycle timestamps")           \
	X(MEMBER_EDIT, member_edit, "change incident members")                      \
	X(TIMELINE_ADD, timeline_add, "add timeline entries")                       \
	X(TASK_EDIT, task_edit, "add and complete tasks")                           \
	X(AUDIT_READ, audit_read, "read and verify the audit log")                  \
	X(USER_ADMIN, user_admin, "manage user accounts")                           \
	X(ALERT_READ, alert_read, "read alerts and suppressions")                   \
	X(ALERT_TRIAGE, alert_triage, "triage alerts")                              \
	X(ALERT_SUPPRESS, alert_suppress, "add and remove alert suppressions")      \
	X(EVENT_WRITE, event_write, "send events to detection")                     \
	X(GATE_OVERRIDE, gate_override, "force a move past missing required items") \
	X(REPORT_WRITE, report_write, "generate and keep incident reports")         \
	X(EVIDENCE_READ, evidence_read, "see and download evidence and its custody") \
	X(EVIDENCE_WRITE, evidence_write, "add evidence, record custody, put on legal hold") \
	X(EVIDENCE_DELETE, evidence_delete, "delete evidence and release legal holds") \
	X(CONTACT_READ, contact_read, "read the contact directory")                 \
	X(CONTACT_EDIT, contact_edit, "add, change and remove contacts")            \
	X(NOTIFY_RECORD, notify_record, "record notifications sent for incidents")   \
	X(OBSERVABLE_EDIT, observable_edit, "add, change and remove observables")   \
	X(LESSONS_EDIT, lessons_edit, "write lessons learned and follow-up actions") \
	X(SETTINGS, settings, "change the organisation's settings (regulatory clocks, reported mail)")

enum action {
#define X(N, n, d) ACT_##N,
	ACTION_LIST(X)
#undef X
	ACT__COUNT
};

/* The role's API name ("incident_handler"); "" for an out-of-range value. */
const char *role_name(enum role r);
const char *role_label(enum role r, const char *lang); /* lang "ja" or "en" */
/* Parse an API name. Returns 0 or ERR_INVALID naming the valid roles. */
int role_parse(const char *s, enum role *out, struct err *e);
const char *action_name(enum action a);
const char *action_desc(enum action a);

/* 1 when role r may take action a (the table in role.c), else 0. */
int role_may(enum role r, enum action a);

#endif
