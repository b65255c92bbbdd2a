/*
 * test_names_format.c - the object directory on disk (PATH/names): a
 * format 1.x datastore (names records v1: named objects only) still opens,
 * its objects found with their lengths and descriptions, and is written
 * back as 2.x; object kinds, counts and type ids survive a close; bad v2
 * records are refused as damaged and a newer major version as unsupported.
 * Also the C API of the object directory (metall_object_*), offline
 * reading and description writes.
 */
#include "test_util.h"

#include "checksum.h"
#include "layout.h"

static const metall_options k_small = {.capacity = (size_t)1 << 30};

static void *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *b = malloc(*len ? *len : 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void write_all(const char *path, const void *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Give a management file's header another format version (checksums fixed). */
static void set_major(const char *dir, const char *name, uint16_t major)
{
    char p[2 * PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    size_t len;
    struct mc_file_header *h = read_all(p, &len);
    h->format_major = major;
    h->header_crc = mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc));
    write_all(p, h, len);
    free(h);
}

static uint16_t major_of(const char *dir, const char *name)
{
    char p[2 * PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    size_t len;
    struct mc_file_header *h = read_all(p, &len);
    uint16_t m = h->format_major;
    free(h);
    return m;
}

struct rec {
    uint64_t off, len;
    char name[64], desc[64];
};
struct recs {
    struct rec r[8];
    int n;
};

static int collect(const metall_object_info *i, void *ctx)
{
    struct recs *rs = ctx;
    struct rec *r = &rs->r[rs->n++];
    r->off = i->offset;
    r->len = i->length;
    snprintf(r->name, sizeof r->name, "%s", i->name);
    snprintf(r->desc, sizeof r->desc, "%s", i->description);
    assert_null(i->ptr); /* read offline */
    return 0;
}

/* Rewrite PATH/names as a format 1 file holding the records rs. */
static void write_v1_names(const char *dir, const struct recs *rs)
{
    char buf[4096];
    memset(buf, 0, sizeof buf);
    struct mc_file_header *h = (struct mc_file_header *)buf;
    char *p = buf + sizeof *h;
    uint64_t count = (uint64_t)rs->n;
    memcpy(p, &count, 8);
    char *q = p + 8;
    for (int i = 0; i < rs->n; i++) {
        struct mc_name_record_v1 v = {rs->r[i].off, rs->r[i].len,
                                      (uint32_t)strlen(rs->r[i].name),
                                      (uint32_t)strlen(rs->r[i].desc)};
        memcpy(q, &v, sizeof v);
        q += sizeof v;
        memcpy(q, rs->r[i].name, v.name_len);
        memcpy(q + v.name_len, rs->r[i].desc, v.desc_len);
        q += (v.name_len + v.desc_len + 7) & ~7u;
    }
    /* the rest of the header from the current file: magic, kind, uuid */
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, MC_FILE_NAMES_NAME);
    size_t len;
    struct mc_file_header *cur = read_all(path, &len);
    *h = *cur;
    free(cur);
    h->format_major = 1;
    h->format_minor = 0;
    h->payload_size = (uint64_t)(q - p);
    h->payload_crc = mc_crc32c(0, p, (size_t)(q - p));
    h->header_crc = mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc));
    write_all(path, buf, (size_t)(q - buf));
}

static void test_reads_format_1(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char ds[PATH_MAX];
    snprintf(ds, sizeof ds, "%s/ds", dir);
    metall_manager *m = metall_create_ex(ds, &k_small);
    assert_non_null(m);
    long *a = metall_named_malloc(m, "alpha", 3 * sizeof(long));
    a[2] = 33;
    char *b = metall_named_malloc(m, "beta", 100);
    strcpy(b, "beta's bytes");
    assert_true(metall_named_set_description(m, "beta", "the second"));
    assert_true(metall_close(m));
    struct recs rs = {.n = 0};
    assert_int_equal(metall_object_foreach_at(ds, METALL_OBJECT_NAMED, collect, &rs), 0);
    assert_int_equal(rs.n, 2);
    /* turn the datastore into one written by a format 1.0 library */
    write_v1_names(ds, &rs);
    set_major(ds, MC_FILE_DATASTORE_NAME, 1);
    set_major(ds, MC_FILE_CHUNKS_NAME, 1);
    set_major(ds, MC_FILE_CLOSED_NAME, 1);
    assert_int_equal(major_of(ds, MC_FILE_NAMES_NAME), 1);
    assert_true(metall_consistent(ds));
    struct recs again = {.n = 0};
    assert_int_equal(metall_object_foreach_at(ds, METALL_OBJECT_NAMED, collect, &again), 0);
    assert_int_equal(again.n, 2);

    m = metall_open(ds);
    assert_non_null(m);
    size_t len = 0;
    a = metall_named_find(m, "alpha", &len);
    assert_non_null(a);
    assert_int_equal(len, 3 * sizeof(long));
    assert_int_equal(a[2], 33);
    metall_object_info info;
    assert_true(metall_object_info_of(m, a, &info));
    assert_int_equal(info.kind, METALL_OBJECT_NAMED);
    assert_int_equal(info.count, 3 * sizeof(long)); /* v1: untyped, count = bytes */
    assert_int_equal(info.type_id, 0);
    char d[64];
    assert_true(metall_named_get_description(m, "beta", d, sizeof d));
    assert_string_equal(d, "the second");
    assert_string_equal(metall_find(m, "beta"), "beta's bytes");
    assert_non_null(metall_object_alloc(m, METALL_OBJECT_UNIQUE, "u", 8, 0, 1, 77));
    assert_true(metall_close(m));
    /* written back as format 2 */
    assert_int_equal(major_of(ds, MC_FILE_NAMES_NAME), MC_FORMAT_MAJOR);
    assert_int_equal(major_of(ds, MC_FILE_DATASTORE_NAME), 1); /* not rewritten */
    m = metall_open_read_only(ds);
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), 2);
    assert_int_equal(metall_object_count(m, METALL_OBJECT_UNIQUE), 1);
    assert_non_null(metall_object_find(m, METALL_OBJECT_UNIQUE, "u", &info));
    assert_int_equal(info.type_id, 77);
    assert_true(metall_close(m));

    /* a newer major version is refused as unsupported, not as damaged */
    set_major(ds, MC_FILE_NAMES_NAME, MC_FORMAT_MAJOR + 1);
    assert_null(metall_open(ds));
    assert_int_equal(errno, ENOTSUP);
    assert_non_null(strstr(metall_errmsg(), "not supported"));
    tu_rmtree(dir);
    free(dir);
}

/* A v2 record with an invalid kind is damage. */
static void test_bad_kind(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char ds[PATH_MAX], path[2 * PATH_MAX];
    snprintf(ds, sizeof ds, "%s/ds", dir);
    metall_manager *m = metall_create_ex(ds, &k_small);
    assert_non_null(metall_object_alloc(m, METALL_OBJECT_ANONYMOUS, NULL, 16, 0, 2, 5));
    assert_true(metall_close(m));
    snprintf(path, sizeof path, "%s/%s", ds, MC_FILE_NAMES_NAME);
    size_t len;
    char *b = read_all(path, &len);
    struct mc_file_header *h = (struct mc_file_header *)b;
    struct mc_name_record r;
    memcpy(&r, b + sizeof *h + 8, sizeof r);
    assert_int_equal(r.kind, METALL_OBJECT_ANONYMOUS);
    assert_int_equal(r.count, 2);
    r.kind = 7;
    memcpy(b + sizeof *h + 8, &r, sizeof r);
    h->payload_crc = mc_crc32c(0, b + sizeof *h, len - sizeof *h);
    h->header_crc = mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc));
    write_all(path, b, len);
    free(b);
    assert_null(metall_open(ds));
    assert_int_equal(errno, EBADMSG);
    assert_non_null(strstr(metall_errmsg(), "invalid kind"));
    tu_rmtree(dir);
    free(dir);
}

static int count_cb(const metall_object_info *i, void *ctx)
{
    (void)i;
    ++*(int *)ctx;
    return 0;
}

static void test_object_api(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char ds[PATH_MAX];
    snprintf(ds, sizeof ds, "%s/ds", dir);
    metall_manager *m = metall_create_ex(ds, &k_small);
    void *n = metall_object_alloc(m, METALL_OBJECT_NAMED, "x", 24, 0, 3, 9);
    void *u = metall_object_alloc(m, METALL_OBJECT_UNIQUE, "x", 8, 64, 1, 10);
    void *a = metall_object_alloc(m, METALL_OBJECT_ANONYMOUS, NULL, 8, 0, 1, 11);
    assert_true(n && u && a && n != u);
    assert_int_equal((uintptr_t)u % 64, 0);
    /* names are per kind; anonymous objects have none */
    assert_null(metall_object_alloc(m, METALL_OBJECT_NAMED, "x", 8, 0, 1, 0));
    assert_int_equal(errno, EEXIST);
    assert_null(metall_object_alloc(m, METALL_OBJECT_ANONYMOUS, "named?", 8, 0, 1, 0));
    assert_int_equal(errno, EINVAL);
    assert_null(metall_object_alloc(m, METALL_OBJECT_NAMED, "y", 8, 3, 1, 0));
    assert_int_equal(errno, EINVAL);
    assert_null(metall_object_find(m, METALL_OBJECT_ANONYMOUS, NULL, NULL));
    metall_object_info info;
    assert_ptr_equal(metall_object_find(m, METALL_OBJECT_UNIQUE, "x", &info), u);
    assert_int_equal(info.type_id, 10);
    assert_string_equal(info.name, "x");
    assert_true(metall_object_info_of(m, a, &info));
    assert_int_equal(info.kind, METALL_OBJECT_ANONYMOUS);
    assert_string_equal(info.name, "");
    assert_false(metall_object_info_of(m, (char *)a + 8, &info));
    assert_int_equal(errno, ENOENT);
    assert_true(metall_object_set_description(m, a, "anon"));
    char d[16];
    assert_true(metall_object_get_description(m, a, d, 3));
    assert_string_equal(d, "an"); /* truncated */
    int k = 0;
    assert_int_equal(metall_object_foreach(m, METALL_OBJECT_UNIQUE, count_cb, &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(metall_object_count(m, METALL_OBJECT_NAMED), 1);
    assert_int_equal(metall_named_count(m), 1);
    assert_ptr_equal(metall_object_unregister(m, METALL_OBJECT_UNIQUE, "x", &info), u);
    assert_null(info.name);
    metall_free(m, u);
    assert_true(metall_object_unregister_ptr(m, a, &info));
    assert_false(metall_object_unregister_ptr(m, a, &info));
    metall_free(m, a);
    assert_true(metall_close(m));

    /* offline: read, and change a description of a closed datastore */
    assert_true(metall_object_set_description_at(ds, METALL_OBJECT_NAMED, "x", 0, "offline"));
    assert_false(metall_object_set_description_at(ds, METALL_OBJECT_NAMED, "nope", 0, "x"));
    assert_int_equal(errno, ENOENT);
    assert_true(metall_set_description_at(ds, "the datastore"));
    char buf[64];
    assert_true(metall_get_description(ds, buf, sizeof buf));
    assert_string_equal(buf, "the datastore");
    assert_true(metall_get_creator_version(ds, buf, sizeof buf));
    assert_string_equal(buf, metall_version());
    m = metall_open(ds);
    assert_true(metall_named_get_description(m, "x", buf, sizeof buf));
    assert_string_equal(buf, "offline");
    /* not while it is open for writing */
    assert_false(metall_object_set_description_at(ds, METALL_OBJECT_NAMED, "x", 0, "no"));
    assert_int_equal(errno, EBUSY);
    assert_false(metall_set_description_at(ds, "no"));
    assert_int_equal(errno, EBUSY);
    assert_true(metall_close(m));
    assert_int_equal(metall_object_foreach_at(dir, METALL_OBJECT_NAMED, count_cb, &k), -1);
    assert_int_equal(errno, EINVAL);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_format_1),
        cmocka_unit_test(test_bad_kind),
        cmocka_unit_test(test_object_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
