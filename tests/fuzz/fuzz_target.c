/*
 * fuzz_target.c - libFuzzer entry point over the management-file parsers
 * (built with clang when METALLC_FUZZ is ON). See fuzz_harness.h.
 */
#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
