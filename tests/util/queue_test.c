/* SPDX-License-Identifier: MIT */
/* queue_test.c: the intrusive queue keeps order through every operation. */
#include "testutil.h"

#include "util/queue.h"

typedef struct item_s {
    int value;
    erg__queue_t link;
} item_t;

static int value_at(erg__queue_t *q) {
    return ERG__QUEUE_DATA(q, item_t, link)->value;
}

/* Checks h holds exactly want[0..n) front to back, and back to front. */
static void assert_queue(erg__queue_t *h, const int *want, int n) {
    int i = 0;
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, h) {
        assert_true(i < n);
        assert_int_equal(value_at(q), want[i]);
        i++;
    }
    assert_int_equal(i, n);
    for (q = erg__queue_tail(h); q != h; q = q->prev)
        assert_int_equal(value_at(q), want[--i]);
    assert_int_equal(erg__queue_empty(h), n == 0);
}

static void make_items(item_t *items, int n) {
    for (int i = 0; i < n; i++) {
        items[i].value = i;
        erg__queue_init(&items[i].link);
    }
}

static void test_queue_insert_tail_and_head_keep_order(void **state) {
    (void)state;
    item_t it[4];
    make_items(it, 4);
    erg__queue_t h;
    erg__queue_init(&h);
    assert_queue(&h, NULL, 0);
    erg__queue_insert_tail(&h, &it[1].link);
    erg__queue_insert_tail(&h, &it[2].link);
    erg__queue_insert_head(&h, &it[0].link);
    erg__queue_insert_tail(&h, &it[3].link);
    assert_queue(&h, (int[]){0, 1, 2, 3}, 4);
    assert_int_equal(value_at(erg__queue_head(&h)), 0);
    assert_int_equal(value_at(erg__queue_tail(&h)), 3);
}

static void test_queue_remove_unlinks_and_reinitialises(void **state) {
    (void)state;
    item_t it[3];
    make_items(it, 3);
    erg__queue_t h;
    erg__queue_init(&h);
    assert_false(erg__queue_is_linked(&it[1].link));
    for (int i = 0; i < 3; i++)
        erg__queue_insert_tail(&h, &it[i].link);
    assert_true(erg__queue_is_linked(&it[1].link));
    erg__queue_remove(&it[1].link);
    assert_false(erg__queue_is_linked(&it[1].link));
    assert_queue(&h, (int[]){0, 2}, 2);
    erg__queue_remove(&it[0].link);
    erg__queue_remove(&it[2].link);
    assert_queue(&h, NULL, 0);
}

static void test_queue_add_appends_and_empties_source(void **state) {
    (void)state;
    item_t it[5];
    make_items(it, 5);
    erg__queue_t a, b;
    erg__queue_init(&a);
    erg__queue_init(&b);
    erg__queue_add(&a, &b); /* empty into empty */
    assert_queue(&a, NULL, 0);
    erg__queue_insert_tail(&a, &it[0].link);
    erg__queue_insert_tail(&a, &it[1].link);
    for (int i = 2; i < 5; i++)
        erg__queue_insert_tail(&b, &it[i].link);
    erg__queue_add(&a, &b);
    assert_queue(&a, (int[]){0, 1, 2, 3, 4}, 5);
    assert_queue(&b, NULL, 0);
}

static void test_queue_split_and_move(void **state) {
    (void)state;
    item_t it[5];
    make_items(it, 5);
    erg__queue_t h, n, m;
    erg__queue_init(&h);
    for (int i = 0; i < 5; i++)
        erg__queue_insert_tail(&h, &it[i].link);
    erg__queue_split(&h, &it[2].link, &n);
    assert_queue(&h, (int[]){0, 1}, 2);
    assert_queue(&n, (int[]){2, 3, 4}, 3);
    erg__queue_move(&n, &m);
    assert_queue(&n, NULL, 0);
    assert_queue(&m, (int[]){2, 3, 4}, 3);
    erg__queue_t fresh;
    erg__queue_move(&n, &fresh); /* an empty queue moves as an empty one */
    assert_queue(&fresh, NULL, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_insert_tail_and_head_keep_order),
        cmocka_unit_test(test_queue_remove_unlinks_and_reinitialises),
        cmocka_unit_test(test_queue_add_appends_and_empties_source),
        cmocka_unit_test(test_queue_split_and_move),
    };
    return cmocka_run_group_tests_name("util.queue", tests, NULL, NULL);
}
