/* SPDX-License-Identifier: MIT */
/* pool.h: a pool (Ergo's act.Pool): round-robin to N workers it keeps. */
#ifndef ERG_POOL_H
#define ERG_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/pid.h"

/* Ergo's default pool size. */
#define ERG_POOL_SIZE 3u

/*
 * A pool spec (Ergo's PoolOptions plus the pool's own callbacks). The pool
 * copies the struct at start; worker, worker_args and what worker_opts
 * points to must outlive the pool.
 *
 * Normal-priority messages and calls sent to the pool go round-robin to the
 * workers, calls answered by the worker straight to the caller. Messages
 * and calls sent with ERG_PRIORITY_HIGH or _MAX, down messages and events
 * are the pool's own: they go to the handlers below, which run in
 * the pool process (self is the pool; erg_pool_arg(self) gives arg; do not
 * use erg_proc_state(self), which is the pool's).
 */
typedef struct erg_pool_spec_s {
    const erg_behavior_t *worker; /* required */
    void *worker_args;            /* passed to every worker's init */
    /* mailbox_limit is Ergo's WorkerMailboxSize; the pool sets the link
     * flags, and register_name must be NULL (workers are many). */
    erg_spawn_opts_t worker_opts;
    unsigned size; /* workers at start; 0 = ERG_POOL_SIZE */
    /* The pool's own mail (NULL: logged and dropped); its reason ends the
     * pool as any handler's does. */
    erg_reason_t (*handle_message)(erg_proc_t *self, erg_pid_t from,
                                   erg_msg_t *msg);
    /* The pool's own calls (NULL: answered ERG_ENOTSUP), as handle_call in
     * erg_behavior_t. */
    erg_reason_t (*handle_call)(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                                erg_msg_t *request, erg_msg_t **reply);
    /* Events the pool itself subscribed to (NULL: dropped). */
    erg_reason_t (*handle_event)(erg_proc_t *self, const erg_event_msg_t *ev);
    void *arg;
} erg_pool_spec_t;

/* The pool behaviour: spawn it with a const erg_pool_spec_t * as args
 * (erg_node_spawn, erg_spawn, or as a supervisor's child spec). */
ERG_EXTERN extern const erg_behavior_t erg_pool_behavior;

/*
 * erg_pool_start starts a pool of spec on node and waits for its init,
 * which starts spec->size workers, each init finished before the next (as
 * Ergo's Spawn). opts may be NULL. Errors: those of erg_node_spawn;
 * ERG_EINVAL (no worker behaviour, or worker_opts.register_name set); a
 * worker's init error (the workers started are stopped). Any thread.
 */
ERG_EXTERN erg_err_t erg_pool_start(erg_node_t *node,
                                    const erg_pool_spec_t *spec,
                                    const erg_spawn_opts_t *opts,
                                    erg_pid_t *pid);

/* erg_pool_arg: inside the pool's handle_message / handle_call, the spec's
 * arg. */
ERG_EXTERN void *erg_pool_arg(erg_proc_t *self);

/*
 * erg_pool_add_workers starts n more workers (Ergo's AddWorkers) and stores
 * the pool's size afterwards in *size (may be NULL). A worker failing to
 * start ends the call with its error; those started before it stay.
 * erg_pool_remove_workers stops the n workers that would be picked last
 * (Ergo's RemoveWorkers) with an exit of reason ERG_REASON_NORMAL; they are
 * not replaced. ERG_EINVAL if the pool has fewer than n (nothing removed).
 * Both are high-priority calls to the pool: any thread, not from the pool's
 * own callbacks (ERG_ENOTALLOWED); call errors.
 */
ERG_EXTERN erg_err_t erg_pool_add_workers(erg_node_t *node, erg_pid_t pool,
                                          unsigned n, unsigned *size);
ERG_EXTERN erg_err_t erg_pool_remove_workers(erg_node_t *node, erg_pid_t pool,
                                             unsigned n, unsigned *size);

/*
 * erg_pool_self_add_workers and erg_pool_self_remove_workers are the same
 * from inside the pool's own handle_message / handle_call (self is the
 * pool), where Ergo's AddWorkers and RemoveWorkers are called.
 * ERG_EINVAL if self is not a pool. Call from the pool's callbacks only.
 */
ERG_EXTERN erg_err_t erg_pool_self_add_workers(erg_proc_t *self, unsigned n,
                                               unsigned *size);
ERG_EXTERN erg_err_t erg_pool_self_remove_workers(erg_proc_t *self, unsigned n,
                                                  unsigned *size);

/*
 * erg_pool_workers lists the workers in the order they will be picked,
 * next first; *out is freed with erg_pool_workers_free. Call errors,
 * ERG_ENOMEM. Any thread.
 */
ERG_EXTERN erg_err_t erg_pool_workers(erg_node_t *node, erg_pid_t pool,
                                      erg_pid_t **out, size_t *n);
ERG_EXTERN void erg_pool_workers_free(erg_pid_t *list);

#endif /* ERG_POOL_H */
