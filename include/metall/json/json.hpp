/**
 * @file json.hpp
 * @brief Everything of metall::json, Metall's JSON container on persistent
 *        memory: value, array, object, key_value_pair, string, parse(),
 *        serialize(), pretty_print(), value_from(), value_to() and the
 *        comparisons with Boost.JSON.
 *
 * @code
 *   using json_t = metall::json::value<metall::manager::allocator_type<std::byte>>;
 *   metall::manager m(metall::create_only, "/nvme/store");
 *   auto *v = m.construct<json_t>(metall::unique_instance)(
 *       metall::json::parse(R"({"name": "Alice", "list": [0, 1]})", m.get_allocator()));
 *   v->as_object()["age"] = 42;
 *   // a later run: m.find<json_t>(metall::unique_instance).first
 * @endcode
 */
#ifndef METALL_JSON_JSON_HPP
#define METALL_JSON_JSON_HPP

#include <metall/json/json_fwd.hpp>

#include <metall/json/array.hpp>
#include <metall/json/equal.hpp>
#include <metall/json/key_value_pair.hpp>
#include <metall/json/object.hpp>
#include <metall/json/parse.hpp>
#include <metall/json/pretty_print.hpp>
#include <metall/json/serialize.hpp>
#include <metall/json/string.hpp>
#include <metall/json/value.hpp>
#include <metall/json/value_from.hpp>
#include <metall/json/value_to.hpp>

#endif // METALL_JSON_JSON_HPP
