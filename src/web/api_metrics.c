/*
 * api_metrics.c: GET /api/v1/metrics?from=&to=: the incident metrics of
 * ir/metrics.h over the incidents the caller may see.
 */
#include "ir/metrics.h"
#include "util/err.h"
#include "util/time.h"
#include "web/api.h"
#include "web/req.h"

/* A time from the query (as time_parse takes it) into *out; 0 when absent. */
static int query_time(struct request *rq, const char *name, int64_t *out)
{
	const char *s = req_query(rq, name);

	*out = 0;
	if (!s || !*s)
		return 0;
	if (time_parse(s, rq->actor.tz, rq->actor.now, out, &rq->err)) {
		err_prefix(&rq->err, "%s", name);
		rq->err.code = ERR_USAGE;
		return ERR_USAGE;
	}
	return 0;
}

/* GET /api/v1/metrics?from=TIME&to=TIME */
int api_metrics_get(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "from", "to", NULL };
	int64_t from, to;
	json_t *m = NULL;
	int rc;

	if ((rc = api_query_check(rq, allowed)) || (rc = query_time(rq, "from", &from)) ||
	    (rc = query_time(rq, "to", &to)))
		return rc;
	rc = metrics_compute(rq->st, &rq->actor, from, to, &m, &rq->err);
	if (rc == ERR_INVALID) {
		rq->err.code = ERR_USAGE;
		return ERR_USAGE;
	}
	return rc ? rc : resp_json(rs, 200, m);
}
