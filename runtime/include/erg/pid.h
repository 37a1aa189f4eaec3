/* SPDX-License-Identifier: MIT */
/* pid.h: process ids, references and aliases, all passed by value. */
#ifndef ERG_PID_H
#define ERG_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"

/*
 * erg_pid_t names one process of one incarnation of one node, by value (as
 * Ergo's gen.PID): node is a 32-bit hash of the node name ("name@host"),
 * id the process number within the node (ids are never reused), creation the
 * node's incarnation. A pid kept across a node restart carries the old
 * creation and never reaches a process of the new incarnation: sends fail
 * with ERG_EINCARNATION. On the wire the node travels by name; two node names
 * with the same hash cannot be connected (the cluster layer refuses them).
 * The zero pid (all fields 0) is "no process".
 */
typedef struct erg_pid_s {
    uint32_t node;
    uint32_t creation;
    uint64_t id;
} erg_pid_t;

/*
 * erg_ref_t is a unique reference made by a node (Ergo's gen.Ref): it matches
 * calls to responses, names monitors and timers, and tokens of events. A ref
 * may carry a deadline (milliseconds since the Unix epoch, 0 = none), which
 * erg_ref_is_alive checks.
 */
typedef struct erg_ref_s {
    uint32_t node;
    uint32_t creation;
    uint64_t id;
    int64_t deadline_ms;
} erg_ref_t;

/*
 * erg_alias_t is an extra address of a process (Ergo's gen.Alias); a process
 * may create many and delete them; messages sent to a deleted alias fail
 * with ERG_ENOALIAS.
 */
typedef struct erg_alias_s {
    uint32_t node;
    uint32_t creation;
    uint64_t id;
} erg_alias_t;

/* Buffer size that fits any formatted pid, ref or alias with its NUL. */
#define ERG_PID_STRLEN 64

/* erg_pid_is_nil: true for the zero pid. Thread-safe. */
ERG_EXTERN bool erg_pid_is_nil(erg_pid_t pid);

/* erg_pid_equal: true if a and b name the same process. Thread-safe. */
ERG_EXTERN bool erg_pid_equal(erg_pid_t a, erg_pid_t b);

/*
 * erg_pid_compare orders pids by node, creation, then id: negative, zero or
 * positive like strcmp, for sorting and maps. Thread-safe.
 */
ERG_EXTERN int erg_pid_compare(erg_pid_t a, erg_pid_t b);

/*
 * erg_pid_format writes "<NODE.id.creation>" (NODE is the node hash in 8 hex
 * digits, as Ergo prints it) into buf of size len, truncating if needed, and
 * returns buf. Thread-safe.
 */
ERG_EXTERN char *erg_pid_format(erg_pid_t pid, char *buf, size_t len);

/* erg_ref_equal: true if a and b are the same reference. Thread-safe. */
ERG_EXTERN bool erg_ref_equal(erg_ref_t a, erg_ref_t b);

/* erg_ref_format writes "Ref#<NODE.id.creation>". Thread-safe. */
ERG_EXTERN char *erg_ref_format(erg_ref_t ref, char *buf, size_t len);

/*
 * erg_ref_is_alive tells whether ref's deadline has not passed yet: it
 * stores true in *alive while now < deadline. ERG_EINVAL if ref has no
 * deadline (it was not made by erg_node_make_ref_deadline). Thread-safe.
 */
ERG_EXTERN erg_err_t erg_ref_is_alive(erg_ref_t ref, bool *alive);

/* erg_alias_equal: true if a and b are the same alias. Thread-safe. */
ERG_EXTERN bool erg_alias_equal(erg_alias_t a, erg_alias_t b);

/* erg_alias_format writes "Alias#<NODE.id.creation>". Thread-safe. */
ERG_EXTERN char *erg_alias_format(erg_alias_t alias, char *buf, size_t len);

/* erg_node_hash returns the 32-bit hash that pids carry for a node name
 * (FNV-1a over the bytes of "name@host"). Thread-safe. */
ERG_EXTERN uint32_t erg_node_hash(const char *node_name);

#endif /* ERG_PID_H */
