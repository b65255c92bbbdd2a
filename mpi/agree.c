/*
 * agree.c - agreement of the ranks on the outcome of a collective step
 * (see agree.h). On the success path a step costs one MPI_Allreduce of an
 * int; the gather of messages happens only after a failure.
 */
#include "agree.h"

#include <metall/metall.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>


/* One rank's failure as rank 0 gathers it. */
struct mc_record {
    int32_t err;
    char host[MM_HOST_MAX];
    char msg[MM_WHY_MAX];
};

static void set_host(struct mc_ctx *c)
{
    if (gethostname(c->host, sizeof c->host) != 0)
        snprintf(c->host, sizeof c->host, "?");
    c->host[sizeof c->host - 1] = '\0';
}

static void ctx_common(struct mc_ctx *c, const char *op, const char *root)
{
    c->err = 0;
    c->msg[0] = '\0';
    c->final_err = 0;
    c->final_msg[0] = '\0';
    snprintf(c->what, sizeof c->what, "%s %s", op, root ? root : "(null)");
    set_host(c);
}

void mc_ctx_init(struct mc_ctx *c, MPI_Comm comm, const char *op, const char *root)
{
    memset(c, 0, sizeof *c);
    ctx_common(c, op, root);
    c->comm = MPI_COMM_NULL;
    c->node = MPI_COMM_NULL;
    c->own_comms = true;
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (!inited || finalized || comm == MPI_COMM_NULL) {
        /* nothing collective is possible: every rank fails alone, alike */
        c->rank = 0;
        c->size = 1;
        mc_ctx_fail(c, EINVAL, "MPI is not initialised or the communicator is null");
        return;
    }
    if (MPI_Comm_dup(comm, &c->comm) != MPI_SUCCESS) {
        c->comm = MPI_COMM_NULL;
        mc_ctx_fail(c, EPROTO, "MPI_Comm_dup failed");
        return;
    }
    /* an MPI failure then comes back as a code instead of killing the job */
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
}

void mc_ctx_init_with(struct mc_ctx *c, MPI_Comm comm, MPI_Comm node, const char *op,
                      const char *root)
{
    memset(c, 0, sizeof *c);
    ctx_common(c, op, root);
    c->comm = comm;
    c->node = node;
    c->own_comms = false;
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
}

void mc_ctx_fail(struct mc_ctx *c, int err, const char *fmt, ...)
{
    if (c->err)
        return; /* the first cause is the one that explains */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->err = err ? err : EIO;
}

void mc_ctx_fail_core(struct mc_ctx *c)
{
    int err = errno;
    mc_ctx_fail(c, err, "%s", metall_errmsg());
}

/* Append to the message being composed, marking truncation with "...". */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (*len + (size_t)n >= size) {
        *len = size - 1;
        memcpy(buf + size - 4, "...", 4);
    } else {
        *len += (size_t)n;
    }
}

void mc_ranks_format(const int *r, int n, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n;) {
        /* the longest run from r[i] with one step: "a-b" (step 1), "a-b
         * step s" (3 or more), else the single rank */
        int j = i + 1, step = i + 1 < n ? r[i + 1] - r[i] : 1;
        while (j < n && r[j] - r[j - 1] == step)
            j++;
        int run = j - i;
        const char *sep = i ? "," : "";
        if (run >= 2 && step == 1)
            append(out, size, &len, "%s%d-%d", sep, r[i], r[j - 1]);
        else if (run >= 3)
            append(out, size, &len, "%s%d-%d step %d", sep, r[i], r[j - 1], step);
        else {
            append(out, size, &len, "%s%d", sep, r[i]);
            j = i + 1;
        }
        i = j;
    }
}

/* Failing ranks grouped by cause, for compose(). */
struct mc_group {
    int first, count; /* index into the sorted order, ranks in the group */
    int low;          /* its lowest rank */
};

static const struct mc_record *g_sort_rec; /* rank 0 only, during compose */

static int by_cause(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = strncmp(g_sort_rec[x].msg, g_sort_rec[y].msg, MM_WHY_MAX);
    if (!c)
        c = g_sort_rec[x].err - g_sort_rec[y].err;
    return c ? c : x - y;
}

static bool by_cause_key_differs(const struct mc_record *rec, int x, int y)
{
    return rec[x].err != rec[y].err || strncmp(rec[x].msg, rec[y].msg, MM_WHY_MAX) != 0;
}

static int by_size(const void *a, const void *b)
{
    const struct mc_group *x = a, *y = b;
    /* the odd ones out first: they are the likely culprits */
    return x->count != y->count ? x->count - y->count : x->low - y->low;
}

/* "rank 3 (node7)" or "ranks 0-10 (node7)" / "(4 hosts)" */
static void group_head(char *out, size_t size, const struct mc_record *rec, const int *ranks,
                       int n)
{
    char list[256];
    int hosts = 1;
    for (int i = 1; i < n && hosts == 1; i++)
        hosts += strncmp(rec[ranks[i]].host, rec[ranks[0]].host, MM_HOST_MAX) != 0;
    int *sorted = malloc((size_t)n * sizeof *sorted);
    if (sorted) {
        memcpy(sorted, ranks, (size_t)n * sizeof *sorted);
        for (int i = 1; i < n; i++) /* already nearly sorted: insertion */
            for (int k = i; k > 0 && sorted[k - 1] > sorted[k]; k--) {
                int t = sorted[k];
                sorted[k] = sorted[k - 1];
                sorted[k - 1] = t;
            }
        mc_ranks_format(sorted, n, list, sizeof list);
        free(sorted);
    } else {
        snprintf(list, sizeof list, "%d...", ranks[0]);
    }
    if (hosts == 1)
        snprintf(out, size, "rank%s %s (%.*s)", n > 1 ? "s" : "", list, MM_HOST_MAX,
                 rec[ranks[0]].host);
    else
        snprintf(out, size, "ranks %s (several hosts)", list);
}

/* Rank 0 writes the message from every rank's record: every failing rank
 * named (compressed), then the causes, the rarest first. */
static void compose(struct mc_ctx *c, const struct mc_record *rec, int nfail)
{
    size_t len = 0, size = sizeof c->final_msg;
    char *b = c->final_msg;
    int *idx = malloc((size_t)nfail * sizeof *idx);
    struct mc_group *g = malloc((size_t)nfail * sizeof *g);
    char *list = malloc(size / 2);
    if (!idx || !g || !list) {
        append(b, size, &len, "%s: failed on %d of %d ranks", c->what, nfail, c->size);
        goto out;
    }
    int k = 0;
    for (int r = 0; r < c->size; r++)
        if (rec[r].err)
            idx[k++] = r;
    mc_ranks_format(idx, nfail, list, size / 2);
    append(b, size, &len, "%s: failed on %d of %d rank%s (%s %s)", c->what, nfail, c->size,
           c->size == 1 ? "" : "s", nfail == 1 ? "rank" : "ranks", list);
    g_sort_rec = rec;
    qsort(idx, (size_t)nfail, sizeof *idx, by_cause);
    int ng = 0;
    for (int i = 0; i < nfail; i++) {
        if (i == 0 || by_cause_key_differs(rec, idx[i - 1], idx[i]))
            g[ng++] = (struct mc_group){i, 0, idx[i]};
        g[ng - 1].count++;
        if (idx[i] < g[ng - 1].low)
            g[ng - 1].low = idx[i];
    }
    qsort(g, (size_t)ng, sizeof *g, by_size);
    /* every cause shown gets an equal share of what is left, so that the
     * last ones are named too when the causes are long (paths) */
    int to_show = ng;
    while (to_show > 1 && (size - len - 64) / (size_t)to_show < 160)
        to_show--;
    size_t share = (size - len - 64) / (size_t)to_show;
    for (int i = 0; i < to_show; i++) {
        char head[400];
        group_head(head, sizeof head, rec, idx + g[i].first, g[i].count);
        const char *msg = rec[idx[g[i].first]].msg;
        size_t start = len;
        append(b, size, &len, "%s %s: ", i ? ";" : ":", head);
        size_t used = len - start, msglen = strnlen(msg, MM_WHY_MAX);
        int keep = used + 3 < share ? (int)(share - used - 3) : 0;
        if (msglen <= (size_t)keep + 3)
            append(b, size, &len, "%.*s", (int)msglen, msg);
        else
            append(b, size, &len, "%.*s...", keep, msg);
    }
    if (to_show < ng)
        append(b, size, &len, "; and %d other cause%s", ng - to_show, ng - to_show > 1 ? "s" : "");
out:
    free(idx);
    free(g);
    free(list);
}

/* After a failed step: every rank learns the failing ranks and causes. */
static void spread_failure(struct mc_ctx *c)
{
    struct mc_record mine;
    memset(&mine, 0, sizeof mine);
    mine.err = c->err;
    memcpy(mine.host, c->host, sizeof mine.host);
    memcpy(mine.msg, c->msg, sizeof mine.msg);

    struct mc_record *all = NULL;
    int can_gather = 1;
    if (c->rank == 0) {
        all = malloc((size_t)c->size * sizeof *all);
        can_gather = all != NULL;
    }
    int32_t first_err = 0;
    MPI_Bcast(&can_gather, 1, MPI_INT, 0, c->comm);
    if (can_gather) {
        MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0,
                   c->comm);
        if (c->rank == 0) {
            int nfail = 0;
            for (int r = 0; r < c->size; r++) {
                if (all[r].err && !nfail)
                    first_err = all[r].err;
                nfail += all[r].err != 0;
            }
            compose(c, all, nfail);
        }
    } else {
        /* no memory at rank 0 for P records: name the lowest failing rank */
        int lowest = c->err ? c->rank : c->size, low = 0;
        MPI_Allreduce(&lowest, &low, 1, MPI_INT, MPI_MIN, c->comm);
        MPI_Bcast(&mine, (int)sizeof mine, MPI_BYTE, low, c->comm);
        if (c->rank == 0) {
            first_err = mine.err;
            snprintf(c->final_msg, sizeof c->final_msg, "%s: failed; first on rank %d (%s): %s",
                     c->what, low, mine.host, mine.msg);
        }
    }
    free(all);
    MPI_Bcast(&first_err, 1, MPI_INT32_T, 0, c->comm);
    MPI_Bcast(c->final_msg, (int)sizeof c->final_msg, MPI_CHAR, 0, c->comm);
    c->final_msg[sizeof c->final_msg - 1] = '\0';
    c->final_err = first_err ? first_err : EIO;
}

bool mc_ctx_agree(struct mc_ctx *c)
{
    if (c->comm == MPI_COMM_NULL) {
        /* no communicator: this rank fails on its own */
        if (!c->final_err) {
            c->final_err = c->err ? c->err : EINVAL;
            snprintf(c->final_msg, sizeof c->final_msg, "%s: %s", c->what, c->msg);
        }
        return false;
    }
    int ok = c->err == 0, all_ok = 0;
    if (MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, c->comm) != MPI_SUCCESS) {
        /* the communicator itself is broken: nothing more can be agreed */
        c->final_err = EPROTO;
        snprintf(c->final_msg, sizeof c->final_msg, "%s: MPI_Allreduce failed on rank %d (%s)",
                 c->what, c->rank, c->host);
        return false;
    }
    if (all_ok)
        return c->final_err == 0; /* a failure agreed before still stands */
    if (c->final_err) {
        /* a clean-up step failed too: keep the first cause, which explains */
        int keep_err = c->final_err;
        char *keep = strdup(c->final_msg);
        spread_failure(c);
        if (keep) {
            c->final_err = keep_err;
            snprintf(c->final_msg, sizeof c->final_msg, "%s", keep);
            free(keep);
        }
    } else {
        spread_failure(c);
    }
    c->err = 0; /* a new step (clean-up) starts */
    c->msg[0] = '\0';
    return false;
}

uint64_t mc_hash(const char *s)
{
    return fs_fnv1a_str(s);
}

/* Boyer-Moore majority vote as a reduction of (candidate, weight) pairs:
 * the result holds the value that more than half the ranks hold, if any. */
static void majority_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    uint64_t *a = in, *b = inout;
    for (int i = 0; i < *len; i++, a += 2, b += 2) {
        if (a[0] == b[0])
            b[1] += a[1];
        else if (a[1] > b[1]) {
            b[0] = a[0];
            b[1] = a[1] - b[1];
        } else {
            b[1] -= a[1];
        }
    }
}

/* The value most ranks hold (more than half), else rank 0's. */
static uint64_t reference_hash(struct mc_ctx *c, uint64_t h)
{
    uint64_t mine[2] = {h, 1}, vote[2] = {h, 0};
    MPI_Op op;
    MPI_Datatype pair;
    MPI_Type_contiguous(2, MPI_UINT64_T, &pair);
    MPI_Type_commit(&pair);
    MPI_Op_create(majority_op, 0, &op);
    MPI_Allreduce(mine, vote, 1, pair, op, c->comm);
    MPI_Op_free(&op);
    MPI_Type_free(&pair);
    int same = h == vote[0], holders = 0;
    MPI_Allreduce(&same, &holders, 1, MPI_INT, MPI_SUM, c->comm);
    uint64_t ref = h;
    if (2 * holders > c->size)
        return vote[0];
    MPI_Bcast(&ref, 1, MPI_UINT64_T, 0, c->comm);
    return ref;
}

void mc_ctx_same(struct mc_ctx *c, const char *s, const char *what)
{
    if (c->comm == MPI_COMM_NULL)
        return;
    uint64_t h = mc_hash(s);
    uint64_t v[2] = {h, ~h}, mx[2] = {0, 0};
    MPI_Allreduce(v, mx, 2, MPI_UINT64_T, MPI_MAX, c->comm);
    if (mx[0] == h && mx[1] == ~h)
        return; /* the same everywhere: one Allreduce */
    /* only the odd ones out fail, and say what the others passed */
    uint64_t ref = reference_hash(c, h);
    int holder = h == ref ? c->rank : c->size, first = 0, n = 0, one = h == ref;
    MPI_Allreduce(&holder, &first, 1, MPI_INT, MPI_MIN, c->comm);
    MPI_Allreduce(&one, &n, 1, MPI_INT, MPI_SUM, c->comm);
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s", s ? s : "(null)");
    MPI_Bcast(other, (int)sizeof other, MPI_CHAR, first, c->comm);
    other[sizeof other - 1] = '\0';
    if (h != ref)
        mc_ctx_fail(c, EINVAL,
                    "the ranks passed different %s: this rank passed \"%s\", %d of %d ranks "
                    "(rank %d first) passed \"%s\"",
                    what, s ? s : "(null)", n, c->size, first, other);
}

bool mc_ctx_leader(struct mc_ctx *c, const char *key)
{
    if (c->comm == MPI_COMM_NULL)
        return false;
    if (c->node == MPI_COMM_NULL) {
        if (MPI_Comm_split_type(c->comm, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL,
                                &c->node) != MPI_SUCCESS) {
            c->node = MPI_COMM_NULL;
            mc_ctx_fail(c, EPROTO, "MPI_Comm_split_type failed");
            return false;
        }
        c->own_node = true;
    }
    int nrank, nsize;
    MPI_Comm_rank(c->node, &nrank);
    MPI_Comm_size(c->node, &nsize);
    uint64_t h = mc_hash(key);
    uint64_t *all = calloc((size_t)nsize, sizeof *all);
    uint64_t dummy[1];
    /* without memory this rank still takes part, and leads to be safe */
    int rc = MPI_Allgather(&h, 1, MPI_UINT64_T, all ? all : dummy, all ? 1 : 0,
                           MPI_UINT64_T, c->node);
    bool leader = true;
    if (all && rc == MPI_SUCCESS) {
        for (int i = 0; i < nrank; i++)
            if (all[i] == h)
                leader = false;
    }
    free(all);
    return leader;
}

void mc_ctx_allgather_entries(struct mc_ctx *c, const struct mm_entry *mine,
                              struct mm_entry *all)
{
    if (c->comm == MPI_COMM_NULL)
        return;
    if (MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE,
                      c->comm) != MPI_SUCCESS)
        mc_ctx_fail(c, EPROTO, "MPI_Allgather of the manifest entries failed");
}

void mc_ctx_tag(struct mc_ctx *c, char out[17])
{
    uint64_t r = 0;
    if (c->rank == 0 && getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&r;
    if (c->comm != MPI_COMM_NULL)
        MPI_Bcast(&r, 1, MPI_UINT64_T, 0, c->comm);
    snprintf(out, 17, "%016llx", (unsigned long long)r);
}

bool mc_ctx_finish(struct mc_ctx *c)
{
    if ((c->own_comms || c->own_node) && c->node != MPI_COMM_NULL)
        MPI_Comm_free(&c->node);
    if (c->own_comms && c->comm != MPI_COMM_NULL)
        MPI_Comm_free(&c->comm);
    if (c->final_err) {
        metall_internal_set_error(c->final_err, c->final_msg);
        return false;
    }
    return true;
}
