/* SPDX-License-Identifier: MIT */
/* node.h: a node: start, stop, spawn, send and call from outside processes. */
#ifndef ERG_NODE_H
#define ERG_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/log.h"
#include "erg/msg.h"
#include "erg/pid.h"

/*
 * A node runs processes on an M:N scheduler (workers threads) plus one timer
 * thread, and owns the names, aliases, events and loggers of its processes.
 * Several nodes may run in one program. A node has no network connections
 * yet (the cluster layer comes later): every operation on a remote pid, name
 * or node fails with ERG_ENOCONN and logs a warning, which is exactly what a
 * node without connections does.
 */
typedef struct erg_node_s erg_node_t;

/* An environment variable: name (case-insensitive, as Ergo upper-cases it)
 * and an opaque value the caller keeps alive as long as the node runs. */
typedef struct erg_env_var_s {
    const char *name;
    void *value;
} erg_env_var_t;

struct erg_app_spec_s; /* app.h */

typedef struct erg_node_opts_s {
    const erg_env_var_t *env; /* node environment, copied; may be NULL */
    unsigned nenv;
    erg_log_level_t log_level;    /* default ERG_LOG_INFO */
    unsigned workers;             /* 0 = one per online core */
    uint32_t shutdown_timeout_ms; /* 0 = 3 minutes */
    unsigned max_per_turn;        /* messages handled + sent per turn;
                                     0 = 64 */
    bool no_default_logger;       /* don't print records to stderr */
    /* Applications (app.h) to load and start in this order once the node
     * runs, as Ergo's NodeOptions.Applications; the array and what it
     * points to are copied at load. One that fails fails the start. */
    const struct erg_app_spec_s *apps;
    unsigned napps;
} erg_node_opts_t;

/* erg_node_opts_init fills opts with the defaults above. */
ERG_EXTERN void erg_node_opts_init(erg_node_opts_t *opts);

/*
 * erg_node_start starts a node named name ("name@host": both parts
 * non-empty, at most 255 bytes) with opts (NULL = defaults) and stores it in
 * *out. Each start gets a new creation, so pids of an earlier node with the
 * same name never reach this one. The applications in opts are loaded and
 * started last, in order (erg_app_load, erg_app_start); if one fails, the
 * node is killed and freed and its error returned. Errors: ERG_EINVAL (bad
 * name or options), ERG_ENOMEM, ERG_EAGAIN (threads), the errors of
 * erg_app_load and erg_app_start. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_node_start(const char *name,
                                    const erg_node_opts_t *opts,
                                    erg_node_t **out);

/*
 * erg_node_stop stops node gracefully and frees it: every process gets an
 * exit signal with ERG_REASON_SHUTDOWN from the node (which, like a parent's,
 * cannot be trapped); every 5 s of waiting, the processes still running are
 * logged with their state and queue lengths; after the shutdown timeout the
 * rest are killed. Running applications (app.h) are stopped before all
 * that, newest first, each as erg_app_stop does (up to 5 s). A handler that
 * never returns keeps the node from finishing (C code cannot be
 * preempted). Must not be called from a handler (ERG_ENOTALLOWED, nothing
 * happens). NULL is a no-op.
 */
ERG_EXTERN erg_err_t erg_node_stop(erg_node_t *node);

/*
 * erg_node_kill force-stops node and frees it: every process is killed at
 * once (terminate still runs, with ERG_REASON_KILL, so C state is released).
 * Same restrictions as erg_node_stop.
 */
ERG_EXTERN erg_err_t erg_node_kill(erg_node_t *node);

/* erg_node_name: "name@host". erg_node_creation: this incarnation.
 * erg_node_pid: the node's own pid, the sender of what the node sends. */
ERG_EXTERN const char *erg_node_name(const erg_node_t *node);
ERG_EXTERN uint32_t erg_node_creation(const erg_node_t *node);
ERG_EXTERN erg_pid_t erg_node_pid(const erg_node_t *node);

/* erg_node_process_count: processes alive (not yet terminated). */
ERG_EXTERN uint64_t erg_node_process_count(erg_node_t *node);

/* erg_node_make_ref returns a new unique ref. Thread-safe. */
ERG_EXTERN erg_ref_t erg_node_make_ref(erg_node_t *node);

/* erg_node_make_ref_deadline: a unique ref that erg_ref_is_alive reports
 * alive until deadline_ms (milliseconds since the Unix epoch). */
ERG_EXTERN erg_ref_t erg_node_make_ref_deadline(erg_node_t *node,
                                                int64_t deadline_ms);

/* erg_node_env_get finds a node environment variable: ERG_ENOENT if unset. */
ERG_EXTERN erg_err_t erg_node_env_get(erg_node_t *node, const char *name,
                                      void **value);

/*
 * erg_node_send sends msg to target from the node's pid, with priority
 * (erg_priority_t from actor.h; 0 = normal). Ownership as in erg_send.
 * Thread-safe, from any thread.
 */
ERG_EXTERN erg_err_t erg_node_send(erg_node_t *node, erg_target_t target,
                                   erg_msg_t *msg, int priority);

/* erg_node_send_important is erg_send_important from the node's pid, from
 * any thread. */
ERG_EXTERN erg_err_t erg_node_send_important(erg_node_t *node,
                                             erg_target_t target,
                                             erg_msg_t *msg);

/*
 * erg_node_call sends request to target as a call and waits up to
 * timeout_ms (0 = 5 s) for the response, stored in *reply (owned by the
 * caller). request is taken only on ERG_OK. Errors as erg_call
 * (ERG_ENOTALLOWED from a handler calling its own process). May be called
 * from any thread, handlers included (the worker is handed over while
 * blocked, see docs/runtime.md).
 */
ERG_EXTERN erg_err_t erg_node_call(erg_node_t *node, erg_target_t target,
                                   erg_msg_t *request, uint32_t timeout_ms,
                                   erg_msg_t **reply);

/* erg_node_call_priority is erg_node_call whose request goes with priority
 * (erg_priority_t; 0 = normal). */
ERG_EXTERN erg_err_t erg_node_call_priority(erg_node_t *node,
                                            erg_target_t target,
                                            erg_msg_t *request,
                                            uint32_t timeout_ms, int priority,
                                            erg_msg_t **reply);

/* erg_node_resolve_name: the pid registered under name, or ERG_ENONAME. */
ERG_EXTERN erg_err_t erg_node_resolve_name(erg_node_t *node, const char *name,
                                           erg_pid_t *pid);

/* erg_node_name_of copies the name registered by pid into buf (size len);
 * ERG_ENOPROC for an unknown pid, ERG_ENONAME if it has none. */
ERG_EXTERN erg_err_t erg_node_name_of(erg_node_t *node, erg_pid_t pid,
                                      char *buf, size_t len);

/*
 * erg_node_send_exit sends an exit signal with reason to pid from the node
 * (untrappable, like a parent's). ERG_ENOPROC, ERG_EINCARNATION, ERG_ENOCONN.
 */
ERG_EXTERN erg_err_t erg_node_send_exit(erg_node_t *node, erg_pid_t pid,
                                        erg_reason_t reason);

/*
 * erg_node_kill_process kills pid at once: it is unregistered, its links and
 * monitors fire with ERG_REASON_KILL, sends to it fail, a call it is blocked
 * in returns ERG_ETERMINATED; if a handler is running the process is a zombie
 * until the handler returns, then terminate runs with ERG_REASON_KILL.
 * ERG_ENOPROC. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_node_kill_process(erg_node_t *node, erg_pid_t pid);

/* Process states (Ergo's gen.ProcessState). */
typedef enum erg_proc_state_e {
    ERG_PROC_INIT = 0,          /* spawned; init has not returned */
    ERG_PROC_SLEEP = 1,         /* idle, waiting for mail */
    ERG_PROC_RUNNING = 2,       /* a handler is running */
    ERG_PROC_WAIT_RESPONSE = 3, /* a handler is blocked in a call */
    ERG_PROC_TERMINATED = 4,    /* finishing; no longer addressable */
    ERG_PROC_ZOMBIE = 5         /* killed while a handler still runs */
} erg_proc_state_t;

/* erg_proc_state_string: "init", "sleep", ... Thread-safe. */
ERG_EXTERN const char *erg_proc_state_string(erg_proc_state_t state);

/* A runtime snapshot of a process, without asking the process. */
typedef struct erg_proc_info_s {
    erg_pid_t pid;
    erg_pid_t parent;
    erg_proc_state_t state;
    const char *behavior; /* the behaviour's name (static) or "" */
    char name[256];       /* registered name or "" */
    uint32_t queue_urgent, queue_system, queue_main, queue_log;
    uint64_t messages_in; /* handled so far */
    unsigned aliases, links, monitors;
    bool trap_exit;
    erg_log_level_t log_level;
} erg_proc_info_t;

/* erg_node_process_info fills *info for pid; ERG_ENOPROC. Thread-safe. */
ERG_EXTERN erg_err_t erg_node_process_info(erg_node_t *node, erg_pid_t pid,
                                           erg_proc_info_t *info);

/* erg_node_log emits a record from the node itself (fields may be NULL). */
ERG_EXTERN void erg_node_log(erg_node_t *node, erg_log_level_t level,
                             const erg_log_field_t *fields, unsigned nfields,
                             const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * erg_node_logger_add adds a logger function under a unique name; it gets
 * every record at or above level. erg_node_logger_add_process makes a
 * process a logger: records reach it as ERG_TYPE_LOG messages in its log
 * queue (subject to its mailbox limit, so a slow logger drops records
 * instead of growing without bound). ERG_ETAKEN for a used name, ERG_ENOMEM.
 * A logger process is removed when it terminates. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_node_logger_add(erg_node_t *node, const char *name,
                                         erg_log_level_t level,
                                         erg_logger_cb cb, void *arg);
ERG_EXTERN erg_err_t erg_node_logger_add_process(erg_node_t *node,
                                                 const char *name,
                                                 erg_log_level_t level,
                                                 erg_pid_t pid);
/* erg_node_logger_remove: ERG_ENOENT if no such logger. After it returns
 * the function is not called any more. */
ERG_EXTERN erg_err_t erg_node_logger_remove(erg_node_t *node,
                                            const char *name);

/* erg_node_set_log_level changes the node's own level. */
ERG_EXTERN void erg_node_set_log_level(erg_node_t *node,
                                       erg_log_level_t level);

#endif /* ERG_NODE_H */
