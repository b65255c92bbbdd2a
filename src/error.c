/*
 * error.c - thread-local error messages (metall_errmsg()).
 *
 * The message buffer is per thread so that concurrent failures do not mix;
 * errno is saved around formatting, which may itself touch errno.
 */
#include "error.h"

#include <metall/metall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERRMSG_SIZE 4096 /* MPI messages name many ranks */

static __thread char errmsg[ERRMSG_SIZE];

static void vset(int err, const char *fmt, va_list ap, int with_cause)
{
    int n = vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    if (with_cause && n >= 0 && (size_t)n < sizeof errmsg) {
        char cause[128];
        const char *s = strerror_r(err, cause, sizeof cause); /* GNU variant */
        snprintf(errmsg + n, sizeof errmsg - (size_t)n, ": %s", s);
    }
}

int mc_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap, 0);
    va_end(ap);
    errno = err;
    return -1;
}

int mc_fail_sys(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap, 1);
    va_end(ap);
    errno = err;
    return -1;
}

void mc_error_clear(void)
{
    errmsg[0] = '\0';
}

void metall_internal_set_error(int err, const char *msg)
{
    snprintf(errmsg, sizeof errmsg, "%s", msg ? msg : "");
    errno = err;
}

const char *metall_errmsg(void)
{
    return errmsg;
}
