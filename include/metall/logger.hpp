/**
 * @file logger.hpp
 * @brief metall::logger: levels, the level filter and the default
 *        metall_log() (Metall's logging API).
 *
 * The C++ layer logs why an operation failed (a constructor that leaves
 * check_sanity() false, an allocation that returns nullptr) at level
 * error; the default filter shows error and critical messages on stderr.
 * Nothing is logged on success. Define METALL_LOGGER_EXTERN_C and provide
 * `extern "C" void metall_log(...)` (logger_interface.h) to route the
 * messages elsewhere; the filter and abort switch below then do not exist,
 * as in Metall.
 */
#ifndef METALL_LOGGER_HPP
#define METALL_LOGGER_HPP

#include <metall/logger_interface.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace metall {

/** Where the C++ layer's messages go. Not instantiable: static functions only. */
class logger {
public:
    /** Severity of a message (the values of ::metall_log_level). */
    enum struct level {
        critical = metall_critical, /**< the program cannot go on */
        error = metall_error,       /**< an operation failed */
        warning = metall_warning,   /**< something was worked around */
        info = metall_info,         /**< progress information */
        debug = metall_debug,       /**< details for debugging */
        verbose = metall_verbose,   /**< everything */
    };

    /** Log @p message of level @p lvl from @p file_name:@p line_no. */
    static void out(level lvl, const char *file_name, int line_no,
                    const char *message) noexcept {
        metall_log(static_cast<metall_log_level>(lvl), file_name,
                   static_cast<std::size_t>(line_no), message);
    }

    /** Log @p message followed by ": " and the text of the current errno. */
    static void perror(level lvl, const char *file_name, int line_no,
                       const char *message) noexcept {
        const int e = errno;
        try {
            std::string s = std::string(message) + ": " + std::strerror(e);
            out(lvl, file_name, line_no, s.c_str());
        } catch (...) {
            out(lvl, file_name, line_no, message);
        }
    }

    logger() = delete;
    ~logger() = delete;
    logger(const logger &) = delete;
    logger(logger &&) = delete;
    logger &operator=(const logger &) = delete;
    logger &operator=(logger &&) = delete;

#ifndef METALL_LOGGER_EXTERN_C
    /** The lowest level that is shown (or none: silent). */
    struct level_filter {
    private:
        std::optional<level> min_;
        explicit level_filter(std::optional<level> m) noexcept : min_(m) {}

    public:
        static const level_filter critical; /**< critical messages only */
        static const level_filter error;    /**< error and above (the default) */
        static const level_filter warning;  /**< warning and above */
        static const level_filter info;     /**< info and above */
        static const level_filter debug;    /**< debug and above */
        static const level_filter verbose;  /**< every message */
        static const level_filter silent;   /**< no message */

        /** Whether a message of level @p lvl passes this filter. */
        bool should_log(level lvl) const noexcept {
            return min_.has_value() && static_cast<int>(lvl) >= static_cast<int>(*min_);
        }
    };

    /** The current filter. */
    static level_filter log_level() noexcept { return filter_; }
    /** Show messages of @p f's levels from now on. */
    static void set_log_level(const level_filter f) noexcept { filter_ = f; }
    /** Whether a critical message aborts the program (default: true). */
    static bool abort_on_critical_error() noexcept { return abort_critical_; }
    /** Abort (or not) on a critical message. The C++ layer itself never
     *  logs at level critical: it reports failures and goes on. */
    static void abort_on_critical_error(const bool enable) noexcept {
        abort_critical_ = enable;
    }

private:
    static level_filter filter_;
    static bool abort_critical_;
#endif
};

#ifndef METALL_LOGGER_EXTERN_C
inline const logger::level_filter logger::level_filter::critical{logger::level::critical};
inline const logger::level_filter logger::level_filter::error{logger::level::error};
inline const logger::level_filter logger::level_filter::warning{logger::level::warning};
inline const logger::level_filter logger::level_filter::info{logger::level::info};
inline const logger::level_filter logger::level_filter::debug{logger::level::debug};
inline const logger::level_filter logger::level_filter::verbose{logger::level::verbose};
inline const logger::level_filter logger::level_filter::silent{std::nullopt};
inline logger::level_filter logger::filter_ = logger::level_filter::error;
inline bool logger::abort_critical_ = true;
#endif

} // namespace metall

#ifndef METALL_LOGGER_EXTERN_C
#include <cstdio>
#include <cstdlib>

/** The default sink: "FILE at line N --- message" on stderr, for the
 *  levels that pass metall::logger's filter. */
extern "C" inline void metall_log(metall_log_level lvl, const char *file_name,
                                  size_t line_no, const char *message) {
    const auto l = static_cast<metall::logger::level>(lvl);
    if (!metall::logger::log_level().should_log(l))
        return;
    std::fprintf(stderr, "%s at line %zu --- %s\n", file_name, line_no, message);
    if (l == metall::logger::level::critical && metall::logger::abort_on_critical_error())
        std::abort();
}
#endif

#endif /* METALL_LOGGER_HPP */
