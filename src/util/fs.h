/*
 * fs.h: small file-system helpers (make folders, read a file whole).
 */
#ifndef IRDESK_UTIL_FS_H
#define IRDESK_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

struct err;
struct buf;

/* Create path and its missing parents with the given mode. Existing is fine. */
int fs_mkdirs(const char *path, mode_t mode, struct err *e);
/* Append the whole file at path to b (which may carry a size cap). */
int fs_read_file(const char *path, struct buf *b, struct err *e);
/* 1 when path exists (any type), 0 otherwise. */
int fs_exists(const char *path);

#endif
