/* sys_malloc.c - glibc malloc under alloc_bench (see sys_libc.inc). */
#define _GNU_SOURCE
#include "bench.h"

#define SYS_NAME "malloc"
#define SYS_VAR bench_sys_malloc
#define LIBC_WANT_JEMALLOC false
#include "sys_libc.inc"
