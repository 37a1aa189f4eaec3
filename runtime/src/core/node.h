/* SPDX-License-Identifier: MIT */
/* node.h: the node's internals: registries, refs, waiters, env, pools. */
#ifndef ERG_CORE_NODE_H
#define ERG_CORE_NODE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/sched.h"
#include "core/timer.h"
#include "erg/actor.h"
#include "erg/node.h"
#include "util/hmap.h"
#include "util/idmap.h"

/* An immutable, refcounted environment layer; lookups walk to the parent,
 * then the node's. Names are stored upper-cased. */
typedef struct erg__penv_s {
    atomic_uint refs;
    struct erg__penv_s *parent;
    unsigned n;
    erg_env_var_t vars[];
} erg__penv_t;

erg_err_t erg__penv_new(erg__penv_t *parent, const erg_env_var_t *vars,
                        unsigned n, erg__penv_t **out);
void erg__penv_retain(erg__penv_t *e);
void erg__penv_release(erg__penv_t *e);
bool erg__penv_get(const erg__penv_t *e, const char *name, void **value);

/*
 * A thread waiting for a response (a blocking call, a synchronous spawn or
 * an inspect), on the waiting thread's stack. Registered in the node's
 * waiter table under a ref id; whoever completes it removes it from the
 * table under the shard lock, so it is completed at most once.
 */
typedef struct erg__waiter_s {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool done;
    erg_err_t status;
    erg_msg_t *reply;
    void *extra;
} erg__waiter_t;

enum { ERG__WAITER_SHARDS = 16, ERG__POOL_CLASSES = 6 };

typedef struct erg__waiter_shard_s {
    pthread_mutex_t lock;
    erg__hmap_t map;
    char pad_[64];
} erg__waiter_shard_t;

typedef struct erg__logger_s {
    char *name;
    erg_log_level_t level;
    erg_logger_cb cb;
    void *arg;
    erg_pid_t pid; /* a logger process, if cb is NULL */
} erg__logger_t;

struct erg_node_s {
    char name[256];
    uint32_t hash;
    uint32_t creation;
    erg_pid_t pid;
    uint32_t shutdown_timeout_ms;
    erg__sched_t *sched;
    erg__timers_t *timers;
    erg__idmap_t *procs;
    erg__penv_t *env;
    atomic_uint_fast64_t ref_seq;
    atomic_int log_level;

    pthread_mutex_t names_lock; /* names and aliases */
    erg__hmap_t names;          /* name -> pid id */
    erg__hmap_t aliases;        /* alias id -> pid id */

    pthread_mutex_t events_lock; /* events and their subscribers */
    erg__hmap_t events;          /* name -> erg__event_t */

    pthread_mutex_t log_lock;
    erg__logger_t *loggers;
    unsigned nloggers;

    erg__waiter_shard_t waiters[ERG__WAITER_SHARDS];

    /* Control blocks by size class, never given back before node end. */
    pthread_mutex_t pool_lock;
    void *pool[ERG__POOL_CLASSES];

    pthread_mutex_t count_lock;
    pthread_cond_t count_cv;
    uint64_t nprocs;
    bool stopping;

    struct erg__apps_s *apps; /* app/app.c: the loaded applications */
    struct erg__net_s *net;   /* net/net.c: connections to other nodes */
};

/* erg__now_ms: milliseconds since the Unix epoch. erg__mono_ns: monotonic. */
int64_t erg__now_ms(void);
uint64_t erg__mono_ns(void);

erg_ref_t erg__node_make_ref(erg_node_t *node);

/* Waiters: init/fini on the waiting thread; add before the request goes
 * out; wait with a timeout; complete from anywhere. */
void erg__waiter_init(erg__waiter_t *w);
void erg__waiter_fini(erg__waiter_t *w);
erg_err_t erg__waiter_add(erg_node_t *node, uint64_t ref_id,
                          erg__waiter_t *w);
/* Waits until completed or timeout_ms passed, spinning briefly first when
 * spin is true, and handing the worker over while blocked. Removes w from
 * the table; returns the status (ERG_ETIMEDOUT if nobody completed it). */
erg_err_t erg__waiter_wait(erg_node_t *node, uint64_t ref_id,
                           erg__waiter_t *w, uint32_t timeout_ms, bool spin);
/* Unregisters a waiter whose request never went out. */
void erg__waiter_remove(erg_node_t *node, uint64_t ref_id);
/* Completes the waiter registered under ref_id with status, reply (its
 * reference moves to the waiter) and extra; false if there is none. */
bool erg__waiter_complete(erg_node_t *node, uint64_t ref_id,
                          erg_err_t status, erg_msg_t *reply, void *extra);

/* Pools of control blocks. */
void *erg__pool_get(erg_node_t *node, size_t size, size_t *block_size);
void erg__pool_put(erg_node_t *node, void *block, size_t block_size);

/*
 * erg__node_call_copy calls target from outside its processes with a copy
 * of the size bytes at data as a request of type, at prio, and waits up to
 * timeout_ms. With reply != NULL the answer is stored there if it is of
 * reply_type and at least reply_min bytes (ERG_EINCORRECT otherwise);
 * without, it is dropped. The internal services' way to ask their own
 * processes (supervisors, pools, applications, cron).
 */
erg_err_t erg__node_call_copy(erg_node_t *node, erg_pid_t target,
                              const void *type, const void *data, size_t size,
                              erg_priority_t prio, uint32_t timeout_ms,
                              const void *reply_type, size_t reply_min,
                              erg_msg_t **reply);

/* erg__node_name_valid: a node name erg accepts, "name@host" (one '@',
 * neither part empty), 1..255 bytes. Also what a peer or a registrar
 * client may call itself. */
bool erg__node_name_valid(const char *name);

/*
 * erg__node_check_pid: ERG_OK if pid belongs to this node incarnation;
 * ERG_ENOCONN (logged) for another node, ERG_EINCARNATION for an earlier
 * incarnation of this one.
 */
erg_err_t erg__node_check_pid(erg_node_t *node, erg_pid_t pid);

/* The process count that erg_node_stop waits on. */
void erg__node_proc_gone(erg_node_t *node);

/* Logging from the runtime (va_list form). */
void erg__log_emit(erg_node_t *node, erg_pid_t source, const char *source_name,
                   erg_log_level_t level, const erg_log_field_t *fields,
                   unsigned nfields, const char *fmt, va_list ap);
void erg__node_logf(erg_node_t *node, erg_log_level_t level, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));
/* Removes logger processes that are pid (it terminated). */
void erg__log_forget_pid(erg_node_t *node, erg_pid_t pid);
void erg__log_fini(erg_node_t *node);

#endif /* ERG_CORE_NODE_H */
