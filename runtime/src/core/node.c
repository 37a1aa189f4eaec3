/* SPDX-License-Identifier: MIT */
/* node.c: node start and stop, refs, waiters, pools, env, node-level API. */
#include "core/node.h"
#include "net/remote.h"

#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/app.h"
#include "core/actor.h"
#include "core/event.h"
#include "util/alloc.h"
#include "util/mutex.h"

enum {
    DEFAULT_SHUTDOWN_MS = 180000,
    REPORT_EVERY_MS = 5000,
    SPIN_NS = 200000,
    FIRST_PROC_ID = 1000,
};

/* Creations only grow, even across fast restarts in one program. */
static atomic_uint last_creation;

int64_t erg__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t erg__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* --- Environment ---------------------------------------------------------- */

erg_err_t erg__penv_new(erg__penv_t *parent, const erg_env_var_t *vars,
                        unsigned n, erg__penv_t **out) {
    size_t strings = 0;
    for (unsigned i = 0; i < n; i++) {
        if (vars[i].name == NULL || vars[i].name[0] == '\0')
            return ERG_EINVAL;
        strings += strlen(vars[i].name) + 1;
    }
    erg__penv_t *e =
        erg__malloc(sizeof(*e) + n * sizeof(erg_env_var_t) + strings);
    if (e == NULL)
        return ERG_ENOMEM;
    atomic_init(&e->refs, 1);
    e->parent = parent;
    if (parent != NULL)
        erg__penv_retain(parent);
    e->n = n;
    char *p = (char *)&e->vars[n];
    for (unsigned i = 0; i < n; i++) {
        /* Upper-cased, as Ergo stores env names. */
        size_t len = strlen(vars[i].name) + 1;
        for (size_t j = 0; j < len; j++)
            p[j] = (char)toupper((unsigned char)vars[i].name[j]);
        e->vars[i].name = p;
        e->vars[i].value = vars[i].value;
        p += len;
    }
    *out = e;
    return ERG_OK;
}

void erg__penv_retain(erg__penv_t *e) {
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

void erg__penv_release(erg__penv_t *e) {
    while (e != NULL &&
           atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
        erg__penv_t *parent = e->parent;
        erg__free(e);
        e = parent;
    }
}

bool erg__penv_get(const erg__penv_t *e, const char *name, void **value) {
    for (; e != NULL; e = e->parent) {
        /* Later entries override earlier ones in one layer. */
        for (unsigned i = e->n; i-- > 0;) {
            if (strcasecmp(e->vars[i].name, name) == 0) {
                *value = e->vars[i].value;
                return true;
            }
        }
    }
    return false;
}

erg_err_t erg_node_env_get(erg_node_t *node, const char *name, void **value) {
    if (node == NULL || name == NULL || value == NULL)
        return ERG_EINVAL;
    return erg__penv_get(node->env, name, value) ? ERG_OK : ERG_ENOENT;
}

/* --- Refs ----------------------------------------------------------------- */

erg_ref_t erg__node_make_ref(erg_node_t *node) {
    uint64_t id = atomic_fetch_add_explicit(&node->ref_seq, 1,
                                            memory_order_relaxed);
    return (erg_ref_t){node->hash, node->creation, id, 0};
}

erg_ref_t erg_node_make_ref(erg_node_t *node) {
    return erg__node_make_ref(node);
}

erg_ref_t erg_node_make_ref_deadline(erg_node_t *node, int64_t deadline_ms) {
    erg_ref_t ref = erg__node_make_ref(node);
    ref.deadline_ms = deadline_ms;
    return ref;
}

/* --- Waiters -------------------------------------------------------------- */

void erg__waiter_init(erg__waiter_t *w) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&w->mu, NULL);
    atomic_init(&w->done, false);
    w->status = ERG_OK;
    w->reply = NULL;
    w->extra = NULL;
}

void erg__waiter_fini(erg__waiter_t *w) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static erg__waiter_shard_t *shard_of(erg_node_t *node, uint64_t id) {
    return &node->waiters[id % ERG__WAITER_SHARDS];
}

erg_err_t erg__waiter_add(erg_node_t *node, uint64_t ref_id,
                          erg__waiter_t *w) {
    erg__waiter_shard_t *sh = shard_of(node, ref_id);
    pthread_mutex_lock(&sh->lock);
    erg_err_t rv = erg__hmap_put_u64(&sh->map, ref_id, w);
    pthread_mutex_unlock(&sh->lock);
    return rv;
}

void erg__waiter_remove(erg_node_t *node, uint64_t ref_id) {
    erg__waiter_shard_t *sh = shard_of(node, ref_id);
    pthread_mutex_lock(&sh->lock);
    erg__hmap_del_u64(&sh->map, ref_id);
    pthread_mutex_unlock(&sh->lock);
}

bool erg__waiter_complete(erg_node_t *node, uint64_t ref_id,
                          erg_err_t status, erg_msg_t *reply, void *extra) {
    erg__waiter_shard_t *sh = shard_of(node, ref_id);
    pthread_mutex_lock(&sh->lock);
    erg__waiter_t *w = erg__hmap_del_u64(&sh->map, ref_id);
    if (w != NULL) {
        /* Under the shard lock: the waiter cannot leave before we are
         * done with it (it takes this lock on its way out). */
        pthread_mutex_lock(&w->mu);
        w->status = status;
        w->reply = reply;
        w->extra = extra;
        atomic_store_explicit(&w->done, true, memory_order_release);
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_unlock(&sh->lock);
    return w != NULL;
}

erg_err_t erg__waiter_wait(erg_node_t *node, uint64_t ref_id,
                           erg__waiter_t *w, uint32_t timeout_ms, bool spin) {
    uint64_t start = erg__mono_ns();
    /* What this turn woke (the callee, maybe) must not wait for it. */
    erg__sched_release_next();
    /*
     * A blocking wake-up costs 18-30 us here and a spinning one 0.5 us, so
     * with another worker to run the callee, spin a little first, still
     * holding our worker slot.
     */
    if (spin && erg__sched_workers(node->sched) > 1) {
        for (unsigned i = 1;; i++) {
            if (atomic_load_explicit(&w->done, memory_order_acquire))
                goto finished;
            /* Past a few microseconds the callee may share our core (other
             * load, more threads than cores): yield instead of burning it. */
            if (i > 256)
                sched_yield();
            else
                cpu_relax();
            if ((i & 31) == 0 && erg__mono_ns() - start > SPIN_NS)
                break;
        }
    }
    erg__sched_block_begin();
    uint64_t deadline = start + (uint64_t)timeout_ms * 1000000u;
    struct timespec ts = {(time_t)(deadline / 1000000000u),
                          (long)(deadline % 1000000000u)};
    pthread_mutex_lock(&w->mu);
    while (!atomic_load_explicit(&w->done, memory_order_relaxed)) {
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    erg__sched_block_end();
finished:
    /* Whoever completes removes the entry under the shard lock; taking it
     * here also waits out a completer still touching w. */
    erg__waiter_remove(node, ref_id);
    pthread_mutex_lock(&w->mu);
    bool done = atomic_load_explicit(&w->done, memory_order_relaxed);
    pthread_mutex_unlock(&w->mu);
    return done ? w->status : ERG_ETIMEDOUT;
}

/* --- Pools ---------------------------------------------------------------- */

/* Multiples of 64; 448 fits a control block with a small state. */
static const size_t pool_sizes[ERG__POOL_CLASSES] = {448,  512,  768,
                                                     1024, 2048, 4096};

void *erg__pool_get(erg_node_t *node, size_t size, size_t *block_size) {
    for (int c = 0; c < ERG__POOL_CLASSES; c++) {
        if (size > pool_sizes[c])
            continue;
        *block_size = pool_sizes[c];
        pthread_mutex_lock(&node->pool_lock);
        void *b = node->pool[c];
        if (b != NULL)
            node->pool[c] = *(void **)b;
        pthread_mutex_unlock(&node->pool_lock);
        return b != NULL ? b : erg__malloc(pool_sizes[c]);
    }
    *block_size = size;
    return erg__malloc(size);
}

void erg__pool_put(erg_node_t *node, void *block, size_t block_size) {
    for (int c = 0; c < ERG__POOL_CLASSES; c++) {
        if (block_size != pool_sizes[c])
            continue;
        pthread_mutex_lock(&node->pool_lock);
        *(void **)block = node->pool[c];
        node->pool[c] = block;
        pthread_mutex_unlock(&node->pool_lock);
        return;
    }
    erg__free(block);
}

static void pool_fini(erg_node_t *node) {
    for (int c = 0; c < ERG__POOL_CLASSES; c++) {
        while (node->pool[c] != NULL) {
            void *b = node->pool[c];
            node->pool[c] = *(void **)b;
            erg__free(b);
        }
    }
}

/* --- Pids ----------------------------------------------------------------- */

erg_err_t erg__node_check_pid(erg_node_t *node, erg_pid_t pid) {
    if (pid.node != node->hash) {
        char buf[ERG_PID_STRLEN];
        erg__node_logf(node, ERG_LOG_WARNING,
                       "%s is a process of another node, and this works on "
                       "local processes only",
                       erg_pid_format(pid, buf, sizeof(buf)));
        return ERG_ENOCONN;
    }
    if (pid.creation != node->creation)
        return ERG_EINCARNATION;
    return ERG_OK;
}

void erg__node_proc_gone(erg_node_t *node) {
    pthread_mutex_lock(&node->count_lock);
    if (--node->nprocs == 0)
        pthread_cond_broadcast(&node->count_cv);
    pthread_mutex_unlock(&node->count_lock);
}

/* --- Start and stop --------------------------------------------------------*/

void erg_node_opts_init(erg_node_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->log_level = ERG_LOG_INFO;
    opts->shutdown_timeout_ms = DEFAULT_SHUTDOWN_MS;
}

bool erg__node_name_valid(const char *name) {
    if (name == NULL)
        return false;
    size_t len = strlen(name);
    const char *at = strchr(name, '@');
    return len > 0 && len < 256 && at != NULL && at != name &&
           at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

static void default_logger(const erg_log_record_t *rec, void *arg) {
    (void)arg;
    char pid[ERG_PID_STRLEN] = "node";
    if (!erg_pid_is_nil(rec->source))
        erg_pid_format(rec->source, pid, sizeof(pid));
    time_t secs = (time_t)(rec->time_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    flockfile(stderr);
    fprintf(stderr, "%s.%06ld [%s] %s%s%s: %s", when,
            (long)(rec->time_ns % 1000000000) / 1000,
            erg_log_level_string(rec->level), pid,
            rec->source_name[0] != '\0' ? " " : "", rec->source_name,
            rec->text);
    for (unsigned i = 0; i < rec->nfields; i++)
        fprintf(stderr, " %s=%s", rec->fields[i].key, rec->fields[i].value);
    fputc('\n', stderr);
    funlockfile(stderr);
}

static void node_free(erg_node_t *node) {
    erg__sched_free(node->sched);
    erg__timers_free(node->timers);
    /* After the node's threads left (their caches went back with them). */
    erg__msg_pool_release();
    erg__events_fini(node);
    erg__idmap_free(node->procs);
    erg__hmap_fini(&node->names);
    erg__hmap_fini(&node->aliases);
    for (int i = 0; i < ERG__WAITER_SHARDS; i++) {
        erg__hmap_fini(&node->waiters[i].map);
        pthread_mutex_destroy(&node->waiters[i].lock);
    }
    erg__log_fini(node);
    erg__apps_fini(node);
    pool_fini(node);
    erg__penv_release(node->env);
    pthread_mutex_destroy(&node->names_lock);
    pthread_mutex_destroy(&node->events_lock);
    pthread_mutex_destroy(&node->log_lock);
    pthread_mutex_destroy(&node->pool_lock);
    pthread_mutex_destroy(&node->count_lock);
    pthread_cond_destroy(&node->count_cv);
    erg__free(node);
}

erg_err_t erg_node_start(const char *name, const erg_node_opts_t *opts,
                         erg_node_t **out) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    if (opts != NULL) {
        o = *opts;
        if (o.shutdown_timeout_ms == 0)
            o.shutdown_timeout_ms = DEFAULT_SHUTDOWN_MS;
    }
    if (!erg__node_name_valid(name) || out == NULL || o.log_level > ERG_LOG_DISABLED ||
        (o.nenv > 0 && o.env == NULL))
        return ERG_EINVAL;
    erg_node_t *node = erg__calloc(1, sizeof(*node));
    if (node == NULL)
        return ERG_ENOMEM;
    erg__msg_pool_retain(); /* node_free releases it */
    strcpy(node->name, name);
    node->hash = erg_node_hash(name);
    uint32_t now = (uint32_t)time(NULL), prev = atomic_load(&last_creation);
    uint32_t creation;
    do {
        creation = now > prev ? now : prev + 1;
    } while (!atomic_compare_exchange_weak(&last_creation, &prev, creation));
    node->creation = creation;
    node->pid = (erg_pid_t){node->hash, creation, 1};
    node->shutdown_timeout_ms = o.shutdown_timeout_ms;
    atomic_init(&node->ref_seq, 1);
    atomic_init(&node->log_level, (int)o.log_level);
    pthread_mutex_init(&node->names_lock, NULL);
    pthread_mutex_init(&node->events_lock, NULL);
    pthread_mutex_init(&node->log_lock, NULL);
    pthread_mutex_init(&node->pool_lock, NULL);
    pthread_mutex_init(&node->count_lock, NULL);
    pthread_cond_init(&node->count_cv, NULL);
    erg__hmap_init(&node->names);
    erg__hmap_init(&node->aliases);
    erg__hmap_init(&node->events);
    for (int i = 0; i < ERG__WAITER_SHARDS; i++) {
        erg__mutex_init_short(&node->waiters[i].lock);
        erg__hmap_init(&node->waiters[i].map);
    }
    erg_err_t rv = ERG_OK;
    if (o.nenv > 0)
        rv = erg__penv_new(NULL, o.env, o.nenv, &node->env);
    if (rv == ERG_OK)
        rv = erg__idmap_new(FIRST_PROC_ID, erg__proc_idmap_retain,
                            &node->procs);
    if (rv == ERG_OK)
        rv = erg__apps_init(node);
    if (rv == ERG_OK && !o.no_default_logger)
        rv = erg_node_logger_add(node, "default", ERG_LOG_TRACE,
                                 default_logger, NULL);
    erg__sched_opts_t so;
    erg__sched_opts_init(&so);
    if (o.workers != 0)
        so.workers = o.workers;
    if (o.max_per_turn != 0)
        so.max_per_turn = o.max_per_turn;
    so.overrun = erg__proc_init_overrun; /* init deadlines */
    so.overrun_arg = node;
    if (rv == ERG_OK)
        rv = erg__sched_new(&so, &node->sched);
    if (rv == ERG_OK)
        rv = erg__timers_new(&node->timers);
    if (rv == ERG_OK)
        rv = erg__sched_start(node->sched);
    if (rv != ERG_OK) {
        node_free(node);
        return rv;
    }
    /* Applications last, on a running node; a failure ends the node as
     * Ergo's Start does (StopForce). */
    if ((rv = erg__apps_node_start(node, o.apps, o.napps)) != ERG_OK) {
        erg_node_kill(node);
        return rv;
    }
    *out = node;
    return ERG_OK;
}

typedef struct ids_s {
    uint64_t *ids;
    size_t n, cap;
} ids_t;

static void collect(uint64_t id, void *obj, void *arg) {
    (void)obj;
    ids_t *ids = arg;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap == 0 ? 64 : ids->cap * 2;
        uint64_t *a = erg__realloc(ids->ids, cap * sizeof(*a));
        if (a == NULL)
            return; /* reported processes are a best effort */
        ids->ids = a;
        ids->cap = cap;
    }
    ids->ids[ids->n++] = id;
}

static ids_t collect_all(erg_node_t *node) {
    ids_t ids = {NULL, 0, 0};
    erg__idmap_foreach(node->procs, collect, &ids);
    return ids;
}

static void kill_all(erg_node_t *node) {
    ids_t ids = collect_all(node);
    for (size_t i = 0; i < ids.n; i++) {
        erg_proc_t *p = erg__idmap_get(node->procs, ids.ids[i]);
        if (p != NULL) {
            erg__kill(p, ERG_REASON_KILL);
            erg__proc_release(p);
        }
    }
    erg__free(ids.ids);
}

enum { REPORT_MAX = 32 };

/* Logs the processes still running; a node of 100k processes must not
 * flood its log, so past REPORT_MAX only the count is given. */
static void report(erg_node_t *node) {
    ids_t ids = collect_all(node);
    if (ids.n > REPORT_MAX)
        erg__node_logf(node, ERG_LOG_WARNING,
                       "stopping: %zu processes still running, the first %d:",
                       ids.n, REPORT_MAX);
    for (size_t i = 0; i < ids.n && i < REPORT_MAX; i++) {
        erg_proc_info_t info;
        erg_pid_t pid = {node->hash, node->creation, ids.ids[i]};
        if (erg_node_process_info(node, pid, &info) != ERG_OK)
            continue;
        char buf[ERG_PID_STRLEN];
        erg__node_logf(node, ERG_LOG_WARNING,
                       "stopping: %s %s%s%s still %s, queues urgent=%u "
                       "system=%u main=%u log=%u",
                       erg_pid_format(pid, buf, sizeof(buf)), info.behavior,
                       info.name[0] != '\0' ? " " : "", info.name,
                       erg_proc_state_string(info.state), info.queue_urgent,
                       info.queue_system, info.queue_main, info.queue_log);
    }
    erg__free(ids.ids);
}

static erg_err_t node_end(erg_node_t *node, bool force) {
    if (node == NULL)
        return ERG_OK;
    if (erg__current() != NULL)
        return ERG_ENOTALLOWED;
    if (!force)
        erg__apps_node_stop(node); /* applications first, as in Ergo */
    pthread_mutex_lock(&node->count_lock);
    node->stopping = true;
    pthread_mutex_unlock(&node->count_lock);
    if (force) {
        kill_all(node);
    } else {
        ids_t ids = collect_all(node);
        for (size_t i = 0; i < ids.n; i++)
            erg__send_exit(node, node->pid,
                           (erg_pid_t){node->hash, node->creation, ids.ids[i]},
                           ERG_REASON_SHUTDOWN);
        erg__free(ids.ids);
    }
    uint64_t start = erg__mono_ns(), last = start;
    uint64_t timeout = (uint64_t)node->shutdown_timeout_ms * 1000000u;
    bool killed = force;
    pthread_mutex_lock(&node->count_lock);
    while (node->nprocs > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&node->count_cv, &node->count_lock, &ts);
        if (node->nprocs == 0)
            break;
        uint64_t now = erg__mono_ns();
        pthread_mutex_unlock(&node->count_lock);
        if (!killed && now - start >= timeout) {
            erg__node_logf(node, ERG_LOG_WARNING,
                           "stopping: shutdown timeout, killing the rest");
            kill_all(node);
            killed = true;
        } else if (now - last >= (uint64_t)REPORT_EVERY_MS * 1000000u) {
            report(node);
            last = now;
        }
        pthread_mutex_lock(&node->count_lock);
    }
    pthread_mutex_unlock(&node->count_lock);
    /* The network outlives the processes, so what they sent while
     * stopping is still written. */
    erg__net_stop(node);
    node_free(node);
    return ERG_OK;
}

erg_err_t erg_node_stop(erg_node_t *node) {
    return node_end(node, false);
}

erg_err_t erg_node_kill(erg_node_t *node) {
    return node_end(node, true);
}

/* --- Node-level API ------------------------------------------------------- */

const char *erg_node_name(const erg_node_t *node) {
    return node->name;
}

uint32_t erg_node_creation(const erg_node_t *node) {
    return node->creation;
}

erg_pid_t erg_node_pid(const erg_node_t *node) {
    return node->pid;
}

uint64_t erg_node_process_count(erg_node_t *node) {
    pthread_mutex_lock(&node->count_lock);
    uint64_t n = node->nprocs;
    pthread_mutex_unlock(&node->count_lock);
    return n;
}

erg_err_t erg_node_send(erg_node_t *node, erg_target_t target, erg_msg_t *msg,
                        int priority) {
    if (node == NULL || priority < 0 || priority > ERG_PRIORITY_MAX)
        return ERG_EINVAL;
    return erg__deliver(node, NULL, node->pid, target, msg,
                        (erg_priority_t)priority, ERG__MAIL_MSG,
                        (erg_ref_t){0});
}

erg_err_t erg_node_call(erg_node_t *node, erg_target_t target,
                        erg_msg_t *request, uint32_t timeout_ms,
                        erg_msg_t **reply) {
    return erg_node_call_priority(node, target, request, timeout_ms,
                                  ERG_PRIORITY_NORMAL, reply);
}

erg_err_t erg_node_call_priority(erg_node_t *node, erg_target_t target,
                                 erg_msg_t *request, uint32_t timeout_ms,
                                 int priority, erg_msg_t **reply) {
    if (node == NULL || request == NULL || reply == NULL || priority < 0 ||
        priority > ERG_PRIORITY_MAX)
        return ERG_EINVAL;
    erg_ref_t ref = erg__node_make_ref(node);
    erg__waiter_t w;
    erg__waiter_init(&w);
    erg_err_t rv = erg__waiter_add(node, ref.id, &w);
    if (rv == ERG_OK) {
        /* As in erg_call: request is the caller's until ERG_OK. */
        erg_msg_retain(request);
        /* From a handler, calling its own process could only time out. */
        rv = erg__deliver(node, erg__current(), node->pid, target, request,
                          (erg_priority_t)priority, ERG__MAIL_CALL, ref);
        if (rv != ERG_OK)
            erg_msg_release(request);
        if (rv == ERG_OK)
            rv = erg__waiter_wait(node, ref.id, &w,
                                  timeout_ms == 0 ? ERG_CALL_TIMEOUT_MS
                                                  : timeout_ms,
                                  true);
        else
            erg__waiter_remove(node, ref.id);
    }
    if (rv == ERG_OK)
        erg_msg_release(request);
    if (rv == ERG_OK)
        *reply = w.reply;
    else
        erg_msg_release(w.reply);
    erg__waiter_fini(&w);
    return rv;
}

erg_err_t erg__node_call_copy(erg_node_t *node, erg_pid_t target,
                              const void *type, const void *data, size_t size,
                              erg_priority_t prio, uint32_t timeout_ms,
                              const void *reply_type, size_t reply_min,
                              erg_msg_t **reply) {
    erg_msg_t *req, *got = NULL;
    erg_err_t rv = erg_msg_new_copy(type, data, size, &req);
    if (rv != ERG_OK)
        return rv;
    rv = erg_node_call_priority(node, erg_to_pid(target), req, timeout_ms,
                                prio, &got);
    if (rv != ERG_OK) {
        erg_msg_release(req); /* a call takes it only on success */
        return rv;
    }
    if (reply == NULL) {
        erg_msg_release(got);
    } else if (erg_msg_type(got) != reply_type ||
               erg_msg_size(got) < reply_min) {
        erg_msg_release(got);
        rv = ERG_EINCORRECT;
    } else {
        *reply = got;
    }
    return rv;
}

erg_err_t erg_node_spawn(erg_node_t *node, const erg_behavior_t *beh,
                         const erg_spawn_opts_t *opts, void *args,
                         erg_pid_t *pid) {
    if (node == NULL || pid == NULL)
        return ERG_EINVAL;
    erg_ref_t ref = erg__node_make_ref(node);
    erg__waiter_t w;
    erg__waiter_init(&w);
    erg_err_t rv = erg__waiter_add(node, ref.id, &w);
    if (rv != ERG_OK) {
        erg__waiter_fini(&w);
        return rv;
    }
    erg_pid_t child;
    rv = erg__spawn(node, NULL, beh, opts, args, ref.id, &child);
    if (rv != ERG_OK) {
        erg__waiter_remove(node, ref.id);
        erg__waiter_fini(&w);
        return rv;
    }
    /* A slow init is ended at its deadline, which completes us with
     * ERG_ETIMEDOUT; the margin only bounds a lost wake-up. */
    uint32_t limit = ERG_INIT_TIMEOUT_MAX_MS + 5000;
    rv = erg__waiter_wait(node, ref.id, &w, limit, false);
    erg__waiter_fini(&w);
    if (rv == ERG_OK)
        *pid = child;
    return rv;
}

erg_err_t erg_node_resolve_name(erg_node_t *node, const char *name,
                                erg_pid_t *pid) {
    if (node == NULL || name == NULL || pid == NULL)
        return ERG_EINVAL;
    pthread_mutex_lock(&node->names_lock);
    uint64_t id = (uint64_t)(uintptr_t)erg__hmap_get_str(&node->names, name);
    pthread_mutex_unlock(&node->names_lock);
    if (id == 0)
        return ERG_ENONAME;
    *pid = (erg_pid_t){node->hash, node->creation, id};
    return ERG_OK;
}

erg_err_t erg_node_name_of(erg_node_t *node, erg_pid_t pid, char *buf,
                           size_t len) {
    if (node == NULL || buf == NULL || len == 0)
        return ERG_EINVAL;
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, pid, &p);
    if (rv != ERG_OK)
        return rv;
    erg__spin_lock(&p->lock);
    if (p->name == NULL)
        rv = ERG_ENONAME;
    else
        snprintf(buf, len, "%s", p->name);
    erg__spin_unlock(&p->lock);
    erg__proc_release(p);
    return rv;
}

erg_err_t erg_node_send_exit(erg_node_t *node, erg_pid_t pid,
                             erg_reason_t reason) {
    if (node == NULL || reason == ERG_REASON_NONE)
        return ERG_EINVAL;
    return erg__send_exit(node, node->pid, pid, reason);
}

erg_err_t erg_node_kill_process(erg_node_t *node, erg_pid_t pid) {
    if (node == NULL)
        return ERG_EINVAL;
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, pid, &p);
    if (rv != ERG_OK)
        return rv;
    erg__kill(p, ERG_REASON_KILL);
    erg__proc_release(p);
    return ERG_OK;
}

const char *erg_proc_state_string(erg_proc_state_t state) {
    static const char *const names[] = {"init",          "sleep",
                                        "running",       "wait-response",
                                        "terminated",    "zombie"};
    return (unsigned)state < 6 ? names[state] : "unknown";
}

erg_err_t erg_node_process_info(erg_node_t *node, erg_pid_t pid,
                                erg_proc_info_t *info) {
    if (node == NULL || info == NULL)
        return ERG_EINVAL;
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, pid, &p);
    if (rv != ERG_OK)
        return rv;
    memset(info, 0, sizeof(*info));
    info->pid = p->pid;
    info->parent = p->parent;
    info->state = (erg_proc_state_t)atomic_load(&p->state);
    info->behavior = p->beh->name != NULL ? p->beh->name : "";
    info->queue_urgent = erg__mailbox_len(&p->mb, ERG__MAILBOX_URGENT);
    info->queue_system = erg__mailbox_len(&p->mb, ERG__MAILBOX_SYSTEM);
    info->queue_main = erg__mailbox_len(&p->mb, ERG__MAILBOX_MAIN);
    info->queue_log = erg__mailbox_len(&p->mb, ERG__MAILBOX_LOG);
    info->messages_in = atomic_load(&p->messages_in);
    info->trap_exit = atomic_load(&p->trap_exit);
    info->log_level = (erg_log_level_t)atomic_load(&p->log_level);
    erg__spin_lock(&p->lock);
    if (p->name != NULL)
        snprintf(info->name, sizeof(info->name), "%s", p->name);
    info->aliases = p->naliases;
    info->links = p->nlinks_in;
    info->monitors = p->nmonitors_in;
    erg__spin_unlock(&p->lock);
    erg__proc_release(p);
    return ERG_OK;
}

erg_err_t erg_node_inspect(erg_node_t *node, erg_pid_t pid,
                           uint32_t timeout_ms, erg_inspect_t **out) {
    if (node == NULL || out == NULL)
        return ERG_EINVAL;
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, pid, &p);
    if (rv != ERG_OK)
        return rv;
    erg_ref_t ref = erg__node_make_ref(node);
    erg__waiter_t w;
    erg__waiter_init(&w);
    erg__mail_t *mail = erg__mail_new(ERG__MAIL_INSPECT, NULL);
    rv = mail == NULL ? ERG_ENOMEM : erg__waiter_add(node, ref.id, &w);
    if (rv == ERG_OK) {
        mail->from = node->pid;
        mail->ref = ref;
        rv = erg__proc_push(p, mail, ERG__MAILBOX_SYSTEM);
        if (rv != ERG_OK) {
            erg__waiter_remove(node, ref.id);
            rv = ERG_ENOPROC;
        } else {
            mail = NULL;
            rv = erg__waiter_wait(node, ref.id, &w,
                                  timeout_ms == 0 ? ERG_CALL_TIMEOUT_MS
                                                  : timeout_ms,
                                  true);
        }
    }
    if (mail != NULL)
        erg__mail_discard(mail);
    erg__proc_release(p);
    erg__waiter_fini(&w);
    if (rv == ERG_OK)
        *out = w.extra;
    return rv;
}
