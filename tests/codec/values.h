/* SPDX-License-Identifier: MIT */
/* values.h: random values of any described type, for codec tests, the
 * fuzzers' seeds and the benchmark. */
#ifndef ERG_TESTS_CODEC_VALUES_H
#define ERG_TESTS_CODEC_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "erg/codec.h"

/* A bump arena of plain malloc memory (not erg's hook: test values are not
 * the codec's allocations and must not count as its leaks). */
typedef struct tv_arena {
    void **blocks;
    size_t n, cap;
} tv_arena;

void *tv_alloc(tv_arena *a, size_t size);
void tv_arena_fini(tv_arena *a);

/* A small, seeded generator (xorshift64*), so failures reproduce. */
typedef struct tv_rng {
    uint64_t s;
} tv_rng;

uint64_t tv_next(tv_rng *r);

/*
 * tv_random fills `dst` with a random value of the message, struct, union or
 * enum `desc` that fits every schema bound and holds valid UTF-8: strings
 * with multi-byte characters, lists and maps with up to `width` elements,
 * optionals present or not, any union arm. Recursion is cut at `depth`
 * levels. Memory comes from `a`.
 */
void tv_random(tv_rng *r, tv_arena *a, const erg_codec_desc_t *desc, void *dst,
               int width, int depth);

#endif /* ERG_TESTS_CODEC_VALUES_H */
