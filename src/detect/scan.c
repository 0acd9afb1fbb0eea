/*
 * scan.c: files of JSON objects (JSON lines, a JSON array, or concatenated
 * objects) as a stream of decoded events. The decoder finds where each
 * object ends, so the text is read once; regular files are mapped.
 */
#include "detect/scan.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Mapped pages already decoded are dropped every so often to bound RSS. */
#define SCAN_RELEASE_EVERY ((size_t)256 << 20)

static size_t skip_ws(const char *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t'))
		i++;
	return i;
}

static int unexpected(const char *name, const char *d, size_t len, size_t i, const char *want,
		      struct err *err)
{
	if (i >= len)
		return err_set(err, ERR_PARSE, "%s: offset %zu: unexpected end of input, expected %s",
			       name, i, want);
	if ((unsigned char)d[i] >= 0x20 && (unsigned char)d[i] < 0x7f)
		return err_set(err, ERR_PARSE, "%s: offset %zu: unexpected '%c', expected %s", name,
			       i, d[i], want);
	return err_set(err, ERR_PARSE, "%s: offset %zu: unexpected byte 0x%02x, expected %s", name,
		       i, (unsigned char)d[i], want);
}

/* Tell the kernel the decoded part of a mapping [base, base+upto) is done. */
static void release_done(const char *base, size_t upto, size_t *released)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t end;

	if (page <= 0 || upto - *released < SCAN_RELEASE_EVERY)
		return;
	end = upto / (size_t)page * (size_t)page;
	if (end > *released)
		madvise((void *)(uintptr_t)(base + *released), end - *released, MADV_DONTNEED);
	*released = end;
}

static int scan_mem(const char *name, const char *d, size_t len, int mapped,
		    enum event_profile profile, struct event *ev, scan_event_fn fn, void *ctx,
		    size_t *nevents, struct err *err)
{
	size_t i = 0, n = 0, released = 0, next;
	int array = 0, rc = 0;

	if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* a UTF-8 byte order mark, as Windows tools write */
	i = skip_ws(d, len, i);
	if (i < len && d[i] == '[') {
		array = 1;
		i = skip_ws(d, len, i + 1);
		if (i < len && d[i] == ']') {
			i = skip_ws(d, len, i + 1);
			if (i < len)
				rc = unexpected(name, d, len, i, "the end of the file", err);
			goto out;
		}
	}
	for (;;) {
		size_t at;

		if (!array && i >= len)
			break;
		if (i >= len || d[i] != '{') {
			rc = unexpected(name, d, len, i, "a JSON object", err);
			goto out;
		}
		at = i;
		rc = event_decode_at(ev, d, len, i, profile, &next, err);
		if (rc) {
			err_prefix(err, "%s", name);
			goto out;
		}
		rc = fn(ctx, ev, n, at, err);
		n++;
		if (rc)
			goto out;
		i = skip_ws(d, len, next);
		if (mapped)
			release_done(d, i, &released);
		if (array) {
			if (i < len && d[i] == ',') {
				i = skip_ws(d, len, i + 1);
				continue;
			}
			if (i < len && d[i] == ']') {
				i = skip_ws(d, len, i + 1);
				if (i < len)
					rc = unexpected(name, d, len, i, "the end of the file", err);
				goto out;
			}
			rc = unexpected(name, d, len, i, "',' or ']'", err);
			goto out;
		}
	}
out:
	if (nevents)
		*nevents = n;
	return rc;
}

int scan_buffer(const char *name, const char *data, size_t len, enum event_profile profile,
		struct event *ev, scan_event_fn fn, void *ctx, size_t *nevents, struct err *err)
{
	return scan_mem(name, data, len, 0, profile, ev, fn, ctx, nevents, err);
}

/* Read all of fd (a pipe or a terminal) into a malloc'd buffer. */
static int read_all(int fd, const char *path, char **out, size_t *outlen, struct err *err)
{
	size_t len = 0, cap = 1 << 16;
	char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return err_set(err, ERR_NOMEM, "%s: out of memory", path);
	for (;;) {
		if (len == cap) {
			nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return err_set(err, ERR_NOMEM, "%s: out of memory", path);
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(b);
			return err_set(err, ERR_IO, "%s: %s", path, strerror(saved));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = b;
	*outlen = len;
	return 0;
}

int scan_file(const char *path, enum event_profile profile, struct event *ev, scan_event_fn fn,
	      void *ctx, size_t *nevents, size_t *nbytes, struct err *err)
{
	int fd, rc, is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "(stdin)" : path;
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	void *map = NULL;

	if (nevents)
		*nevents = 0;
	if (nbytes)
		*nbytes = 0;
	fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(err, ERR_NOTFOUND, "%s: no such file", path);
		return err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0) {
		rc = err_set(err, ERR_IO, "%s: %s", name, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		rc = err_set(err, ERR_IO, "%s: is a folder, not a file of events", name);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		len = (size_t)sb.st_size;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			rc = err_set(err, ERR_IO, "%s: %s", name, strerror(errno));
			goto out;
		}
		madvise(map, len, MADV_SEQUENTIAL);
		rc = scan_mem(name, map, len, 1, profile, ev, fn, ctx, nevents, err);
	} else if (S_ISREG(sb.st_mode)) {
		rc = scan_mem(name, "", 0, 0, profile, ev, fn, ctx, nevents, err);
	} else {
		rc = read_all(fd, name, &buf, &len, err);
		if (!rc)
			rc = scan_mem(name, buf, len, 0, profile, ev, fn, ctx, nevents, err);
	}
	if (nbytes)
		*nbytes = len;
out:
	/* The event's raw text pointed into the mapping: it is no longer valid. */
	ev->raw = NULL;
	ev->raw_len = 0;
	if (map)
		munmap(map, len);
	free(buf);
	if (!is_stdin)
		close(fd);
	return rc;
}
