/**
 * @file utility/metall_mpi_datastore.hpp
 * @brief Paths of an MPI datastore: the root and `ROOT/subdir-RANK`.
 */
#ifndef METALL_UTILITY_METALL_MPI_DATASTORE_HPP
#define METALL_UTILITY_METALL_MPI_DATASTORE_HPP

#include <string>

namespace metall::utility::mpi_datastore {

/** The root directory of the MPI datastore @p root_dir_prefix. */
inline std::string make_root_dir_path(const std::string &root_dir_prefix) {
    return root_dir_prefix;
}

/** The datastore directory of rank @p rank: `ROOT/subdir-RANK`. */
inline std::string make_local_dir_path(const std::string &root_dir_prefix, const int rank) {
    return make_root_dir_path(root_dir_prefix) + "/subdir-" + std::to_string(rank);
}

} // namespace metall::utility::mpi_datastore

#endif
