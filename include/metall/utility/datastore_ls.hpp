/**
 * @file utility/datastore_ls.hpp
 * @brief metall::utility::ls_named_object, ls_unique_object,
 *        ls_anonymous_object: print a closed datastore's objects as tables
 *        (what the metall-ls tool shows, from C++).
 */
#ifndef METALL_UTILITY_DATASTORE_LS_HPP
#define METALL_UTILITY_DATASTORE_LS_HPP

#include <metall/metall.hpp>

#include <algorithm>
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

namespace metall::utility {

namespace detail {

/* Print rows (the first is the header) as a table with aligned columns. */
inline void print_table(std::ostream &os, const std::vector<std::vector<std::string>> &rows) {
    if (rows.empty())
        return;
    std::vector<std::size_t> w(rows[0].size(), 0);
    for (const auto &r : rows)
        for (std::size_t c = 0; c < r.size() && c < w.size(); ++c)
            w[c] = std::max(w[c], r[c].size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t c = 0; c < w.size(); ++c) {
            const std::string &cell = c < rows[i].size() ? rows[i][c] : std::string();
            os << (c ? "  " : "") << cell << std::string(w[c] - cell.size(), ' ');
        }
        os << '\n';
        if (i == 0) {
            std::size_t total = 0;
            for (std::size_t c = 0; c < w.size(); ++c)
                total += w[c] + (c ? 2 : 0);
            os << std::string(total, '-') << '\n';
        }
    }
}

template <class Accessor>
bool ls_objects(const Accessor &a, const char *title, bool with_name) {
    std::cout << "[" << title << "]" << std::endl;
    if (!a.good()) {
        std::cerr << "cannot read the datastore's objects" << std::endl;
        return false;
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"Length", "Offset", "Type-ID", "Description"});
    if (with_name)
        rows[0].insert(rows[0].begin(), "Name");
    for (const auto &o : a) {
        std::vector<std::string> r{std::to_string(o.length()), std::to_string(o.offset()),
                                   std::to_string(o.type_id()), o.description()};
        if (with_name)
            r.insert(r.begin(), o.name());
        rows.push_back(std::move(r));
    }
    print_table(std::cout, rows);
    return true;
}

} // namespace detail

/** Print the named objects of the datastore at @p datastore_path.
 *  @return false if its objects cannot be read. */
inline bool ls_named_object(const std::string &datastore_path) {
    return detail::ls_objects(metall::manager::access_named_object_attribute(datastore_path),
                              "Named Object", true);
}

/** Print the unique objects of the datastore at @p datastore_path. */
inline bool ls_unique_object(const std::string &datastore_path) {
    return detail::ls_objects(metall::manager::access_unique_object_attribute(datastore_path),
                              "Unique Object", true);
}

/** Print the anonymous objects of the datastore at @p datastore_path. */
inline bool ls_anonymous_object(const std::string &datastore_path) {
    return detail::ls_objects(metall::manager::access_anonymous_object_attribute(datastore_path),
                              "Anonymous Object", false);
}

} // namespace metall::utility

#endif
