/* SPDX-License-Identifier: MIT */
/* alloc_bench.c: what the allocator hook costs over calling malloc directly. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/alloc.h"

enum { ROUNDS = 20 * 1000 * 1000 };

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Volatile sink so the compiler cannot drop the allocations. */
static void *volatile sink;

int main(void) {
    double t0 = now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        void *p = malloc(64);
        sink = p;
        free(p);
    }
    double t1 = now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        void *p = erg__malloc(64);
        sink = p;
        erg__free(p);
    }
    double t2 = now_ns();
    printf("bench=alloc_64b impl=libc ns_per_op=%.1f\n", (t1 - t0) / ROUNDS);
    printf("bench=alloc_64b impl=erg ns_per_op=%.1f\n", (t2 - t1) / ROUNDS);
    return 0;
}
