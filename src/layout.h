/*
 * layout.h - the on-disk format of a datastore, all of it.
 *
 * A datastore is a directory:
 *
 *   PATH/datastore       identity: magic, format version, uuid, geometry
 *   PATH/chunks          chunk directory + slot bitmaps (written at flush/close)
 *   PATH/names           named-object directory (written at flush/close)
 *   PATH/description     the user's description text (plain, optional)
 *   PATH/closed          properly-closed mark; absent while open for writing
 *   PATH/lock            flock target: LOCK_EX by a writer, LOCK_SH by readers
 *   PATH/chunks.spare, names.spare, closed.spare
 *                        while open for writing: disk space reserved for
 *                        what close writes (no format; renamed over chunks,
 *                        names, closed at close, never read)
 *   PATH/segment/block-NNNNNN   heap block files (sparse, block_size each)
 *   PATH/.metall-ckpt/block-NNNNNN
 *                        while a manager checkpoints on a reflink file system:
 *                        shadow files sharing the heap's blocks as of the last
 *                        checkpoint (chain_gen.h; no format, never read after
 *                        a restart, removed at close and by the next manager)
 *
 * Every binary file starts with struct mc_file_header; all integers are
 * little-endian (the format is only read on the architecture that wrote it
 * families: x86-64, aarch64, ppc64le). The format version is independent of
 * the library version: MAJOR changes break readers, MINOR ones do not.
 *
 * Invariants a reader checks (else EBADMSG):
 *  - header: magic, kind, header_crc, payload_size == file size - header,
 *    payload_crc, uuid == the datastore's uuid;
 *  - datastore: chunk_size == MC_CHUNK_SIZE, block_size a multiple of it,
 *    capacity a multiple of block_size;
 *  - chunks: nchunks <= nblocks * chunks per block, class table checksum
 *    matches this build, every entry's kind/class/run valid, bitmaps'
 *    popcounts equal the used counts, runs inside nchunks;
 *  - names: every entry's kind valid; a named or unique entry's name
 *    1..METALL_NAME_MAX bytes and unique within its kind, an anonymous
 *    entry's name empty; offsets unique, each the start of an allocated
 *    object.
 */
#ifndef METALLC_LAYOUT_H
#define METALLC_LAYOUT_H

#include <stdint.h>

#define MC_MAGIC "METALLC"          /* 8 bytes with the NUL */
/* 2.0: names records v2 (object kinds, element counts, type ids). A 1.x
 * datastore is still read (its names records are v1) and written back as
 * 2.0 at its next flush or close. */
#define MC_FORMAT_MAJOR 2
#define MC_FORMAT_MINOR 0
#define MC_FORMAT_MAJOR_OLDEST 1 /* the oldest major version this library reads */

enum mc_file_kind {
    MC_FILE_DATASTORE = 1,
    MC_FILE_CHUNKS = 2,
    MC_FILE_NAMES = 3,
    MC_FILE_CLOSED = 4,
    /* checkpoint chains (chain.c), formats of their own: see below */
    MC_FILE_CHAIN = 5,
    MC_FILE_CHAIN_BASE = 6,
    MC_FILE_CHAIN_INDEX = 7,
    MC_FILE_CHAIN_MANIFEST = 8,
};

#define MC_FILE_DATASTORE_NAME "datastore"
#define MC_FILE_CHUNKS_NAME "chunks"
#define MC_FILE_NAMES_NAME "names"
#define MC_FILE_CLOSED_NAME "closed"
#define MC_FILE_DESCRIPTION_NAME "description"
#define MC_FILE_LOCK_NAME "lock"
/* The mark of a removal in progress: metall_remove() renames `closed` to
 * it (or creates it, empty) before it deletes anything, so a removal that
 * was killed is told from a writer that died. Never read; not part of the
 * format (older versions see a datastore that was not closed). */
#define MC_FILE_REMOVING_NAME "removing"
#define MC_SEGMENT_DIR "segment"
#define MC_BLOCK_FMT "segment/block-%06u"
#define MC_GEN_DIR ".metall-ckpt"
#define MC_GEN_BLOCK_FMT "block-%06u"
/* Snapshots and copies are built in DST.metall-tmp-PID-RANDOM and renamed
 * into place; a directory so named is never opened as a datastore (an
 * interrupted snapshot may have left it complete but for the rename). */
#define MC_TMP_INFIX ".metall-tmp-"
/* Suffix of the files that hold the space close needs (mgmt_spare_*). */
#define MC_SPARE_SUFFIX ".spare"

struct mc_file_header {
    char magic[8];          /* MC_MAGIC */
    uint32_t kind;          /* enum mc_file_kind */
    uint16_t format_major;
    uint16_t format_minor;
    uint8_t uuid[16];       /* the datastore's uuid */
    uint64_t payload_size;  /* bytes after the header */
    uint32_t payload_crc;   /* CRC-32C of the payload */
    uint32_t header_crc;    /* CRC-32C of the bytes above */
};
_Static_assert(sizeof(struct mc_file_header) == 48, "file header layout");

/* PATH/datastore payload */
struct mc_datastore_info {
    uint64_t capacity;      /* bytes of address space the heap may use */
    uint64_t block_size;    /* bytes per segment block file */
    uint64_t chunk_size;    /* MC_CHUNK_SIZE */
    uint64_t created_unix;  /* seconds since the epoch */
    char creator[16];       /* library version that created it */
};
_Static_assert(sizeof(struct mc_datastore_info) == 48, "datastore info layout");

/* PATH/chunks payload: this, then nchunks entries, then the bitmaps of the
 * SMALL chunks in chunk order (words_for_class(cls) uint64 each). */
struct mc_chunks_header {
    uint64_t nchunks;       /* chunks in use or ever used (high-water mark) */
    uint32_t nclasses;      /* number of size classes */
    uint32_t class_crc;     /* CRC-32C of the class size table */
};
_Static_assert(sizeof(struct mc_chunks_header) == 16, "chunks header layout");

enum mc_chunk_kind {
    MC_CHUNK_FREE = 0,
    MC_CHUNK_SMALL = 1,     /* slots of one size class */
    MC_CHUNK_LARGE = 2,     /* first chunk of a large object; val = run length */
    MC_CHUNK_BODY = 3,      /* later chunk of a large object */
    MC_CHUNK_RESERVED = 4,  /* chunk 0: never allocated, so offset 0 is NULL */
};

/* mc_chunk_entry.flags bits */
#define MC_CHUNK_F_BACKED 1u /* FREE: still has its disk blocks (hole punch failed) */
#define MC_CHUNK_F_HOLES 2u  /* SMALL: has free slots whose pages may be punched;
                                the chunk is backed again before its next use */

struct mc_chunk_entry {
    uint8_t kind;           /* enum mc_chunk_kind */
    uint8_t cls;            /* size class of a SMALL chunk */
    uint16_t flags;         /* MC_CHUNK_F_* */
    uint32_t val;           /* SMALL: used slots; LARGE: run length in chunks */
};
_Static_assert(sizeof(struct mc_chunk_entry) == 8, "chunk entry layout");

/* PATH/names payload: count, then count records, each padded to 8 bytes.
 * Format 2.x: */
struct mc_name_record {
    uint64_t offset;        /* object offset from the heap base */
    uint64_t length;        /* bytes */
    uint64_t count;         /* elements (the C++ array length) */
    uint64_t type_id;       /* the creator's type identity, 0 = untyped */
    uint32_t kind;          /* metall_object_kind */
    uint32_t name_len;      /* bytes, no NUL; 0 for anonymous objects */
    uint32_t desc_len;      /* bytes, no NUL */
    uint32_t reserved;      /* 0 */
    /* name bytes, description bytes, zero padding to a multiple of 8 */
};
_Static_assert(sizeof(struct mc_name_record) == 48, "name record layout");

/* Format 1.x: named objects only (kind NAMED, count = length, type 0). */
struct mc_name_record_v1 {
    uint64_t offset;        /* object offset from the heap base */
    uint64_t length;        /* size given at allocation */
    uint32_t name_len;      /* bytes, no NUL */
    uint32_t desc_len;      /* bytes, no NUL */
    /* name bytes, description bytes, zero padding to a multiple of 8 */
};
_Static_assert(sizeof(struct mc_name_record_v1) == 24, "v1 name record layout");

/* PATH/closed payload */
struct mc_closed_info {
    uint64_t closed_unix;
    uint64_t reserved;
};
_Static_assert(sizeof(struct mc_closed_info) == 16, "closed info layout");

/* ---- checkpoint chains (chain.c, checkpoint.c) ------------------------------
 *
 * A chain is a directory of checkpoints of one datastore (uuid in every
 * header). The heap image of a checkpoint is cut into pieces (piece_size,
 * 4 KiB by default): the base holds the oldest restorable state whole,
 * every later checkpoint the pieces that differ from its predecessor.
 *
 *   CHAIN/chain                  identity (struct mc_chain_info)
 *   CHAIN/lock                   flock: LOCK_EX writer (checkpoint, merge),
 *                                LOCK_SH readers (restore, rebuild)
 *   CHAIN/base/state             struct mc_chain_base (which id the base holds)
 *   CHAIN/base/image-NNNNNN      the base image, positional like the segment
 *                                block files (piece p at p * piece_size), sparse
 *   CHAIN/base/hashes            u64 piece hash per piece of the base image
 *   CHAIN/ckpt-NNNNNNNNNN/       checkpoint id N (decimal):
 *       datastore chunks names [description]   management files as of the cut
 *       index                    mc_chain_index_header + entries (changed pieces)
 *       data                     the changed non-zero pieces, in index order
 *       manifest                 struct mc_chain_manifest: written LAST
 *
 * Piece hash (mc_piece_hash, chain.c): a position-keyed multiply-accumulate
 * over the piece's 8-byte words into 8 lanes, mixed to 64 bits; a hash of 0
 * means a zero piece (no data stored), and only a zero piece has it.
 * Pieces of free chunks are zero.
 *
 * Invariants: checkpoint N is complete iff ckpt-N/manifest is valid and its
 * index checksum matches. It is restorable iff complete and N >= base.id and
 * N >= base.merging_to: while a merge moves the base from id to merging_to,
 * the base image holds a mix for the pieces of deltas (id, merging_to], and
 * those are read from the deltas, which are deleted only after the base
 * state says merging is done. Restoring N takes each piece from the newest
 * delta in (base.id, N] that has it, else from the base.
 */
#define MC_CHAIN_FILE "chain"
#define MC_CHAIN_LOCK "lock"
#define MC_CHAIN_BASE_DIR "base"
#define MC_CHAIN_BASE_STATE "base/state"
#define MC_CHAIN_BASE_HASHES "base/hashes"
#define MC_CHAIN_IMAGE_FMT "base/image-%06u"
#define MC_CHAIN_CKPT_FMT "ckpt-%010lld"
#define MC_CHAIN_INDEX "index"
#define MC_CHAIN_DATA "data"
#define MC_CHAIN_MANIFEST "manifest"

struct mc_chain_info {
    uint64_t piece_size;    /* bytes per piece: a power of two, 4 KiB .. 2 MiB */
    uint64_t block_size;    /* the datastore's block size (image file size) */
    uint64_t capacity;      /* the datastore's capacity */
    uint64_t created_unix;
    uint8_t chain_uuid[16]; /* this chain's own identity (a recreated chain differs) */
};
_Static_assert(sizeof(struct mc_chain_info) == 48, "chain info layout");

struct mc_chain_base {
    int64_t id;             /* the checkpoint the base image holds; -1: none yet */
    int64_t merging_to;     /* > id while a merge is under way, else == id */
    uint64_t npieces;       /* pieces in the base image */
    uint64_t reserved;
};
_Static_assert(sizeof(struct mc_chain_base) == 32, "chain base layout");

struct mc_chain_index_entry {
    uint64_t piece;         /* piece number in the heap image */
    uint64_t hash;          /* piece hash; 0 = zero piece, no data */
};
_Static_assert(sizeof(struct mc_chain_index_entry) == 16, "chain index entry layout");

/* index payload: this, then count entries sorted by piece */
struct mc_chain_index_header {
    uint64_t count;
    uint64_t data_pieces;   /* entries with a non-zero hash (pieces in data) */
};
_Static_assert(sizeof(struct mc_chain_index_header) == 16, "chain index layout");

#define MC_CHAIN_F_FULL 1u  /* the first checkpoint: its pieces went to the base */

struct mc_chain_manifest {
    int64_t id;
    int64_t parent;         /* the checkpoint this one is a delta against; -1 for a full one */
    uint64_t npieces;       /* pieces in this checkpoint's heap image */
    uint64_t changed;       /* index entries */
    uint64_t data_bytes;    /* size of data */
    uint64_t created_unix;
    uint32_t index_crc;     /* CRC-32C of the whole index file */
    uint32_t flags;         /* MC_CHAIN_F_* */
    uint64_t reserved;
};
_Static_assert(sizeof(struct mc_chain_manifest) == 64, "chain manifest layout");

#endif
