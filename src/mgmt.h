/*
 * mgmt.h - reading, validating and writing the management files of a
 * datastore (layout.h). Readers never trust a byte: every failure is an
 * error with a message naming the file, never a crash.
 */
#ifndef METALLC_MGMT_H
#define METALLC_MGMT_H

#include "layout.h"
#include "types.h"

#include <stddef.h>

/* Read PATH/datastore. EINVAL if the directory is not a datastore (no file
 * or a foreign magic), EBADMSG if damaged, ENOTSUP for another format. */
int mgmt_read_datastore(const char *path, uint8_t uuid[16], struct mc_datastore_info *info);
int mgmt_write_datastore(const char *path, const uint8_t uuid[16],
                         const struct mc_datastore_info *info);

/* The properly-closed mark: 0 if present and valid; ENOTRECOVERABLE if
 * absent; EBADMSG if damaged. */
int mgmt_check_closed(const char *path, const uint8_t uuid[16]);
int mgmt_write_closed(const char *path, const uint8_t uuid[16]);
/* The closed mark's file image (MC_CLOSED_IMAGE_BYTES bytes into img). */
#define MC_CLOSED_IMAGE_BYTES (sizeof(struct mc_file_header) + sizeof(struct mc_closed_info))
void mgmt_build_closed(const uint8_t uuid[16], void *img);

/* Serialise the chunk directory / named objects (caller holds the locks)
 * into a malloc'd file image. copy_nchunks: 0 for the datastore itself;
 * for a snapshot, the number of chunks in the blocks being copied. Names
 * whose object is no longer allocated (freed with metall_free() instead of
 * metall_named_free()) are left out, and lengths are clamped to the
 * object's size, so a closed datastore always reopens. */
int mgmt_build_chunks(metall_manager *m, const uint8_t uuid[16], uint32_t copy_nchunks,
                      void **buf, size_t *len);
int mgmt_build_names(metall_manager *m, const uint8_t uuid[16], void **buf, size_t *len);

/* Read and check PATH/chunks (its header and checksum): the image in *buf
 * (malloc'd), its payload, and the chunk count its header claims (not yet
 * validated), so the caller can size the address space first. */
int mgmt_read_chunks(metall_manager *m, void **buf, const char **payload, size_t *len,
                     uint64_t *nchunks);
/* Parse a chunks payload into m->chunks (arrays already allocated for the
 * capacity) and rebuild the free map and bins. Then load PATH/names into
 * m->named (validated against the loaded chunk directory). */
int mgmt_load_chunks(metall_manager *m, const char *payload, size_t len);
/* Which chunks PATH/chunks calls backed (allocated, or free and marked
 * backed): a malloc'd byte per entry, 1 = backed. For copies, which must
 * give those chunks disk blocks. */
int mgmt_read_backed(const char *path, const uint8_t uuid[16], uint8_t **backed,
                     uint32_t *nchunks);
int mgmt_load_names(metall_manager *m);

/* Parse a chunks/names payload (no file header): used by the loaders and
 * the fuzz target. major: the names file's format major version (1: v1
 * records, 2: v2 records, layout.h). */
int mgmt_parse_chunks(metall_manager *m, const char *file, const void *payload, size_t len);
int mgmt_parse_names(metall_manager *m, const char *file, unsigned major, const void *payload,
                     size_t len);
/* Parse a names payload into d without checking the targets (a closed
 * datastore read without its heap, metall-check without a chunk directory). */
int mgmt_parse_names_only(struct named_dir *d, const char *file, unsigned major,
                          const void *payload, size_t len);

/* The object directory of the datastore at path, without opening it (d
 * initialised by the caller), and its uuid; and writing it back. */
int mgmt_read_names_at(const char *path, struct named_dir *d, uint8_t uuid[16]);
int mgmt_write_names_at(const char *path, const uint8_t uuid[16], const struct named_dir *d);

/* Format a uuid as 36 characters + NUL. */
void mgmt_uuid_string(const uint8_t uuid[16], char out[37]);

#endif
