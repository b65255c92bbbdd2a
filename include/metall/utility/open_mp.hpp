/**
 * @file utility/open_mp.hpp
 * @brief OMP_DIRECTIVE(...) and metall::utility::omp: OpenMP calls that
 *        compile (as one thread) without OpenMP too.
 */
#ifndef METALL_UTILITY_OPEN_MP_HPP
#define METALL_UTILITY_OPEN_MP_HPP

#include <cstdint>
#include <string>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

/** `_Pragma` of its argument, as a string. */
#define OPEN_MP_PRAGMA_OPERATOR(x) _Pragma(#x)
/** `#pragma omp directive` with OpenMP; nothing without. */
#ifdef _OPENMP
#define OMP_DIRECTIVE(directive) OPEN_MP_PRAGMA_OPERATOR(omp directive)
#else
#define OMP_DIRECTIVE(directive)
#endif

namespace metall::utility::omp {

#ifdef _OPENMP
/** The OpenMP schedule kind type (int without OpenMP). */
using omp_sched_type = omp_sched_t;
#else
/** The OpenMP schedule kind type (int without OpenMP). */
using omp_sched_type = int;
#endif

/** The name of schedule kind @p kind. */
inline std::string schedule_kind_name([[maybe_unused]] const omp_sched_type kind) {
#ifdef _OPENMP
    const auto base = static_cast<int>(kind) & ~static_cast<int>(0x80000000u);
    std::string n;
    switch (base) {
    case omp_sched_static: n = "omp_sched_static"; break;
    case omp_sched_dynamic: n = "omp_sched_dynamic"; break;
    case omp_sched_guided: n = "omp_sched_guided"; break;
    case omp_sched_auto: n = "omp_sched_auto"; break;
    default: n = "Unknown kind (" + std::to_string(base) + ")";
    }
    if (base != static_cast<int>(kind))
        n += " with omp_sched_monotonic";
    return n;
#else
    return "OpenMP is not supported";
#endif
}

/** The current schedule: kind and chunk size ({0, 0} without OpenMP). */
inline std::pair<omp_sched_type, int> get_schedule() {
#ifdef _OPENMP
    omp_sched_t kind;
    int chunk = 0;
    omp_get_schedule(&kind, &chunk);
    return {kind, chunk};
#else
    return {0, 0};
#endif
}

/** The number of threads of the current team (1 without OpenMP). */
inline int get_num_threads() noexcept {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/** This thread's number in its team (0 without OpenMP). */
inline int get_thread_num() noexcept {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/** Use @p n threads in later parallel regions (no-op without OpenMP). */
inline void set_num_threads([[maybe_unused]] const int n) noexcept {
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

} // namespace metall::utility::omp

#endif
