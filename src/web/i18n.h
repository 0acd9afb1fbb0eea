/*
 * i18n.h: Japanese and English message catalogs (data/i18n/ja.txt and
 * en.txt, embedded), one "key = text" per line. A missing key falls back to
 * English, then to the key itself, so a gap shows and never crashes.
 */
#ifndef IRDESK_WEB_I18N_H
#define IRDESK_WEB_I18N_H

/* The text for key in lang ("ja" or "en"). Never NULL. Thread-safe. */
const char *i18n(const char *lang, const char *key);

#endif
