/**
 * @file c_api/metall.h
 * @brief Compatibility path of LLNL Metall's C API.
 *
 * Programs written for LLNL Metall's `metall/c_api/metall.h` (metall_create,
 * metall_open, metall_malloc, metall_named_malloc, metall_find, ...) compile
 * and run unchanged against metall-c: its core header is a superset.
 */
#ifndef METALL_C_API_METALL_H
#define METALL_C_API_METALL_H
#include <metall/metall.h>
#endif
