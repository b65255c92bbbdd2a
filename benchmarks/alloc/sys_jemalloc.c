/* sys_jemalloc.c - jemalloc (LD_PRELOAD'ed into the child) under
 * alloc_bench (see sys_libc.inc for why). */
#define _GNU_SOURCE
#include "bench.h"

#define SYS_NAME "jemalloc"
#define SYS_VAR bench_sys_jemalloc
#define LIBC_WANT_JEMALLOC true
#include "sys_libc.inc"
