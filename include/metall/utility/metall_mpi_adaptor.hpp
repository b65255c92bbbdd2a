/**
 * @file utility/metall_mpi_adaptor.hpp
 * @brief metall::utility::metall_mpi_adaptor: one datastore per MPI rank
 *        (Metall's adaptor, over libmetallc_mpi, metall_mpi.h).
 *
 * Every function is collective over the communicator and gives the same
 * result on every rank. Where Metall calls MPI_Abort, this adaptor does
 * not: a constructor that fails on any rank leaves every rank's
 * get_local_manager() without a datastore (check_sanity() false) and logs
 * metall_errmsg(), which names the failing ranks. A constructor that
 * throws (out of memory) closes the MPI datastore on every rank first.
 * Link with -lmetallc_mpi.
 */
#ifndef METALL_UTILITY_METALL_MPI_ADAPTOR_HPP
#define METALL_UTILITY_METALL_MPI_ADAPTOR_HPP

#include <metall/metall.hpp>
#include <metall/metall_mpi.h>
#include <metall/utility/metall_mpi_datastore.hpp>

#include <mpi.h>

#include <cerrno>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>

namespace metall::utility {

/** One datastore per rank of a communicator, under one root directory
 *  (`ROOT/subdir-RANK`), and this rank's manager of its datastore. */
class metall_mpi_adaptor {
public:
    /** The manager type of the ranks' datastores. */
    using manager_type = metall::manager;

    /** Open the MPI datastore at @p root_dir_prefix for writing. */
    metall_mpi_adaptor(metall::open_only_t, const std::string &root_dir_prefix,
                       const MPI_Comm &comm = MPI_COMM_WORLD)
        : comm_(comm), root_(root_dir_prefix) {
        attach(metall_mpi_open(root_.c_str(), comm), "metall_mpi_open");
    }

    /** Open the MPI datastore at @p root_dir_prefix read-only. */
    metall_mpi_adaptor(metall::open_read_only_t, const std::string &root_dir_prefix,
                       const MPI_Comm &comm = MPI_COMM_WORLD)
        : comm_(comm), root_(root_dir_prefix) {
        attach(metall_mpi_open_read_only(root_.c_str(), comm), "metall_mpi_open_read_only");
    }

    /** Create an MPI datastore at @p root_dir_prefix, one partition per
     *  rank; @p overwrite replaces an existing MPI datastore (of any rank
     *  count; never a directory that is not one). */
    metall_mpi_adaptor(metall::create_only_t, const std::string &root_dir_prefix,
                       const MPI_Comm &comm = MPI_COMM_WORLD, bool overwrite = false)
        : metall_mpi_adaptor(metall::create_only, root_dir_prefix, 0, comm, overwrite) {}

    /** As above, each rank's heap able to grow to @p capacity bytes. */
    metall_mpi_adaptor(metall::create_only_t, const std::string &root_dir_prefix,
                       const std::size_t capacity, const MPI_Comm &comm = MPI_COMM_WORLD,
                       bool overwrite = false)
        : comm_(comm), root_(root_dir_prefix) {
        metall_mpi_options opt{};
        opt.local.capacity = capacity;
        opt.overwrite = overwrite;
        attach(metall_mpi_create(root_.c_str(), comm, &opt), "metall_mpi_create");
    }

    metall_mpi_adaptor(const metall_mpi_adaptor &) = delete;
    metall_mpi_adaptor &operator=(const metall_mpi_adaptor &) = delete;

    /** Close every rank's datastore (collective). */
    ~metall_mpi_adaptor() {
        local_.reset(); /* forget the C manager before it is closed */
        if (h_ && !metall_mpi_close(h_))
            log_failure("metall_mpi_close");
    }

    /** This rank's manager. */
    manager_type &get_local_manager() { return *local_; }
    /** This rank's manager. */
    const manager_type &get_local_manager() const { return *local_; }

    /** The root directory. */
    std::string root_dir_path() const { return mpi_datastore::make_root_dir_path(root_); }

    /** This rank's datastore directory. */
    std::string local_dir_path() const {
        const char *p = h_ ? metall_mpi_local_path(h_) : nullptr;
        return p ? std::string(p) : mpi_datastore::make_local_dir_path(root_, rank(comm_));
    }

    /** The datastore directory of rank @p mpi_rank under @p root_dir_prefix
     *  (without templates). */
    static std::string local_dir_path(const std::string &root_dir_prefix, const int mpi_rank) {
        return mpi_datastore::make_local_dir_path(root_dir_prefix, mpi_rank);
    }

    /** Copy the closed MPI datastore @p source_dir_path to
     *  @p destination_dir_path; @p overwrite replaces an MPI datastore
     *  there. @return true on every rank, or false on every rank. */
    static bool copy(const std::string &source_dir_path, const std::string &destination_dir_path,
                     const MPI_Comm &comm = MPI_COMM_WORLD, bool overwrite = false) {
        if (overwrite && !remove(destination_dir_path, comm))
            return false;
        if (metall_mpi_copy(source_dir_path.c_str(), destination_dir_path.c_str(), comm))
            return true;
        log_failure("metall_mpi_copy");
        return false;
    }

    /** Snapshot every rank's datastore into the new MPI datastore
     *  @p destination_dir_path; @p overwrite replaces an MPI datastore
     *  there. @return true on every rank, or false on every rank. */
    bool snapshot(const std::string &destination_dir_path, bool overwrite = false) {
        if (!h_)
            return false;
        if (overwrite && !remove(destination_dir_path, comm_))
            return false;
        if (metall_mpi_snapshot(h_, destination_dir_path.c_str()))
            return true;
        log_failure("metall_mpi_snapshot");
        return false;
    }

    /** Delete the MPI datastore at @p root_dir_prefix. @return true if it
     *  is gone (nothing there counts as success), false if it is not an
     *  MPI datastore or is open. */
    static bool remove(const std::string &root_dir_prefix, const MPI_Comm &comm = MPI_COMM_WORLD) {
        if (metall_mpi_remove(root_dir_prefix.c_str(), comm) || errno == ENOENT)
            return true; /* errno is the same on every rank */
        log_failure("metall_mpi_remove");
        return false;
    }

    /** The partition count of the MPI datastore at @p root_dir_prefix, or
     *  -1 if there is none. */
    static int partitions(const std::string &root_dir_prefix,
                          const MPI_Comm &comm = MPI_COMM_WORLD) {
        return metall_mpi_partitions(root_dir_prefix.c_str(), comm);
    }

    /** Whether every rank's datastore was closed properly and would open. */
    static bool consistent(const std::string &root_dir_prefix,
                           const MPI_Comm &comm = MPI_COMM_WORLD) {
        return metall_mpi_consistent(root_dir_prefix.c_str(), comm);
    }

private:
    static void log_failure(const char *what) {
        const std::string msg = std::string(what) + ": " + metall_errmsg();
        logger::out(logger::level::error, __FILE__, __LINE__, msg.c_str());
    }
    static int rank(MPI_Comm comm) {
        int r = 0;
        MPI_Comm_rank(comm, &r);
        return r;
    }
    /* Make this rank's manager of the handle's datastore. A constructor
     * that throws runs no destructor: if that throws (out of memory) with
     * the handle open, the handle must be closed here, or every rank's
     * datastore stays open and locked for the life of the process. Closing
     * is collective, so the ranks first agree whether every one made its
     * manager; if one did not, all close (the others are left without a
     * datastore, as after a failed open) and the failed ones rethrow. */
    void attach(metall_mpi *h, const char *what) {
        h_ = h;
        std::exception_ptr failed;
        try {
            if (!h_)
                log_failure(what);
            metall_manager *m = h_ ? metall_mpi_local(h_) : nullptr;
            const char *p = h_ ? metall_mpi_local_path(h_) : nullptr;
            local_ = std::make_unique<manager_type>(metall::detail::adopt_t{}, m,
                                                    p ? std::string(p) : root_, false);
        } catch (...) {
            failed = std::current_exception();
        }
        int all = !failed;
        if (h_) /* a failed open or create failed on every rank: no handle anywhere */
            MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LAND, comm_);
        if (all)
            return;
        local_.reset();
        metall_mpi *open = h_;
        h_ = nullptr;
        if (open && !metall_mpi_close(open))
            log_failure("metall_mpi_close");
        if (failed)
            std::rethrow_exception(failed);
        local_ = std::make_unique<manager_type>(metall::detail::adopt_t{}, nullptr, root_, false);
    }

    MPI_Comm comm_;
    std::string root_;
    metall_mpi *h_ = nullptr;
    std::unique_ptr<manager_type> local_;
};

} // namespace metall::utility

#endif /* METALL_UTILITY_METALL_MPI_ADAPTOR_HPP */
