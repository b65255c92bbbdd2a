/*
 * spare.h - disk space reserved for what close writes.
 *
 * Close writes the chunks and names images and the closed mark. If the
 * file system were full at that moment, close would fail and the
 * datastore would stay "not closed properly" for good. So while a
 * datastore is open for writing, each of those files has a spare
 * (PATH/<name>.spare) whose disk blocks are allocated ahead, at least as
 * large as the image close will write: close writes each image into its
 * spare's blocks and renames it into place, which needs no new space on
 * file systems that overwrite in place (ext4, XFS without shared extents,
 * tmpfs). Whatever makes an image larger (a chunk handed out, a new name
 * or description) first grows the spare, and fails with ENOSPC if it
 * cannot. Flush writes fresh files and keeps the spares.
 *
 * Lock order: spare_lock is taken last (after chunks.lock or named.lock).
 */
#ifndef METALLC_SPARE_H
#define METALLC_SPARE_H

#include "types.h"

enum mc_spare { MC_SPARE_CHUNKS, MC_SPARE_NAMES, MC_SPARE_CLOSED, MC_NSPARES };

/* Size of the chunks image of nchunks entries and `words` bitmap words,
 * and of the names image whose records take record_bytes. */
uint64_t mc_chunks_image_bytes(uint64_t nchunks, uint64_t words);
uint64_t mc_names_image_bytes(uint64_t record_bytes);

/* Make the spare `which` hold at least need bytes (it grows with
 * headroom, so this is rare). 0, or -1 with ENOSPC (or another errno)
 * and a message; the reservation is then unchanged. */
int mc_spare_reserve(metall_manager *m, enum mc_spare which, uint64_t need);

/* Reserve all three for the datastore's current state (create, open for
 * writing). */
int mc_spares_init(metall_manager *m);

/* Close: write img into the spare's blocks and rename it over the file
 * it stands for (fsyncs both). Without a spare, an ordinary atomic write. */
int mc_spare_write(metall_manager *m, enum mc_spare which, const void *img, size_t len);

#endif
