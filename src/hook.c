/*
 * hook.c - the test hook (hook.h).
 */
#include "hook.h"

#include <stddef.h>

mc_hook_fn mc_test_hook = NULL;
