/* SPDX-License-Identifier: MIT */
/* sched_test.c: turns, fairness, a million messages, and blocked callers. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/mailbox.h"
#include "core/sched.h"
#include "util/alloc.h"

/* Generous: these only bound a hang, they never decide a pass. */
enum { TIMEOUT_S = 60 };

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Waits until *v >= target; false after TIMEOUT_S. */
static bool wait_for(atomic_long *v, long target) {
    for (long waited = 0; waited < TIMEOUT_S * 10000L; waited++) {
        if (atomic_load(v) >= target)
            return true;
        sleep_us(100);
    }
    return atomic_load(v) >= target;
}

static erg__sched_opts_t opts_for(unsigned workers) {
    erg__sched_opts_t o;
    erg__sched_opts_init(&o);
    o.workers = workers;
    return o;
}

static erg__sched_t *sched_new_from(const erg__sched_opts_t *o) {
    erg__sched_t *s = NULL;
    ERG_PASS(erg__sched_new(o, &s));
    return s;
}

static erg__sched_t *sched_start(unsigned workers, unsigned max_per_turn) {
    erg__sched_opts_t o = opts_for(workers);
    o.max_per_turn = max_per_turn;
    erg__sched_t *s = sched_new_from(&o);
    ERG_PASS(erg__sched_start(s));
    return s;
}

/* --- Simple tasks that count their turns. ------------------------------ */

typedef struct counted_s {
    erg__task_t task;
    long turns_left;
    long turns;
    unsigned max_seen;
    atomic_long *done;
} counted_t;

static erg__task_status_t counted_run(erg__task_t *t, unsigned max) {
    counted_t *c = ERG__QUEUE_DATA(t, counted_t, task);
    c->turns++;
    c->max_seen = max;
    if (--c->turns_left > 0)
        return ERG__TASK_MORE;
    atomic_fetch_add(c->done, 1);
    return ERG__TASK_IDLE;
}

static void test_sched_runs_tasks_and_requeues_unfinished_ones(void **state) {
    (void)state;
    enum { N = 200 };
    atomic_long done = 0;
    counted_t *c = erg__calloc(N, sizeof(*c));
    assert_non_null(c);
    erg__sched_t *s = sched_start(2, 7);
    for (int i = 0; i < N; i++) {
        erg__task_init(&c[i].task, counted_run);
        c[i].turns_left = 1 + i % 10;
        c[i].done = &done;
        erg__sched_submit(s, &c[i].task);
    }
    assert_true(wait_for(&done, N));
    erg__sched_free(s);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].turns, 1 + i % 10);
        assert_int_equal(c[i].max_seen, 7);
    }
    erg__free(c);
}

static void test_sched_tasks_submitted_before_start_run(void **state) {
    (void)state;
    atomic_long done = 0;
    counted_t c = {.turns_left = 3, .done = &done};
    erg__task_init(&c.task, counted_run);
    erg__sched_t *s = NULL;
    ERG_PASS(erg__sched_new(NULL, &s));
    erg__sched_submit(s, &c.task);
    ERG_PASS(erg__sched_start(s));
    assert_true(wait_for(&done, 1));
    erg__sched_free(s);
    assert_int_equal(c.turns, 3);
}

/* --- Fairness: one task that always has work. -------------------------- */

typedef struct busy_s {
    erg__task_t task;
    atomic_bool stop;
    atomic_long turns;
    atomic_long *done;
} busy_t;

static erg__task_status_t busy_run(erg__task_t *t, unsigned max) {
    busy_t *b = ERG__QUEUE_DATA(t, busy_t, task);
    (void)max;
    atomic_fetch_add(&b->turns, 1);
    if (!atomic_load(&b->stop))
        return ERG__TASK_MORE;
    atomic_fetch_add(b->done, 1);
    return ERG__TASK_IDLE;
}

static void test_sched_busy_task_cannot_starve_others(void **state) {
    (void)state;
    enum { N = 100 };
    atomic_long done = 0, busy_done = 0;
    /* One worker, so a scheduler that let the busy task keep its worker
     * would never run anything else. */
    erg__sched_t *s = sched_start(1, 64);
    busy_t busy = {.done = &busy_done};
    atomic_init(&busy.stop, false);
    atomic_init(&busy.turns, 0);
    erg__task_init(&busy.task, busy_run);
    erg__sched_submit(s, &busy.task);
    while (atomic_load(&busy.turns) == 0)
        sleep_us(100);
    counted_t *c = erg__calloc(N, sizeof(*c));
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        erg__task_init(&c[i].task, counted_run);
        c[i].turns_left = 5;
        c[i].done = &done;
        erg__sched_submit(s, &c[i].task);
    }
    assert_true(wait_for(&done, N));
    /* Everyone finished while the busy task still had work. */
    assert_false(atomic_load(&busy.stop));
    assert_int_equal(atomic_load(&busy_done), 0);
    atomic_store(&busy.stop, true);
    assert_true(wait_for(&busy_done, 1));
    erg__sched_free(s);
    erg__free(c);
}

static void test_sched_stop_returns_while_tasks_have_work(void **state) {
    (void)state;
    atomic_long done = 0;
    erg__sched_t *s = sched_start(2, 64);
    busy_t busy = {.done = &done};
    atomic_init(&busy.stop, false);
    atomic_init(&busy.turns, 0);
    erg__task_init(&busy.task, busy_run);
    erg__sched_submit(s, &busy.task);
    while (atomic_load(&busy.turns) < 10)
        sleep_us(100);
    erg__sched_stop(s);
    long turns = atomic_load(&busy.turns);
    sleep_us(1000);
    /* Nothing runs after stop returns. */
    assert_int_equal(atomic_load(&busy.turns), turns);
    erg__sched_free(s);
}

/* --- 1,000 processes exchanging 1,000,000 messages. -------------------- */

enum {
    ACTORS = 1000,
    TOKENS_PER_ACTOR = 4,
    HOPS = 250, /* 1000 * 4 * 250 = 1,000,000 deliveries */
};

typedef struct actor_s {
    erg__task_t task;
    erg__mailbox_t mb;
    int index;
    long received;
} actor_t;

typedef struct token_s {
    erg__mailbox_node_t node;
    int hops_left;
    int origin;
} token_t;

typedef struct ring_s {
    erg__sched_t *sched;
    actor_t *actors;
    token_t *tokens;
    atomic_long finished;
    atomic_long send_errors;
} ring_t;

static ring_t *ring;

static void ring_send(int to, token_t *tok) {
    actor_t *a = &ring->actors[to];
    bool wake;
    /* Every fourth hop goes urgent, so all queues carry traffic. */
    erg__mailbox_queue_t q =
        tok->hops_left % 4 == 0 ? ERG__MAILBOX_URGENT : ERG__MAILBOX_MAIN;
    if (erg__mailbox_push(&a->mb, q, &tok->node, &wake) != ERG_OK) {
        atomic_fetch_add(&ring->send_errors, 1);
        return;
    }
    if (wake)
        erg__sched_submit(ring->sched, &a->task);
}

/* What a process's run looks like: a bounded turn, then block if empty. */
static erg__task_status_t actor_run(erg__task_t *t, unsigned max) {
    actor_t *a = ERG__QUEUE_DATA(t, actor_t, task);
    erg__mailbox_fetch(&a->mb);
    unsigned handled = 0;
    while (handled < max) {
        erg__mailbox_node_t *n = erg__mailbox_pop(&a->mb);
        if (n == NULL) {
            if (erg__mailbox_try_block(&a->mb))
                return ERG__TASK_IDLE;
            continue;
        }
        handled++;
        a->received++;
        token_t *tok = (token_t *)(void *)n;
        if (--tok->hops_left == 0) {
            atomic_fetch_add(&ring->finished, 1);
            continue;
        }
        /* A spread of targets that differs per hop and per sender. */
        int to = (a->index * 7 + tok->hops_left * 13 + tok->origin) % ACTORS;
        ring_send(to, tok);
    }
    return ERG__TASK_MORE;
}

static void test_sched_1000_processes_exchange_1000000_messages(void **state) {
    (void)state;
    ring = erg__calloc(1, sizeof(*ring));
    assert_non_null(ring);
    ring->actors = erg__calloc(ACTORS, sizeof(actor_t));
    ring->tokens = erg__calloc(ACTORS * TOKENS_PER_ACTOR, sizeof(token_t));
    assert_non_null(ring->actors);
    assert_non_null(ring->tokens);
    atomic_init(&ring->finished, 0);
    atomic_init(&ring->send_errors, 0);
    for (int i = 0; i < ACTORS; i++) {
        erg__task_init(&ring->actors[i].task, actor_run);
        erg__mailbox_init(&ring->actors[i].mb, 0);
        ring->actors[i].index = i;
    }
    ring->sched = sched_start(2, 64);
    long mallocs_before = erg_test_alloc_count();
    for (int i = 0; i < ACTORS * TOKENS_PER_ACTOR; i++) {
        ring->tokens[i].hops_left = HOPS;
        ring->tokens[i].origin = i;
        ring_send(i % ACTORS, &ring->tokens[i]);
    }
    assert_true(wait_for(&ring->finished, ACTORS * TOKENS_PER_ACTOR));
    /* The hot path (push, pop, submit, run) allocated nothing. */
    assert_int_equal(erg_test_alloc_count(), mallocs_before);
    erg__sched_free(ring->sched);

    assert_int_equal(atomic_load(&ring->send_errors), 0);
    long total = 0;
    for (int i = 0; i < ACTORS; i++) {
        actor_t *a = &ring->actors[i];
        total += a->received;
        erg__mailbox_close(&a->mb);
        assert_null(erg__mailbox_pop(&a->mb));
        erg__mailbox_fini(&a->mb);
    }
    assert_int_equal(total, (long)ACTORS * TOKENS_PER_ACTOR * HOPS);
    for (int i = 0; i < ACTORS * TOKENS_PER_ACTOR; i++)
        assert_int_equal(ring->tokens[i].hops_left, 0);
    erg__free(ring->tokens);
    erg__free(ring->actors);
    erg__free(ring);
    ring = NULL;
}

/* --- Blocking calls: more blocked callers than workers. ---------------- */

typedef struct rendezvous_s {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int arrived;
    int timeouts;
} rendezvous_t;

static rendezvous_t rv;

static void rv_init(void) {
    pthread_mutex_init(&rv.lock, NULL);
    pthread_cond_init(&rv.cv, NULL);
    rv.arrived = 0;
    rv.timeouts = 0;
}

static void rv_fini(void) {
    pthread_cond_destroy(&rv.cv);
    pthread_mutex_destroy(&rv.lock);
}

/* Waits under rv.lock until pred(arg) holds; counts a timeout if not. */
static void rv_wait_locked(bool (*pred)(void *), void *arg) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TIMEOUT_S;
    while (!pred(arg)) {
        if (pthread_cond_timedwait(&rv.cv, &rv.lock, &deadline) != 0 &&
            !pred(arg)) {
            rv.timeouts++;
            return;
        }
    }
}

enum { BLOCKERS = 24 };

static bool all_arrived(void *arg) {
    (void)arg;
    return rv.arrived >= BLOCKERS;
}

typedef struct blocker_s {
    erg__task_t task;
    atomic_long *done;
} blocker_t;

static erg__task_status_t blocker_run(erg__task_t *t, unsigned max) {
    (void)max;
    atomic_long *done = ERG__QUEUE_DATA(t, blocker_t, task)->done;
    erg__sched_block_begin();
    pthread_mutex_lock(&rv.lock);
    rv.arrived++;
    pthread_cond_broadcast(&rv.cv);
    /* Nobody leaves until all BLOCKERS are blocked at once: on 2 workers
     * that only happens if blocked threads are replaced. */
    rv_wait_locked(all_arrived, NULL);
    pthread_mutex_unlock(&rv.lock);
    erg__sched_block_end();
    atomic_fetch_add(done, 1);
    return ERG__TASK_IDLE;
}

/* Records how many turns run at once, to see slots return to N. */
static atomic_int running_now;
static atomic_int running_max;

static erg__task_status_t measured_run(erg__task_t *t, unsigned max) {
    int now = atomic_fetch_add(&running_now, 1) + 1;
    int seen = atomic_load(&running_max);
    while (now > seen &&
           !atomic_compare_exchange_weak(&running_max, &seen, now))
        ;
    sleep_us(200);
    atomic_fetch_sub(&running_now, 1);
    return counted_run(t, max);
}

static void test_sched_blocked_callers_outnumber_workers(void **state) {
    (void)state;
    rv_init();
    atomic_long done = 0;
    erg__sched_t *s = sched_start(2, 64);
    blocker_t *b = erg__calloc(BLOCKERS, sizeof(*b));
    assert_non_null(b);
    for (int i = 0; i < BLOCKERS; i++) {
        erg__task_init(&b[i].task, blocker_run);
        b[i].done = &done;
        erg__sched_submit(s, &b[i].task);
    }
    assert_true(wait_for(&done, BLOCKERS));
    assert_int_equal(rv.timeouts, 0);
    assert_true(erg__sched_threads(s) >= BLOCKERS);

    /* Afterwards, spares retire: no more than N turns run at once. */
    enum { N = 100 };
    atomic_long measured_done = 0;
    atomic_store(&running_max, 0);
    counted_t *c = erg__calloc(N, sizeof(*c));
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        erg__task_init(&c[i].task, measured_run);
        c[i].turns_left = 2;
        c[i].done = &measured_done;
        erg__sched_submit(s, &c[i].task);
    }
    assert_true(wait_for(&measured_done, N));
    assert_true(atomic_load(&running_max) <= 2);
    erg__sched_free(s);
    erg__free(c);
    erg__free(b);
    rv_fini();
}

/*
 * A call chain on one worker: link i submits link i+1 (its callee) and
 * blocks until the callee is done, as a handler in a synchronous call does.
 * Every link but the last is blocked when the last one runs.
 */
enum { CHAIN = 64 };

typedef struct chain_link_s {
    erg__task_t task;
    int index;
    bool done; /* under rv.lock */
} chain_link_t;

static chain_link_t *chain;
static erg__sched_t *chain_sched;

static bool callee_done(void *arg) {
    return ((chain_link_t *)arg)->done;
}

static erg__task_status_t chain_run(erg__task_t *t, unsigned max) {
    (void)max;
    chain_link_t *l = ERG__QUEUE_DATA(t, chain_link_t, task);
    if (l->index + 1 < CHAIN) {
        chain_link_t *callee = &chain[l->index + 1];
        erg__sched_submit(chain_sched, &callee->task);
        erg__sched_block_begin();
        pthread_mutex_lock(&rv.lock);
        rv_wait_locked(callee_done, callee);
        pthread_mutex_unlock(&rv.lock);
        erg__sched_block_end();
    }
    pthread_mutex_lock(&rv.lock);
    l->done = true;
    pthread_cond_broadcast(&rv.cv);
    pthread_mutex_unlock(&rv.lock);
    return ERG__TASK_IDLE;
}

static void test_sched_call_chain_completes_on_one_worker(void **state) {
    (void)state;
    rv_init();
    chain = erg__calloc(CHAIN, sizeof(*chain));
    assert_non_null(chain);
    for (int i = 0; i < CHAIN; i++) {
        erg__task_init(&chain[i].task, chain_run);
        chain[i].index = i;
    }
    chain_sched = sched_start(1, 64);
    erg__sched_submit(chain_sched, &chain[0].task);
    pthread_mutex_lock(&rv.lock);
    rv_wait_locked(callee_done, &chain[0]);
    pthread_mutex_unlock(&rv.lock);
    erg__sched_free(chain_sched);
    assert_int_equal(rv.timeouts, 0);
    for (int i = 0; i < CHAIN; i++)
        assert_true(chain[i].done);
    erg__free(chain);
    rv_fini();
}

/* --- Next: what a turn wakes runs after it, on the same worker. --------- */

typedef enum {
    AFTER_NOTHING,  /* the turn ends */
    AFTER_RELEASE,  /* erg__sched_release_next, then wait for the woken */
    AFTER_BLOCK,    /* block_begin, wait for the woken, block_end */
    AFTER_WAIT,     /* wait for the woken, holding the worker */
    AFTER_PINGPONG, /* wake again (the woken wakes us) until told to stop */
} after_t;

typedef struct step_s {
    erg__task_t task;
    erg__sched_t *s;
    struct step_s *wakes; /* submitted by this task's turn, if not NULL */
    after_t after;
    char mark;           /* written to the order log */
    pthread_t thread;    /* where the last turn ran */
    atomic_long runs;
    atomic_bool *stop;   /* AFTER_PINGPONG */
    atomic_bool timed_out;
} step_t;

static char order[64];
static atomic_int norder;

static erg__task_status_t step_run(erg__task_t *t, unsigned max) {
    step_t *st = ERG__QUEUE_DATA(t, step_t, task);
    (void)max;
    st->thread = pthread_self();
    int i = atomic_fetch_add(&norder, 1);
    if (i < (int)sizeof(order))
        order[i] = st->mark;
    if (st->after == AFTER_PINGPONG && atomic_load(st->stop)) {
        atomic_fetch_add(&st->runs, 1);
        return ERG__TASK_IDLE;
    }
    if (st->wakes != NULL)
        erg__sched_submit(st->s, &st->wakes->task);
    atomic_long *woken_runs = st->wakes != NULL ? &st->wakes->runs : NULL;
    switch (st->after) {
    case AFTER_RELEASE:
        erg__sched_release_next();
        atomic_store(&st->timed_out, !wait_for(woken_runs, 1));
        break;
    case AFTER_BLOCK:
        erg__sched_block_begin();
        atomic_store(&st->timed_out, !wait_for(woken_runs, 1));
        erg__sched_block_end();
        break;
    case AFTER_WAIT:
        atomic_store(&st->timed_out, !wait_for(woken_runs, 1));
        break;
    default:
        break;
    }
    atomic_fetch_add(&st->runs, 1);
    return ERG__TASK_IDLE;
}

static void step_init(step_t *st, erg__sched_t *s, char mark, step_t *wakes,
                      after_t after) {
    memset(st, 0, sizeof(*st));
    erg__task_init(&st->task, step_run);
    st->s = s;
    st->mark = mark;
    st->wakes = wakes;
    st->after = after;
}

static erg__sched_t *sched_new_opts(unsigned workers, unsigned monitor_us) {
    erg__sched_opts_t o = opts_for(workers);
    o.monitor_us = monitor_us;
    return sched_new_from(&o);
}

static void test_sched_woken_task_runs_before_queued_ones(void **state) {
    (void)state;
    /* One worker and no monitor: the order is fully determined. */
    erg__sched_t *s = sched_new_opts(1, 0);
    step_t a, b, c;
    step_init(&b, s, 'B', NULL, AFTER_NOTHING);
    step_init(&a, s, 'A', &b, AFTER_NOTHING);
    step_init(&c, s, 'C', NULL, AFTER_NOTHING);
    atomic_store(&norder, 0);
    erg__sched_submit(s, &a.task);
    erg__sched_submit(s, &c.task);
    ERG_PASS(erg__sched_start(s));
    assert_true(wait_for(&c.runs, 1));
    erg__sched_free(s);
    assert_int_equal(atomic_load(&norder), 3);
    assert_memory_equal(order, "ABC", 3);
}

static void test_sched_woken_task_stays_on_its_wakers_worker(void **state) {
    (void)state;
    /* Two workers: the idle one must not take the woken task. */
    erg__sched_t *s = sched_new_opts(2, 0);
    ERG_PASS(erg__sched_start(s));
    for (int round = 0; round < 100; round++) {
        step_t a, b;
        step_init(&b, s, 'B', NULL, AFTER_NOTHING);
        step_init(&a, s, 'A', &b, AFTER_NOTHING);
        erg__sched_submit(s, &a.task);
        assert_true(wait_for(&b.runs, 1));
        assert_true(pthread_equal(a.thread, b.thread));
    }
    erg__sched_free(s);
}

/* The woken task must run while the waker's turn goes on; each case
 * would hang (and time out) if nothing moved it off the waker's worker. */
static void run_while_waker_continues(unsigned workers, unsigned monitor_us,
                                      after_t after) {
    erg__sched_t *s = sched_new_opts(workers, monitor_us);
    ERG_PASS(erg__sched_start(s));
    step_t a, b;
    step_init(&b, s, 'B', NULL, AFTER_NOTHING);
    step_init(&a, s, 'A', &b, after);
    erg__sched_submit(s, &a.task);
    assert_true(wait_for(&a.runs, 1));
    assert_false(atomic_load(&a.timed_out));
    assert_false(pthread_equal(a.thread, b.thread));
    erg__sched_free(s);
}

static void test_sched_release_next_lets_another_worker_run_it(void **state) {
    (void)state;
    run_while_waker_continues(2, 0, AFTER_RELEASE);
}

static void test_sched_blocking_turn_hands_its_next_task_over(void **state) {
    (void)state;
    /* One worker: the slot itself must pass to a spare thread. */
    run_while_waker_continues(1, 0, AFTER_BLOCK);
}

static void test_sched_monitor_moves_a_task_stuck_behind_a_long_turn(
    void **state) {
    (void)state;
    run_while_waker_continues(2, 1000, AFTER_WAIT);
}

static void test_sched_tasks_waking_each_other_cannot_starve_the_queue(
    void **state) {
    (void)state;
    atomic_bool stop = false;
    erg__sched_t *s = sched_new_opts(1, 0);
    step_t p, q, c;
    step_init(&p, s, 'P', &q, AFTER_PINGPONG);
    step_init(&q, s, 'Q', &p, AFTER_PINGPONG);
    step_init(&c, s, 'C', NULL, AFTER_NOTHING);
    p.stop = q.stop = &stop;
    ERG_PASS(erg__sched_start(s));
    erg__sched_submit(s, &p.task);
    /* P and Q now run each other forever through the worker's next slot;
     * C, queued meanwhile, must still get the only worker. */
    sleep_us(1000);
    erg__sched_submit(s, &c.task);
    assert_true(wait_for(&c.runs, 1));
    atomic_store(&stop, true);
    assert_true(wait_for(&q.runs, 1));
    assert_true(wait_for(&p.runs, 1));
    erg__sched_free(s);
}

/* --- Local queues: a task with work left stays on its worker. ----------- */

typedef struct looper_s {
    erg__task_t task;
    erg__sched_t *s;
    struct looper_s *wakes; /* submitted by the first turn, if any */
    atomic_bool *stop;
    atomic_int *running;     /* turns running right now, all loopers */
    atomic_int *max_running;
    pthread_t first_thread;
    atomic_long turns;
    atomic_long other_thread_turns; /* turns not on first_thread */
    atomic_long done;
} looper_t;

static erg__task_status_t looper_run(erg__task_t *t, unsigned max) {
    looper_t *l = ERG__QUEUE_DATA(t, looper_t, task);
    (void)max;
    if (atomic_load(l->stop)) {
        atomic_store(&l->done, 1);
        return ERG__TASK_IDLE;
    }
    int now = atomic_fetch_add(l->running, 1) + 1;
    int seen = atomic_load(l->max_running);
    while (now > seen && !atomic_compare_exchange_weak(l->max_running, &seen,
                                                       now))
        ;
    if (atomic_fetch_add(&l->turns, 1) == 0) {
        l->first_thread = pthread_self();
        if (l->wakes != NULL)
            erg__sched_submit(l->s, &l->wakes->task);
    } else if (!pthread_equal(l->first_thread, pthread_self())) {
        atomic_fetch_add(&l->other_thread_turns, 1);
    }
    sleep_us(50); /* a turn long enough for two to overlap */
    atomic_fetch_sub(l->running, 1);
    return ERG__TASK_MORE;
}

static void looper_init(looper_t *l, erg__sched_t *s, atomic_bool *stop,
                        atomic_int *running, atomic_int *max_running) {
    memset(l, 0, sizeof(*l));
    erg__task_init(&l->task, looper_run);
    l->s = s;
    l->stop = stop;
    l->running = running;
    l->max_running = max_running;
}

static void test_sched_task_with_work_left_stays_on_its_worker(void **state) {
    (void)state;
    atomic_bool stop = false;
    atomic_int running = 0, max_running = 0;
    erg__sched_t *s = sched_new_opts(2, 0);
    ERG_PASS(erg__sched_start(s));
    looper_t a;
    looper_init(&a, s, &stop, &running, &max_running);
    erg__sched_submit(s, &a.task);
    assert_true(wait_for(&a.turns, 200));
    atomic_store(&stop, true);
    assert_true(wait_for(&a.done, 1));
    erg__sched_free(s);
    /* Alone, it never moved: the idle worker had nothing to steal. */
    assert_int_equal(atomic_load(&a.other_thread_turns), 0);
}

static void test_sched_idle_worker_steals_a_second_local_task(void **state) {
    (void)state;
    atomic_bool stop = false;
    atomic_int running = 0, max_running = 0;
    erg__sched_t *s = sched_new_opts(2, 0);
    ERG_PASS(erg__sched_start(s));
    looper_t a, b;
    looper_init(&a, s, &stop, &running, &max_running);
    looper_init(&b, s, &stop, &running, &max_running);
    /* A wakes B from its first turn: B runs next on A's worker, and both
     * then come back to that worker's local queue. Two runnable tasks and
     * two workers: the idle one must take one of them. */
    a.wakes = &b;
    erg__sched_submit(s, &a.task);
    atomic_long two = 0;
    for (int i = 0; i < TIMEOUT_S * 1000 && atomic_load(&max_running) < 2; i++)
        sleep_us(1000);
    if (atomic_load(&max_running) >= 2)
        two = 1;
    atomic_store(&stop, true);
    assert_true(wait_for(&a.done, 1));
    assert_true(wait_for(&b.done, 1));
    erg__sched_free(s);
    assert_int_equal(two, 1);
}

/* --- Deadlines: the monitor reports a turn that runs past its own. ------ */

typedef struct overrun_s {
    erg__task_t task;
    uint64_t deadline_in_ms; /* 0: set none */
    bool block;              /* wait between block_begin and block_end */
    bool clear_first;        /* clear the deadline before waiting */
    atomic_long fired;       /* overrun callbacks for this task's id */
    atomic_long runs;
    atomic_bool timed_out;
} overrun_t;

static void on_overrun(void *arg, uint64_t id) {
    overrun_t *o = arg;
    if (id == 42)
        atomic_fetch_add(&o->fired, 1);
}

static erg__task_status_t overrun_run(erg__task_t *t, unsigned max) {
    overrun_t *o = ERG__QUEUE_DATA(t, overrun_t, task);
    (void)max;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    erg__sched_deadline_t d = {now + o->deadline_in_ms * 1000000u, 42};
    erg__sched_deadline_t outer = erg__sched_deadline_set(d);
    if (o->clear_first) {
        erg__sched_deadline_set(outer);
        sleep_us(100000); /* well past the deadline it no longer has */
    } else {
        if (o->block)
            erg__sched_block_begin();
        atomic_store(&o->timed_out, !wait_for(&o->fired, 1));
        if (o->block)
            erg__sched_block_end();
        erg__sched_deadline_set(outer);
    }
    atomic_fetch_add(&o->runs, 1);
    return ERG__TASK_IDLE;
}

static void run_overrun(overrun_t *o, unsigned workers) {
    erg__sched_opts_t so = opts_for(workers);
    so.overrun = on_overrun;
    so.overrun_arg = o;
    erg__sched_t *s = sched_new_from(&so);
    ERG_PASS(erg__sched_start(s));
    erg__task_init(&o->task, overrun_run);
    erg__sched_submit(s, &o->task);
    assert_true(wait_for(&o->runs, 1));
    erg__sched_free(s);
    assert_false(atomic_load(&o->timed_out));
}

static void test_sched_turn_past_its_deadline_is_reported_once(void **state) {
    (void)state;
    overrun_t o = {.deadline_in_ms = 20};
    run_overrun(&o, 2);
    assert_int_equal(atomic_load(&o.fired), 1);
}

static void test_sched_blocked_turn_past_its_deadline_is_reported(
    void **state) {
    (void)state;
    /* One worker: with its slot given up, every slot holder is idle, and
     * the monitor must stay awake for the blocked turn all the same. */
    overrun_t o = {.deadline_in_ms = 20, .block = true};
    run_overrun(&o, 1);
    assert_int_equal(atomic_load(&o.fired), 1);
}

static void test_sched_cleared_deadline_is_not_reported(void **state) {
    (void)state;
    overrun_t o = {.deadline_in_ms = 1, .clear_first = true};
    run_overrun(&o, 2);
    assert_int_equal(atomic_load(&o.fired), 0);
}

static void test_sched_block_calls_off_worker_are_noops(void **state) {
    (void)state;
    erg__sched_block_begin();
    erg__sched_block_end();
}

static void test_sched_rejects_thread_cap_below_workers(void **state) {
    (void)state;
    erg__sched_opts_t o;
    erg__sched_opts_init(&o);
    o.workers = 4;
    o.max_threads = 2;
    erg__sched_t *s = NULL;
    ERG_FAIL(erg__sched_new(&o, &s), ERG_EINVAL);
    erg__sched_free(NULL);
}

static int setup(void **state) {
    return erg_test_setup_alloc(state);
}

static int teardown(void **state) {
    return erg_test_teardown_alloc(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_runs_tasks_and_requeues_unfinished_ones),
        cmocka_unit_test(test_sched_tasks_submitted_before_start_run),
        cmocka_unit_test(test_sched_busy_task_cannot_starve_others),
        cmocka_unit_test(test_sched_stop_returns_while_tasks_have_work),
        cmocka_unit_test(test_sched_1000_processes_exchange_1000000_messages),
        cmocka_unit_test(test_sched_blocked_callers_outnumber_workers),
        cmocka_unit_test(test_sched_call_chain_completes_on_one_worker),
        cmocka_unit_test(test_sched_woken_task_runs_before_queued_ones),
        cmocka_unit_test(test_sched_woken_task_stays_on_its_wakers_worker),
        cmocka_unit_test(test_sched_release_next_lets_another_worker_run_it),
        cmocka_unit_test(test_sched_blocking_turn_hands_its_next_task_over),
        cmocka_unit_test(
            test_sched_monitor_moves_a_task_stuck_behind_a_long_turn),
        cmocka_unit_test(
            test_sched_tasks_waking_each_other_cannot_starve_the_queue),
        cmocka_unit_test(test_sched_task_with_work_left_stays_on_its_worker),
        cmocka_unit_test(test_sched_idle_worker_steals_a_second_local_task),
        cmocka_unit_test(test_sched_turn_past_its_deadline_is_reported_once),
        cmocka_unit_test(
            test_sched_blocked_turn_past_its_deadline_is_reported),
        cmocka_unit_test(test_sched_cleared_deadline_is_not_reported),
        cmocka_unit_test(test_sched_block_calls_off_worker_are_noops),
        cmocka_unit_test(test_sched_rejects_thread_cap_below_workers),
    };
    return cmocka_run_group_tests_name("core.sched", tests, setup, teardown);
}
