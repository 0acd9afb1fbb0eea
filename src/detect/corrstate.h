/*
 * corrstate.h: a server node's Sigma correlation state across restarts
 * (table corr_state, one row per node name). The intake worker's state is
 * taken from the store when detection starts (read and deleted in one
 * transaction: used once) and kept there when it stops, so that partial
 * counts and open deferred windows survive `irdesk serve` restarting.
 */
#ifndef IRDESK_DETECT_CORRSTATE_H
#define IRDESK_DETECT_CORRSTATE_H

#include <stddef.h>
#include <stdint.h>

struct detector;
struct err;
struct store;

/* Largest saved state, in bytes of JSON (serve may lower it for tests). */
#define CORRSTATE_MAX ((size_t)64 << 20)
/* Longest node name, in bytes. */
#define CORRSTATE_NODE_MAX 128

/*
 * Whether node is a usable node name: 1 to CORRSTATE_NODE_MAX bytes of
 * printable ASCII without spaces. 0 or ERR_INVALID (message in e).
 */
int corrstate_node_check(const char *node, struct err *e);

/*
 * Take node's saved state from st into d (see detector_state_load) and
 * delete its row, in one transaction. A state that cannot be read or
 * loaded leaves d's correlations empty; nothing here stops a start: every
 * outcome is logged (info when restored, warn otherwise). max: the largest
 * state read (0: CORRSTATE_MAX).
 */
void corrstate_restore(struct store *st, const char *node, struct detector *d, size_t max);

/*
 * Keep d's correlation state in st under node (replacing any), saved at
 * now. A state over max bytes (0: CORRSTATE_MAX) is not kept: logged as a
 * warning naming its groups. Nothing is kept when d has no group. Failures
 * are logged, never returned (a stop goes on).
 */
void corrstate_keep(struct store *st, const char *node, const struct detector *d, size_t max,
		    int64_t now);

#endif
