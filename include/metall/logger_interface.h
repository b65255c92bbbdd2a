/**
 * @file logger_interface.h
 * @brief The logging hook of metall-c's C++ layer (Metall's interface).
 *
 * Every message of the C++ layer goes through metall_log(). By default
 * metall/logger.hpp defines it (stderr, filtered by
 * metall::logger::set_log_level()). A program that compiles with
 * METALL_LOGGER_EXTERN_C defined provides its own metall_log() instead,
 * with C linkage, and receives every message.
 */
#ifndef METALL_LOGGER_INTERFACE_H
#define METALL_LOGGER_INTERFACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Severity of a log message, highest first. */
typedef enum metall_log_level {
    metall_critical = 5, /**< the program cannot go on */
    metall_error = 4,    /**< an operation failed */
    metall_warning = 3,  /**< something unexpected that was worked around */
    metall_info = 2,     /**< progress information */
    metall_debug = 1,    /**< details for debugging */
    metall_verbose = 0   /**< everything */
} metall_log_level;

/**
 * Receive one log message.
 * @param lvl its severity.
 * @param file_name the source file that logged it.
 * @param line_no the line in @p file_name.
 * @param message the text (no trailing newline).
 */
void metall_log(metall_log_level lvl, const char *file_name, size_t line_no,
                const char *message);

#ifdef __cplusplus
}
#endif

#endif /* METALL_LOGGER_INTERFACE_H */
