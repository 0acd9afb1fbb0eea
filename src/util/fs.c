/*
 * fs.c: small file-system helpers.
 */
#include "util/fs.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *path, mode_t mode, struct err *e)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return err_set(e, ERR_INVALID, "%s: invalid folder name", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0) {
		struct stat sb;
		if (errno != EEXIST)
			return err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
		/* Something is there already: it must be a folder. */
		if (stat(tmp, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return err_set(e, ERR_IO, "%s: exists and is not a folder", tmp);
	}
	return 0;
}

int fs_read_file(const char *path, struct buf *b, struct err *e)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s",
			       path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
		}
		buf_add(b, chunk, (size_t)n);
		if (buf_error(b)) {
			close(fd);
			return err_set(e, buf_error(b), "%s: %s", path,
				       buf_error(b) == ERR_TOOLONG ? "file too large" : "out of memory");
		}
	}
	close(fd);
	return 0;
}

int fs_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}
