/* SPDX-License-Identifier: MIT */
/* sched_bench.c: tasks with mailboxes on the scheduler: ring, one-way,
 * ping-pong. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mailbox.h"
#include "core/sched.h"
#include "util/alloc.h"

enum { WORKERS = 2 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

typedef struct msg_s {
    erg__mailbox_node_t node;
    int hops;
    int origin;
    double sent_at;
} msg_t;

typedef struct actor_s actor_t;
typedef void (*handle_fn)(actor_t *self, msg_t *m);

/* A minimal process: a task, a mailbox and a handler. */
struct actor_s {
    erg__task_t task;
    erg__mailbox_t mb;
    handle_fn handle;
    int index;
};

static erg__sched_t *sched;
static atomic_long done;

static void send_to(actor_t *to, msg_t *m) {
    bool wake;
    if (erg__mailbox_push(&to->mb, ERG__MAILBOX_MAIN, &m->node, &wake) !=
        ERG_OK)
        abort();
    if (wake)
        erg__sched_submit(sched, &to->task);
}

static erg__task_status_t actor_run(erg__task_t *t, unsigned max) {
    actor_t *a = ERG__QUEUE_DATA(t, actor_t, task);
    erg__mailbox_fetch(&a->mb);
    for (unsigned n = 0; n < max;) {
        erg__mailbox_node_t *node = erg__mailbox_pop(&a->mb);
        if (node == NULL) {
            if (erg__mailbox_try_block(&a->mb))
                return ERG__TASK_IDLE;
            continue;
        }
        n++;
        a->handle(a, (msg_t *)(void *)node);
    }
    return ERG__TASK_MORE;
}

static actor_t *actors_new(int n, handle_fn handle) {
    actor_t *a = erg__calloc((size_t)n, sizeof(actor_t));
    for (int i = 0; i < n; i++) {
        erg__task_init(&a[i].task, actor_run);
        erg__mailbox_init(&a[i].mb, 0);
        a[i].handle = handle;
        a[i].index = i;
    }
    return a;
}

static void actors_free(actor_t *a, int n) {
    for (int i = 0; i < n; i++) {
        erg__mailbox_close(&a[i].mb);
        erg__mailbox_fini(&a[i].mb);
    }
    erg__free(a);
}

static void wait_done(long target) {
    while (atomic_load(&done) < target)
        sleep_ms(1);
}

/* --- ring: 1,000 actors forwarding 4,000 tokens, 1,000,000 hops. ------- */

enum { RING_ACTORS = 1000, RING_TOKENS = 4000, RING_HOPS = 1000 };
static actor_t *ring;

static void ring_handle(actor_t *self, msg_t *m) {
    if (--m->hops == 0) {
        atomic_fetch_add(&done, 1);
        return;
    }
    int to = (self->index * 7 + m->hops * 13 + m->origin) % RING_ACTORS;
    send_to(&ring[to], m);
}

static void bench_ring(void) {
    ring = actors_new(RING_ACTORS, ring_handle);
    msg_t *tokens = erg__calloc(RING_TOKENS, sizeof(msg_t));
    atomic_store(&done, 0);
    double t0 = now_s();
    for (int i = 0; i < RING_TOKENS; i++) {
        tokens[i].hops = RING_HOPS;
        tokens[i].origin = i;
        send_to(&ring[i % RING_ACTORS], &tokens[i]);
    }
    wait_done(RING_TOKENS);
    double t = now_s() - t0;
    double msgs = (double)RING_TOKENS * RING_HOPS;
    printf("bench=sched_ring impl=erg workers=%d actors=%d msgs_per_s=%.0f\n",
           WORKERS, RING_ACTORS, msgs / t);
    actors_free(ring, RING_ACTORS);
    erg__free(tokens);
}

/* --- one-way: one sender actor floods one receiver. -------------------- */

enum { ONEWAY_MSGS = 4 * 1000 * 1000, ONEWAY_BATCH = 64 };

typedef struct sender_s {
    erg__task_t task;
    actor_t *to;
    msg_t *msgs;
    int next;
} sender_t;

static void oneway_handle(actor_t *self, msg_t *m) {
    (void)self;
    (void)m;
    atomic_fetch_add_explicit(&done, 1, memory_order_relaxed);
}

static erg__task_status_t sender_run(erg__task_t *t, unsigned max) {
    sender_t *s = ERG__QUEUE_DATA(t, sender_t, task);
    (void)max;
    for (int i = 0; i < ONEWAY_BATCH && s->next < ONEWAY_MSGS; i++)
        send_to(s->to, &s->msgs[s->next++]);
    return s->next < ONEWAY_MSGS ? ERG__TASK_MORE : ERG__TASK_IDLE;
}

static void bench_oneway(void) {
    actor_t *rx = actors_new(1, oneway_handle);
    sender_t tx = {.to = rx};
    tx.msgs = erg__malloc(ONEWAY_MSGS * sizeof(msg_t));
    memset(tx.msgs, 0, ONEWAY_MSGS * sizeof(msg_t));
    erg__task_init(&tx.task, sender_run);
    atomic_store(&done, 0);
    double t0 = now_s();
    erg__sched_submit(sched, &tx.task);
    wait_done(ONEWAY_MSGS);
    double t = now_s() - t0;
    printf("bench=sched_oneway impl=erg workers=%d pairs=1 msgs_per_s=%.0f\n",
           WORKERS, (double)ONEWAY_MSGS / t);
    actors_free(rx, 1);
    erg__free(tx.msgs);
}

/* --- ping-pong: two actors bounce one message; round-trip latency. ----- */

enum { PP_ROUNDS = 200000 };
static actor_t *pp;
static double *rtt_us;

static void pp_handle(actor_t *self, msg_t *m) {
    if (self->index == 1) {
        send_to(&pp[0], m);
        return;
    }
    double now = now_s();
    if (m->hops > 0)
        rtt_us[m->hops - 1] = (now - m->sent_at) * 1e6;
    if (m->hops == PP_ROUNDS) {
        atomic_store(&done, 1);
        return;
    }
    m->hops++;
    m->sent_at = now_s();
    send_to(&pp[1], m);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_pingpong(void) {
    pp = actors_new(2, pp_handle);
    rtt_us = erg__calloc(PP_ROUNDS, sizeof(double));
    msg_t m = {.hops = 0};
    atomic_store(&done, 0);
    double t0 = now_s();
    send_to(&pp[0], &m);
    wait_done(1);
    double t = now_s() - t0;
    qsort(rtt_us, PP_ROUNDS, sizeof(double), cmp_double);
    printf("bench=sched_pingpong impl=erg workers=%d msgs_per_s=%.0f "
           "p50_us=%.2f p99_us=%.2f\n",
           WORKERS, 2.0 * PP_ROUNDS / t, rtt_us[PP_ROUNDS / 2],
           rtt_us[PP_ROUNDS * 99 / 100]);
    actors_free(pp, 2);
    erg__free(rtt_us);
}

int main(void) {
    erg__sched_opts_t o;
    erg__sched_opts_init(&o);
    o.workers = WORKERS;
    if (erg__sched_new(&o, &sched) != ERG_OK || erg__sched_start(sched))
        return 1;
    bench_ring();
    bench_oneway();
    bench_pingpong();
    erg__sched_free(sched);
    return 0;
}
