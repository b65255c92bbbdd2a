/**
 * @file metall.hpp
 * @brief LLNL Metall's C++ API over metall-c (header-only, C++17):
 *        metall::manager and what comes with it.
 *
 * A program written for Metall v0.30 compiles against these headers as it
 * is and links with libmetallc:
 *
 * @code
 *   #include <metall/metall.hpp>
 *   #include <boost/container/vector.hpp>
 *   using vec_t = boost::container::vector<int, metall::manager::allocator_type<int>>;
 *
 *   metall::manager m(metall::create_only, "/nvme/store");
 *   auto *v = m.construct<vec_t>("v")(m.get_allocator());
 *   v->push_back(42);
 *   // ... a later run, maybe another program:
 *   metall::manager m2(metall::open_only, "/nvme/store");
 *   auto *w = m2.find<vec_t>("v").first;   // w->at(0) == 42
 * @endcode
 *
 * The pieces: basic_manager.hpp (the manager), stl_allocator.hpp (its
 * allocator), offset_ptr.hpp, object_attribute_accessor.hpp, logger.hpp,
 * tags.hpp, version.hpp, defs.hpp; Metall's companion headers under
 * metall/container/ and metall/utility/. docs/cxx.md describes what
 * differs from Metall (the datastore format is metall-c's own).
 *
 * `metallc::` is another name of `metall::` (the C++ API of metall-c
 * before it took Metall's API).
 */
#ifndef METALL_METALL_HPP
#define METALL_METALL_HPP

#include <metall/basic_manager.hpp>
#include <metall/defs.hpp>
#include <metall/logger.hpp>
#include <metall/version.hpp>

namespace metall {
/** The manager of a datastore (Metall's `basic_manager<>`). */
using manager = basic_manager<>;
} // namespace metall

/** The former name of this API's namespace. */
namespace metallc = metall;

#endif /* METALL_METALL_HPP */
