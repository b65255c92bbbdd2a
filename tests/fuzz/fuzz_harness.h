/*
 * fuzz_harness.h - the code path shared by the libFuzzer target and the
 * corpus replay test: one input becomes one management file of a pristine
 * datastore, which is then opened.
 *
 * Input format: byte 0 selects the file (% 4: datastore, chunks, names,
 * closed); byte 1 holds flags: bit 0 = recompute payload_size and both
 * checksums of the header (so mutations reach the payload parsers),
 * bit 1 = also open for writing and close. The rest is the file's content.
 */
#ifndef METALLC_FUZZ_HARNESS_H
#define METALLC_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_FIXUP 1u
#define FUZZ_WRITER 2u

/* Run one input. Returns 1 if the damaged datastore opened, 0 if it was
 * refused; anything else (a crash, a sanitizer report) is a bug. */
int fuzz_one(const uint8_t *data, size_t size);

/* Write the seed corpus (every pristine file, with several flag values)
 * into dir. Returns the number of files written, -1 on error. */
int fuzz_make_corpus(const char *dir);

#endif
