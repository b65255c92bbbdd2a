// backend_bip.cpp - Boost.Interprocess managed_mapped_file behind the C
// interface of bip_shim.h (LLNL Metall's API ancestor, the "bip" baseline).
#include "bip_shim.h"

#include <boost/interprocess/managed_mapped_file.hpp>

#include <cstdio>
#include <exception>
#include <new>

namespace bi = boost::interprocess;

struct bip_file {
    bi::managed_mapped_file mf;
    template <class Tag>
    bip_file(Tag t, const char *path, std::size_t size) : mf(t, path, size) {}
    bip_file(bi::open_only_t t, const char *path) : mf(t, path) {}
};

extern "C" bip_file *bip_create(const char *path, size_t size, char *err, size_t errlen)
{
    try {
        return new bip_file(bi::create_only, path, size);
    } catch (const std::exception &e) {
        std::snprintf(err, errlen, "managed_mapped_file(create_only, %s): %s", path, e.what());
        return nullptr;
    }
}

extern "C" bip_file *bip_open(const char *path, char *err, size_t errlen)
{
    try {
        return new bip_file(bi::open_only, path);
    } catch (const std::exception &e) {
        std::snprintf(err, errlen, "managed_mapped_file(open_only, %s): %s", path, e.what());
        return nullptr;
    }
}

extern "C" int bip_close(bip_file *f)
{
    bool ok = true;
    try {
        ok = f->mf.flush();
    } catch (...) {
        ok = false;
    }
    delete f;
    return ok ? 1 : 0;
}

extern "C" void *bip_named_alloc(bip_file *f, const char *name, size_t size)
{
    try {
        return f->mf.construct<char>(name, std::nothrow)[size](0);
    } catch (...) {
        return nullptr;
    }
}

extern "C" void *bip_named_find(bip_file *f, const char *name)
{
    try {
        return f->mf.find<char>(name).first;
    } catch (...) {
        return nullptr;
    }
}

extern "C" void *bip_alloc(bip_file *f, size_t size)
{
    return f->mf.allocate(size, std::nothrow);
}

extern "C" void bip_free(bip_file *f, void *p)
{
    if (p)
        f->mf.deallocate(p);
}

extern "C" void *bip_base(bip_file *f)
{
    return f->mf.get_address();
}

extern "C" size_t bip_used_bytes(bip_file *f)
{
    return f->mf.get_size() - f->mf.get_free_memory();
}

extern "C" size_t bip_usable(bip_file *f, const void *p)
{
    return f->mf.get_segment_manager()->size(p);
}
