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
 * All bookkeeping is under one mutex, taken at most once per turn (the
 * requeue of the previous task and the pop of the next share it; turns
 * chained through `next` take none). The run-queue length, the surplus
 * count, the local queues' ages and the stop flag are atomics, so spinners
 * can watch them without the lock.
 *
 * Wake-ups coalesce: whoever wakes a thread counts it in nspinning on its
 * behalf, and nobody wakes another thread while nspinning > 0. A thread
 * that takes a task and sees more waiting with nobody spinning wakes the
 * next one, so parallelism ramps up one wake at a time, as in Go's wakep.
 * Wake tokens (wake_tokens, spare_tokens) make spurious condvar returns
 * harmless: only a thread that takes a token was woken on purpose.
 *
 * Runnext (Go's, with Erlang's rule for waking): a task submitted by a
 * running turn goes to that worker's `next` slot, without the lock and
 * without waking anyone, because the worker takes it as soon as the turn
 * ends. Only surplus work wakes a thread: a task pushed out of `next` by a
 * newer one, a turn that goes on with other work (proc_run calls
 * erg__sched_release_next between handlers), a worker about to block. So
 * two processes messaging each other run back to back on one worker with
 * no lock and no wake-up, the way Erlang keeps them on one scheduler, and
 * the cross-core futex wake (5-30 us here) leaves the round trip. The
 * monitor thread bounds the one case left: a single handler running long
 * after its send; a task that waits in `next` through a whole tick is
 * moved to the run queue.
 *
 * Local queues (Erlang's per-scheduler run queues, reduced): a task whose
 * turn ends with work left goes back to its worker's local queue, so a
 * sender and its receiver alternate on one core (a pair on one worker runs
 * at about 18 M msg/s here, split over two cores at about 11 M). Taken
 * after `next`, before the shared queue. Another worker takes from it only
 * when there is real surplus: a second task waiting (counted in nsurplus,
 * which wakes a thread), or a queue that has not been empty for
 * LOCAL_STALE_NS (spinners watch for it; the monitor hands it to parked
 * workers within a tick).
 */
enum {
    DEFAULT_MAX_PER_TURN = 64,
    DEFAULT_SPIN_US = 50,
    DEFAULT_MAX_THREADS = 10000,
    /* Consecutive turns a worker may take from `next` or its local queue
     * before it looks at the shared one first (Go checks its global queue
     * every 61st tick). */
    NEXT_STREAK_MAX = 61,
    /* A local queue that has not been empty for this long is work an idle
     * worker may take: longer than the turns of a sender and its receiver
     * alternating on one worker (a few us), shorter than a wake-up. */
    LOCAL_STALE_NS = 20000,
    /* Spinners look for stale local queues among the first workers. */
    MAX_WATCHED = 64,
    DEFAULT_MONITOR_US = 1000,
    /* Idle monitor ticks before the monitor sleeps. */
    MONITOR_IDLE_TICKS = 8,
};

typedef struct worker_s {
    erg__queue_t link; /* in sched->threads, for join */
    pthread_t thread;
    erg__sched_t *sched;
    bool blocked; /* between block_begin and block_end */
    bool blocked_with_deadline; /* counted in nblocked_deadline */
    unsigned streak; /* turns taken from next or local in a row; owner only */
    /* Tasks whose turn on this worker ended with work left: they come back
     * here, not to the shared queue, so a sender and its receiver stay on
     * one core (Erlang keeps a process on its scheduler's queue). Under
     * the scheduler's lock. */
    erg__queue_t local;
    unsigned nlocal;
    /* When the local queue last became non-empty (0: empty); read by
     * spinners without the lock. */
    atomic_uint_fast64_t local_since;
    /* Written by the owner, read and stolen by the monitor. */
    _Atomic(erg__task_t *) next; /* runs after the current turn */
    atomic_uint turns;           /* bumped at every turn's start */
    unsigned seen_turns;         /* the monitor's last look; its own */
    /* The running turn's deadline: set by the owner (zeroed, then the id,
     * then the deadline), claimed by the monitor zeroing it when it
     * fires, so a monitor that claims a deadline read its id. */
    atomic_uint_fast64_t deadline_ns;
    atomic_uint_fast64_t deadline_id;
} worker_t;

struct erg__sched_s {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;  /* idle workers holding a slot */
    pthread_cond_t spare_cv; /* spares without a slot */
    erg__queue_t runq;
    atomic_uint nready;    /* runq length; written under lock */
    /* Tasks in local queues beyond each queue's first: work an idle worker
     * may steal. Written under lock. */
    atomic_uint nsurplus;
    atomic_bool stopping;  /* written under lock */
    unsigned nworkers;     /* N: slots */
    /* Threads holding a slot (may exceed N briefly); written under lock,
     * read without it by a worker taking its next task. */
    atomic_uint nactive;
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
    uint64_t monitor_ns; /* the monitor's tick; 0: none */
    bool started;
    erg__queue_t threads; /* worker_t, every thread ever started */
    /* The first threads, which spinners watch without the lock: their
     * records live until stop, which joins every spinner first. */
    worker_t *watched[MAX_WATCHED];
    atomic_uint nwatched;
    pthread_t monitor;
    pthread_cond_t monitor_cv; /* the monitor sleeping while all are idle */
    bool monitor_started;
    bool monitor_asleep;
    unsigned nblocked_deadline; /* blocked threads whose turn has a deadline */
    erg__sched_overrun_cb overrun;
    void *overrun_arg;
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
    opts->monitor_us = DEFAULT_MONITOR_US;
    opts->overrun = NULL;
    opts->overrun_arg = NULL;
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
        o.monitor_us = opts->monitor_us;
        o.overrun = opts->overrun;
        o.overrun_arg = opts->overrun_arg;
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
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int crc = pthread_cond_init(&s->monitor_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (crc != 0)
        goto fail_monitor_cv;
    erg__queue_init(&s->runq);
    erg__queue_init(&s->threads);
    atomic_init(&s->nready, 0);
    atomic_init(&s->nsurplus, 0);
    atomic_init(&s->stopping, false);
    s->nworkers = o.workers;
    s->max_spinners = o.workers > 1 ? o.workers / 2 : 1;
    s->max_threads = o.max_threads;
    s->max_per_turn = o.max_per_turn;
    s->spin_ns = (uint64_t)o.spin_us * 1000u;
    s->monitor_ns = (uint64_t)o.monitor_us * 1000u;
    s->overrun = o.overrun;
    s->overrun_arg = o.overrun_arg;
    *out = s;
    return ERG_OK;

fail_monitor_cv:
    pthread_cond_destroy(&s->spare_cv);
fail_spare_cv:
    pthread_cond_destroy(&s->work_cv);
fail_work_cv:
    pthread_mutex_destroy(&s->lock);
fail_mutex:
    erg__free(s);
    return ERG_ENOMEM;
}

static void *worker_main(void *arg);
static void *monitor_main(void *arg);

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
    erg__queue_init(&w->local);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        erg__free(w);
        return rc == EAGAIN ? ERG_EAGAIN : ERG_ENOMEM;
    }
    erg__queue_insert_tail(&s->threads, &w->link);
    unsigned nw = atomic_load_explicit(&s->nwatched, memory_order_relaxed);
    if (nw < MAX_WATCHED) {
        s->watched[nw] = w;
        atomic_store_explicit(&s->nwatched, nw + 1, memory_order_release);
    }
    s->nthreads++;
    s->nactive++;
    s->nspinning++;
    return ERG_OK;
}

/* Work is about to run after a quiet spell: the monitor ticks again. Paid
 * only on paths that already pay for a wake-up. Under lock. */
static void monitor_poke(erg__sched_t *s) {
    if (s->monitor_asleep) {
        s->monitor_asleep = false;
        pthread_cond_signal(&s->monitor_cv);
    }
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
    monitor_poke(s);
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
    if (rv == ERG_OK && s->monitor_ns > 0) {
        int rc = pthread_create(&s->monitor, NULL, monitor_main, s);
        if (rc == 0)
            s->monitor_started = true;
        else
            rv = rc == EAGAIN ? ERG_EAGAIN : ERG_ENOMEM;
    }
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
    pthread_cond_broadcast(&s->monitor_cv);
    bool monitor = s->monitor_started;
    s->monitor_started = false;
    pthread_mutex_unlock(&s->lock);
    /* The monitor walks the thread list: it goes first. */
    if (monitor)
        pthread_join(s->monitor, NULL);
    pthread_mutex_lock(&s->lock);
    /* No thread is created once stopping is set, so this list is final. */
    erg__queue_t threads;
    erg__queue_move(&s->threads, &threads);
    pthread_mutex_unlock(&s->lock);
    /* All joined before any is freed: spinners read the others' records
     * (watched) until they exit. */
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &threads)
        pthread_join(ERG__QUEUE_DATA(q, worker_t, link)->thread, NULL);
    while (!erg__queue_empty(&threads)) {
        q = erg__queue_head(&threads);
        erg__queue_remove(q);
        erg__free(ERG__QUEUE_DATA(q, worker_t, link));
    }
}

void erg__sched_free(erg__sched_t *s) {
    if (s == NULL)
        return;
    erg__sched_stop(s);
    pthread_cond_destroy(&s->monitor_cv);
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

/* Queues a task for any worker and gets one looking. Under lock. */
static void runq_push_and_wake(erg__sched_t *s, erg__task_t *task) {
    runq_push(s, task);
    wake_one(s);
}

static void add_surplus(erg__sched_t *s, int delta) {
    atomic_store_explicit(
        &s->nsurplus,
        atomic_load_explicit(&s->nsurplus, memory_order_relaxed) + delta,
        memory_order_release);
}

/* A task with work left goes back to its worker's local queue; a second
 * one there is surplus, which wakes a thread to steal it. Under lock. */
static void local_push(erg__sched_t *s, worker_t *w, erg__task_t *task) {
    erg__queue_insert_tail(&w->local, &task->link);
    if (w->nlocal == 0)
        atomic_store_explicit(&w->local_since, now_ns(),
                              memory_order_relaxed);
    if (++w->nlocal >= 2) {
        add_surplus(s, 1);
        wake_one(s);
    }
}

/* Under lock. */
static erg__task_t *local_pop(erg__sched_t *s, worker_t *w) {
    if (w->nlocal == 0)
        return NULL;
    erg__queue_t *q = erg__queue_head(&w->local);
    erg__queue_remove(q);
    if (w->nlocal-- >= 2)
        add_surplus(s, -1);
    if (w->nlocal == 0)
        atomic_store_explicit(&w->local_since, 0, memory_order_relaxed);
    return ERG__QUEUE_DATA(q, erg__task_t, link);
}

/* Whether w's local queue holds work another worker should take: a second
 * task, or one that has waited LOCAL_STALE_NS behind w's turns. */
static bool local_stealable(const worker_t *w, uint64_t now) {
    uint64_t since =
        atomic_load_explicit(&w->local_since, memory_order_relaxed);
    return since != 0 && now - since >= LOCAL_STALE_NS;
}

/* Spinners' look at the watched workers, without the lock. */
static bool any_local_stealable(erg__sched_t *s, uint64_t now) {
    unsigned n = atomic_load_explicit(&s->nwatched, memory_order_acquire);
    for (unsigned i = 0; i < n; i++)
        if (local_stealable(s->watched[i], now))
            return true;
    return false;
}

/* Moves w's local tasks to the run queue (w blocks, retires, stops, or is
 * stuck in a long turn). Under lock. */
static void local_flush(erg__sched_t *s, worker_t *w) {
    erg__task_t *task;
    while ((task = local_pop(s, w)) != NULL)
        runq_push(s, task);
    if (atomic_load_explicit(&s->nready, memory_order_relaxed) > 0)
        wake_one(s);
}

/* An idle worker takes another's waiting work: the head of a local queue
 * that holds two or more, or one that has been waiting too long. Under
 * lock. */
static erg__task_t *steal_local(erg__sched_t *s, worker_t *self) {
    uint64_t now = now_ns();
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &s->threads) {
        worker_t *w = ERG__QUEUE_DATA(q, worker_t, link);
        if (w != self && (w->nlocal >= 2 || local_stealable(w, now)))
            return local_pop(s, w);
    }
    return NULL;
}

/* Queues task for any worker, from outside the lock. */
static void share(erg__sched_t *s, erg__task_t *task) {
    pthread_mutex_lock(&s->lock);
    runq_push_and_wake(s, task);
    pthread_mutex_unlock(&s->lock);
}

void erg__sched_submit(erg__sched_t *s, erg__task_t *task) {
    worker_t *w = current_worker;
    if (w != NULL && w->sched == s && !w->blocked) {
        /* From a running turn: this worker runs it next. Only the task it
         * displaces is surplus work. */
        task = atomic_exchange_explicit(&w->next, task, memory_order_acq_rel);
        if (task == NULL)
            return;
    }
    share(s, task);
}

/* Takes w's next task, or NULL. Under lock or not: only the owner and the
 * monitor's compare-exchange ever empty the slot. */
static erg__task_t *take_next(worker_t *w) {
    if (atomic_load_explicit(&w->next, memory_order_relaxed) == NULL)
        return NULL;
    return atomic_exchange_explicit(&w->next, NULL, memory_order_acquire);
}

/* Hands everything w meant to run (its next task, its local queue) to
 * the shared queue and wakes a thread for it: w is about to block, retire
 * or stop. Under lock. */
static void give_away(erg__sched_t *s, worker_t *w) {
    erg__task_t *next = take_next(w);
    if (next != NULL)
        runq_push(s, next);
    local_flush(s, w);
}

void erg__sched_release_next(void) {
    worker_t *w = current_worker;
    erg__task_t *task = w != NULL ? take_next(w) : NULL;
    if (task != NULL)
        share(w->sched, task);
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
            atomic_load_explicit(&s->nsurplus, memory_order_acquire) > 0 ||
            atomic_load_explicit(&s->stopping, memory_order_relaxed))
            return;
        cpu_relax();
        /* A clock read costs ~20 ns; every 32 pauses is ~1 us apart. */
        if ((i & 31) == 0) {
            uint64_t now = now_ns();
            if (now >= deadline || any_local_stealable(s, now))
                return;
        }
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

/*
 * The worker's next task without the lock: its `next`, unless the run queue
 * has waited through NEXT_STREAK_MAX such turns (two tasks waking each
 * other must not keep the worker from the queue), or the worker must look
 * at the shared state (stopping, too many slots taken).
 */
static erg__task_t *next_unlocked(worker_t *w, erg__sched_t *s) {
    if (atomic_load_explicit(&s->stopping, memory_order_relaxed) ||
        atomic_load_explicit(&s->nactive, memory_order_relaxed) > s->nworkers)
        return NULL;
    if (w->streak >= NEXT_STREAK_MAX &&
        atomic_load_explicit(&s->nready, memory_order_relaxed) > 0)
        return NULL;
    erg__task_t *task = take_next(w);
    if (task != NULL)
        w->streak++;
    return task;
}

/* Runs one turn of task; returns it if it wants another. */
static erg__task_t *run_turn(worker_t *w, erg__sched_t *s, erg__task_t *task) {
    atomic_store_explicit(&w->turns,
                          atomic_load_explicit(&w->turns,
                                               memory_order_relaxed) + 1,
                          memory_order_relaxed);
    erg__task_status_t st = task->run(task, s->max_per_turn);
    assert(!w->blocked);
    return st == ERG__TASK_MORE ? task : NULL;
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
            local_push(s, w, requeue);
            requeue = NULL;
        }
        if (atomic_load(&s->stopping))
            break;
        /* Back from a blocking call with all slots taken: step aside. */
        if (s->nactive > s->nworkers) {
            give_away(s, w);
            if (!retire(s))
                goto exit_without_slot;
            may_spin = true;
            continue;
        }
        erg__task_t *task = NULL;
        /* The shared queue first every NEXT_STREAK_MAX turns, so what this
         * worker keeps for itself cannot starve it. */
        if (w->streak >= NEXT_STREAK_MAX && (task = runq_pop(s)) != NULL)
            w->streak = 0;
        if (task == NULL && (task = take_next(w)) == NULL)
            task = local_pop(s, w);
        if (task != NULL) {
            w->streak++;
        } else if ((task = runq_pop(s)) != NULL ||
                   (task = steal_local(s, w)) != NULL) {
            w->streak = 0;
        }
        if (task != NULL) {
            if (atomic_load_explicit(&s->nready, memory_order_relaxed) > 0 ||
                atomic_load_explicit(&s->nsurplus, memory_order_relaxed) > 0)
                wake_one(s);
            pthread_mutex_unlock(&s->lock);
            /* Turns that end with a task in `next` chain without the lock. */
            do
                requeue = run_turn(w, s, task);
            while (requeue == NULL && (task = next_unlocked(w, s)) != NULL);
            may_spin = true;
            pthread_mutex_lock(&s->lock);
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
    /* Stopped: what this worker would have run stays queued. */
    give_away(s, w);
    s->nactive--;
exit_without_slot:
    pthread_mutex_unlock(&s->lock);
    current_worker = NULL;
    return NULL;
}

/*
 * The monitor (Go's sysmon, reduced to two jobs). Every tick it moves to the
 * run queue any task that has sat in a worker's `next` since the last tick
 * while that worker stayed in one turn (a long handler after its send), and
 * reports turns that run past their deadline. It sleeps while every worker
 * is parked and no blocked turn has a deadline; wake_one rouses it.
 */
enum { MAX_OVERRUNS_PER_TICK = 64 };

/* One look at every thread. Fills ids with overrun turns (at most
 * MAX_OVERRUNS_PER_TICK; the rest wait a tick) and returns how many. Under
 * lock. */
static unsigned monitor_scan(erg__sched_t *s, uint64_t now, uint64_t *ids) {
    unsigned n = 0;
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &s->threads) {
        worker_t *w = ERG__QUEUE_DATA(q, worker_t, link);
        unsigned turns = atomic_load_explicit(&w->turns, memory_order_relaxed);
        erg__task_t *task = atomic_load_explicit(&w->next, memory_order_relaxed);
        if (task != NULL && turns == w->seen_turns &&
            atomic_compare_exchange_strong_explicit(&w->next, &task, NULL,
                                                    memory_order_acquire,
                                                    memory_order_relaxed))
            runq_push_and_wake(s, task);
        /* A worker stuck in one turn, or waiting work nobody came for
         * while a worker is parked: to the shared queue, with a wake-up.
         * (With every worker busy, moving it would only split pairs.) */
        if (turns == w->seen_turns ||
            (s->nparked > 0 && local_stealable(w, now)))
            local_flush(s, w);
        w->seen_turns = turns;
        uint_fast64_t d =
            atomic_load_explicit(&w->deadline_ns, memory_order_acquire);
        if (d == 0 || now < d || n == MAX_OVERRUNS_PER_TICK)
            continue;
        uint64_t id = atomic_load_explicit(&w->deadline_id,
                                           memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&w->deadline_ns, &d, 0,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed))
            ids[n++] = id;
    }
    return n;
}

static void *monitor_main(void *arg) {
    erg__sched_t *s = arg;
    unsigned idle_ticks = 0;
    uint64_t ids[MAX_OVERRUNS_PER_TICK];
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stopping)) {
        if (idle_ticks >= MONITOR_IDLE_TICKS) {
            s->monitor_asleep = true;
            while (s->monitor_asleep && !atomic_load(&s->stopping))
                pthread_cond_wait(&s->monitor_cv, &s->lock);
            idle_ticks = 0;
            continue;
        }
        uint64_t at = now_ns() + s->monitor_ns;
        struct timespec ts = {(time_t)(at / 1000000000u),
                              (long)(at % 1000000000u)};
        (void)pthread_cond_timedwait(&s->monitor_cv, &s->lock, &ts);
        if (atomic_load(&s->stopping))
            break;
        unsigned n = monitor_scan(s, now_ns(), ids);
        bool idle = s->nparked == s->nactive && s->nblocked_deadline == 0;
        idle_ticks = idle ? idle_ticks + 1 : 0;
        if (n > 0 && s->overrun != NULL) {
            /* The callback may submit tasks, which takes the lock. */
            pthread_mutex_unlock(&s->lock);
            for (unsigned i = 0; i < n; i++)
                s->overrun(s->overrun_arg, ids[i]);
            pthread_mutex_lock(&s->lock);
        }
    }
    s->monitor_asleep = false;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

erg__sched_deadline_t erg__sched_deadline_set(erg__sched_deadline_t d) {
    erg__sched_deadline_t old = {0, 0};
    worker_t *w = current_worker;
    if (w == NULL)
        return old;
    old.deadline_ns = atomic_load_explicit(&w->deadline_ns,
                                           memory_order_relaxed);
    old.id = atomic_load_explicit(&w->deadline_id, memory_order_relaxed);
    /* Cleared first, so the monitor never pairs the new id with the old
     * deadline or the reverse. */
    atomic_store_explicit(&w->deadline_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&w->deadline_id, d.id, memory_order_relaxed);
    atomic_store_explicit(&w->deadline_ns, d.deadline_ns,
                          memory_order_release);
    return old;
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
    /* A blocked turn with a deadline keeps the monitor awake. */
    if (atomic_load_explicit(&w->deadline_ns, memory_order_relaxed) != 0) {
        w->blocked_with_deadline = true;
        s->nblocked_deadline++;
        monitor_poke(s);
    }
    /* Nobody else would run what this worker meant to run. The slot is
     * free now: give_away hands it over only if there is work for it,
     * otherwise the next submit does (wake_one uses free slots). */
    give_away(s, w);
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
    if (w->blocked_with_deadline) {
        w->blocked_with_deadline = false;
        s->nblocked_deadline--;
    }
    /* Never wait here: the caller holds a half-done turn. Oversubscription
     * lasts until some worker ends its turn and retires. */
    s->nactive++;
    monitor_poke(s);
    pthread_mutex_unlock(&s->lock);
}

unsigned erg__sched_threads(erg__sched_t *s) {
    pthread_mutex_lock(&s->lock);
    unsigned n = s->nthreads;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool erg__sched_on_worker(const erg__sched_t *s) {
    worker_t *w = current_worker;
    return w != NULL && w->sched == s;
}

unsigned erg__sched_workers(erg__sched_t *s) {
    return s->nworkers;
}

unsigned erg__sched_max_per_turn(erg__sched_t *s) {
    return s->max_per_turn;
}
