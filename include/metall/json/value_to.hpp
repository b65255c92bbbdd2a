/**
 * @file value_to.hpp
 * @brief value_to<T>(): a metall::json::value converted to a Boost.JSON
 *        value (or to any T boost::json::value_to converts to). Needs
 *        Boost.JSON (Boost >= 1.75, see json_fwd.hpp).
 */
#ifndef METALL_JSON_VALUE_TO_HPP
#define METALL_JSON_VALUE_TO_HPP

#include <type_traits>
#include <utility>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

template <typename T>
inline constexpr bool dependent_false_to = false;

#if METALLC_JSON_HAS_BOOST_JSON
template <typename A>
boost::json::value to_boost(const value<A> &in) {
    if (in.is_bool())
        return boost::json::value(in.as_bool());
    if (in.is_int64())
        return boost::json::value(in.as_int64());
    if (in.is_uint64())
        return boost::json::value(in.as_uint64());
    if (in.is_double())
        return boost::json::value(in.as_double());
    if (in.is_string())
        return boost::json::value(boost::json::string_view(in.as_string().data(), in.as_string().size()));
    if (in.is_array()) {
        boost::json::array out;
        out.reserve(in.as_array().size());
        for (const auto &e : in.as_array())
            out.emplace_back(to_boost(e));
        return boost::json::value(std::move(out));
    }
    if (in.is_object()) {
        boost::json::object out;
        out.reserve(in.as_object().size());
        for (const auto &m : in.as_object())
            out.emplace(boost::json::string_view(m.key().data(), m.key().size()), to_boost(m.value()));
        return boost::json::value(std::move(out));
    }
    return boost::json::value(nullptr);
}
#endif

} // namespace jsndtl
/// @endcond

/**
 * @brief @p input as a T: a boost::json::value (a deep copy, as Metall
 *        does), or a type constructible from one, or any T
 *        boost::json::value_to<T> converts to.
 * @param input the value to convert
 * @return the converted value
 */
template <typename T, typename allocator_type>
T value_to(const value<allocator_type> &input) {
#if METALLC_JSON_HAS_BOOST_JSON
    boost::json::value out = jsndtl::to_boost(input);
    if constexpr (std::is_constructible_v<T, boost::json::value &&>)
        return T(std::move(out));
    else
        return boost::json::value_to<T>(out);
#else
    (void)input;
    static_assert(jsndtl::dependent_false_to<T>,
                  "metall::json::value_to needs Boost.JSON (Boost >= 1.75)");
    return T();
#endif
}

} // namespace metall::json

#endif // METALL_JSON_VALUE_TO_HPP
