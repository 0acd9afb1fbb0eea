/*
 * router.h: method + path pattern -> handler. Patterns are literal segments
 * and {name} segments that capture one path segment ("/api/v1/incidents/{id}").
 * Each area (API, pages) exports a table of routes ending with a NULL
 * pattern; router.c searches them in order.
 */
#ifndef IRDESK_WEB_ROUTER_H
#define IRDESK_WEB_ROUTER_H

#include "ir/role.h"

struct request;
struct response;

enum route_flags {
	ROUTE_PUBLIC = 1 << 0,   /* no sign-in needed */
	ROUTE_PAGE = 1 << 1,     /* HTML: unauthenticated -> redirect to /login, errors as pages */
	ROUTE_NO_CSRF = 1 << 2,  /* a state-changing route that checks its own CSRF (sign-in) */
	ROUTE_INCIDENT = 1 << 3, /* about one incident ({id} first): external users may have a role there */
	ROUTE_STREAM = 1 << 4,   /* the body is streamed to the handler, not buffered (req.h, struct req_stream) */
};

typedef int (*route_fn)(struct request *rq, struct response *rs);

/*
 * A route. act is the permission the route needs (role.h's table): the
 * server refuses a signed-in user whose role lacks it with 403 before the
 * handler runs, except for external users on incident routes
 * (ROUTE_INCIDENT), whose permission depends on their role in that incident
 * and is checked by ir/ (404 when they are not a member). ACT_NONE: any
 * signed-in user. The authorisation matrix test reads this same table.
 */
#define ACT_NONE ACT__COUNT

struct route {
	const char *method;   /* "GET", "POST", "PATCH", "PUT", "DELETE" */
	const char *pattern;
	route_fn fn;
	unsigned flags;
	enum action act;
	const char *summary;  /* one line, for docs and the authorisation matrix */
};

/* The route tables: the API (web/api.c), sign-in and static files
 * (web/page.c), and the pages (web/pages.c). */
extern const struct route api_routes[];
extern const struct route page_core_routes[];
extern const struct route page_routes[];

/*
 * Find the route for method and path, capturing {name} segments into
 * rq->params (decoded; a segment with '/' or a NUL after decoding does not
 * match). Returns the route, or NULL with *method_mismatch set to 1 when
 * the path exists with another method (405) and 0 when it does not (404).
 */
const struct route *router_match(const char *method, const char *path, struct request *rq,
				 int *method_mismatch);

#endif
