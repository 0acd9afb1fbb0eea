/*
 * cmd_serve.c: `irdesk serve`: check the store, start the HTTP server,
 * wait for SIGINT or SIGTERM, stop cleanly.
 */
#include "cli.h"
#include "cmds.h"
#include "detect/corrstate.h"
#include "detect/intake.h"
#include "detect/syslog.h"
#include "ir/mailack.h"
#include "ir/mailbox.h"
#include "ir/mailsettings.h"
#include "ir/scheduler.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"
#include "web/http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: irdesk serve [--listen ADDR:PORT] [--threads N] [--port-file PATH]\n"
	"                    [--tls-cert PEM --tls-key PEM]\n"
	"  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
	"  --tls-cert PEM      serve HTTPS with this certificate chain (with --tls-key)\n"
	"  --tls-key PEM       the certificate's private key\n"
	"  --threads N         worker threads (default: one per core, at least 2); each\n"
	"                      holds one database connection, so this is the pool size\n"
	"  --port-file PATH    write the port actually bound to PATH (for scripts)\n"
	"  --rules PATH        Sigma rules for events sent to POST /api/v1/events: a file or\n"
	"                      a folder of *.yml (repeatable; none: events are accepted and\n"
	"                      nothing matches)\n"
	"  --queue N           events waiting for detection at most (default 10000); when\n"
	"                      full, POST /api/v1/events answers 503 with Retry-After\n"
	"  --dedup-window SECS fold matches of one rule on one host and user within this\n"
	"                      many seconds into one alert (default 600)\n"
	"  --syslog-udp ADDR:PORT  take syslog messages (RFC 5424, 3164) over UDP; when the\n"
	"                      queue is full they are counted as dropped\n"
	"  --syslog-tcp ADDR:PORT  take syslog over TCP (octet-counting or newline framing);\n"
	"                      when the queue is full, reading stops until there is room\n"
	"  --syslog-port-file PATH  write \"udp PORT\" and \"tcp PORT\" lines to PATH\n"
	"  --evidence-dir DIR  the evidence folder (default: $IRDESK_EVIDENCE_DIR, or the one\n"
	"                      `irdesk init` made); with several nodes, shared storage\n"
	"  --max-upload BYTES  largest evidence upload (default 17179869184, 16 GiB)\n"
	"  --scheduler-interval SECS  run background jobs (clock reminders) every SECS\n"
	"                      seconds (default 60); one node at a time runs them\n"
	"  --mail-config FILE  reported-mail analysis settings (JSON, as `mail analyze\n"
	"                      --config`) while none are saved in the store (an admin\n"
	"                      saves them at /settings/mail or `mail config set`)\n"
	"  --imap-url URL      poll this report mailbox (imap[s]://HOST[:PORT]/MAILBOX):\n"
	"                      unseen mails are analysed, become alerts, and are marked\n"
	"                      seen; one node at a time polls\n"
	"  --imap-user USER    its account (with --imap-password-file FILE: the password,\n"
	"                      read once, never logged)\n"
	"  --imap-interval SECS  poll every SECS seconds (default 60)\n"
	"  --smtp-url URL      acknowledge each forwarded report that became an alert (from\n"
	"                      the mailbox or POST /api/v1/mail) to its reporter through\n"
	"                      this server (smtp[s]://HOST[:PORT]; with --smtp-from ADDR,\n"
	"                      the sender address)\n"
	"  --smtp-user USER    authenticate (with --smtp-password-file FILE)\n"
	"  --node NAME         this node's name (default HOSTNAME:PORT, the port of --listen;\n"
	"                      at most 128 bytes): the correlation state is kept under it\n"
	"                      from a stop to the next start\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_LISTEN = OPT__FIRST_CMD, O_THREADS, O_PORTFILE, O_CERT, O_KEY, O_RULES, O_QUEUE,
       O_WINDOW, O_SYSUDP, O_SYSTCP, O_SYSPORTFILE, O_EVDIR, O_MAXUP, O_SCHED,
       O_MAILCFG, O_IMAPURL, O_IMAPUSER, O_IMAPPW, O_IMAPINT,
       O_SMTPURL, O_SMTPFROM, O_SMTPUSER, O_SMTPPW, O_NODE };

#define RULES_MAX 64

/* Say how many database connections this node may open (docs/scaling.md). */
static void log_pool(struct http_server *srv)
{
	struct http_db_pool pool;

	http_db_pool(srv, &pool);
	log_info("database connections: at most %d (a pool of %d for the %d worker threads, "
		 "%d for detection, the scheduler%s and the main thread)", pool.node, pool.workers,
		 pool.workers, pool.node - pool.workers,
		 pool.node - pool.workers > 3 ? ", the mail jobs" : "");
}

struct opts {
	const char *listen, *port_file, *cert, *key;
	const char *syslog_udp, *syslog_tcp, *syslog_port_file;
	const char *evidence_dir;
	const char *mail_config;
	const char *imap_url, *imap_user, *imap_pw;
	const char *smtp_url, *smtp_from, *smtp_user, *smtp_pw;
	int imap_interval;
	long long max_upload;
	int threads;
	const char *rules[RULES_MAX];
	int nrules;
	long queue, window;
	int sched_interval;
	const char *node;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	char *end;
	long v;

	switch (opt) {
	case O_LISTEN: o->listen = arg; return 0;
	case O_PORTFILE: o->port_file = arg; return 0;
	case O_CERT: o->cert = arg; return 0;
	case O_KEY: o->key = arg; return 0;
	case O_SYSUDP: o->syslog_udp = arg; return 0;
	case O_SYSTCP: o->syslog_tcp = arg; return 0;
	case O_SYSPORTFILE: o->syslog_port_file = arg; return 0;
	case O_EVDIR: o->evidence_dir = arg; return 0;
	case O_MAILCFG: o->mail_config = arg; return 0;
	case O_IMAPURL: o->imap_url = arg; return 0;
	case O_IMAPUSER: o->imap_user = arg; return 0;
	case O_IMAPPW: o->imap_pw = arg; return 0;
	case O_SMTPURL: o->smtp_url = arg; return 0;
	case O_SMTPFROM: o->smtp_from = arg; return 0;
	case O_SMTPUSER: o->smtp_user = arg; return 0;
	case O_SMTPPW: o->smtp_pw = arg; return 0;
	case O_NODE: o->node = arg; return 0;
	case O_IMAPINT:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 86400)
			return cli_error(ERR_USAGE, "--imap-interval: expected 1 to 86400 seconds");
		o->imap_interval = (int)v;
		return 0;
	case O_MAXUP:
		o->max_upload = strtoll(arg, &end, 10);
		if (!*arg || *end || o->max_upload < 1 || o->max_upload > (1LL << 50))
			return cli_error(ERR_USAGE, "--max-upload: expected a number of bytes");
		return 0;
	case O_RULES:
		if (o->nrules == RULES_MAX)
			return cli_error(ERR_USAGE, "--rules: at most %d paths", RULES_MAX);
		o->rules[o->nrules++] = arg;
		return 0;
	case O_QUEUE:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 10000000)
			return cli_error(ERR_USAGE, "--queue: expected 1 to 10000000");
		o->queue = v;
		return 0;
	case O_WINDOW:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 30 * 86400)
			return cli_error(ERR_USAGE, "--dedup-window: expected 1 to 2592000 seconds");
		o->window = v;
		return 0;
	case O_SCHED:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 86400)
			return cli_error(ERR_USAGE, "--scheduler-interval: expected 1 to 86400 seconds");
		o->sched_interval = (int)v;
		return 0;
	case O_THREADS:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 64)
			return cli_error(ERR_USAGE, "--threads: expected 1 to 64");
		o->threads = (int)v;
		return 0;
	}
	return 2;
}

/*
 * The node's name into out: --node, else "HOSTNAME:PORT" with the port as
 * --listen gives it. 0, or a usage error's exit code.
 */
static int node_name(const struct opts *o, char out[CORRSTATE_NODE_MAX + 1])
{
	char host[256] = "localhost";
	const char *port = strrchr(o->listen, ':');
	struct err e;

	if (o->node) {
		err_clear(&e);
		if (corrstate_node_check(o->node, &e))
			return cli_usage_error(usage, "--node: %s", err_msg(&e));
		snprintf(out, CORRSTATE_NODE_MAX + 1, "%s", o->node);
		return 0;
	}
	if (gethostname(host, sizeof(host)) != 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, CORRSTATE_NODE_MAX + 1, "%.100s:%.20s", host, port ? port + 1 : o->listen);
	for (char *p = out; *p; p++)   /* a name the check takes, whatever the host's */
		if (*p <= ' ' || *p > '~')
			*p = '_';
	return 0;
}

/* The acknowledgements to reporters (--smtp-url), checked before anything starts. */
static int open_mailack(struct cli *c, const struct opts *o, struct mailack **out)
{
	struct mailack_config a = { o->smtp_url, o->smtp_from, o->smtp_user, o->smtp_pw };

	*out = NULL;
	if (!o->smtp_url)
		return o->smtp_from || o->smtp_user || o->smtp_pw
			       ? cli_usage_error(usage, "--smtp-from, --smtp-user and --smtp-password-file need --smtp-url")
			       : 0;
	if (mailack_new(&a, out, &c->err))
		return cli_fail(c);
	return 0;
}

/* The report mailbox's poller (--imap-url), after everything else is up. */
static int start_mailbox(struct cli *c, const struct opts *o, struct mailsettings *mcfg,
			 struct mailack *ack, struct mailbox **out)
{
	struct mailbox_config m;

	memset(&m, 0, sizeof(m));
	m.db_url = c->db_url;
	m.url = o->imap_url;
	m.user = o->imap_user;
	m.password_file = o->imap_pw;
	m.interval = o->imap_interval;
	m.mail = mcfg;
	m.ack = ack;
	if (mailbox_start(&m, out, &c->err))
		return -1;
	log_info("report mailbox: polling %s as %s every %d s", m.url, m.user, m.interval);
	return 0;
}

int cmd_serve(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "port-file", required_argument, NULL, O_PORTFILE },
		{ "tls-cert", required_argument, NULL, O_CERT },
		{ "tls-key", required_argument, NULL, O_KEY },
		{ "rules", required_argument, NULL, O_RULES },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "dedup-window", required_argument, NULL, O_WINDOW },
		{ "syslog-udp", required_argument, NULL, O_SYSUDP },
		{ "syslog-tcp", required_argument, NULL, O_SYSTCP },
		{ "syslog-port-file", required_argument, NULL, O_SYSPORTFILE },
		{ "evidence-dir", required_argument, NULL, O_EVDIR },
		{ "max-upload", required_argument, NULL, O_MAXUP },
		{ "scheduler-interval", required_argument, NULL, O_SCHED },
		{ "mail-config", required_argument, NULL, O_MAILCFG },
		{ "imap-url", required_argument, NULL, O_IMAPURL },
		{ "imap-user", required_argument, NULL, O_IMAPUSER },
		{ "imap-password-file", required_argument, NULL, O_IMAPPW },
		{ "imap-interval", required_argument, NULL, O_IMAPINT },
		{ "smtp-url", required_argument, NULL, O_SMTPURL },
		{ "smtp-from", required_argument, NULL, O_SMTPFROM },
		{ "smtp-user", required_argument, NULL, O_SMTPUSER },
		{ "smtp-password-file", required_argument, NULL, O_SMTPPW },
		{ "node", required_argument, NULL, O_NODE },
		{ 0, 0, 0, 0 },
	};
	struct opts o;
	struct http_config cfg;
	struct intake_config icfg;
	struct http_server *srv = NULL;
	struct intake *in = NULL;
	struct syslog_config scfg;
	struct syslog_server *sl = NULL;
	struct scheduler_config schcfg;
	struct scheduler *sch = NULL;
	struct mailsettings *mcfg = NULL;
	struct mailbox *mbox = NULL;
	struct mailack *ack = NULL;
	const char *delay = getenv("IRDESK_INTAKE_DELAY_MS");
	const char *state_max = getenv("IRDESK_CORR_STATE_MAX");
	char node[CORRSTATE_NODE_MAX + 1];
	sigset_t set;
	int rc, sig = 0;

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:8080";
	o.sched_interval = 60;
	o.imap_interval = 60;
	if ((rc = cli_parse(c, argc, argv, longopts, usage, on_opt, &o)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!o.imap_url != !o.imap_user || !o.imap_url != !o.imap_pw)
		return cli_usage_error(usage, "--imap-url, --imap-user and --imap-password-file go together");
	if ((rc = node_name(&o, node)))
		return rc;
	if ((rc = open_mailack(c, &o, &ack)))
		return rc;
	/* Open once in this thread: applies migrations and fails early. */
	if ((rc = cli_open(c)) == 0 && mailsettings_new(o.mail_config, &mcfg, &c->err))
		rc = cli_error(ERR_INVALID, "--mail-config: %s", err_msg(&c->err));
	/* The acknowledgements' sender, for the poller's and the API's reports alike. */
	if (!rc && ack && mailack_start(ack, c->db_url, &c->err))
		rc = cli_fail(c);
	if (rc) {
		mailsettings_free(mcfg);
		mailack_free(ack);
		return rc;
	}

	/* Block the stop signals in every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/*
	 * Detection first: its worker takes the events the server queues, and
	 * rules that do not load stop the start. IRDESK_INTAKE_DELAY_MS slows
	 * the worker down so that tests can fill the queue.
	 */
	memset(&icfg, 0, sizeof(icfg));
	icfg.db_url = c->db_url;
	icfg.rules = o.rules;
	icfg.nrules = o.nrules;
	icfg.queue_max = (size_t)o.queue;
	icfg.window = o.window;
	icfg.profile = PROFILE_AUTO;
	icfg.tz = tz_name(c->tz);
	icfg.delay_ms = delay ? (unsigned)strtoul(delay, NULL, 10) : 0;
	/* IRDESK_CORR_STATE_MAX (tests only) lowers the saved state's cap. */
	icfg.node = node;
	icfg.corr_state_max = state_max ? (size_t)strtoull(state_max, NULL, 10) : 0;
	if (intake_start(&icfg, &in, &c->err)) {
		mailsettings_free(mcfg);
		mailack_free(ack);
		return cli_fail(c);
	}

	/* The syslog listeners feed the same queue as POST /api/v1/events. */
	if (o.syslog_udp || o.syslog_tcp) {
		memset(&scfg, 0, sizeof(scfg));
		scfg.udp = o.syslog_udp;
		scfg.tcp = o.syslog_tcp;
		scfg.intake = in;
		if (syslog_start(&scfg, &sl, &c->err)) {
			intake_stop(in);
			mailsettings_free(mcfg);
			mailack_free(ack);
			return cli_fail(c);
		}
		if (o.syslog_port_file) {
			FILE *f = fopen(o.syslog_port_file, "w");
			if (!f || fprintf(f, "udp %d\ntcp %d\n", syslog_udp_port(sl),
					  syslog_tcp_port(sl)) < 0 || fclose(f) != 0) {
				syslog_stop(sl);
				intake_stop(in);
				mailsettings_free(mcfg);
				mailack_free(ack);
				return cli_error(ERR_IO, "%s: cannot write the port file",
						 o.syslog_port_file);
			}
		}
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.intake = in;
	cfg.syslog = sl;
	cfg.listen = o.listen;
	cfg.db_url = c->db_url;
	cfg.threads = o.threads;
	cfg.tz = tz_name(c->tz);
	cfg.tls_cert = o.cert;
	cfg.tls_key = o.key;
	cfg.evidence_dir = o.evidence_dir;
	cfg.stream_max = o.max_upload;
	/* Besides the workers': this thread's, the intake worker's, the scheduler's,
	 * the report mailbox poller's and the acknowledgements' sender's when there are. */
	cfg.db_others = 3 + !!o.imap_url + !!ack;
	cfg.mail = mcfg;
	cfg.ack = ack;
	if (http_start(&cfg, &srv, &c->err)) {
		syslog_stop(sl);
		intake_stop(in);
		mailsettings_free(mcfg);
		mailack_free(ack);
		return cli_fail(c);
	}
	log_info("irdesk %s serving %s://%s (port %d), database %s", IRDESK_VERSION,
		 http_tls(srv) ? "https" : "http", o.listen, http_port(srv), c->db_url);
	log_pool(srv);
	if (o.port_file) {
		FILE *f = fopen(o.port_file, "w");
		if (!f || fprintf(f, "%d\n", http_port(srv)) < 0 || fclose(f) != 0) {
			http_stop(srv);
			syslog_stop(sl);
			intake_stop(in);
			mailsettings_free(mcfg);
			mailack_free(ack);
			return cli_error(ERR_IO, "%s: cannot write the port file", o.port_file);
		}
	}
	/* The scheduler starts last and stops last: its jobs need only the store,
	 * and waiting for it must not delay the others' orderly stop. */
	schcfg.db_url = c->db_url;
	schcfg.interval = o.sched_interval;
	if (scheduler_start(&schcfg, &sch, &c->err))
		log_warn("%s: clock reminders are off", err_msg(&c->err));
	rc = 0;
	if (o.imap_url && start_mailbox(c, &o, mcfg, ack, &mbox))
		rc = cli_fail(c);
	else
		sigwait(&set, &sig);
	if (!rc)
		log_info("received %s: stopping (in-flight requests finish)",
			 sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(srv);
	/* The listeners close before the worker drains: nothing arrives after. */
	syslog_stop(sl);
	/* Every event the server accepted is matched and recorded before exit. */
	intake_stop(in);
	scheduler_stop(sch);
	mailbox_stop(mbox);
	mailack_free(ack);
	mailsettings_free(mcfg);
	if (!rc)
		log_info("stopped");
	return rc;
}
