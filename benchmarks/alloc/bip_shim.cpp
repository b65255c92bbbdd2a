// bip_shim.cpp - Boost.Interprocess managed_mapped_file behind the C
// interface of bip_shim.h (alloc_bench is C; Boost is C++ only).
#include "bip_shim.h"

#include <boost/interprocess/managed_mapped_file.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

namespace bi = boost::interprocess;

struct bip_heap {
    bi::managed_mapped_file file;
};

extern "C" bip_heap *bip_create(const char *path, size_t size)
{
    try {
        return new bip_heap{bi::managed_mapped_file(bi::create_only, path, size)};
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bip: managed_mapped_file(%s, %zu): %s\n", path, size, e.what());
        return nullptr;
    }
}

extern "C" void bip_destroy(bip_heap *h)
{
    delete h;
}

extern "C" void *bip_alloc(bip_heap *h, size_t size)
{
    return h->file.allocate(size, std::nothrow);
}

extern "C" void bip_free(bip_heap *h, void *p)
{
    h->file.deallocate(p);
}

extern "C" void *bip_realloc(bip_heap *h, void *p, size_t oldsz, size_t newsz)
{
    try {
        bi::managed_mapped_file::size_type got = newsz;
        char *reuse = static_cast<char *>(p);
        char *q = h->file.allocation_command<char>(
            bi::expand_fwd | bi::allocate_new | bi::nothrow_allocation, newsz, got, reuse);
        if (!q)
            return nullptr;
        if (q != p) { // not grown in place: move the contents
            std::memcpy(q, p, oldsz);
            h->file.deallocate(p);
        }
        return q;
    } catch (const std::exception &) {
        return nullptr;
    }
}
