/*
 * error.h - the failure rule of the library in one place.
 *
 * Every failing function sets errno and a thread-local message for
 * metall_errmsg(). Internal functions return 0 on success and -1 after
 * calling mc_fail() (or propagate a -1 whose message is already set).
 */
#ifndef METALLC_ERROR_H
#define METALLC_ERROR_H

#include <errno.h>

/* Set errno to err and the thread's message (printf-style); returns -1. */
int mc_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like mc_fail() with the cause taken from err: "<message>: <strerror>". */
int mc_fail_sys(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clear the thread's message (start of a public call that may fail). */
void mc_error_clear(void);

/* Set errno and the thread's message to msg (truncated to the buffer).
 * For the layers built as their own shared library (libmetallc_mpi),
 * which cannot reach mc_fail(): exported through the version script's
 * metall_* pattern, declared only here, not part of the public API. */
void metall_internal_set_error(int err, const char *msg);

#endif
