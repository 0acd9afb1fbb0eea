/*
 * vocab.c: the vocabulary tables and their lookups.
 */
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"

#include <string.h>
#include <strings.h>

#define VOCAB(var, what, prefix, ...)                                   \
	static const struct vocab_item var##_items[] = { __VA_ARGS__ }; \
	const struct vocab var = { what, prefix, var##_items,           \
				   (int)(sizeof(var##_items) / sizeof(var##_items[0])) }

VOCAB(vocab_attack_vector, "attack vector", NULL,
      { "removable_media", "外部記憶媒体", "External/removable media", NULL },
      { "attrition", "消耗攻撃", "Attrition", NULL },
      { "web", "ウェブ", "Web", NULL },
      { "email", "電子メール", "Email", NULL },
      { "impersonation", "なりすまし", "Impersonation", NULL },
      { "improper_usage", "不適切な使用", "Improper usage", NULL },
      { "loss_theft", "紛失・盗難", "Loss or theft of equipment", NULL },
      { "other", "その他", "Other", NULL });

VOCAB(vocab_functional_impact, "functional impact", NULL,
      { "none", "なし", "None", NULL },
      { "low", "低", "Low", NULL },
      { "medium", "中", "Medium", NULL },
      { "high", "高", "High", NULL });

VOCAB(vocab_information_impact, "information impact", NULL,
      { "none", "なし", "None", NULL },
      { "privacy_breach", "個人情報の漏えい", "Privacy breach", NULL },
      { "proprietary_breach", "機密情報の漏えい", "Proprietary breach", NULL },
      { "integrity_loss", "完全性の喪失", "Integrity loss", NULL });

VOCAB(vocab_recoverability, "recoverability", NULL,
      { "regular", "通常", "Regular", NULL },
      { "supplemented", "追加資源で回復", "Supplemented", NULL },
      { "extended", "外部支援が必要", "Extended", NULL },
      { "not_recoverable", "回復不能", "Not recoverable", NULL });

VOCAB(vocab_priority, "priority", NULL,
      { "P1", "P1 (緊急)", "P1 (critical)", "1" },
      { "P2", "P2 (高)", "P2 (high)", "2" },
      { "P3", "P3 (中)", "P3 (medium)", "3" },
      { "P4", "P4 (低)", "P4 (low)", "4" });

VOCAB(vocab_tlp, "TLP marking", "TLP:",
      { "TLP:RED", "TLP:RED", "TLP:RED", NULL },
      { "TLP:AMBER+STRICT", "TLP:AMBER+STRICT", "TLP:AMBER+STRICT", NULL },
      { "TLP:AMBER", "TLP:AMBER", "TLP:AMBER", NULL },
      { "TLP:GREEN", "TLP:GREEN", "TLP:GREEN", NULL },
      { "TLP:CLEAR", "TLP:CLEAR", "TLP:CLEAR", "TLP:WHITE" });

VOCAB(vocab_pap, "PAP marking", "PAP:",
      { "PAP:RED", "PAP:RED", "PAP:RED", NULL },
      { "PAP:AMBER", "PAP:AMBER", "PAP:AMBER", NULL },
      { "PAP:GREEN", "PAP:GREEN", "PAP:GREEN", NULL },
      { "PAP:CLEAR", "PAP:CLEAR", "PAP:CLEAR", "PAP:WHITE" });

VOCAB(vocab_reject_reason, "rejection reason", NULL,
      { "false_positive", "誤検知", "False positive", NULL },
      { "not_our_constituency", "対象外", "Not our constituency", NULL },
      { "duplicate", "重複", "Duplicate", NULL });

VOCAB(vocab_timeline_kind, "timeline kind", NULL,
      { "observation", "観測", "Observation", "note" },
      { "action", "対応", "Action", NULL },
      { "decision", "判断", "Decision", NULL },
      { "communication", "連絡", "Communication", NULL },
      { "evidence", "証拠", "Evidence", NULL },
      { "state_change", "状態変更", "State change", NULL });

/* The incident types of domain.md §3; the catalog (data/catalog) adds their
 * items and playbooks. */
VOCAB(vocab_incident_type, "incident type", NULL,
      { "info_leak", "情報漏えい", "Information leak", NULL },
      { "malware", "ウイルス感染", "Malware infection", NULL },
      { "unauthorized_access", "不正アクセス", "Unauthorised access", NULL },
      { "dos", "(D)DoS攻撃", "(D)DoS", NULL },
      { "bec", "ビジネスメール詐欺", "Business e-mail compromise", NULL },
      { "ransomware", "ランサムウェア", "Ransomware", NULL },
      { "targeted_attack", "標的型攻撃", "Targeted attack", NULL },
      { "supply_chain", "サプライチェーン攻撃", "Supply-chain attack", NULL },
      { "phishing", "フィッシング", "Phishing", NULL },
      { "web_defacement", "ウェブ改ざん", "Web defacement", NULL },
      { "insider", "内部不正", "Insider threat", NULL },
      { "lost_device", "機器の紛失・盗難", "Lost or stolen device", NULL },
      { "other", "その他", "Other", NULL });

int vocab_parse(const struct vocab *v, const char *s, int *out, struct err *e)
{
	struct buf list = BUF_INIT;
	size_t plen = v->prefix ? strlen(v->prefix) : 0;
	int rc;

	for (int i = 0; i < v->n; i++) {
		const struct vocab_item *it = &v->items[i];
		if (strcasecmp(s, it->name) == 0 || (it->alias && strcasecmp(s, it->alias) == 0) ||
		    (plen && strcasecmp(s, it->name + plen) == 0) ||
		    (plen && it->alias && strcasecmp(s, it->alias + plen) == 0)) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; i < v->n; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", v->items[i].name);
	rc = err_set(e, ERR_INVALID, "unknown %s '%.64s' (one of: %s)", v->what, s, list.data);
	buf_release(&list);
	return rc;
}

const char *vocab_name(const struct vocab *v, int i)
{
	return i >= 0 && i < v->n ? v->items[i].name : NULL;
}

const char *vocab_label(const struct vocab *v, int i, const char *lang)
{
	if (i < 0 || i >= v->n)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? v->items[i].ja : v->items[i].en;
}
