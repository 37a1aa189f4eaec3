/* SPDX-License-Identifier: MIT */
/* idmap_test.c: fresh ids, stale ids miss, and lookups race removals safely. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/alloc.h"
#include "util/idmap.h"

/* A refcounted object, as a process control block will be. */
typedef struct obj_s {
    atomic_int refs;
    atomic_bool dying;
    uint64_t id;
    int magic;
} obj_t;

enum { MAGIC = 0x5eed };

static bool obj_retain(void *p) {
    obj_t *o = p;
    if (atomic_load(&o->dying))
        return false;
    atomic_fetch_add(&o->refs, 1);
    return true;
}

static void obj_release(obj_t *o) {
    if (atomic_fetch_sub(&o->refs, 1) == 1) {
        o->magic = 0;
        erg__free(o);
    }
}

static obj_t *obj_new(void) {
    obj_t *o = erg__malloc(sizeof(*o));
    assert_non_null(o);
    atomic_init(&o->refs, 1); /* the owner's reference */
    atomic_init(&o->dying, false);
    o->id = 0;
    o->magic = MAGIC;
    return o;
}

static erg__idmap_t *map_new(uint64_t first) {
    erg__idmap_t *m = NULL;
    ERG_PASS(erg__idmap_new(first, obj_retain, &m));
    return m;
}

static void test_idmap_hands_out_increasing_ids_never_reused(void **state) {
    (void)state;
    erg__idmap_t *m = map_new(1000);
    int x;
    uint64_t a, b, c;
    ERG_PASS(erg__idmap_add(m, &x, &a));
    ERG_PASS(erg__idmap_add(m, &x, &b));
    assert_int_equal(a, 1000);
    assert_int_equal(b, 1001);
    assert_ptr_equal(erg__idmap_remove(m, a), &x);
    ERG_PASS(erg__idmap_add(m, &x, &c));
    assert_int_equal(c, 1002);
    assert_int_equal(erg__idmap_count(m), 2);
    assert_ptr_equal(erg__idmap_remove(m, b), &x);
    assert_ptr_equal(erg__idmap_remove(m, c), &x);
    erg__idmap_free(m);
}

static void test_idmap_stale_and_unknown_ids_return_null(void **state) {
    (void)state;
    erg__idmap_t *m = map_new(1);
    obj_t *o = obj_new();
    ERG_PASS(erg__idmap_add(m, o, &o->id));
    obj_t *got = erg__idmap_get(m, o->id);
    assert_ptr_equal(got, o);
    assert_int_equal(atomic_load(&o->refs), 2);
    obj_release(got);
    assert_ptr_equal(erg__idmap_remove(m, o->id), o);
    assert_null(erg__idmap_get(m, o->id));
    assert_null(erg__idmap_remove(m, o->id));
    assert_null(erg__idmap_get(m, 0));
    assert_null(erg__idmap_get(m, 999999));
    assert_int_equal(atomic_load(&o->refs), 1);
    obj_release(o);
    erg__idmap_free(m);
}

static void test_idmap_refused_retain_looks_like_a_miss(void **state) {
    (void)state;
    erg__idmap_t *m = map_new(1);
    obj_t *o = obj_new();
    ERG_PASS(erg__idmap_add(m, o, &o->id));
    atomic_store(&o->dying, true);
    assert_null(erg__idmap_get(m, o->id));
    assert_int_equal(atomic_load(&o->refs), 1);
    assert_ptr_equal(erg__idmap_remove(m, o->id), o);
    obj_release(o);
    erg__idmap_free(m);
}

static void test_idmap_rejects_bad_arguments(void **state) {
    (void)state;
    erg__idmap_t *m = NULL;
    ERG_FAIL(erg__idmap_new(0, obj_retain, &m), ERG_EINVAL);
    ERG_FAIL(erg__idmap_new(1, NULL, &m), ERG_EINVAL);
    assert_null(m);
    erg__idmap_free(NULL);
}

/* Many entries: growth, shrinking and deletion inside probe runs. */
static void test_idmap_survives_growth_and_interleaved_removal(void **state) {
    (void)state;
    enum { N = 100000 };
    erg__idmap_t *m = map_new(1);
    uint64_t *ids = erg__malloc(N * sizeof(uint64_t));
    obj_t *objs = erg__calloc(N, sizeof(obj_t));
    assert_non_null(ids);
    assert_non_null(objs);
    for (int i = 0; i < N; i++) {
        atomic_init(&objs[i].refs, 1);
        ERG_PASS(erg__idmap_add(m, &objs[i], &ids[i]));
    }
    assert_int_equal(erg__idmap_count(m), N);
    for (int i = 0; i < N; i += 3)
        assert_ptr_equal(erg__idmap_remove(m, ids[i]), &objs[i]);
    for (int i = 0; i < N; i++) {
        obj_t *o = erg__idmap_get(m, ids[i]);
        if (i % 3 == 0) {
            assert_null(o);
        } else {
            assert_ptr_equal(o, &objs[i]);
            atomic_fetch_sub(&o->refs, 1);
        }
    }
    for (int i = 0; i < N; i++)
        if (i % 3 != 0)
            assert_ptr_equal(erg__idmap_remove(m, ids[i]), &objs[i]);
    assert_int_equal(erg__idmap_count(m), 0);
    erg__free(objs);
    erg__free(ids);
    erg__idmap_free(m);
}

static void count_visit(uint64_t id, void *obj, void *arg) {
    (void)obj;
    uint64_t *sum = arg;
    *sum += id;
}

static void test_idmap_foreach_visits_every_entry_once(void **state) {
    (void)state;
    erg__idmap_t *m = map_new(1);
    int x;
    uint64_t id, expect = 0;
    for (int i = 0; i < 500; i++) {
        ERG_PASS(erg__idmap_add(m, &x, &id));
        expect += id;
    }
    uint64_t sum = 0;
    erg__idmap_foreach(m, count_visit, &sum);
    assert_int_equal(sum, expect);
    for (uint64_t i = 1; i <= 500; i++)
        assert_non_null(erg__idmap_remove(m, i));
    erg__idmap_free(m);
}

static void test_idmap_add_reports_enomem_and_stays_usable(void **state) {
    (void)state;
    erg__idmap_t *m = map_new(1);
    int x;
    uint64_t kept, skipped = 0, next;
    ERG_PASS(erg__idmap_add(m, &x, &kept));
    /* Id 2 lands in an empty shard, whose first table cannot be had. */
    erg_test_alloc_fail_after(1);
    ERG_FAIL(erg__idmap_add(m, &x, &skipped), ERG_ENOMEM);
    erg_test_alloc_fail_after(0);
    assert_int_equal(skipped, 0); /* no id was reported */
    assert_int_equal(erg__idmap_count(m), 1);
    assert_null(erg__idmap_get(m, kept + 1));
    /* The failed attempt's id is never handed out; the next one works. */
    ERG_PASS(erg__idmap_add(m, &x, &next));
    assert_int_equal(next, kept + 2);
    assert_ptr_equal(erg__idmap_remove(m, kept), &x);
    assert_ptr_equal(erg__idmap_remove(m, next), &x);
    erg__idmap_free(m);
}

/*
 * Writers add and remove refcounted objects while readers look up recent
 * ids. A reader that gets an object checks it is the one with that id and
 * still alive; under ASan a dangling pointer would be a use-after-free.
 */
enum { RING = 256, WRITERS = 2, READERS = 2, ROUNDS = 100000 };

static erg__idmap_t *shared_map;
static _Atomic uint64_t recent[RING];
static atomic_long hits, misses, bad;

static void *writer(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    obj_t *live[16] = {NULL};
    for (int r = 0; r < ROUNDS; r++) {
        unsigned k = (seed = seed * 1103515245u + 12345u) >> 16 & 15;
        if (live[k] != NULL) {
            obj_t *o = live[k];
            if (erg__idmap_remove(shared_map, o->id) != o)
                atomic_fetch_add(&bad, 1);
            obj_release(o); /* drop the owner's reference */
            live[k] = NULL;
            continue;
        }
        obj_t *o = erg__malloc(sizeof(*o));
        if (o == NULL) {
            atomic_fetch_add(&bad, 1);
            continue;
        }
        atomic_init(&o->refs, 1);
        atomic_init(&o->dying, false);
        o->magic = MAGIC;
        uint64_t id;
        if (erg__idmap_add(shared_map, o, &id) != ERG_OK) {
            atomic_fetch_add(&bad, 1);
            erg__free(o);
            continue;
        }
        o->id = id;
        atomic_store(&recent[id % RING], id);
        live[k] = o;
    }
    for (int k = 0; k < 16; k++) {
        if (live[k] != NULL) {
            erg__idmap_remove(shared_map, live[k]->id);
            obj_release(live[k]);
        }
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t id = atomic_load(&recent[r % RING]);
        obj_t *o = erg__idmap_get(shared_map, id);
        if (o == NULL) {
            atomic_fetch_add(&misses, 1);
            continue;
        }
        /* The writer set o->id before publishing id in recent, so it is
         * safe to read; a wrong object or a freed one would fail here (the
         * owner may have dropped its reference: ours keeps o alive). */
        if (o->id != id || o->magic != MAGIC || atomic_load(&o->refs) < 1)
            atomic_fetch_add(&bad, 1);
        atomic_fetch_add(&hits, 1);
        obj_release(o);
    }
    return NULL;
}

static void test_idmap_lookups_race_removals_without_dangling(void **state) {
    (void)state;
    shared_map = map_new(1);
    atomic_store(&hits, 0);
    atomic_store(&misses, 0);
    atomic_store(&bad, 0);
    for (int i = 0; i < RING; i++)
        atomic_store(&recent[i], 0);
    pthread_t w[WRITERS], r[READERS];
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(
            pthread_create(&w[i], NULL, writer, (void *)(uintptr_t)(i + 1)), 0);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&r[i], NULL, reader, NULL), 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    assert_int_equal(atomic_load(&bad), 0);
    assert_int_equal(atomic_load(&hits) + atomic_load(&misses),
                     (long)READERS * ROUNDS);
    assert_int_equal(erg__idmap_count(shared_map), 0);
    erg__idmap_free(shared_map);
    shared_map = NULL;
}

static int setup(void **state) {
    return erg_test_setup_alloc(state);
}

static int teardown(void **state) {
    return erg_test_teardown_alloc(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idmap_hands_out_increasing_ids_never_reused),
        cmocka_unit_test(test_idmap_stale_and_unknown_ids_return_null),
        cmocka_unit_test(test_idmap_refused_retain_looks_like_a_miss),
        cmocka_unit_test(test_idmap_rejects_bad_arguments),
        cmocka_unit_test(test_idmap_survives_growth_and_interleaved_removal),
        cmocka_unit_test(test_idmap_foreach_visits_every_entry_once),
        cmocka_unit_test(test_idmap_add_reports_enomem_and_stays_usable),
        cmocka_unit_test(test_idmap_lookups_race_removals_without_dangling),
    };
    return cmocka_run_group_tests_name("util.idmap", tests, setup, teardown);
}
