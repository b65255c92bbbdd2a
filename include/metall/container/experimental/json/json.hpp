/**
 * @file json.hpp
 * @brief The old path of Metall's JSON container (deprecated in Metall):
 *        includes metall/json/json.hpp and makes
 *        metall::container::experimental::json name metall::json.
 */
#ifndef METALL_CONTAINER_EXPERIMENT_JSON_JSON_HPP
#define METALL_CONTAINER_EXPERIMENT_JSON_JSON_HPP

#ifndef METALLC_NO_DEPRECATION_WARNING
#warning "metall/container/experimental/json/json.hpp is deprecated: include metall/json/json.hpp and use metall::json"
#endif

#include <metall/json/json.hpp>

/// Deprecated name of metall::json (Metall's earlier namespace).
namespace metall::container::experimental::json {
using namespace metall::json;
}

#endif // METALL_CONTAINER_EXPERIMENT_JSON_JSON_HPP
