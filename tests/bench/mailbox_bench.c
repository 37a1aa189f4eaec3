/* SPDX-License-Identifier: MIT */
/* mailbox_bench.c: mailbox push/pop cost and MPSC throughput across cores. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mailbox.h"
#include "util/alloc.h"

enum {
    SINGLE_ROUNDS = 10 * 1000 * 1000,
    PER_PRODUCER = 4 * 1000 * 1000,
    MAX_PRODUCERS = 2,
};

typedef struct msg_s {
    erg__mailbox_node_t node;
    uint64_t seq;
} msg_t;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One thread pushes and pops the same node: the uncontended floor. */
static void bench_single_thread(void) {
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    erg__mailbox_unblock(&mb);
    msg_t m;
    bool wake;
    double t0 = now_s();
    for (int i = 0; i < SINGLE_ROUNDS; i++) {
        erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &m.node, &wake);
        if (erg__mailbox_pop(&mb) != &m.node)
            abort();
    }
    double t = now_s() - t0;
    erg__mailbox_close(&mb);
    erg__mailbox_fini(&mb);
    printf("bench=mailbox_push_pop impl=erg threads=1 ns_per_msg=%.1f\n",
           t * 1e9 / SINGLE_ROUNDS);
}

typedef struct run_s {
    erg__mailbox_t mb;
    msg_t *msgs[MAX_PRODUCERS];
    atomic_int ready;
    atomic_bool go;
} run_t;

static run_t *run;

static void *producer(void *arg) {
    msg_t *msgs = arg;
    atomic_fetch_add(&run->ready, 1);
    while (!atomic_load(&run->go))
        ;
    for (int i = 0; i < PER_PRODUCER; i++) {
        bool wake;
        if (erg__mailbox_push(&run->mb, ERG__MAILBOX_MAIN, &msgs[i].node,
                              &wake) != ERG_OK)
            abort();
    }
    return NULL;
}

/* Producers on their own threads, the reader busy-polling on this one. */
static void bench_mpsc(int producers) {
    erg__mailbox_init(&run->mb, 0);
    erg__mailbox_unblock(&run->mb);
    atomic_store(&run->ready, 0);
    atomic_store(&run->go, false);
    pthread_t th[MAX_PRODUCERS];
    for (int p = 0; p < producers; p++)
        pthread_create(&th[p], NULL, producer, run->msgs[p]);
    while (atomic_load(&run->ready) < producers)
        ;
    double t0 = now_s();
    atomic_store(&run->go, true);
    long total = (long)producers * PER_PRODUCER, got = 0;
    while (got < total) {
        if (erg__mailbox_pop(&run->mb) != NULL)
            got++;
        else
            relax(); /* polling a line producers CAS on slows them */
    }
    double t = now_s() - t0;
    for (int p = 0; p < producers; p++)
        pthread_join(th[p], NULL);
    erg__mailbox_close(&run->mb);
    erg__mailbox_fini(&run->mb);
    printf("bench=mailbox_mpsc impl=erg producers=%d msgs_per_s=%.0f "
           "ns_per_msg=%.1f\n",
           producers, (double)total / t, t * 1e9 / (double)total);
}

int main(void) {
    run = erg__calloc(1, sizeof(*run));
    for (int p = 0; p < MAX_PRODUCERS; p++) {
        run->msgs[p] = erg__malloc(PER_PRODUCER * sizeof(msg_t));
        if (run->msgs[p] == NULL)
            return 1;
        /* First touch costs ~12 us a page here: pay it before timing. */
        memset(run->msgs[p], 0, PER_PRODUCER * sizeof(msg_t));
    }
    bench_single_thread();
    bench_mpsc(1);
    bench_mpsc(2);
    for (int p = 0; p < MAX_PRODUCERS; p++)
        erg__free(run->msgs[p]);
    erg__free(run);
    return 0;
}
