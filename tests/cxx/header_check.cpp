/*
 * header_check.cpp - compiled with -Wall -Wextra -Wpedantic -Werror
 * -fsyntax-only by every C++ compiler found (ctest cxx_header_*): the
 * header alone, with every member template instantiated.
 */
#include <metall/metall.hpp>

#include <vector>

template class metallc::offset_ptr<int>;
template class metallc::offset_ptr<const double>;
template class metallc::allocator<int>;
template class metallc::allocator<std::vector<int>>;

struct base_t {
    virtual ~base_t() = default;
    int b = 0;
};
struct derived_t : base_t {
    int d = 1;
};

int use_everything(metallc::manager &m);
int use_everything(metallc::manager &m) {
    using metallc::offset_ptr;
    offset_ptr<void> v = m.allocate(16);
    offset_ptr<const void> cv = v;
    offset_ptr<int> i = static_cast<offset_ptr<int>>(v);
    offset_ptr<derived_t> d = m.construct<derived_t>("d")();
    offset_ptr<base_t> b = d;
    d = metallc::static_pointer_cast<derived_t>(b);
    d = metallc::dynamic_pointer_cast<derived_t>(b);
    d = offset_ptr<derived_t>::dynamic_cast_from(b);
    offset_ptr<const derived_t> cd = d;
    d = metallc::const_pointer_cast<derived_t>(cd);
    i = metallc::reinterpret_pointer_cast<int>(cv.get() ? d : d);
    bool same = (v == cv) && (i != nullptr) && !(nullptr == b) && (b >= d);
    m.deallocate(v.get());
    auto *arr = m.find_or_construct<int>("arr")[4](7);
    auto found = m.find<int>(std::string("arr"));
    m.destroy<int>("arr");
    std::vector<int, metallc::allocator<int>> vec(m.get_allocator<int>());
    vec.push_back(*arr);
    metallc::manager::consistent("x");
    return same && found.second == 4 && m.stats().named_objects > 0;
}
