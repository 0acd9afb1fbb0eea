/*
 * cmd_serve.c: `irdesk serve`: check the store, start the HTTP server,
 * wait for SIGINT or SIGTERM, stop cleanly.
 */
#include "cli.h"
#include "cmds.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"
#include "web/http.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: irdesk serve [--listen ADDR:PORT] [--threads N] [--port-file PATH]\n"
	"                    [--tls-cert PEM --tls-key PEM]\n"
	"  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
	"  --tls-cert PEM      serve HTTPS with this certificate chain (with --tls-key)\n"
	"  --tls-key PEM       the certificate's private key\n"
	"  --threads N         worker threads (default: one per core, at least 2)\n"
	"  --port-file PATH    write the port actually bound to PATH (for scripts)\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_LISTEN = OPT__FIRST_CMD, O_THREADS, O_PORTFILE, O_CERT, O_KEY };

struct opts {
	const char *listen, *port_file, *cert, *key;
	int threads;
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
	case O_THREADS:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 64)
			return cli_error(ERR_USAGE, "--threads: expected 1 to 64");
		o->threads = (int)v;
		return 0;
	}
	return 2;
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
		{ 0, 0, 0, 0 },
	};
	struct opts o = { "127.0.0.1:8080", NULL, NULL, NULL, 0 };
	struct http_config cfg;
	struct http_server *srv = NULL;
	sigset_t set;
	int rc, sig = 0;

	if ((rc = cli_parse(c, argc, argv, longopts, usage, on_opt, &o)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	/* Open once in this thread: applies migrations and fails early. */
	if ((rc = cli_open(c)))
		return rc;

	/* Block the stop signals in every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = o.listen;
	cfg.db_url = c->db_url;
	cfg.threads = o.threads;
	cfg.tz = tz_name(c->tz);
	cfg.tls_cert = o.cert;
	cfg.tls_key = o.key;
	if (http_start(&cfg, &srv, &c->err))
		return cli_fail(c);
	log_info("irdesk %s serving %s://%s (port %d), database %s", IRDESK_VERSION,
		 http_tls(srv) ? "https" : "http", o.listen, http_port(srv), c->db_url);
	if (o.port_file) {
		FILE *f = fopen(o.port_file, "w");
		if (!f || fprintf(f, "%d\n", http_port(srv)) < 0 || fclose(f) != 0) {
			http_stop(srv);
			return cli_error(ERR_IO, "%s: cannot write the port file", o.port_file);
		}
	}
	sigwait(&set, &sig);
	log_info("received %s: stopping (in-flight requests finish)", sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(srv);
	log_info("stopped");
	return 0;
}
