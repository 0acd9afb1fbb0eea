/*
 * lessons.h: the lessons learned of an incident (NIST SP 800-61r2 3.4.1):
 * answers to the nine questions, the damage before detection, when the
 * meeting was held, objective data computed from the record, and follow-up
 * actions that are tasks with owners. Closing a P1 or P2 incident needs
 * every question answered (lessons_close_check, called by incident_move).
 */
#ifndef IRDESK_IR_LESSONS_H
#define IRDESK_IR_LESSONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct err;
struct store;
struct task_new;

/* X(column and api name, Japanese, English) */
#define LESSONS_QUESTIONS(X)                                                                    \
	X(what_happened, "何が、いつ起きたか", "Exactly what happened, and at what times?")       \
	X(staff_performance, "担当者と経営層の対応はどうだったか。手順は守られ、十分だったか",  \
	  "How well did staff and management perform? Were the procedures followed and adequate?") \
	X(info_sooner, "もっと早く必要だった情報は何か", "What information was needed sooner?")   \
	X(hindered, "復旧を妨げた行動や判断はあったか",                                          \
	  "Were any steps or actions taken that might have inhibited the recovery?")               \
	X(do_differently, "次に同じことが起きたら何を変えるか",                                   \
	  "What would staff and management do differently the next time?")                         \
	X(sharing, "他の組織との情報共有をどう改善できるか",                                      \
	  "How could information sharing with other organisations have been improved?")            \
	X(corrective, "再発を防ぐための是正措置は何か",                                           \
	  "What corrective actions can prevent similar incidents in the future?")                  \
	X(indicators, "今後監視すべき予兆と痕跡は何か",                                           \
	  "What precursors or indicators should be watched for in the future?")                    \
	X(tools, "検知・分析・緩和に必要な追加のツールや資源は何か",                              \
	  "What additional tools or resources are needed to detect, analyse and mitigate?")

enum lessons_question {
#define X(n, ja, en) LQ_##n,
	LESSONS_QUESTIONS(X)
#undef X
	LQ__COUNT
};

#define LESSONS_ANSWER_MAX 10000 /* characters */

const char *lessons_question_name(enum lessons_question q);
const char *lessons_question_text(enum lessons_question q, const char *lang);

/* A change by name: a question, "damage_before_detection" or "meeting_at" (time input). */
struct lessons_field {
	const char *name;
	const char *value; /* "" clears */
};

/*
 * Write fields of the lessons learned of incident hid (ACT_LESSONS_EDIT),
 * creating the record on first use, in one transaction with an audit row
 * and a timeline entry. ERR_INVALID for an unknown name or a bad value
 * (nothing is written then). *out (may be NULL) gets what lessons_get gives.
 */
int lessons_set(struct store *st, const struct actor *who, const char *hid,
		const struct lessons_field *f, size_t n, json_t **out, struct err *e);

/*
 * The lessons learned of incident hid (ACT_INCIDENT_READ) as JSON:
 * {incident, priority, required, complete, missing: [question...],
 *  answers: {question: text}, damage_before_detection, meeting_at,
 *  updated_by, updated_at, facts: {time_to_detect.. time_to_report
 *  (seconds or null), tasks_total, tasks_done}, actions: [task...]}.
 * "required" says whether closing the incident needs it (P1 or P2).
 */
int lessons_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e);

/*
 * Add a follow-up action to incident hid: a task in phase post_incident
 * (ACT_LESSONS_EDIT and, through task_add, ACT_TASK_EDIT) listed among the
 * lessons' actions. t->phase is ignored. *out (may be NULL) gets the task.
 */
int lessons_action_add(struct store *st, const struct actor *who, const char *hid,
		       const struct task_new *t, json_t **out, struct err *e);

/*
 * For incident_move, inside its transaction: closing incident_id (called
 * hid, of effective priority 1..4 or 0) is allowed unless it is P1 or P2
 * and its lessons learned leave a question unanswered: ERR_INVALID naming
 * the missing questions then.
 */
int lessons_close_check(struct store *st, int64_t incident_id, const char *hid, int priority,
			struct err *e);

#endif
