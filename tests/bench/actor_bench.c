/* SPDX-License-Identifier: MIT */
/* actor_bench.c: one-way, ping-pong, call, spawn and fan-out benchmarks. */
#include <malloc.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Polls rarely: a waking driver thread would take a core from the
 * workers being measured. */
static void wait_for(atomic_long *v, long target) {
    while (atomic_load(v) < target)
        sleep_us(1000);
}

/* Live bytes through erg's allocator, for bytes_per_actor. */
static atomic_long live_bytes;

static void *count_malloc(size_t n) {
    void *p = malloc(n);
    if (p != NULL)
        atomic_fetch_add(&live_bytes, (long)malloc_usable_size(p));
    return p;
}

static void count_free(void *p) {
    if (p != NULL)
        atomic_fetch_sub(&live_bytes, (long)malloc_usable_size(p));
    free(p);
}

static void *count_calloc(size_t c, size_t n) {
    void *p = calloc(c, n);
    if (p != NULL)
        atomic_fetch_add(&live_bytes, (long)malloc_usable_size(p));
    return p;
}

static void *count_realloc(void *p, size_t n) {
    long old = p != NULL ? (long)malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q != NULL)
        atomic_fetch_add(&live_bytes, (long)malloc_usable_size(q) - old);
    return q;
}

static erg_node_t *start(unsigned workers) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = workers;
    const char *wk = getenv("ERG_BENCH_WORKERS");
    if (wk != NULL)
        o.workers = (unsigned)atoi(wk);
    const char *mpt = getenv("ERG_BENCH_MAX_PER_TURN");
    if (mpt != NULL)
        o.max_per_turn = (unsigned)atoi(mpt);
    erg_node_t *node;
    if (erg_node_start("bench@localhost", &o, &node) != ERG_OK)
        abort();
    return node;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --- One-way: a sender floods its receiver. ------------------------------ */

static const char go_type[] = "go";

/* The sender's and the receiver's fields sit on lines of their own, and the
 * receiver counts in its own line and publishes once at the end (as the
 * Erlang peer's receiver counts in its process state): a shared counter
 * bumped per message would bounce one cache line between the two cores and
 * measure that instead of messaging. */
typedef struct oneway_s {
    long n;
    long chunk; /* messages per handler call; n for one long call */
    erg_pid_t to;
    alignas(64) long sent; /* the sender's */
    alignas(64) long seen; /* the receiver's */
    alignas(64) atomic_long got; /* published when all arrived */
    char pad_[64 - sizeof(atomic_long)];
} oneway_t;

static erg_reason_t ow_init(erg_proc_t *self, void *args) {
    *(oneway_t **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

static erg_reason_t ow_sender(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    (void)msg;
    oneway_t *o = *(oneway_t **)erg_proc_state(self);
    long end = o->sent + o->chunk < o->n ? o->sent + o->chunk : o->n;
    for (; o->sent < end; o->sent++) {
        erg_msg_t *m;
        if (erg_msg_new(NULL, 8, &m) != ERG_OK)
            abort();
        if (erg_send(self, erg_to_pid(o->to), m) != ERG_OK)
            abort();
    }
    /* With ERG_BENCH_CHUNK, yield between chunks (a C handler cannot be
     * preempted as Erlang preempts a sender by reductions). A turn still
     * handles up to max_per_turn of these continuations, so the sender
     * sends up to chunk * max_per_turn messages per turn while its
     * receiver takes max_per_turn: see docs/runtime-internals.md. */
    if (o->sent < o->n) {
        erg_msg_t *m;
        if (erg_msg_new(go_type, 0, &m) != ERG_OK ||
            erg_send(self, erg_to_pid(erg_self(self)), m) != ERG_OK)
            abort();
    }
    return ERG_REASON_NONE;
}

static erg_reason_t ow_receiver(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    (void)msg;
    oneway_t *o = *(oneway_t **)erg_proc_state(self);
    if (++o->seen == o->n)
        atomic_store_explicit(&o->got, o->seen, memory_order_release);
    return ERG_REASON_NONE;
}

static const erg_behavior_t sender_b = {.name = "sender",
                                        .state_size = sizeof(void *),
                                        .init = ow_init,
                                        .handle_message = ow_sender};
static const erg_behavior_t receiver_b = {.name = "receiver",
                                          .state_size = sizeof(void *),
                                          .init = ow_init,
                                          .handle_message = ow_receiver};

static void go(erg_node_t *node, erg_pid_t pid) {
    erg_msg_t *m;
    erg_msg_new(go_type, 0, &m);
    if (erg_node_send(node, erg_to_pid(pid), m, 0) != ERG_OK)
        abort();
}

static void bench_oneway(unsigned pairs, long per_pair, long chunk) {
    erg_node_t *node = start(0);
    oneway_t *o = aligned_alloc(64, pairs * sizeof(*o));
    if (o == NULL)
        abort();
    memset(o, 0, pairs * sizeof(*o));
    erg_pid_t *senders = calloc(pairs, sizeof(*senders));
    for (unsigned i = 0; i < pairs; i++) {
        o[i].n = per_pair;
        o[i].chunk = chunk;
        erg_node_spawn(node, &receiver_b, NULL, &o[i], &o[i].to);
        erg_node_spawn(node, &sender_b, NULL, &o[i], &senders[i]);
    }
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < pairs; i++)
        go(node, senders[i]);
    for (unsigned i = 0; i < pairs; i++)
        wait_for(&o[i].got, per_pair);
    double s = (double)(now_ns() - t0) / 1e9;
    printf("bench=local_oneway impl=erg pairs=%u msgs=%ld chunk=%ld "
           "msgs_per_s=%.0f\n",
           pairs, per_pair * pairs, chunk, (double)(per_pair * pairs) / s);
    erg_node_stop(node);
    free(o);
    free(senders);
}

/* --- Ping-pong: one message bounces between two processes. --------------- */

typedef struct pp_s {
    long rounds;
    erg_pid_t a, b;
    uint64_t *rtt;
    long done_rounds;
    uint64_t sent_at;
    atomic_long finished;
} pp_t;

static erg_reason_t pp_init(erg_proc_t *self, void *args) {
    *(pp_t **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

static erg_reason_t pp_a(erg_proc_t *self, erg_pid_t from, erg_msg_t *msg) {
    (void)from;
    pp_t *pp = *(pp_t **)erg_proc_state(self);
    uint64_t t = now_ns();
    erg_msg_t *ball = msg;
    if (erg_msg_type(msg) == (const void *)go_type) {
        if (erg_msg_new(NULL, 8, &ball) != ERG_OK)
            abort();
    } else {
        pp->rtt[pp->done_rounds++] = t - pp->sent_at;
        erg_msg_retain(ball); /* the same ball bounces: no allocation */
    }
    if (pp->done_rounds == pp->rounds) {
        erg_msg_release(ball);
        atomic_store(&pp->finished, 1);
        return ERG_REASON_NONE;
    }
    pp->sent_at = t;
    if (erg_send(self, erg_to_pid(pp->b), ball) != ERG_OK)
        abort();
    return ERG_REASON_NONE;
}

static erg_reason_t pp_b(erg_proc_t *self, erg_pid_t from, erg_msg_t *msg) {
    (void)self;
    erg_msg_retain(msg);
    if (erg_send(self, erg_to_pid(from), msg) != ERG_OK)
        abort();
    return ERG_REASON_NONE;
}

static const erg_behavior_t pp_a_b = {.name = "ping",
                                      .state_size = sizeof(void *),
                                      .init = pp_init,
                                      .handle_message = pp_a};
static const erg_behavior_t pp_b_b = {.name = "pong",
                                      .state_size = sizeof(void *),
                                      .init = pp_init,
                                      .handle_message = pp_b};

static void bench_pingpong(long rounds) {
    erg_node_t *node = start(0);
    pp_t pp = {.rounds = rounds, .rtt = calloc(rounds, sizeof(uint64_t))};
    erg_node_spawn(node, &pp_b_b, NULL, &pp, &pp.b);
    erg_node_spawn(node, &pp_a_b, NULL, &pp, &pp.a);
    uint64_t t0 = now_ns();
    go(node, pp.a);
    wait_for(&pp.finished, 1);
    double s = (double)(now_ns() - t0) / 1e9;
    qsort(pp.rtt, rounds, sizeof(uint64_t), cmp_u64);
    printf("bench=local_pingpong impl=erg rounds=%ld msgs_per_s=%.0f "
           "p50_us=%.2f p99_us=%.2f\n",
           rounds, 2.0 * rounds / s, pp.rtt[rounds / 2] / 1e3,
           pp.rtt[rounds * 99 / 100] / 1e3);
    erg_node_stop(node);
    free(pp.rtt);
}

/* --- Call: a process calls a server in a loop. ---------------------------- */

typedef struct call_s {
    long calls;
    erg_pid_t server;
    uint64_t *lat;
    atomic_long finished;
} call_t;

static erg_reason_t call_client(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    (void)msg;
    call_t *c = *(call_t **)erg_proc_state(self);
    erg_msg_t *req;
    if (erg_msg_new(NULL, 8, &req) != ERG_OK)
        abort();
    for (long i = 0; i < c->calls; i++) {
        erg_msg_t *reply;
        uint64_t t = now_ns();
        /* A failed call leaves req with us; a good one takes it, so hold
         * one more reference to reuse the request. */
        erg_msg_retain(req);
        if (erg_call(self, erg_to_pid(c->server), req, 0, &reply) != ERG_OK)
            abort();
        c->lat[i] = now_ns() - t;
        erg_msg_release(reply);
    }
    erg_msg_release(req);
    atomic_store(&c->finished, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t call_server(erg_proc_t *self, erg_pid_t from,
                                erg_ref_t ref, erg_msg_t *request,
                                erg_msg_t **reply) {
    (void)self;
    (void)from;
    (void)ref;
    erg_msg_retain(request);
    *reply = request;
    return ERG_REASON_NONE;
}

static const erg_behavior_t client_b = {.name = "client",
                                        .state_size = sizeof(void *),
                                        .init = pp_init,
                                        .handle_message = call_client};
static const erg_behavior_t server_b = {.name = "server",
                                        .state_size = sizeof(void *),
                                        .init = pp_init,
                                        .handle_call = call_server};

static void bench_call(long calls) {
    erg_node_t *node = start(0);
    call_t c = {.calls = calls, .lat = calloc(calls, sizeof(uint64_t))};
    erg_pid_t client;
    erg_node_spawn(node, &server_b, NULL, &c, &c.server);
    erg_node_spawn(node, &client_b, NULL, &c, &client);
    uint64_t t0 = now_ns();
    go(node, client);
    wait_for(&c.finished, 1);
    double s = (double)(now_ns() - t0) / 1e9;
    qsort(c.lat, calls, sizeof(uint64_t), cmp_u64);
    printf("bench=local_call impl=erg calls=%ld calls_per_s=%.0f p50_us=%.2f "
           "p99_us=%.2f\n",
           calls, calls / s, c.lat[calls / 2] / 1e3,
           c.lat[calls * 99 / 100] / 1e3);
    erg_node_stop(node);
    free(c.lat);
}

/* --- Spawn: a process spawns idle children, then they all exit. ----------- */

typedef struct spawn_s {
    long n;
    erg_pid_t *pids;
    atomic_long finished;
} spawn_t;

static erg_reason_t idle_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

static const erg_behavior_t idle_b = {.name = "idle",
                                      .state_size = 16,
                                      .init = idle_init};

static erg_reason_t spawner(erg_proc_t *self, erg_pid_t from, erg_msg_t *m) {
    (void)from;
    (void)m;
    spawn_t *sp = *(spawn_t **)erg_proc_state(self);
    for (long i = 0; i < sp->n; i++)
        if (erg_spawn(self, &idle_b, NULL, NULL, &sp->pids[i]) != ERG_OK)
            abort();
    atomic_store(&sp->finished, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t spawner_b = {.name = "spawner",
                                         .state_size = sizeof(void *),
                                         .init = pp_init,
                                         .handle_message = spawner};

/* One round: the spawner spawns n idle children; seconds until all run. */
static double spawn_round(erg_node_t *node, erg_pid_t spawner, spawn_t *sp) {
    atomic_store(&sp->finished, 0);
    uint64_t t0 = now_ns();
    go(node, spawner);
    wait_for(&sp->finished, 1);
    while (erg_node_process_count(node) < (uint64_t)sp->n + 1)
        sleep_us(50);
    return (double)(now_ns() - t0) / 1e9;
}

static void bench_spawn(long n) {
    erg_set_allocator(count_malloc, count_realloc, count_calloc, count_free);
    erg_node_t *node = start(0);
    spawn_t sp = {.n = n, .pids = calloc(n, sizeof(erg_pid_t))};
    erg_pid_t sp_pid;
    erg_node_spawn(node, &spawner_b, NULL, &sp, &sp_pid);
    /* Let the timer thread settle before measuring memory. */
    sleep_us(20000);
    long before = atomic_load(&live_bytes);
    double s = spawn_round(node, sp_pid, &sp);
    /* Steady state: the timer thread frees the cancelled init timers. */
    sleep_us(200000);
    long bytes = atomic_load(&live_bytes) - before;
    uint64_t t1 = now_ns();
    for (long i = 0; i < n; i++)
        erg_node_send_exit(node, sp.pids[i], ERG_REASON_NORMAL);
    while (erg_node_process_count(node) > 1)
        sleep_us(50);
    double e = (double)(now_ns() - t1) / 1e9;
    /* Warm: the same again, into the blocks the first round left pooled. */
    double w = spawn_round(node, sp_pid, &sp);
    printf("bench=spawn impl=erg actors=%ld spawns_per_s=%.0f "
           "bytes_per_actor=%ld exits_per_s=%.0f warm_spawns_per_s=%.0f\n",
           n, n / s, bytes / n, n / e, n / w);
    erg_node_stop(node);
    erg_reset_allocator();
    free(sp.pids);
}

/* --- Event fan-out: one publish reaches every subscriber. ----------------- */

static atomic_long deliveries;
static erg_ref_t fan_token;
static const char publish_type[] = "publish";

static erg_reason_t pub_init(erg_proc_t *self, void *args) {
    (void)args;
    return (erg_reason_t)erg_event_register(self, "fan", NULL, &fan_token);
}

static erg_reason_t pub_msg(erg_proc_t *self, erg_pid_t from, erg_msg_t *m) {
    (void)from;
    (void)m;
    erg_msg_t *ev;
    erg_msg_new(NULL, 8, &ev);
    if (erg_event_send(self, "fan", fan_token, ev) != ERG_OK)
        abort();
    return ERG_REASON_NONE;
}

static erg_reason_t sub_init(erg_proc_t *self, void *args) {
    (void)args;
    return (erg_reason_t)erg_monitor(self, erg_to_event("fan"), NULL);
}

static erg_reason_t sub_event(erg_proc_t *self, const erg_event_msg_t *ev) {
    (void)self;
    (void)ev;
    atomic_fetch_add_explicit(&deliveries, 1, memory_order_relaxed);
    return ERG_REASON_NONE;
}

static const erg_behavior_t pub_b = {
    .name = "publisher", .init = pub_init, .handle_message = pub_msg};
static const erg_behavior_t sub_b = {
    .name = "subscriber", .init = sub_init, .handle_event = sub_event};

static erg_reason_t subs_spawner(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *m) {
    (void)from;
    (void)m;
    spawn_t *sp = *(spawn_t **)erg_proc_state(self);
    for (long i = 0; i < sp->n; i++)
        if (erg_spawn(self, &sub_b, NULL, NULL, &sp->pids[i]) != ERG_OK)
            abort();
    atomic_store(&sp->finished, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t subs_spawner_b = {
    .name = "subs",
    .state_size = sizeof(void *),
    .init = pp_init,
    .handle_message = subs_spawner};

static void bench_fanout(long n) {
    erg_node_t *node = start(0);
    erg_pid_t pub, sp_pid;
    erg_node_spawn(node, &pub_b, NULL, NULL, &pub);
    spawn_t sp = {.n = n, .pids = calloc(n, sizeof(erg_pid_t))};
    erg_node_spawn(node, &subs_spawner_b, NULL, &sp, &sp_pid);
    go(node, sp_pid);
    unsigned subs = 0;
    while (erg_node_event_subscribers(node, "fan", &subs) == ERG_OK &&
           subs < (unsigned)n)
        sleep_us(1000);
    uint64_t t0 = now_ns();
    erg_msg_t *m;
    erg_msg_new(publish_type, 0, &m);
    erg_node_send(node, erg_to_pid(pub), m, 0);
    wait_for(&deliveries, n);
    double s = (double)(now_ns() - t0) / 1e9;
    printf("bench=event_fanout impl=erg subscribers=%ld ms=%.1f "
           "deliveries_per_s=%.0f\n",
           n, s * 1e3, n / s);
    erg_node_stop(node);
    free(sp.pids);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(name) (only == NULL || strcmp(only, name) == 0)
    if (RUN("local_oneway")) {
        const char *c = getenv("ERG_BENCH_CHUNK");
        long chunk = c != NULL ? atol(c) : 0;
        /* ERG_BENCH_PAIRS=P runs only P pairs sharing 4 M messages, for
         * perf; ERG_BENCH_CHUNK=C makes senders yield every C sends. */
        const char *pp = getenv("ERG_BENCH_PAIRS");
        if (pp != NULL && atoi(pp) > 0) {
            long per = 4000000 / atoi(pp);
            bench_oneway((unsigned)atoi(pp), per, chunk > 0 ? chunk : per);
            return 0;
        }
        /* Senders send a batch of 64 per handler call and yield, as a C
         * actor that must stay responsive does (a handler cannot be
         * preempted the way Erlang preempts its sender by reductions);
         * the last line is the other extreme, one call sending all. */
        long c64 = chunk > 0 ? chunk : 64;
        bench_oneway(1, 2000000, c64);
        bench_oneway(2, 1000000, c64);
        bench_oneway(4, 500000, c64);
        bench_oneway(1, 2000000, chunk > 0 ? chunk : 2000000);
    }
    if (RUN("local_pingpong"))
        bench_pingpong(200000);
    if (RUN("local_call"))
        bench_call(200000);
    if (RUN("spawn"))
        bench_spawn(200000);
    if (RUN("event_fanout"))
        bench_fanout(100000);
    return 0;
}
