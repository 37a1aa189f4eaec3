/* SPDX-License-Identifier: MIT */
/* log.h: log levels, records, and loggers (functions or processes). */
#ifndef ERG_LOG_H
#define ERG_LOG_H

#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/pid.h"

/* Levels, lowest first; a record is emitted if its level is at or above the
 * level of its source (process or node). DISABLED turns a source off. */
typedef enum erg_log_level_e {
    ERG_LOG_TRACE = 0,
    ERG_LOG_DEBUG = 1,
    ERG_LOG_INFO = 2,
    ERG_LOG_WARNING = 3,
    ERG_LOG_ERROR = 4,
    ERG_LOG_PANIC = 5,
    ERG_LOG_DISABLED = 6
} erg_log_level_t;

/* A structured field: key=value, both strings. */
typedef struct erg_log_field_s {
    const char *key;
    const char *value;
} erg_log_field_t;

/*
 * One log record as loggers see it. Strings point into the record and live
 * as long as it (for a logger process: as long as the message carrying it).
 * source is the logging process, or the zero pid for the node itself.
 */
typedef struct erg_log_record_s {
    int64_t time_ns; /* since the Unix epoch */
    erg_log_level_t level;
    erg_pid_t source;
    const char *source_name; /* registered name or behaviour name, or "" */
    const char *text;
    const erg_log_field_t *fields;
    unsigned nfields;
} erg_log_record_t;

/* erg_log_level_string: "trace" .. "panic", "disabled". Thread-safe. */
ERG_EXTERN const char *erg_log_level_string(erg_log_level_t level);

/*
 * A logger function, called on the logging thread for every record at or
 * above the level it was added with. It must be thread-safe and quick (it
 * runs inside handlers, under the node's logger lock, so it must not log
 * through erg itself); arg is what erg_node_logger_add was given.
 */
typedef void (*erg_logger_cb)(const erg_log_record_t *rec, void *arg);

#endif /* ERG_LOG_H */
