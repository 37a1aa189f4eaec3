/* SPDX-License-Identifier: MIT */
/* sched.c: worker threads, the run queue, spinning, parking and handoff. */
#include "core/sched.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/mutex.h"

/*
 * Model (Go's runtime, reduced): there are N worker *slots*. A thread must
 * hold a slot to run tasks. Threads holding a slot are running a turn,
 * spinning, or parked on work_cv; threads without one are blocked in a call
 * (between block_begin and block_end) or parked as spares on spare_cv.
 *
 * All bookkeeping is under one mutex, taken once per turn (the requeue of
 * the previous task and the pop of the next share it). Only the run-queue
 * length and the stop flag are atomics, so spinners can watch them without
 * the lock.
 *
 * Wake-ups coalesce: whoever wakes a thread counts it in nspinning on its
 * behalf, and nobody wakes another thread while nspinning > 0. A thread
 * that takes a task and sees more waiting with nobody spinning wakes the
 * next one, so parallelism ramps up one wake at a time, as in Go's wakep.
 * Wake tokens (wake_tokens, spare_tokens) make spurious condvar returns
 * harmless: only a thread that takes a token was woken on purpose.
 */
enum {
    DEFAULT_MAX_PER_TURN = 64,
    DEFAULT_SPIN_US = 50,
    DEFAULT_MAX_THREADS = 10000,
};

typedef struct worker_s {
    erg__queue_t link; /* in sched->threads, for join */
    pthread_t thread;
    erg__sched_t *sched;
    bool blocked; /* between block_begin and block_end */
} worker_t;

struct erg__sched_s {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;  /* idle workers holding a slot */
    pthread_cond_t spare_cv; /* spares without a slot */
    erg__queue_t runq;
    atomic_uint nready;    /* runq length; written under lock */
    atomic_bool stopping;  /* written under lock */
    unsigned nworkers;     /* N: slots */
    unsigned nactive;      /* threads holding a slot (may exceed N briefly) */
    unsigned nspinning;    /* spinning, or woken and not yet looking */
    unsigned max_spinners; /* spinning at once, so the loop thread runs */
    unsigned nparked;      /* holding a slot, waiting on work_cv */
    unsigned wake_tokens;  /* pending deliberate wakes of parked workers */
    unsigned nspare;       /* spares waiting on spare_cv */
    unsigned spare_tokens; /* pending slot grants to spares */
    unsigned nthreads;     /* created, for the cap and for tests */
    unsigned max_threads;
    unsigned max_per_turn;
    uint64_t spin_ns;
    bool started;
    erg__queue_t threads; /* worker_t, every thread ever started */
};

/* The worker the calling thread is, if any: block_begin/_end find their
 * scheduler through it. */
static _Thread_local worker_t *current_worker;

void erg__task_init(erg__task_t *task, erg__task_run_cb run) {
    erg__queue_init(&task->link);
    task->run = run;
}

void erg__sched_opts_init(erg__sched_opts_t *opts) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opts->workers = cores > 0 ? (unsigned)cores : 1;
    opts->max_per_turn = DEFAULT_MAX_PER_TURN;
    opts->spin_us = DEFAULT_SPIN_US;
    opts->max_threads = DEFAULT_MAX_THREADS;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tells the core we are busy-waiting: saves power and, on SMT, gives the
 * sibling thread the pipeline. */
static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

erg_err_t erg__sched_new(const erg__sched_opts_t *opts, erg__sched_t **out) {
    erg__sched_opts_t o;
    erg__sched_opts_init(&o);
    if (opts != NULL) {
        if (opts->workers != 0)
            o.workers = opts->workers;
        if (opts->max_per_turn != 0)
            o.max_per_turn = opts->max_per_turn;
        if (opts->max_threads != 0)
            o.max_threads = opts->max_threads;
        o.spin_us = opts->spin_us;
    }
    if (o.max_threads < o.workers)
        return ERG_EINVAL;
    erg__sched_t *s = erg__calloc(1, sizeof(*s));
    if (s == NULL)
        return ERG_ENOMEM;
    /* Two workers meet here on every hand-over (ping-pong: 3.7 -> 4.2 M
     * msg/s with an adaptive lock). */
    if (erg__mutex_init_short(&s->lock) != 0)
        goto fail_mutex;
    if (pthread_cond_init(&s->work_cv, NULL) != 0)
        goto fail_work_cv;
    if (pthread_cond_init(&s->spare_cv, NULL) != 0)
        goto fail_spare_cv;
    erg__queue_init(&s->runq);
    erg__queue_init(&s->threads);
    atomic_init(&s->nready, 0);
    atomic_init(&s->stopping, false);
    s->nworkers = o.workers;
    s->max_spinners = o.workers > 1 ? o.workers / 2 : 1;
    s->max_threads = o.max_threads;
    s->max_per_turn = o.max_per_turn;
    s->spin_ns = (uint64_t)o.spin_us * 1000u;
    *out = s;
    return ERG_OK;

fail_spare_cv:
    pthread_cond_destroy(&s->work_cv);
fail_work_cv:
    pthread_mutex_destroy(&s->lock);
fail_mutex:
    erg__free(s);
    return ERG_ENOMEM;
}

static void *worker_main(void *arg);

/*
 * Starts one more thread holding a slot, counted as spinning so nobody
 * wakes another for the same work. Under lock.
 */
static erg_err_t spawn_thread(erg__sched_t *s) {
    if (s->nthreads >= s->max_threads)
        return ERG_EAGAIN;
    worker_t *w = erg__calloc(1, sizeof(*w));
    if (w == NULL)
        return ERG_ENOMEM;
    w->sched = s;
    erg__queue_init(&w->link);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        erg__free(w);
        return rc == EAGAIN ? ERG_EAGAIN : ERG_ENOMEM;
    }
    erg__queue_insert_tail(&s->threads, &w->link);
    s->nthreads++;
    s->nactive++;
    s->nspinning++;
    return ERG_OK;
}

/*
 * Gets one more thread looking at the run queue, unless one already is.
 * Prefers a parked worker (it holds a slot), then a free slot: handed to a
 * cached spare, or to a new thread. If the thread cap is reached or
 * pthread_create fails, the work waits for a busy thread to come back; the
 * next call tries again. Under lock.
 */
static void wake_one(erg__sched_t *s) {
    /* Before start, the workers start finds the queue by themselves. */
    if (!s->started || s->nspinning > 0 || atomic_load(&s->stopping))
        return;
    if (s->nparked > s->wake_tokens) {
        s->wake_tokens++;
        s->nspinning++;
        pthread_cond_signal(&s->work_cv);
        return;
    }
    if (s->nactive >= s->nworkers)
        return;
    if (s->nspare > s->spare_tokens) {
        s->spare_tokens++;
        s->nactive++;
        s->nspinning++;
        pthread_cond_signal(&s->spare_cv);
        return;
    }
    (void)spawn_thread(s);
}

erg_err_t erg__sched_start(erg__sched_t *s) {
    pthread_mutex_lock(&s->lock);
    assert(!s->started);
    s->started = true;
    erg_err_t rv = ERG_OK;
    for (unsigned i = 0; i < s->nworkers && rv == ERG_OK; i++)
        rv = spawn_thread(s);
    pthread_mutex_unlock(&s->lock);
    if (rv != ERG_OK)
        erg__sched_stop(s);
    return rv;
}

void erg__sched_stop(erg__sched_t *s) {
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stopping, true);
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->spare_cv);
    /* No thread is created once stopping is set, so this list is final. */
    erg__queue_t threads;
    erg__queue_move(&s->threads, &threads);
    pthread_mutex_unlock(&s->lock);
    while (!erg__queue_empty(&threads)) {
        erg__queue_t *q = erg__queue_head(&threads);
        erg__queue_remove(q);
        worker_t *w = ERG__QUEUE_DATA(q, worker_t, link);
        pthread_join(w->thread, NULL);
        erg__free(w);
    }
}

void erg__sched_free(erg__sched_t *s) {
    if (s == NULL)
        return;
    erg__sched_stop(s);
    pthread_cond_destroy(&s->spare_cv);
    pthread_cond_destroy(&s->work_cv);
    pthread_mutex_destroy(&s->lock);
    erg__free(s);
}

static void runq_push(erg__sched_t *s, erg__task_t *task) {
    erg__queue_insert_tail(&s->runq, &task->link);
    atomic_store_explicit(
        &s->nready, atomic_load_explicit(&s->nready, memory_order_relaxed) + 1,
        memory_order_release);
}

static erg__task_t *runq_pop(erg__sched_t *s) {
    if (erg__queue_empty(&s->runq))
        return NULL;
    erg__queue_t *q = erg__queue_head(&s->runq);
    erg__queue_remove(q);
    atomic_store_explicit(
        &s->nready, atomic_load_explicit(&s->nready, memory_order_relaxed) - 1,
        memory_order_relaxed);
    return ERG__QUEUE_DATA(q, erg__task_t, link);
}

void erg__sched_submit(erg__sched_t *s, erg__task_t *task) {
    pthread_mutex_lock(&s->lock);
    runq_push(s, task);
    wake_one(s);
    pthread_mutex_unlock(&s->lock);
}

/*
 * Busy-waits for work for up to spin_ns, without the lock. On this machine
 * a parked thread takes 18-30 us to wake, a spinning one about 0.5 us, so a
 * short spin pays for itself whenever work arrives within it; the bound
 * keeps idle workers from taking the core the libuv loop thread needs.
 */
static void spin(erg__sched_t *s) {
    uint64_t deadline = now_ns() + s->spin_ns;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&s->nready, memory_order_acquire) > 0 ||
            atomic_load_explicit(&s->stopping, memory_order_relaxed))
            return;
        cpu_relax();
        /* A clock read costs ~20 ns; every 32 pauses is ~1 us apart. */
        if ((i & 31) == 0 && now_ns() >= deadline)
            return;
    }
}

/* Gives up the slot and waits as a spare until granted one (true) or
 * stopped without one (false). Under lock. */
static bool retire(erg__sched_t *s) {
    s->nactive--;
    s->nspare++;
    while (s->spare_tokens == 0 && !atomic_load(&s->stopping))
        pthread_cond_wait(&s->spare_cv, &s->lock);
    s->nspare--;
    if (s->spare_tokens == 0)
        return false;
    /* The granter already counted us in nactive and nspinning. */
    s->spare_tokens--;
    s->nspinning--;
    return true;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    erg__sched_t *s = w->sched;
    current_worker = w;
    erg__task_t *requeue = NULL;
    bool may_spin = true;

    pthread_mutex_lock(&s->lock);
    s->nspinning--; /* spawn_thread counted us as on our way */
    for (;;) {
        if (requeue != NULL) {
            runq_push(s, requeue);
            requeue = NULL;
        }
        if (atomic_load(&s->stopping))
            break;
        /* Back from a blocking call with all slots taken: step aside. */
        if (s->nactive > s->nworkers) {
            if (!retire(s))
                goto exit_without_slot;
            may_spin = true;
            continue;
        }
        erg__task_t *task = runq_pop(s);
        if (task != NULL) {
            if (atomic_load_explicit(&s->nready, memory_order_relaxed) > 0)
                wake_one(s);
            pthread_mutex_unlock(&s->lock);
            erg__task_status_t st = task->run(task, s->max_per_turn);
            assert(!w->blocked);
            may_spin = true;
            pthread_mutex_lock(&s->lock);
            if (st == ERG__TASK_MORE)
                requeue = task;
            continue;
        }
        if (may_spin && s->spin_ns > 0 && s->nspinning < s->max_spinners) {
            s->nspinning++;
            pthread_mutex_unlock(&s->lock);
            spin(s);
            pthread_mutex_lock(&s->lock);
            s->nspinning--;
            may_spin = false;
            continue;
        }
        s->nparked++;
        while (s->wake_tokens == 0 && !atomic_load(&s->stopping))
            pthread_cond_wait(&s->work_cv, &s->lock);
        s->nparked--;
        if (s->wake_tokens > 0) {
            s->wake_tokens--;
            s->nspinning--; /* the waker counted us */
        }
        may_spin = true;
    }
    s->nactive--;
exit_without_slot:
    pthread_mutex_unlock(&s->lock);
    current_worker = NULL;
    return NULL;
}

void erg__sched_block_begin(void) {
    worker_t *w = current_worker;
    if (w == NULL)
        return;
    erg__sched_t *s = w->sched;
    assert(!w->blocked);
    pthread_mutex_lock(&s->lock);
    w->blocked = true;
    s->nactive--;
    /* The slot is free now; hand it over only if there is work for it,
     * otherwise the next submit does (wake_one uses free slots). */
    if (atomic_load_explicit(&s->nready, memory_order_relaxed) > 0)
        wake_one(s);
    pthread_mutex_unlock(&s->lock);
}

void erg__sched_block_end(void) {
    worker_t *w = current_worker;
    if (w == NULL)
        return;
    erg__sched_t *s = w->sched;
    assert(w->blocked);
    pthread_mutex_lock(&s->lock);
    w->blocked = false;
    /* Never wait here: the caller holds a half-done turn. Oversubscription
     * lasts until some worker ends its turn and retires. */
    s->nactive++;
    pthread_mutex_unlock(&s->lock);
}

unsigned erg__sched_threads(erg__sched_t *s) {
    pthread_mutex_lock(&s->lock);
    unsigned n = s->nthreads;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned erg__sched_workers(erg__sched_t *s) {
    return s->nworkers;
}

unsigned erg__sched_max_per_turn(erg__sched_t *s) {
    return s->max_per_turn;
}
