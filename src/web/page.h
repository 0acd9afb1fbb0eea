/*
 * page.h: what every HTML page shares: the layout (head, navigation,
 * language switch, sign-out), the CSRF field for forms, error pages, and
 * translated labels. Pages are rendered on the server; app.js only adds
 * conveniences (confirmations, the CSRF header for fetch), so every page
 * works without JavaScript.
 */
#ifndef IRDESK_WEB_PAGE_H
#define IRDESK_WEB_PAGE_H

#include <stdint.h>

struct buf;
struct request;
struct response;

/* Open the page: doctype, head, navigation, <main>. title is escaped. */
void page_begin(struct request *rq, struct buf *b, const char *title);
/* Close <main>, add the script, close the document. */
void page_end(struct request *rq, struct buf *b);
/* A hidden input carrying the session's CSRF token, for every form. */
void page_csrf_field(struct request *rq, struct buf *b);
/* A time in the user's zone for people ("" for 0). */
const char *page_time(struct request *rq, int64_t t, char out[64]);
/* The text for key in the request's language. */
const char *page_t(struct request *rq, const char *key);
/* Render an error page for code with rq->err's message and the code's status. */
void page_error(struct request *rq, struct response *rs, int code);
/* Finish: move b into rs as the HTML body (b is released). */
int page_send(struct response *rs, struct buf *b);

#endif
