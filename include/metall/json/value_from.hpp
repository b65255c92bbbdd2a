/**
 * @file value_from.hpp
 * @brief value_from(): a metall::json::value built, with a given allocator,
 *        from a Boost.JSON value (or anything boost::json::value_from
 *        accepts) or from a metall::json::value of another allocator.
 */
#ifndef METALL_JSON_VALUE_FROM_HPP
#define METALL_JSON_VALUE_FROM_HPP

#include <type_traits>
#include <utility>

#include <metall/json/details/access.hpp>
#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

template <typename T>
struct is_json_value : std::false_type {};
template <typename A>
struct is_json_value<value<A>> : std::true_type {};

template <typename T>
inline constexpr bool dependent_false = false;

/* A deep copy between values of two allocator types. */
template <typename A, typename B>
void copy_value(const value<B> &in, value<A> &out) {
    if (in.is_null()) {
        out.emplace_null();
    } else if (in.is_bool()) {
        out = in.as_bool();
    } else if (in.is_int64()) {
        out = static_cast<long long>(in.as_int64());
    } else if (in.is_uint64()) {
        out = static_cast<unsigned long long>(in.as_uint64());
    } else if (in.is_double()) {
        out = in.as_double();
    } else if (in.is_string()) {
        out.emplace_string().assign(in.as_string().data(), in.as_string().size());
    } else if (in.is_array()) {
        auto &arr = out.emplace_array();
        access::array_reserve(arr, in.as_array().size());
        for (const auto &e : in.as_array())
            copy_value(e, access::array_append(arr));
    } else {
        auto &obj = out.emplace_object();
        for (const auto &m : in.as_object())
            copy_value(m.value(), access::object_append(obj, m.key(), value<A>(out.get_allocator())).value());
    }
}

#if METALLC_JSON_HAS_BOOST_JSON
template <typename A>
void from_boost(const boost::json::value &in, value<A> &out) {
    switch (in.kind()) {
    case boost::json::kind::null: out.emplace_null(); break;
    case boost::json::kind::bool_: out = in.get_bool(); break;
    case boost::json::kind::int64: out = static_cast<long long>(in.get_int64()); break;
    case boost::json::kind::uint64: out = static_cast<unsigned long long>(in.get_uint64()); break;
    case boost::json::kind::double_: out = in.get_double(); break;
    case boost::json::kind::string:
        out.emplace_string().assign(in.get_string().data(), in.get_string().size());
        break;
    case boost::json::kind::array: {
        auto &arr = out.emplace_array();
        access::array_reserve(arr, in.get_array().size());
        for (const auto &e : in.get_array())
            from_boost(e, access::array_append(arr));
        break;
    }
    case boost::json::kind::object: {
        auto &obj = out.emplace_object(); /* Boost.JSON's keys are unique */
        for (const auto &m : in.get_object()) {
            const std::string_view key(m.key().data(), m.key().size());
            from_boost(m.value(), access::object_append(obj, key, value<A>(out.get_allocator())).value());
        }
        break;
    }
    }
}
#endif

} // namespace jsndtl
/// @endcond

/**
 * @brief A value allocated with @p allocator holding a deep copy of
 *        @p input_data.
 *
 * @p input_data is a metall::json::value of any allocator type, a
 * boost::json::value, or (Boost.JSON only) anything boost::json::value_from()
 * converts (boost::json::object, array, string, numbers, user types with a
 * tag_invoke, ...). Types of Boost.JSON need Boost >= 1.75 (see
 * json_fwd.hpp).
 *
 * @param input_data what to convert
 * @param allocator the allocator of the returned value
 * @return the new value
 */
template <typename T, typename allocator_type>
value<allocator_type> value_from(T &&input_data, const allocator_type &allocator) {
    using U = std::remove_cv_t<std::remove_reference_t<T>>;
    value<allocator_type> out(allocator);
    if constexpr (jsndtl::is_json_value<U>::value) {
        jsndtl::copy_value(input_data, out);
    } else {
#if METALLC_JSON_HAS_BOOST_JSON
        if constexpr (std::is_same_v<U, boost::json::value>)
            jsndtl::from_boost(input_data, out);
        else
            jsndtl::from_boost(boost::json::value_from(std::forward<T>(input_data)), out);
#else
        static_assert(jsndtl::dependent_false<T>,
                      "metall::json::value_from: this type needs Boost.JSON (Boost >= 1.75)");
#endif
    }
    return out;
}

} // namespace metall::json

#endif // METALL_JSON_VALUE_FROM_HPP
