/*
 * header_check.cpp - compiled with -Wall -Wextra -Wpedantic -Werror
 * -fsyntax-only by every C++ compiler found (ctest cxx_header_*): the
 * headers of the C++ layer, with their member templates instantiated.
 */
#include <metall/container/concurrent_map.hpp>
#include <metall/container/deque.hpp>
#include <metall/container/list.hpp>
#include <metall/container/map.hpp>
#include <metall/container/priority_queue.hpp>
#include <metall/container/queue.hpp>
#include <metall/container/set.hpp>
#include <metall/container/stack.hpp>
#include <metall/container/string.hpp>
#include <metall/container/string_key_store.hpp>
#include <metall/container/unordered_map.hpp>
#include <metall/container/unordered_set.hpp>
#include <metall/container/vector.hpp>
#include <metall/metall.hpp>
#include <metall/utility/container_of_containers_iterator_adaptor.hpp>
#include <metall/utility/datastore_ls.hpp>
#include <metall/utility/hash.hpp>
#include <metall/utility/mutex.hpp>
#include <metall/utility/open_mp.hpp>
#include <metall/utility/random.hpp>
#include <metall/utility/filesystem.hpp>

#include <vector>

template class metall::offset_ptr<int>;
template class metall::offset_ptr<const double>;
template class metall::stl_allocator<int>;
template class metall::stl_allocator<std::vector<int>>;
template class metall::container::fallback_allocator_adaptor<metall::manager::allocator_type<int>>;
template class metall::container::concurrent_map<int, int>;
template class metall::container::string_key_store<int>;

struct base_t {
    virtual ~base_t() = default;
    int b = 0;
};
struct derived_t : base_t {
    int d = 1;
};

int use_everything(metall::manager &m);
int use_everything(metall::manager &m) {
    using metall::offset_ptr;
    offset_ptr<void> v = m.allocate(16);
    offset_ptr<const void> cv = v;
    offset_ptr<int> i = static_cast<offset_ptr<int>>(v);
    offset_ptr<derived_t> d = m.construct<derived_t>("d")();
    offset_ptr<base_t> b = d;
    d = metall::static_pointer_cast<derived_t>(b);
    d = metall::dynamic_pointer_cast<derived_t>(b);
    d = offset_ptr<derived_t>::dynamic_cast_from(b);
    offset_ptr<const derived_t> cd = d;
    d = metall::const_pointer_cast<derived_t>(cd);
    i = metall::reinterpret_pointer_cast<int>(cv.get() ? d : d);
    bool same = (v == cv) && (i != nullptr) && !(nullptr == b) && (b >= d);
    m.deallocate(v.get());
    auto *arr = m.find_or_construct<int>("arr")[4](7);
    auto found = m.find<int>("arr");
    m.destroy<int>("arr");
    m.destroy<int>(metall::unique_instance);
    m.destroy_ptr(m.construct<long>(metall::anonymous_instance)(1L));
    std::vector<int> xs{1};
    m.construct_it<int>("it")[1](xs.begin());
    std::vector<int, metall::manager::allocator_type<int>> vec(m.get_allocator<int>());
    vec.push_back(*arr);
    metall::container::vector<metall::container::string,
                              metall::manager::scoped_allocator_type<metall::container::string>>
        vs(m.get_allocator());
    vs.emplace_back("x");
    metall::container::string_key_store<int> st(m.get_allocator());
    st.insert("k", 1);
    metall::utility::rand_512 r(1);
    metall::utility::hash<> h;
    metall::utility::str_hash<> sh;
    std::string desc;
    m.get_instance_description(arr, &desc);
    m.set_instance_description(arr, desc);
    metall::manager::consistent("x");
    auto acc = metall::manager::access_unique_object_attribute("x");
    return same && found.second == 4 && m.get_num_named_objects() > 0 &&
           m.get_instance_kind(arr) == metall::manager::instance_kind::named_kind &&
           r() != h(1) + sh("a") && acc.count<int>(metall::unique_instance) == 0 &&
           m.is_instance_type<int>(arr) && m.get_instance_name(arr) && m.get_instance_length(arr);
}
