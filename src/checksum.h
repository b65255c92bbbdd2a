/*
 * checksum.h - CRC-32C (Castagnoli) over management data.
 */
#ifndef METALLC_CHECKSUM_H
#define METALLC_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of buf, continuing from crc (start with 0). */
uint32_t mc_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
