/*
 * bench_util.h: what the benchmarks share: dying with a message, a monotonic
 * clock, medians, and reading a corpus folder into one in-memory stream of
 * JSON lines. Header-only (each benchmark is one C file); define bench_prog
 * (the program's name for messages) before including it.
 */
#ifndef IRDESK_BENCH_UTIL_H
#define IRDESK_BENCH_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The stream: every *.json under otrf/, sorted by path, one after another. */

struct stream {
	char *data;
	size_t len, cap;
	int files;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void append_file(struct stream *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	size_t n;

	if (!f || fstat(fileno(f), &sb) != 0)
		die("%s: cannot read", path);
	n = (size_t)sb.st_size;
	if (s->len + n + 2 > s->cap) {
		while (s->len + n + 2 > s->cap)
			s->cap = s->cap ? s->cap * 2 : (64u << 20);
		s->data = realloc(s->data, s->cap);
		if (!s->data)
			die("out of memory");
	}
	if (fread(s->data + s->len, 1, n, f) != n)
		die("%s: short read", path);
	fclose(f);
	s->len += n;
	if (n && s->data[s->len - 1] != '\n')
		s->data[s->len++] = '\n';
	s->files++;
}

static void collect(struct stream *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		die("%s: cannot open", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				die("out of memory");
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		struct stat sb;
		size_t len = strlen(names[i]);

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			collect(s, path);
		else if (len > 5 && strcmp(names[i] + len - 5, ".json") == 0)
			append_file(s, path);
		free(names[i]);
	}
	free(names);
}

#endif
