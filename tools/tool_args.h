/*
 * tool_args.h - numeric command-line values of the tools, parsed strictly.
 *
 * strtol()/strtoll() alone take "" (as 0: an unset shell variable), " 5",
 * "+5", "-1", "5x" (unless end is checked) and clamp an overflow to the
 * maximum; each of these must be a usage error instead, never a value.
 */
#ifndef METALLC_TOOL_ARGS_H
#define METALLC_TOOL_ARGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* v as a decimal number 0..max, digits only. Returns true with *out set,
 * or false after "PROG: OPT wants WHAT, not 'V'" on stderr (the caller
 * exits 2). v NULL: the option's value is missing. */
static inline bool tool_parse_count(const char *prog, const char *opt, const char *what,
                                    const char *v, long long max, long long *out)
{
    char *end = NULL;
    long long n = -1;
    errno = 0;
    if (v && *v >= '0' && *v <= '9')
        n = strtoll(v, &end, 10);
    if (n < 0 || *end || errno || n > max) {
        fprintf(stderr, "%s: %s wants %s, not '%s'\n", prog, opt, what, v ? v : "");
        return false;
    }
    *out = n;
    return true;
}

#endif
